"""The human view of a plan, as text, and the public surface of the plan and client packages."""

from __future__ import annotations

from tests.plan.conftest import remote_of, res, state

import aiagentics.client
import aiagentics.plan
from aiagentics.plan import make_plan, plan_lines, plan_text


def test_update_view_lists_changed_fields_with_symbols_and_summary() -> None:
    tool = res("Tool", "refund", {"type": "client", "timeout_seconds": 30})
    gone = res("Tool", "old", {"type": "client"})
    remote = remote_of(tool, "tool_1")
    remote["timeout_seconds"] = 5
    plan = make_plan(
        state(tool, res("Tool", "new", {"type": "client"})),
        {"Tool": [remote, remote_of(gone, "tool_2")]},
    )
    assert plan_text(plan).splitlines() == [
        "+ Tool/new  (tools/new.yaml:1)",
        '    + type = "client"',
        "",
        "~ Tool/refund [tool_1]  (tools/refund.yaml:1)",
        "    ~ timeout_seconds: 5 -> 30",
        "",
        "- Tool/old [tool_2]  (tools/old.yaml)",
        "",
        "Plan: 1 to create, 1 to update, 1 to delete.",
    ]
    styles = [line.style for line in plan_lines(plan) if line.text]
    assert styles == ["create", "field", "update", "field", "delete", "header"]


def test_public_surfaces_resolve() -> None:
    for module in (aiagentics.client, aiagentics.plan):
        for name in module.__all__:
            assert getattr(module, name) is not None, f"{module.__name__}.{name}"
