"""One run shows every problem: references and templates of an otherwise invalid agent are checked too."""

from __future__ import annotations

from tests.project_helpers import where


def test_invalid_agent_still_gets_reference_and_template_checks(compile_files) -> None:
    agent = """
    apiVersion: aiagentics.io/v1
    kind: Agent
    metadata: {name: a}
    spec:
      instructions: "{{ nope }}"
      tools: [ghost]
      memory: notes
      guardrails: {max_steps: 0}
      model: scripted
    """
    result = compile_files({"agents/a.yaml": agent})
    assert where(result) == [
        ("agents/a.yaml", 5, 18, "template-undefined"),
        ("agents/a.yaml", 6, 11, "missing-reference"),
        ("agents/a.yaml", 7, 11, "missing-reference"),
        ("agents/a.yaml", 8, 27, "out-of-range"),
    ]


def test_invalid_memory_still_gets_file_reference_checks(compile_files) -> None:
    memory = """
    apiVersion: aiagentics.io/v1
    kind: Memory
    metadata: {name: m}
    spec:
      vector: {files: [kb], top_k: 0}
    """
    result = compile_files({"memory/m.yaml": memory})
    assert [d.code for d in result.diagnostics] == ["missing-reference", "out-of-range"]


def test_a_reference_to_an_invalid_resource_is_not_reported_missing(compile_files) -> None:
    tool = "apiVersion: aiagentics.io/v1\nkind: Tool\nmetadata: {name: t}\nspec: {type: nope}\n"
    agent = "apiVersion: aiagentics.io/v1\nkind: Agent\nmetadata: {name: a}\nspec: {tools: [t], model: scripted}\n"
    result = compile_files({"tools/t.yaml": tool, "agents/a.yaml": agent})
    assert where(result) == [("tools/t.yaml", 4, 14, "invalid-value")]
