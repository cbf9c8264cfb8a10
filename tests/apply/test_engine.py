"""The apply engine against a real gateway: order, name->id mapping, events, stop on failure."""

from __future__ import annotations

from tests.client.conftest import LiveApi, live_api  # noqa: F401
from tests.plan.conftest import res, state

from aiagentics.apply.engine import ApplyHooks, Done
from aiagentics.apply.remote import apply_remote
from aiagentics.apply.steps import Step
from aiagentics.client import ApiClient, read_resources
from aiagentics.plan import ActionType, RemoteState, make_plan

TOOL = res("Tool", "refund", {"type": "client"})
AGENT = res("Agent", "support", {"model": "scripted", "instructions": "Hi", "tools": ["refund"]})


def _plan(client: ApiClient, *resources):
    return make_plan(state(*resources), RemoteState(read_resources(client)))


class Recorder(ApplyHooks):
    def __init__(self) -> None:
        self.events: list[tuple[str, int, int]] = []

    def step_started(self, step: Step) -> None:
        self.events.append(("start", step.index, step.total))

    def step_done(self, step: Step, done: Done) -> None:
        self.events.append(("done", step.index, step.total))


def test_apply_creates_in_order_maps_names_and_reports_events(live_api: LiveApi) -> None:  # noqa: F811
    hooks = Recorder()
    with ApiClient(live_api.base_url, live_api.api_key) as client:
        plan = _plan(client, TOOL, AGENT)
        result = apply_remote(plan, state(TOOL, AGENT), client, hooks=hooks)
        assert result.ok and [d.step.address for d in result.done] == [
            "Tool/refund",
            "Agent/support",
        ]
        assert hooks.events == [
            ("start", 0, 2),
            ("done", 0, 2),
            ("start", 1, 2),
            ("done", 1, 2),
        ]
        tool_id = result.done[0].remote_id
        (agent,) = client.list_all("agents")
        assert agent["tools"] == [tool_id] and agent["metadata"]["aia.project"] == "payments"
        assert not _plan(client, TOOL, AGENT).has_changes


def test_failure_stops_and_lists_what_was_not_done(live_api: LiveApi) -> None:  # noqa: F811
    bad = res("Tool", "s", {"type": "client", "metadata": {"k": "x" * 1001}})
    later = res("Tool", "t", {"type": "client"})
    with ApiClient(live_api.base_url, live_api.api_key) as client:
        plan = _plan(client, TOOL, bad, later)
        result = apply_remote(plan, state(TOOL, bad, later), client)
        assert not result.ok and result.failed is not None
        assert (
            result.failed.address == "Tool/s"
            and result.error is not None
            and result.error.status == 400
        )
        assert [d.step.address for d in result.done] == ["Tool/refund"]
        assert [a.address for a in result.not_done] == ["Tool/t"]
        rerun = _plan(client, TOOL, later)
        assert [a.type for a in rerun.changes] == [ActionType.CREATE]
