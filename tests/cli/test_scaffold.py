"""`aia init` and `aia new`: scaffolds that validate, and never an overwrite."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import aiagentics.cli.commands.scaffold_cmds  # noqa: F401  (registers the verbs)
from aiagentics.cli.main import cli
from aiagentics.compiler import compile_project
from aiagentics.project import load_project


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_init_writes_a_project_that_compiles(tmp_path: Path) -> None:
    target = tmp_path / "shop-bot"
    code, out = run("init", str(target))
    assert code == 0, out
    written = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert written == [
        ".gitignore",
        "agents/assistant.yaml",
        "aiagentics.toml",
        "templates/assistant.j2",
        "tools/lookup_order.yaml",
    ]
    project = load_project(target)
    assert project.name == "shop-bot"
    result = compile_project(project, environ={})
    assert result.diagnostics == []
    agent = result.state.by_address["Agent/assistant"]
    assert agent.body["instructions"].startswith("You are assistant, an assistant of shop-bot.")
    assert agent.refs == ("Tool/lookup_order",)


def test_init_refuses_an_existing_project(tmp_path: Path) -> None:
    (tmp_path / "aiagentics.toml").write_text('[project]\nname = "mine"\n')
    code, out = run("init", str(tmp_path))
    assert code == 1 and "exists" in out
    assert (tmp_path / "aiagentics.toml").read_text() == '[project]\nname = "mine"\n'


def test_init_keeps_existing_files_and_writes_the_rest(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("mine\n")
    code, out = run("init", str(tmp_path), "--name", "p")
    assert code == 0
    assert (tmp_path / ".gitignore").read_text() == "mine\n"
    assert "skipped .gitignore: exists" in out
    assert (tmp_path / "agents" / "assistant.yaml").is_file()


def test_init_with_a_bad_name(tmp_path: Path) -> None:
    code, _ = run("init", str(tmp_path), "--name", "bad name!")
    assert code == 2 and not (tmp_path / "aiagentics.toml").exists()


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("agent", "agents/billing.yaml"),
        ("tool", "tools/billing.yaml"),
        ("webhook", "webhooks/billing.yaml"),
        ("memory", "memory/billing.yaml"),
    ],
)
def test_new_adds_a_valid_file_in_the_right_folder(tmp_path: Path, kind: str, path: str) -> None:
    run("init", str(tmp_path), "--name", "p")
    code, out = run("-C", str(tmp_path), "new", kind, "billing")
    assert code == 0 and out.strip() == f"created {path}"
    result = compile_project(load_project(tmp_path), environ={})
    assert result.diagnostics == []
    assert f"{kind.capitalize()}/billing" in result.state.by_address


def test_new_http_tool_reads_its_url_from_the_environment(tmp_path: Path) -> None:
    run("init", str(tmp_path), "--name", "p")
    assert run("-C", str(tmp_path), "new", "tool", "crm-lookup", "--type", "http")[0] == 0
    environ = {"CRM_LOOKUP_URL": "https://crm.example/lookup"}
    tool = compile_project(load_project(tmp_path), environ=environ).state.by_address[
        "Tool/crm-lookup"
    ]
    assert tool.body["handler_url"] == "https://crm.example/lookup"
    assert "handler_url" in tool.sensitive


def test_new_refuses_to_overwrite(tmp_path: Path) -> None:
    run("init", str(tmp_path), "--name", "p")
    (tmp_path / "tools" / "x.yaml").write_text("mine\n")
    code, out = run("-C", str(tmp_path), "new", "tool", "x")
    assert code == 1 and "refusing to overwrite" in out
    assert (tmp_path / "tools" / "x.yaml").read_text() == "mine\n"


@pytest.mark.parametrize("name", ["Billing", "1st", "a b", "x" * 64, "../evil"])
def test_new_validates_the_name(tmp_path: Path, name: str) -> None:
    run("init", str(tmp_path), "--name", "p")
    code, out = run("-C", str(tmp_path), "new", "agent", name)
    assert code == 1 and "invalid name" in out
    assert sorted(p.name for p in (tmp_path / "agents").iterdir()) == ["assistant.yaml"]


def test_new_outside_a_project(tmp_path: Path) -> None:
    code, out = run("-C", str(tmp_path), "new", "agent", "a")
    assert code == 1 and "aia init" in out


def test_new_warns_when_the_folder_is_not_a_spec_path(tmp_path: Path) -> None:
    (tmp_path / "aiagentics.toml").write_text('[project]\nname = "p"\npaths = ["specs"]\n')
    code, out = run("-C", str(tmp_path), "new", "agent", "a")
    assert code == 0 and "warning: agents/ is not in [project] paths" in out
