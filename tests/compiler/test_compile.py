"""The compiler: references, duplicates, bodies, hashes and order."""

from __future__ import annotations

import json

from tests.project_helpers import where

from aiagentics.compiler import compile_project, spec_hash
from aiagentics.project import load_project

TOOL = """
apiVersion: aiagentics.io/v1
kind: Tool
metadata:
  name: {name}
spec:
  type: client
  description: human words
"""
AGENT = """
apiVersion: aiagentics.io/v1
kind: Agent
metadata:
  name: support
  labels: {{team: payments}}
spec:
  instructions: "Help {{{{ vars.company }}}}."
  tools: [{tools}]
  model: scripted
"""


def test_duplicate_names_across_files_name_both_places(compile_files) -> None:
    result = compile_files(
        {"tools/a.yaml": TOOL.format(name="refund"), "tools/b.yaml": TOOL.format(name="refund")}
    )
    assert where(result) == [("tools/b.yaml", 4, 9, "duplicate-name")]
    assert "also defined at tools/a.yaml:4:9" in result.diagnostics[0].message


def test_same_name_in_two_kinds_is_fine(compile_files) -> None:
    memory = "apiVersion: aiagentics.io/v1\nkind: Memory\nmetadata: {name: refund}\nspec: {}\n"
    result = compile_files({"tools/a.yaml": TOOL.format(name="refund"), "memory/m.yaml": memory})
    assert result.diagnostics == []


def test_missing_tool_reference_with_did_you_mean(compile_files) -> None:
    files = {
        "tools/a.yaml": TOOL.format(name="refund"),
        "agents/s.yaml": AGENT.format(tools="refund, refnd"),
    }
    result = compile_files(files, config='[vars]\ncompany = "Acme"\n')
    assert where(result) == [("agents/s.yaml", 8, 19, "missing-reference")]
    assert result.diagnostics[0].message == "Tool 'refnd' is not defined in this project"
    assert result.diagnostics[0].hint == "did you mean 'refund'?"


def test_missing_memory_and_files(compile_files) -> None:
    agent = """
    apiVersion: aiagentics.io/v1
    kind: Agent
    metadata: {name: a}
    spec:
      memory: notes
      files: [handbook]
      model: scripted
    """
    memory = """
    apiVersion: aiagentics.io/v1
    kind: Memory
    metadata: {name: kb}
    spec:
      vector:
        files: [policy]
    """
    result = compile_files({"agents/a.yaml": agent, "memory/kb.yaml": memory})
    assert where(result) == [
        ("agents/a.yaml", 5, 11, "missing-reference"),
        ("agents/a.yaml", 6, 11, "missing-reference"),
        ("memory/kb.yaml", 6, 13, "missing-reference"),
    ]


def test_script_calling_a_tool_the_agent_lacks(compile_files) -> None:
    agent = """
    apiVersion: aiagentics.io/v1
    kind: Agent
    metadata: {name: a}
    spec:
      tools: [refund]
      model_options:
        script:
          - tool_calls: [{name: refunds}]
      model: scripted
    """
    result = compile_files({"agents/a.yaml": agent, "tools/r.yaml": TOOL.format(name="refund")})
    assert where(result) == [("agents/a.yaml", 8, 29, "missing-reference")]
    assert result.diagnostics[0].hint == "did you mean 'refund'?"


def test_unknown_model_alias(compile_files) -> None:
    agent = "apiVersion: aiagentics.io/v1\nkind: Agent\nmetadata: {name: a}\nspec:\n  model: smrt\n"
    result = compile_files({"agents/a.yaml": agent}, config='[models]\nsmart = "openai/gpt-4.1"\n')
    assert where(result) == [("agents/a.yaml", 5, 10, "unknown-model")]
    assert result.diagnostics[0].hint == "did you mean 'smart'?"


def test_file_resource_path_must_exist_inside_the_project(compile_files) -> None:
    files = {
        "memory/f.yaml": (
            "apiVersion: aiagentics.io/v1\nkind: File\nmetadata: {name: a}\nspec: {path: docs/a.md}\n"
            "---\napiVersion: aiagentics.io/v1\nkind: File\nmetadata: {name: b}\nspec: {path: ../x}\n"
        ),
    }
    result = compile_files(files)
    assert where(result) == [
        ("memory/f.yaml", 4, 14, "missing-file"),
        ("memory/f.yaml", 9, 14, "invalid-path"),
    ]


def test_bodies_hashes_and_order(compile_files) -> None:
    files = {
        "tools/a.yaml": TOOL.format(name="refund"),
        "agents/s.yaml": AGENT.format(tools="refund"),
        "memory/m.yaml": "apiVersion: aiagentics.io/v1\nkind: Memory\nmetadata: {name: m}\nspec: {kv: {}}\n",
    }
    result = compile_files(files, config='[vars]\ncompany = "Acme"\n')
    state = result.state
    assert [r.address for r in state.resources] == ["Memory/m", "Tool/refund", "Agent/support"]
    agent = state.by_address["Agent/support"]
    assert agent.body == {
        "name": "support",
        "description": "",
        "model": "scripted",
        "instructions": "Help Acme.",
        "tools": ["refund"],
        "memory": None,
        "files": [],
        "guardrails": {
            "max_steps": 10,
            "max_output_tokens": None,
            "timeout_seconds": 300.0,
            "max_history_messages": None,
        },
        "model_options": {},
        "metadata": {"team": "payments"},
    }
    assert agent.refs == ("Tool/refund",)
    canonical = json.dumps(agent.body, sort_keys=True, separators=(",", ":"))
    import hashlib

    assert agent.spec_hash == hashlib.sha256(canonical.encode()).hexdigest()
    assert agent.source.file == "agents/s.yaml" and agent.source.line == 1
    tool = state.by_address["Tool/refund"]
    assert tool.body["description"] == "human words"
    assert tool.body["parameters"] == {"type": "object", "properties": {}}
    assert "instructions_template" not in agent.body


def test_hash_is_stable_and_changes_with_content(compile_files, make_project) -> None:
    files = {"tools/a.yaml": TOOL.format(name="refund")}
    root = make_project(files)
    first = compile_project(load_project(root), environ={}).state.resources[0].spec_hash
    again = compile_project(load_project(root), environ={}).state.resources[0].spec_hash
    assert first == again
    (root / "tools/a.yaml").write_text(TOOL.format(name="refund").replace("human", "other"))
    changed = compile_project(load_project(root), environ={}).state.resources[0].spec_hash
    assert changed != first
    assert spec_hash({"b": 1, "a": [1]}) == spec_hash({"a": [1], "b": 1})


def test_protect_is_carried_but_not_in_the_body(compile_files) -> None:
    text = TOOL.format(name="refund").replace(
        "  name: refund\n", "  name: refund\n  protect: true\n"
    )
    resource = compile_files({"tools/a.yaml": text}).state.resources[0]
    assert resource.protect is True and "protect" not in json.dumps(resource.body)


def test_warnings_do_not_block_and_empty_project_compiles(compile_files) -> None:
    result = compile_files({})
    assert result.ok and result.state.resources == () and result.state.project == "t"


def test_script_arguments_are_checked_against_the_tool_parameters(compile_files) -> None:
    tool = """
    apiVersion: aiagentics.io/v1
    kind: Tool
    metadata: {name: lookup}
    spec:
      type: client
      parameters:
        type: object
        properties: {id: {type: string}}
        required: [id]
    """
    agent = """
    apiVersion: aiagentics.io/v1
    kind: Agent
    metadata: {name: a}
    spec:
      tools: [lookup]
      model_options:
        script:
          - tool_calls: [{name: lookup, arguments: {id: 5}}]
      model: scripted
    """
    result = compile_files({"tools/l.yaml": tool, "agents/a.yaml": agent})
    assert where(result) == [("agents/a.yaml", 8, 48, "script-arguments")]
    d = result.diagnostics[0]
    assert d.severity == "warning" and "is not of type" in d.message
    assert result.ok  # a warning: the state is still produced


def test_parse_cache_reuses_unchanged_files_and_sees_edits(make_project) -> None:
    from aiagentics.compiler import ParseCache

    root = make_project(
        {"tools/a.yaml": TOOL.format(name="a"), "tools/b.yaml": TOOL.format(name="b")}
    )
    project = load_project(root)
    cache = ParseCache()
    first = compile_project(project, environ={}, cache=cache)
    assert len(cache) == 2
    again = compile_project(project, environ={}, cache=cache)
    assert [r.spec_hash for r in again.state.resources] == [
        r.spec_hash for r in first.state.resources
    ]
    (root / "tools/b.yaml").write_text(TOOL.format(name="b").replace("human", "edited"))
    (root / "tools/a.yaml").unlink()
    edited = compile_project(project, environ={}, cache=cache)
    assert [r.address for r in edited.state.resources] == ["Tool/b"]
    assert edited.state.resources[0].body["description"] == "edited words"
    assert len(cache) == 1
    (root / "tools/b.yaml").write_text("kind: [\n")
    broken = compile_project(project, environ={}, cache=cache)
    assert [d.code for d in broken.diagnostics] == ["yaml-syntax"]


SECRET_TOOL = """
apiVersion: aiagentics.io/v1
kind: Tool
metadata:
  name: crm
spec:
  type: http
  handler_url: https://crm.test/q
  headers: {Authorization: "${CRM_TOKEN}"}
"""


def test_published_hash_cannot_be_checked_against_a_guess_quickly(make_project) -> None:
    from aiagentics.plan import make_plan

    root = make_project({"tools/crm.yaml": SECRET_TOOL})

    def compiled(token: str):
        return compile_project(load_project(root), environ={"CRM_TOKEN": token}).state

    state = compiled("Bearer 1234")
    (tool,) = state.resources
    # A reader of the label who guesses the value must not confirm it with one sha256.
    assert tool.spec_hash != spec_hash(tool.body)
    assert tool.spec_hash == compiled("Bearer 1234").resources[0].spec_hash
    assert tool.spec_hash != compiled("Bearer 1235").resources[0].spec_hash
    plan = make_plan(state, {})
    assert plan.state_hash == make_plan(compiled("Bearer 1234"), {}).state_hash
    assert plan.state_hash != make_plan(compiled("Bearer 1235"), {}).state_hash
