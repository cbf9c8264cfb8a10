"""The `RunJournal` contract: runs (insert with a limit, save, compare-and-set, list) and their logs."""

from __future__ import annotations

import time
from typing import Any

import pytest

from aiagentics.storage.base import RunJournal
from aiagentics.storage.records import RunEvent, RunRecord, RunState


def _run(id: str, status: str = "in_progress", **fields: Any) -> RunRecord:
    base: dict[str, Any] = {
        "project": "proj",
        "environment": "test",
        "agent_id": "agt_1",
        "agent_version": 1,
        "agent": {"id": "agt_1", "model": "scripted"},
        "input": "hello",
        "metadata": {"k": "v"},
        "created_at": time.time(),
        "owner": "host:1:x",
    }
    base.update(fields)
    return RunRecord(id=id, status=status, **base)


async def test_insert_get_save_and_scope(runs: RunJournal) -> None:
    run = _run("run_1", state=RunState(messages=[{"role": "user", "content": "hello"}]))
    assert await runs.insert(run)
    got = await runs.get("run_1")
    assert got is not None and got.input == "hello" and got.metadata == {"k": "v"}
    assert got.state.messages == [{"role": "user", "content": "hello"}]
    assert await runs.get("run_1", "proj", "live") is None  # another environment
    assert await runs.get("run_1", "other", "test") is None
    assert await runs.get("run_nope") is None
    run.status, run.completed_at = "completed", time.time()
    run.state.output = "done"
    await runs.save(run)
    saved = await runs.get("run_1", "proj", "test")
    assert saved is not None and saved.status == "completed" and saved.state.output == "done"
    assert await runs.status("run_1") == "completed"
    assert await runs.status("run_nope") is None


async def test_insert_refuses_over_the_active_limit_per_environment(runs: RunJournal) -> None:
    assert await runs.insert(_run("run_a"), max_active=2)
    assert await runs.insert(_run("run_b", status="queued"), max_active=2)
    assert not await runs.insert(_run("run_c"), max_active=2)
    assert await runs.get("run_c") is None  # nothing inserted
    assert await runs.insert(_run("run_d", environment="live"), max_active=2)
    assert await runs.insert(_run("run_e", status="completed"), max_active=None)
    assert {r.id for r in await runs.active()} == {"run_a", "run_b", "run_d"}


async def test_transition_is_compare_and_set(runs: RunJournal) -> None:
    await runs.insert(_run("run_1", status="requires_action"))
    assert await runs.transition("run_1", "requires_action", "in_progress", "me")
    assert not await runs.transition("run_1", "requires_action", "in_progress", "you")
    got = await runs.get("run_1")
    assert got is not None and got.status == "in_progress" and got.owner == "me"


async def test_list_newest_first_with_filters_and_pages(runs: RunJournal) -> None:
    for i in range(5):
        await runs.insert(_run(f"run_{i}", agent_id="agt_2" if i % 2 else "agt_1"))
    await runs.insert(_run("run_x", project="other"))
    page, more = await runs.list("proj", "test", limit=2)
    assert [r.id for r in page] == ["run_4", "run_3"] and more
    page, more = await runs.list("proj", "test", limit=2, starting_after="run_3")
    assert [r.id for r in page] == ["run_2", "run_1"] and more
    page, more = await runs.list("proj", "test", limit=10, starting_after="run_1")
    assert [r.id for r in page] == ["run_0"] and not more
    page, _ = await runs.list("proj", "test", agent_id="agt_2")
    assert [r.id for r in page] == ["run_3", "run_1"]
    page, _ = await runs.list("proj", "test", status="completed")
    assert page == []


async def test_cancel_requests_reach_the_owner(runs: RunJournal) -> None:
    await runs.insert(_run("run_1", owner="a"))
    await runs.insert(_run("run_2", owner="b"))
    await runs.insert(_run("run_3", status="completed", owner="a"))
    assert await runs.request_cancel("run_1")
    assert not await runs.request_cancel("run_3")  # not active
    assert await runs.cancel_requests("a") == ["run_1"]
    assert await runs.cancel_requests("b") == []


async def test_event_log_and_internal_records(runs: RunJournal) -> None:
    await runs.insert(_run("run_1"))
    assert await runs.last_seq("run_1") == 0
    for seq, name in enumerate(("run.created", "token", "run.completed"), start=1):
        await runs.append(RunEvent.new("run_1", seq, name, {"n": seq}, time.time()))
        if seq == 1:
            step = RunEvent.new("run_1", 1, "model.step", {"model": "m"}, time.time())
            await runs.append_internal(step)
            await runs.append_internal(step)
    events = await runs.events_after("run_1")
    assert [(e.seq, e.event) for e in events] == [
        (1, "run.created"),
        (2, "token"),
        (3, "run.completed"),
    ]
    assert events[1].data == {"run_id": "run_1", "n": 2}
    assert [e.seq for e in await runs.events_after("run_1", 1, limit=1)] == [2]
    assert await runs.last_seq("run_1") == 3
    internal = await runs.internal_events("run_1")
    assert [(e.seq, e.event) for e in internal] == [(1, "model.step"), (1, "model.step")]
    assert await runs.events_after("run_other") == []


async def test_a_batch_is_written_whole_and_in_order(runs: RunJournal) -> None:
    await runs.insert(_run("run_1"))
    now = time.time()
    first = [RunEvent.new("run_1", seq, "token", {"n": seq}, now) for seq in (1, 2, 3)]
    steps = [RunEvent.new("run_1", 3, "model.step", {"k": k}, now) for k in (1, 2)]
    await runs.append_batch(first, steps)
    await runs.append_batch([])  # nothing to write is not an error
    assert [e.seq for e in await runs.events_after("run_1")] == [1, 2, 3]
    assert [e.data["k"] for e in await runs.internal_events("run_1")] == [1, 2]
    # A batch that repeats a sequence number leaves nothing of itself behind.
    clash = [RunEvent.new("run_1", 4, "token", {}, now), RunEvent.new("run_1", 3, "token", {}, now)]
    with pytest.raises(Exception):  # noqa: B017 (each backend raises its own integrity error)
        await runs.append_batch(clash)
    assert await runs.last_seq("run_1") == 3
