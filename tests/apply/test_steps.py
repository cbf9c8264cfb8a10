"""Steps from a plan: a replace's two halves in the target's order; the report's shape."""

from __future__ import annotations

from aiagentics.apply.engine import ApplyResult, Done
from aiagentics.apply.report import REPLACED_REASON, result_to_json
from aiagentics.apply.steps import ReplaceOrder, StepKind, plan_steps
from aiagentics.plan import Action, ActionType, FieldChange, Plan

TYPE_CHANGE = FieldChange("type", "client", "http", forces_replace=True)
PLAN = Plan(
    project="p",
    env=None,
    actions=(
        Action(ActionType.REPLACE, "Tool", "lookup", id="tool_old", changes=(TYPE_CHANGE,)),
        Action(ActionType.UPDATE, "Agent", "helper", id="agt_1"),
        Action(ActionType.DELETE, "Tool", "gone", id="tool_gone"),
        Action(ActionType.NO_OP, "Tool", "same", id="tool_same"),
    ),
)


def kinds(order: ReplaceOrder) -> list[tuple[StepKind, str]]:
    return [(s.kind, s.address) for s in plan_steps(PLAN, order)]


def test_create_then_delete_puts_the_old_object_last() -> None:
    assert kinds(ReplaceOrder.CREATE_THEN_DELETE) == [
        (StepKind.CREATE_REPLACEMENT, "Tool/lookup"),
        (StepKind.UPDATE, "Agent/helper"),
        (StepKind.DELETE, "Tool/gone"),
        (StepKind.DELETE_REPLACED, "Tool/lookup"),
    ]
    steps = plan_steps(PLAN)
    assert [(s.index, s.total) for s in steps] == [(0, 4), (1, 4), (2, 4), (3, 4)]
    assert [s.symbol for s in steps] == ["-/+", "~", "-", "-"]


def test_delete_then_create_keeps_the_halves_together_in_place() -> None:
    assert kinds(ReplaceOrder.DELETE_THEN_CREATE) == [
        (StepKind.DELETE_REPLACED, "Tool/lookup"),
        (StepKind.CREATE_REPLACEMENT, "Tool/lookup"),
        (StepKind.UPDATE, "Agent/helper"),
        (StepKind.DELETE, "Tool/gone"),
    ]


def test_the_report_shows_the_old_half_as_a_delete_of_the_replaced_object() -> None:
    steps = plan_steps(PLAN)
    result = ApplyResult(done=[Done(steps[0], "tool_new"), Done(steps[3])])
    report = result_to_json(PLAN, result)
    assert report["status"] == "applied"
    first, last = report["done"]
    assert (first["action"], first["remote_id"], first["reason"]) == ("replace", "tool_new", "")
    assert first["changes"][0]["forces_replace"] is True
    assert (last["action"], last["id"], last["reason"]) == ("delete", "tool_old", REPLACED_REASON)
    assert last["changes"] == []
    refused = result_to_json(PLAN, None, {"type": "apply_refused"})
    assert [a["action"] for a in refused["not_done"]] == ["replace", "update", "delete", "delete"]
