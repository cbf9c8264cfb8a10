"""Where the base URL and key come from: flag, then the --env section, then env vars, then config."""

from __future__ import annotations

from pathlib import Path

from aiagentics.client import resolve_connection
from aiagentics.project import load_project


def _project(tmp_path: Path):
    (tmp_path / "aiagentics.toml").write_text(
        '[project]\nname = "p"\n[api]\nbase_url = "http://base/v1"\napi_key_env = "BASE_KEY"\n'
        '[env.live.api]\nbase_url = "http://live/v1"\napi_key_env = "LIVE_KEY"\n'
    )
    return load_project(tmp_path)


def test_flags_win(tmp_path: Path) -> None:
    c = resolve_connection(
        _project(tmp_path),
        "live",
        base_url="http://flag/v1",
        api_key="sk_flag",
        environ={"LIVE_KEY": "x"},
    )
    assert (c.base_url, c.api_key, c.api_key_source) == ("http://flag/v1", "sk_flag", "--api-key")


def test_env_section_selects_url_and_key(tmp_path: Path) -> None:
    environ = {
        "LIVE_KEY": "sk_live",
        "AIAGENTICS_API_KEY": "sk_default",
        "AIAGENTICS_BASE_URL": "http://envvar/v1",
    }
    c = resolve_connection(_project(tmp_path), "live", environ=environ)
    assert (c.base_url, c.api_key) == ("http://live/v1", "sk_live")


def test_default_env_vars_then_config(tmp_path: Path) -> None:
    project = _project(tmp_path)
    c = resolve_connection(
        project,
        None,
        environ={"AIAGENTICS_API_KEY": "sk_a", "AIAGENTICS_BASE_URL": "http://envvar/v1"},
    )
    assert (c.base_url, c.api_key) == ("http://envvar/v1", "sk_a")
    c = resolve_connection(project, None, environ={"BASE_KEY": "sk_b"})
    assert (c.base_url, c.api_key, c.api_key_source) == ("http://base/v1", "sk_b", "BASE_KEY")
    missing = resolve_connection(project, None, environ={})
    assert missing.api_key is None
