"""`aia validate` and `aia schema` in-process: output format, exit codes, JSON, colour rules."""

from __future__ import annotations

import io
import json
import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

import aiagentics.cli.commands.validate  # noqa: F401  (registers the verbs)
from aiagentics.cli.main import cli
from aiagentics.cli.views.diagnostics import render_diagnostics
from aiagentics.spec.diagnostics import Diagnostic

BROKEN_TOOL = """\
apiVersion: aiagentics.io/v1
kind: Tool
metadata:
  name: refund
spec:
  type: client
  timout_seconds: 5
"""


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / "aiagentics.toml").write_text('[project]\nname = "t"\n')
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text))
    return tmp_path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_text_output_has_place_snippet_and_hint(tmp_path: Path) -> None:
    root = project(tmp_path, {"tools/refund.yaml": BROKEN_TOOL})
    code, out = run("-C", str(root), "validate")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "tools/refund.yaml:7:3: error: unknown field 'timout_seconds' in spec"
    assert lines[1] == "  6 |   type: client"
    assert lines[2] == "  7 |   timout_seconds: 5"
    assert lines[3] == "    |   ^" + "~" * 13  # under all of `timout_seconds`
    assert lines[4] == "  hint: did you mean 'timeout_seconds'?"
    assert lines[-1] == "1 error"
    assert "\x1b[" not in out  # not a terminal: no colour


def test_valid_project_exits_zero_with_a_summary(tmp_path: Path) -> None:
    root = project(
        tmp_path, {"tools/refund.yaml": BROKEN_TOOL.replace("  timout_seconds: 5\n", "")}
    )
    code, out = run("-C", str(root), "validate")
    assert code == 0
    assert out.strip() == "✓ valid: 1 resource (1 Tool) in 1 file"


def test_json_output(tmp_path: Path) -> None:
    root = project(tmp_path, {"tools/refund.yaml": BROKEN_TOOL})
    code, out = run("-C", str(root), "validate", "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["valid"] is False and report["errors"] == 1
    (d,) = report["diagnostics"]
    assert (d["file"], d["line"], d["column"], d["code"]) == (
        "tools/refund.yaml",
        7,
        3,
        "unknown-field",
    )
    assert d["hint"] == "did you mean 'timeout_seconds'?"


def test_json_output_of_a_valid_project_lists_resources(tmp_path: Path) -> None:
    root = project(
        tmp_path, {"tools/refund.yaml": BROKEN_TOOL.replace("  timout_seconds: 5\n", "")}
    )
    code, out = run("-C", str(root), "validate", "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["valid"] is True
    assert [r["address"] for r in report["resources"]] == ["Tool/refund"]
    assert len(report["resources"][0]["spec_hash"]) == 64


def test_missing_config_is_a_diagnostic(tmp_path: Path) -> None:
    code, out = run("-C", str(tmp_path), "validate")
    assert code == 1
    assert "error: no aiagentics.toml here or in any parent directory" in out


def test_invalid_config_is_a_diagnostic_with_place(tmp_path: Path) -> None:
    (tmp_path / "aiagentics.toml").write_text('[project]\nname = "t"\n[vars\n')
    code, out = run("-C", str(tmp_path), "validate")
    assert code == 1 and out.startswith("aiagentics.toml:3:")


def test_env_option_selects_vars(tmp_path: Path) -> None:
    agent = """\
    apiVersion: aiagentics.io/v1
    kind: Agent
    metadata: {name: a}
    spec:
      instructions: "{{ vars.only_live }}"
      model: scripted
    """
    root = project(tmp_path, {"agents/a.yaml": agent})
    with (root / "aiagentics.toml").open("a") as handle:
        handle.write('[env.live.vars]\nonly_live = "x"\n')
    assert run("-C", str(root), "validate")[0] == 1
    assert run("-C", str(root), "--env", "live", "validate")[0] == 0


def has_colour(text: str) -> bool:
    """Whether any SGR escape sets a foreground/background colour (bold and dim are not colour)."""
    for params in re.findall(r"\x1b\[([0-9;]*)m", text):
        for p in params.split(";"):
            if p.isdigit() and (30 <= int(p) <= 49 or 90 <= int(p) <= 107):
                return True
    return False


def test_colour_on_a_terminal_and_no_color_honoured(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "a.yaml").write_text("x: 1\n")
    diagnostic = Diagnostic("a.yaml", 1, 1, "unknown-field", "unknown field 'x'", "did you mean?")
    monkeypatch.delenv("NO_COLOR", raising=False)
    buffer = io.StringIO()
    render_diagnostics([diagnostic], Console(file=buffer, force_terminal=True), tmp_path)
    assert has_colour(buffer.getvalue())
    monkeypatch.setenv("NO_COLOR", "1")
    buffer = io.StringIO()
    render_diagnostics([diagnostic], Console(file=buffer, force_terminal=True), tmp_path)
    assert not has_colour(buffer.getvalue())


def test_long_lines_are_not_wrapped(tmp_path: Path) -> None:
    diagnostic = Diagnostic("agents/" + "x" * 90 + ".yaml", 3, 4, "c", "m" * 120)
    buffer = io.StringIO()
    render_diagnostics([diagnostic], Console(file=buffer, width=60), tmp_path)
    assert buffer.getvalue().splitlines()[0] == f"agents/{'x' * 90}.yaml:3:4: error: {'m' * 120}"


def test_schema_prints_every_kind() -> None:
    code, out = run("schema")
    assert code == 0
    schemas = json.loads(out)
    assert sorted(schemas) == ["Agent", "File", "Memory", "Tool", "Webhook"]
    agent = schemas["Agent"]
    assert agent["additionalProperties"] is False
    assert set(agent["required"]) == {"apiVersion", "kind", "metadata", "spec"}


@pytest.mark.parametrize("kind", ["agent", "tool", "memory", "webhook", "file"])
def test_schema_out_writes_one_file_per_kind(tmp_path: Path, kind: str) -> None:
    code, _ = run("schema", "--out", str(tmp_path / "schemas"))
    assert code == 0
    document = json.loads((tmp_path / "schemas" / f"{kind}.schema.json").read_text())
    assert document["$schema"].startswith("https://json-schema.org/")
    assert document["properties"]["kind"]["const"] == kind.capitalize()


def test_invalid_config_value_points_at_its_key(tmp_path: Path) -> None:
    (tmp_path / "aiagentics.toml").write_text('[project]\nname = "t"\n\n[gateway]\nport = 99999\n')
    (tmp_path / "agents").mkdir()
    code, out = run("-C", str(tmp_path / "agents"), "validate")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("aiagentics.toml:5:1: error: gateway.port:")
    assert lines[2] == "  5 | port = 99999"


def test_unknown_config_table(tmp_path: Path) -> None:
    (tmp_path / "aiagentics.toml").write_text('[project]\nname = "t"\n[projet]\nx = 1\n')
    code, out = run("-C", str(tmp_path), "validate")
    assert code == 1 and out.startswith("aiagentics.toml:3:1: error: projet: unknown key")


def test_schema_out_also_writes_an_any_kind_schema(tmp_path: Path) -> None:
    assert run("schema", "--out", str(tmp_path))[0] == 0
    document = json.loads((tmp_path / "resource.schema.json").read_text())
    assert document["discriminator"]["propertyName"] == "kind"
    assert sorted(document["discriminator"]["mapping"]) == [
        "Agent",
        "File",
        "Memory",
        "Tool",
        "Webhook",
    ]


def test_json_diagnostics_carry_an_end_for_editors(tmp_path: Path) -> None:
    root = project(tmp_path, {"tools/refund.yaml": BROKEN_TOOL})
    (d,) = json.loads(run("-C", str(root), "validate", "--format", "json")[1])["diagnostics"]
    # `timout_seconds` spans columns 3..17 (end exclusive) on line 7
    assert (d["line"], d["column"], d["end_line"], d["end_column"]) == (7, 3, 7, 17)
