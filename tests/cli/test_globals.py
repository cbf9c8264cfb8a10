"""Global options work before and after the verb, as in Terraform and kubectl."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from aiagentics.cli.main import cli

ENV_SECTION_URL = "http://127.0.0.1:9/v1"
TYPED_URL = "http://127.0.0.1:8/v1"


def _project(tmp_path: Path) -> Path:
    (tmp_path / "aiagentics.toml").write_text(
        '[project]\nname = "p"\n'
        f'[env.live.api]\nbase_url = "{ENV_SECTION_URL}"\napi_key_env = "LIVE_KEY"\n'
    )
    return tmp_path


def test_validate_takes_env_and_dir_after_the_verb(tmp_path: Path) -> None:
    project = _project(tmp_path)
    # the real console script, from another directory
    aia = Path(sys.executable).with_name("aia")
    done = subprocess.run(
        [str(aia), "validate", "--env", "live", "-C", str(project)],
        capture_output=True,
        text=True,
        cwd="/",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("✓ valid: 0 resources"), done.stdout


@pytest.mark.parametrize(
    "verb", [["runs", "get", "run_x"], ["keys", "list"], ["run", "a", "hi"], ["plan"]]
)
def test_connection_options_after_the_verb(tmp_path: Path, verb: list[str]) -> None:
    project = _project(tmp_path)
    after = [*verb, "-C", str(project), "--env", "live"]
    result = CliRunner().invoke(cli, after, env={"LIVE_KEY": "sk_b", "AIAGENTICS_API_KEY": None})
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: cannot reach the API at {ENV_SECTION_URL}")
    typed = CliRunner().invoke(
        cli, ["--base-url", ENV_SECTION_URL, *after, "--base-url", TYPED_URL], env={"LIVE_KEY": "k"}
    )
    # the one after the verb wins, and a typed URL beats the [env.live.api] section
    assert typed.stderr.startswith(f"error: cannot reach the API at {TYPED_URL}"), typed.stderr


def test_every_verb_lists_the_global_options() -> None:
    for verb in (["validate"], ["runs", "get"], ["keys", "revoke"], ["export"]):
        result = CliRunner().invoke(cli, [*verb, "--help"])
        assert result.exit_code == 0
        for flag in ("-C", "--env", "--base-url", "--api-key"):
            assert flag in result.output, (verb, flag)
