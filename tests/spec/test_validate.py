"""Validation diagnostics: each at its exact line and column, with the hint a user needs."""

from __future__ import annotations

from tests.project_helpers import where

TOOL = """
apiVersion: aiagentics.io/v1
kind: Tool
metadata:
  name: refund
spec:
  type: client
"""


def one(result) -> tuple:
    assert len(result.diagnostics) == 1, result.diagnostics
    d = result.diagnostics[0]
    return (d.file, d.line, d.column, d.code)


def test_unknown_field_with_did_you_mean(compile_files) -> None:
    result = compile_files({"tools/t.yaml": TOOL + "  descripton: x\n"})
    assert one(result) == ("tools/t.yaml", 7, 3, "unknown-field")
    d = result.diagnostics[0]
    assert d.message == "unknown field 'descripton' in spec"
    assert d.hint == "did you mean 'description'?"


def test_unknown_nested_field(compile_files) -> None:
    agent = """
    apiVersion: aiagentics.io/v1
    kind: Agent
    metadata: {name: a}
    spec:
      guardrails:
        max_step: 3
      model: scripted
    """
    result = compile_files({"agents/a.yaml": agent})
    assert one(result) == ("agents/a.yaml", 6, 5, "unknown-field")
    assert result.diagnostics[0].hint == "did you mean 'max_steps'?"
    assert "spec.guardrails" in result.diagnostics[0].message


def test_unknown_envelope_field_lists_known_ones(compile_files) -> None:
    result = compile_files({"tools/t.yaml": TOOL + "status: {}\n"})
    assert one(result) == ("tools/t.yaml", 7, 1, "unknown-field")
    assert "apiVersion" in result.diagnostics[0].hint


def test_wrong_type_points_at_the_value(compile_files) -> None:
    result = compile_files({"tools/t.yaml": TOOL + "  timeout_seconds: soon\n"})
    assert one(result) == ("tools/t.yaml", 7, 20, "invalid-type")
    assert "spec.timeout_seconds" in result.diagnostics[0].message
    assert "'soon'" in result.diagnostics[0].message


def test_out_of_range_value(compile_files) -> None:
    result = compile_files({"tools/t.yaml": TOOL + "  timeout_seconds: 9000\n"})
    assert one(result) == ("tools/t.yaml", 7, 20, "out-of-range")
    assert "less than or equal to 600" in result.diagnostics[0].message


def test_literal_with_did_you_mean(compile_files) -> None:
    result = compile_files({"tools/t.yaml": TOOL.replace("type: client", "type: clint")})
    assert one(result) == ("tools/t.yaml", 6, 9, "invalid-value")
    assert result.diagnostics[0].hint == "did you mean 'client'?"


def test_model_level_rule_points_at_spec(compile_files) -> None:
    result = compile_files({"tools/t.yaml": TOOL.replace("type: client", "type: http")})
    assert one(result) == ("tools/t.yaml", 5, 1, "invalid-value")
    assert result.diagnostics[0].message == "spec: an http tool needs `handler_url`"


def test_missing_required_field(compile_files) -> None:
    text = "apiVersion: aiagentics.io/v1\nkind: Webhook\nmetadata:\n  name: w\nspec:\n  events: [run.failed]\n"
    result = compile_files({"webhooks/w.yaml": text})
    assert one(result) == ("webhooks/w.yaml", 5, 1, "missing-field")
    assert "spec.url" in result.diagnostics[0].message


def test_unknown_api_version(compile_files) -> None:
    result = compile_files({"tools/t.yaml": TOOL.replace("aiagentics.io/v1", "aiagentics.io/v9")})
    assert one(result) == ("tools/t.yaml", 1, 13, "unknown-api-version")
    assert "aiagentics.io/v1" in result.diagnostics[0].hint


def test_unknown_kind(compile_files) -> None:
    result = compile_files({"tools/t.yaml": TOOL.replace("kind: Tool", "kind: tool")})
    assert one(result) == ("tools/t.yaml", 2, 7, "unknown-kind")
    assert result.diagnostics[0].hint == "did you mean 'Tool'?"


def test_missing_kind(compile_files) -> None:
    result = compile_files({"tools/t.yaml": TOOL.replace("kind: Tool\n", "")})
    assert one(result) == ("tools/t.yaml", 1, 1, "missing-field")


def test_invalid_name(compile_files) -> None:
    result = compile_files({"tools/t.yaml": TOOL.replace("name: refund", "name: Refund Tool")})
    assert one(result) == ("tools/t.yaml", 4, 9, "invalid-name")


def test_all_problems_of_all_files_in_one_run(compile_files) -> None:
    result = compile_files(
        {
            "tools/a.yaml": TOOL + "  descripton: x\n",
            "tools/b.yaml": TOOL.replace("refund", "b") + "  timeout_seconds: 0\n",
            "agents/c.yaml": "kind: [\n",
        }
    )
    assert result.state is None
    assert where(result) == [
        ("agents/c.yaml", 2, 1, "yaml-syntax"),
        ("tools/a.yaml", 7, 3, "unknown-field"),
        ("tools/b.yaml", 7, 20, "out-of-range"),
    ]


def test_tool_parameters_must_be_a_valid_json_schema(compile_files) -> None:
    text = TOOL + "  parameters:\n    type: object\n    properties:\n      id: {type: strin}\n"
    result = compile_files({"tools/t.yaml": text})
    assert one(result) == ("tools/t.yaml", 10, 18, "invalid-schema")
    assert "not a valid JSON Schema" in result.diagnostics[0].message


def test_ownership_labels_are_reserved(compile_files) -> None:
    text = TOOL.replace("  name: refund\n", "  name: refund\n  labels: {aia.project: other}\n")
    result = compile_files({"tools/t.yaml": text})
    assert one(result) == ("tools/t.yaml", 5, 12, "reserved-label")


def test_wrong_container_type_reads_plainly(compile_files) -> None:
    agent = "apiVersion: aiagentics.io/v1\nkind: Agent\nmetadata: {name: a}\nspec:\n  guardrails: 5\n  tools: refund\n  model: scripted\n"
    result = compile_files({"agents/a.yaml": agent})
    assert [(d.line, d.column, d.message) for d in result.diagnostics] == [
        (5, 15, "spec.guardrails: input should be a valid dictionary (got 5)"),
        (6, 10, "spec.tools: input should be a valid list (got 'refund')"),
    ]


def test_agent_without_a_model_is_an_error_at_its_spec_with_a_hint(compile_files) -> None:
    agent = "apiVersion: aiagentics.io/v1\nkind: Agent\nmetadata: {name: a}\nspec:\n  instructions: hi\n"
    result = compile_files({"agents/a.yaml": agent})
    assert one(result) == ("agents/a.yaml", 4, 1, "missing-field")
    d = result.diagnostics[0]
    assert d.message == "missing required field 'spec.model'" and d.is_error
    assert "`model: scripted`" in d.hint and "provider/model" in d.hint
    assert result.state is None


def _tool_description(compile_files, envelope: str | None, own: str | None):
    meta = f"  description: {envelope}\n" if envelope is not None else ""
    spec = f"  description: {own}\n" if own is not None else ""
    text = (
        "apiVersion: aiagentics.io/v1\nkind: Tool\nmetadata:\n  name: refund\n"
        f"{meta}spec:\n  type: client\n{spec}"
    )
    return compile_files({"tools/t.yaml": text})


def test_tool_description_in_spec_only_is_clean(compile_files) -> None:
    result = _tool_description(compile_files, None, "Refund a payment")
    assert result.diagnostics == []
    assert result.state.by_address["Tool/refund"].body["description"] == "Refund a payment"


def test_tool_description_in_metadata_only_is_used_with_a_warning(compile_files) -> None:
    result = _tool_description(compile_files, "Refund a payment", None)
    assert [(d.line, d.column, d.code, d.severity) for d in result.diagnostics] == [
        (5, 3, "tool-description", "warning")
    ]
    assert "spec.description" in result.diagnostics[0].message
    assert result.state.by_address["Tool/refund"].body["description"] == "Refund a payment"


def test_tool_description_in_both_places_warns_that_metadata_is_ignored(compile_files) -> None:
    differ = _tool_description(compile_files, "Envelope words", "What the model reads")
    (d,) = differ.diagnostics
    assert (d.line, d.code, d.severity) == (5, "tool-description", "warning")
    assert "ignored" in d.message and "differs" in d.message
    assert differ.state.by_address["Tool/refund"].body["description"] == "What the model reads"
    same = _tool_description(compile_files, "Same words", "Same words")
    assert [d.hint for d in same.diagnostics] == ["remove metadata.description"]
