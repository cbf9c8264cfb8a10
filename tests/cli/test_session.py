"""Every command reaches the API the same way: one connection order, one way to fail."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from aiagentics.cli.main import cli

# Nothing listens on these (port 9 is discard, 8 unassigned on loopback): refused at once.
ENV_SECTION_URL = "http://127.0.0.1:9/v1"
ENV_VAR_URL = "http://127.0.0.1:8/v1"


def _project(tmp_path: Path) -> Path:
    (tmp_path / "aiagentics.toml").write_text(
        '[project]\nname = "p"\n'
        f'[env.live.api]\nbase_url = "{ENV_SECTION_URL}"\napi_key_env = "LIVE_KEY"\n'
    )
    return tmp_path


@pytest.mark.parametrize("verb", [["runs", "get", "run_x"], ["keys", "list"], ["run", "a", "hi"]])
def test_the_env_section_beats_the_environment_for_every_command(
    tmp_path: Path, verb: list[str]
) -> None:
    env = {"AIAGENTICS_BASE_URL": ENV_VAR_URL, "AIAGENTICS_API_KEY": "sk_a", "LIVE_KEY": "sk_b"}
    result = CliRunner().invoke(
        cli, ["-C", str(_project(tmp_path)), "--env", "live", *verb], env=env
    )
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: cannot reach the API at {ENV_SECTION_URL}")
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_typed_flag_beats_the_env_section(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "-C",
            str(_project(tmp_path)),
            "--env",
            "live",
            "--base-url",
            ENV_VAR_URL,
            "runs",
            "get",
            "run_x",
        ],
        env={"LIVE_KEY": "sk_b"},
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: cannot reach the API at {ENV_VAR_URL}")


def test_no_key_is_one_message_before_any_call(tmp_path: Path) -> None:
    for verb in (["runs", "get", "run_x"], ["keys", "list"], ["run", "a", "hi"]):
        result = CliRunner().invoke(
            cli, ["-C", str(tmp_path), *verb], env={"AIAGENTICS_API_KEY": None}
        )
        assert result.exit_code == 1
        assert result.stderr.strip() == (
            "error: no API key: pass --api-key or set AIAGENTICS_API_KEY"
        ), verb
