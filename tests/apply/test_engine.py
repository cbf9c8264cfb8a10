"""The apply engine against a real gateway: order, name->id mapping, events, stop on failure."""

from __future__ import annotations

from tests.client.conftest import LiveApi, live_api  # noqa: F401
from tests.plan.conftest import res, state

from aiagentics.apply.engine import ApplyEvent, apply_plan
from aiagentics.client import ApiClient, read_resources
from aiagentics.plan import ActionType, RemoteState, make_plan

TOOL = res("Tool", "refund", {"type": "client"})
AGENT = res("Agent", "support", {"model": "scripted", "instructions": "Hi", "tools": ["refund"]})


def _plan(client: ApiClient, *resources):
    return make_plan(state(*resources), RemoteState(read_resources(client)))


def test_apply_creates_in_order_maps_names_and_reports_events(live_api: LiveApi) -> None:  # noqa: F811
    events: list[ApplyEvent] = []
    with ApiClient(live_api.base_url, live_api.api_key) as client:
        plan = _plan(client, TOOL, AGENT)
        result = apply_plan(plan, state(TOOL, AGENT), client, on_event=events.append)
        assert result.ok and [a.address for a, _ in result.done] == ["Tool/refund", "Agent/support"]
        assert [(e.type, e.index, e.total) for e in events] == [
            ("start", 0, 2),
            ("done", 0, 2),
            ("start", 1, 2),
            ("done", 1, 2),
        ]
        tool_id = result.done[0][1]
        (agent,) = client.list_all("agents")
        assert agent["tools"] == [tool_id] and agent["metadata"]["aia.project"] == "payments"
        assert not _plan(client, TOOL, AGENT).has_changes


def test_failure_stops_and_lists_what_was_not_done(live_api: LiveApi) -> None:  # noqa: F811
    bad = res("Tool", "s", {"type": "client", "metadata": {"k": "x" * 1001}})
    later = res("Tool", "t", {"type": "client"})
    with ApiClient(live_api.base_url, live_api.api_key) as client:
        plan = _plan(client, TOOL, bad, later)
        result = apply_plan(plan, state(TOOL, bad, later), client)
        assert not result.ok and result.failed is not None
        assert (
            result.failed.address == "Tool/s"
            and result.error is not None
            and result.error.status == 400
        )
        assert [a.address for a, _ in result.done] == ["Tool/refund"]
        assert [a.address for a in result.not_done] == ["Tool/t"]
        rerun = _plan(client, TOOL, later)
        assert [a.type for a in rerun.changes] == [ActionType.CREATE]
