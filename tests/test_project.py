"""`aiagentics.toml`'s [gateway] section and the settings a gateway runs with."""

from __future__ import annotations

from pathlib import Path

from aiagentics.project import GatewaySection, GatewaySettings, load_project


def test_settings_from_project(tmp_path: Path) -> None:
    (tmp_path / "aiagentics.toml").write_text(
        '[project]\nname = "p"\n[models]\nfast = "openai/gpt-4.1-mini"\n'
        '[providers.openai]\nbase_url = "http://127.0.0.1:9/v1"\napi_key_env = "OPENAI_API_KEY"\n'
        '[gateway]\nport = 9999\ndatabase = "sqlite:///state/gw.db"\nallow_private_network = true\n'
        "rate_limit_burst = 7\nmax_body_bytes = 5000\n"
    )
    s = GatewaySettings.from_project(
        load_project(tmp_path), environ={"AIAGENTICS_API_KEY": "sk_test_zz"}
    )
    assert (
        s.port == 9999
        and s.allow_private_network
        and s.rate_limit_burst == 7
        and s.max_body_bytes == 5000
    )
    assert Path(s.database) == tmp_path.resolve() / "state" / "gw.db"
    assert s.files_dir == tmp_path.resolve() / "state" / "files"
    assert s.bootstrap_api_key == "sk_test_zz"
    assert s.model_aliases == {"fast": "openai/gpt-4.1-mini"}
    assert s.providers["openai"]["api_key_env"] == "OPENAI_API_KEY"
    assert GatewaySettings.from_env_json(s.to_env_json()) == s
    assert s.replace(port=None, host="0.0.0.0").port == 9999
    none = GatewaySettings.from_project(None, root=tmp_path, environ={})
    assert Path(none.database) == tmp_path.resolve() / ".aiagentics" / "gateway.db"
    assert none.bootstrap_api_key is None


def test_every_gateway_key_is_a_setting_with_its_default_and_limits(tmp_path: Path) -> None:
    # The section is the one declaration: a key added there is a setting, same default.
    for name, info in GatewaySection.model_fields.items():
        setting = GatewaySettings.model_fields[name]
        if name != "database":  # a URL in the file, a resolved path in the settings
            assert setting.default == info.default and setting.metadata == info.metadata, name
    (tmp_path / "aiagentics.toml").write_text(
        '[project]\nname = "p"\n[gateway]\nwebhook_timeout_seconds = 3.5\n'
        'embeddings_model = "m"\nread_cache_entries = 0\n'
    )
    s = GatewaySettings.from_project(load_project(tmp_path), environ={})
    assert (s.webhook_timeout_seconds, s.embeddings_model, s.read_cache_entries) == (3.5, "m", 0)


def test_database_url_selects_postgres_and_the_environment_wins(tmp_path: Path) -> None:
    (tmp_path / "aiagentics.toml").write_text(
        '[project]\nname = "p"\n[gateway]\ndatabase = "postgresql://app:pw@db.internal:6543/aia"\n'
    )
    project = load_project(tmp_path)
    s = GatewaySettings.from_project(project, environ={})
    assert s.is_postgres and s.database == "postgresql://app:pw@db.internal:6543/aia"
    # Files and the sealing key need a home: the project's state folder.
    assert s.data_dir == tmp_path.resolve() / ".aiagentics"
    assert s.files_dir == tmp_path.resolve() / ".aiagentics" / "files"
    # Messages name host, port and database, never the password.
    assert s.database_label == "postgresql://db.internal:6543/aia"
    assert GatewaySettings.from_env_json(s.to_env_json()) == s
    # AIAGENTICS_DATABASE_URL wins over the file, a SQLite one as well as a Postgres one.
    env = GatewaySettings.from_project(
        project, environ={"AIAGENTICS_DATABASE_URL": "sqlite:///other/x.db"}
    )
    assert not env.is_postgres and Path(env.database) == tmp_path.resolve() / "other" / "x.db"
    assert env.data_dir == tmp_path.resolve() / "other"
    none = GatewaySettings.from_project(
        None, root=tmp_path, environ={"AIAGENTICS_DATABASE_URL": "postgres://h/d"}
    )
    assert none.is_postgres and none.database_label == "postgresql://h:5432/d"
    # Instances on several hosts share one sealing key through the environment.
    key = GatewaySettings.from_project(project, environ={"AIAGENTICS_SECRET_KEY": "k" * 44})
    assert key.secret_key == "k" * 44


def test_an_unknown_database_scheme_says_what_is_supported(tmp_path: Path) -> None:
    (tmp_path / "aiagentics.toml").write_text(
        '[project]\nname = "p"\n[gateway]\ndatabase = "mysql://h/d"\n'
    )
    import pytest

    with pytest.raises(ValueError, match=r"mysql://.*sqlite:///.*postgresql://"):
        GatewaySettings.from_project(load_project(tmp_path), environ={})
