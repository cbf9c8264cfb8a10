"""`aia validate` and `aia plan` keep the template cache in the user cache folder unless told not to."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

import aiagentics.cli.commands.validate  # noqa: F401  (registers the verbs)
from aiagentics.cli.commands.plan import compile_or_fail
from aiagentics.cli.main import cli
from aiagentics.project import load_project

AGENT = """\
apiVersion: aiagentics.io/v1
kind: Agent
metadata: {name: a}
spec:
  model: scripted
  instructions: "{% if vars.company %}For {{ vars.company }}.{% endif %}"
"""


def project(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    (root / "agents").mkdir(parents=True)
    (root / "aiagentics.toml").write_text('[project]\nname = "t"\n[vars]\ncompany = "Acme"\n')
    (root / "agents/a.yaml").write_text(AGENT)
    return root


def stored(cache: Path) -> list[str]:
    """The cache files of projects (one folder each under templates/)."""
    return sorted(p.name for p in cache.glob("templates/*/*") if p.is_file())


@pytest.mark.parametrize(
    ("args", "env", "kept"),
    [
        ([], {}, ["code", "rendered"]),
        (["--no-cache"], {}, []),
        ([], {"AIAGENTICS_NO_CACHE": "1"}, []),
    ],
)
def test_validate_uses_the_cache_unless_turned_off(
    tmp_path: Path, args: list[str], env: dict[str, str], kept: list[str]
) -> None:
    root, cache = project(tmp_path), tmp_path / "cache"
    environ = {"AIAGENTICS_CACHE_DIR": str(cache), "AIAGENTICS_NO_CACHE": "", **env}
    for _ in range(2):  # the second run reads what the first kept
        result = CliRunner(env=environ).invoke(cli, ["-C", str(root), "validate", *args])
        assert result.exit_code == 0, result.output
        assert result.output.startswith("✓ valid: 1 resource (1 Agent)")
    assert stored(cache) == kept
    assert not cache.exists() or [p.name for p in cache.iterdir()] == ["templates"]


def test_plan_compiles_with_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, cache = project(tmp_path), tmp_path / "cache"
    monkeypatch.setenv("AIAGENTICS_CACHE_DIR", str(cache))
    monkeypatch.delenv("AIAGENTICS_NO_CACHE", raising=False)
    err = Console(file=io.StringIO())
    desired = compile_or_fail(load_project(root), None, err)
    assert desired.by_address["Agent/a"].body["instructions"] == "For Acme."
    assert stored(cache) == ["code", "rendered"]
