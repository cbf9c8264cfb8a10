"""The installed `aia` command end to end: init then validate, a broken project, the repo's example."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

AIA = str(Path(sys.executable).with_name("aia"))
REPO = Path(__file__).resolve().parents[2]


def aia(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIAGENTICS_", "PAYMENTS_", "OPS_"))
    }
    environ.update(env or {})
    return subprocess.run(
        [AIA, *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=60
    )


def test_init_then_validate(tmp_path: Path) -> None:
    made = aia("init", "bot", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    checked = aia("validate", cwd=tmp_path / "bot")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("✓ valid: 2 resources (1 Agent, 1 Tool)")
    added = aia("-C", str(tmp_path / "bot"), "new", "webhook", "alerts", cwd=tmp_path)
    assert added.returncode == 0
    assert aia("validate", cwd=tmp_path / "bot").returncode == 0


def test_broken_project_lists_every_error_and_exits_one(tmp_path: Path) -> None:
    assert aia("init", "bot", cwd=tmp_path).returncode == 0
    root = tmp_path / "bot"
    agent = root / "agents" / "assistant.yaml"
    agent.write_text(
        agent.read_text()
        .replace("tools: [lookup_order]", "tools: [lookup_ordr]")
        .replace("max_steps: 5", "max_steps: 500")
    )
    (root / "templates" / "assistant.j2").write_text("Hi {{ vars.compny }}\n")
    (root / "tools" / "tabs.yaml").write_text("apiVersion: aiagentics.io/v1\n\tkind: Tool\n")
    result = aia("validate", cwd=root)
    assert result.returncode == 1
    headlines = [line for line in result.stdout.splitlines() if ": error: " in line]
    assert headlines == [
        "agents/assistant.yaml:12:11: error: Tool 'lookup_ordr' is not defined in this project",
        "agents/assistant.yaml:14:16: error: spec.guardrails.max_steps: "
        "input should be less than or equal to 100 (got 500)",
        "templates/assistant.j2:1:1: error: undefined in template: "
        "'dict object' has no attribute 'compny'",
        "tools/tabs.yaml:2:1: error: invalid YAML: found a tab character that violates "
        "indentation (while scanning a plain scalar)",
    ]
    assert "  hint: did you mean 'lookup_order'?" in result.stdout
    assert result.stdout.splitlines()[-1] == "4 errors"
    as_json = json.loads(aia("validate", "--format", "json", cwd=root).stdout)
    assert [d["code"] for d in as_json["diagnostics"]] == [
        "missing-reference",
        "out-of-range",
        "template-undefined",
        "yaml-syntax",
    ]


def test_the_repository_example_project_validates() -> None:
    result = aia("validate", cwd=REPO)
    assert result.returncode == 0, result.stdout
    assert "5 resources" in result.stdout


def test_a_missing_secret_is_reported_and_never_printed(tmp_path: Path) -> None:
    assert aia("init", "bot", cwd=tmp_path).returncode == 0
    root = tmp_path / "bot"
    assert aia("new", "tool", "crm", "--type", "http", cwd=root).returncode == 0
    tool = root / "tools" / "crm.yaml"
    tool.write_text(tool.read_text() + "  headers:\n    Authorization: Bearer ${CRM_TOKEN}\n")
    missing = aia("validate", cwd=root)
    assert missing.returncode == 1
    assert (
        "tools/crm.yaml:18:27: error: environment variable CRM_TOKEN is not set" in missing.stdout
    )
    present = aia("validate", "--format", "json", cwd=root, env={"CRM_TOKEN": "tok-s3cret"})
    assert present.returncode == 0 and "tok-s3cret" not in present.stdout


def test_a_model_whose_runs_would_fail_is_a_warning_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "aiagentics.toml").write_text(
        '[project]\nname = "t"\n[models]\nsmart = "openai/gpt-4.1"\n'
    )
    (tmp_path / "agents").mkdir()
    for name, model in (("a", "smart"), ("b", "acme/llama")):
        (tmp_path / "agents" / f"{name}.yaml").write_text(
            f"apiVersion: aiagentics.io/v1\nkind: Agent\nmetadata:\n  name: {name}\n"
            f"spec:\n  model: {model}\n"
        )
    result = aia("validate", cwd=tmp_path, env={"OPENAI_API_KEY": ""})  # empty is not set
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "agents/a.yaml:6:10: warning: model 'smart' (= 'openai/gpt-4.1') needs the API key in "
        "OPENAI_API_KEY, which is not set here: its runs would fail"
    )
    assert any(line.startswith("  hint: set it to your openai API key") for line in lines)
    assert any(line.startswith("agents/b.yaml:6:10: warning: model 'acme/llama'") for line in lines)
    assert lines[-1] == "✓ valid: 2 resources (2 Agent) in 2 files, 2 warnings"
    as_json = aia("validate", "--format", "json", cwd=tmp_path, env={"OPENAI_API_KEY": "sk-x"})
    report = json.loads(as_json.stdout)
    assert as_json.returncode == 0 and report["valid"] and report["warnings"] == 1
    assert [d["code"] for d in report["diagnostics"]] == ["unknown-provider"]
