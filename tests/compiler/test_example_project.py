"""The repository's root is itself an example project, and it must always validate."""

from __future__ import annotations

from pathlib import Path

from aiagentics.compiler import compile_project
from aiagentics.project import load_project

REPO = Path(__file__).resolve().parents[2]


def test_example_project_compiles_without_any_environment_variable() -> None:
    result = compile_project(load_project(REPO), environ={})
    assert result.diagnostics == []
    state = result.state
    assert state.project == "payments-support"
    kinds = {r.kind for r in state.resources}
    assert kinds == {"Agent", "Tool", "Memory", "Webhook"}
    tool_types = {r.body["type"] for r in state.of_kind("Tool")}
    assert {"http", "client"} <= tool_types
    agent = state.of_kind("Agent")[0]
    assert agent.body["model"] == "scripted"
    script = agent.body["model_options"]["script"]
    http_tools = {r.name for r in state.of_kind("Tool") if r.body["type"] == "http"}
    assert script[0]["tool_calls"][0]["name"] in http_tools
    assert "content" in script[-1]
    assert "Acme" in agent.body["instructions"] and "{{" not in agent.body["instructions"]


def test_example_project_live_environment_changes_the_prompt() -> None:
    project = load_project(REPO)
    test = compile_project(project, environ={}).state.of_kind("Agent")[0]
    live = compile_project(project, env="live", environ={}).state.of_kind("Agent")[0]
    assert "Acme Inc." in live.body["instructions"] and "real money" in live.body["instructions"]
    assert live.spec_hash != test.spec_hash
