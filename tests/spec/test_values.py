"""`${NAME}` values: substituted at compile time, sensitive, and a missing one is placed exactly."""

from __future__ import annotations

TOOL = """
apiVersion: aiagentics.io/v1
kind: Tool
metadata:
  name: pay
spec:
  type: http
  handler_url: ${PAY_URL:-http://127.0.0.1:9/pay}
  headers:
    Authorization: "Bearer ${PAY_TOKEN}"
    X-Literal: "$${NOT_A_VAR}"
"""


def test_values_are_substituted_and_tracked_as_sensitive(compile_files) -> None:
    result = compile_files({"tools/t.yaml": TOOL}, environ={"PAY_TOKEN": "s3cret"})
    assert result.diagnostics == []
    tool = result.state.by_address["Tool/pay"]
    assert tool.body["handler_url"] == "http://127.0.0.1:9/pay"
    assert tool.body["headers"] == {"Authorization": "Bearer s3cret", "X-Literal": "${NOT_A_VAR}"}
    assert tool.sensitive == frozenset({"handler_url", "headers.Authorization"})


def test_environment_wins_over_the_default(compile_files) -> None:
    environ = {"PAY_TOKEN": "t", "PAY_URL": "https://pay.example/x"}
    result = compile_files({"tools/t.yaml": TOOL}, environ=environ)
    assert result.state.by_address["Tool/pay"].body["handler_url"] == "https://pay.example/x"


def test_missing_variable_is_placed_at_the_reference(compile_files) -> None:
    result = compile_files({"tools/t.yaml": TOOL}, environ={"PAY_TOKENS": "x"})
    assert [(d.line, d.column, d.code) for d in result.diagnostics] == [(9, 28, "missing-env")]
    d = result.diagnostics[0]
    assert d.message == "environment variable PAY_TOKEN is not set"
    assert d.hint == "did you mean ${PAY_TOKENS}?"
    assert result.state is None


def test_missing_variable_inside_a_block_scalar(compile_files) -> None:
    agent = """
    apiVersion: aiagentics.io/v1
    kind: Agent
    metadata: {name: a}
    spec:
      instructions: |
        Line one.
        Call ${SUPPORT_PHONE} for help.
      model: scripted
    """
    result = compile_files({"agents/a.yaml": agent})
    assert [(d.line, d.column, d.code) for d in result.diagnostics] == [(7, 10, "missing-env")]


def test_sensitive_instructions_and_labels(compile_files) -> None:
    agent = """
    apiVersion: aiagentics.io/v1
    kind: Agent
    metadata:
      name: a
      labels: {owner: "${OWNER}"}
    spec:
      instructions: "Hi from ${OWNER}"
      model: scripted
    """
    result = compile_files({"agents/a.yaml": agent}, environ={"OWNER": "ops"})
    agent_resource = result.state.by_address["Agent/a"]
    assert agent_resource.body["instructions"] == "Hi from ops"
    assert agent_resource.sensitive == frozenset({"instructions", "metadata.owner"})


def test_invalid_reference_syntax(compile_files) -> None:
    text = TOOL.replace("${PAY_TOKEN}", "${1BAD}")
    result = compile_files({"tools/t.yaml": text})
    assert [(d.line, d.column, d.code) for d in result.diagnostics] == [
        (9, 28, "invalid-env-reference")
    ]


def test_substituted_number_is_validated(compile_files) -> None:
    text = TOOL + "  timeout_seconds: ${TIMEOUT:-12}\n"
    result = compile_files({"tools/t.yaml": text}, environ={"PAY_TOKEN": "x"})
    assert result.state.by_address["Tool/pay"].body["timeout_seconds"] == 12.0


def test_a_bad_value_from_the_environment_is_never_printed(compile_files) -> None:
    text = TOOL + "  timeout_seconds: ${TIMEOUT}\n  method: ${METHOD}\n"
    environ = {"PAY_TOKEN": "x", "TIMEOUT": "hunter2", "METHOD": "s3cr3t"}
    result = compile_files({"tools/t.yaml": text}, environ=environ)
    assert [(d.line, d.code) for d in result.diagnostics] == [
        (11, "invalid-type"),
        (12, "invalid-value"),
    ]
    shown = " ".join(f"{d.message} {d.hint}" for d in result.diagnostics)
    assert "hunter2" not in shown and "s3cr3t" not in shown and "(sensitive)" in shown
