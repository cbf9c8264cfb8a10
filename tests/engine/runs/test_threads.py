"""Threads in the run engine: history trimmed by whole runs, what a run leaves on its thread."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tests.engine.runs.conftest import SCOPE, Engine

from aiagentics.engine.runs.threads import own_exchange, trim_history
from aiagentics.errors import Busy, Conflict, NotFound
from aiagentics.storage.records import RunRecord, RunState
from aiagentics.storage.threads import ThreadMessage


def _messages(*turns: tuple[str, int]) -> list[ThreadMessage]:
    return [
        ThreadMessage(run_id, {"role": "user", "content": f"{run_id}-{i}"}, 0.0)
        for run_id, count in turns
        for i in range(count)
    ]


def test_history_is_trimmed_by_whole_runs_oldest_first() -> None:
    history = _messages(("run_a", 2), ("run_b", 4), ("run_c", 2))
    kept, omitted = trim_history(history, 8)
    assert len(kept) == 8 and omitted is None
    kept, omitted = trim_history(history, 6)
    assert kept[0]["content"] == "run_b-0" and omitted == {"messages": 2, "runs": ["run_a"]}
    # Never half a run: 5 leaves out run_b whole.
    kept, omitted = trim_history(history, 5)
    assert [m["content"] for m in kept] == ["run_c-0", "run_c-1"]
    assert omitted == {"messages": 6, "runs": ["run_a", "run_b"]}
    kept, omitted = trim_history(history, 1)
    assert kept == [] and omitted is not None and omitted["messages"] == 8


def test_own_exchange_leaves_out_system_messages_and_history() -> None:
    state = RunState(
        messages=[
            {"role": "system", "content": "instructions"},
            {"role": "system", "content": "retrieved passages"},
            {"role": "user", "content": "earlier"},
            {"role": "assistant", "content": "earlier answer"},
            {"role": "user", "content": "now"},
            {"role": "assistant", "content": "answer"},
        ],
        history=2,
    )
    assert [m["content"] for m in own_exchange(state)] == ["now", "answer"]


async def test_a_cancelled_run_frees_its_thread_and_adds_nothing(engine: Engine) -> None:
    ask = await engine.tool("ask")
    agent = await engine.agent(tools=[ask], script=[{"tool_calls": [{"name": "ask"}]}])
    thread = await engine.service.threads.create(SCOPE)
    run = await engine.service.create(SCOPE, agent_id=agent, input="hi", thread_id=thread.id)
    await engine.service.wait(run.id)
    assert (await engine.service.get(SCOPE, run.id)).status == "requires_action"
    with pytest.raises(Conflict) as busy:
        await engine.service.create(SCOPE, agent_id=agent, input="again", thread_id=thread.id)
    assert busy.value.code == "thread_busy" and run.id in busy.value.message
    await engine.service.cancel(SCOPE, run.id)
    freed = await engine.service.threads.get(SCOPE, thread.id)
    assert freed.run_id is None and await engine.service.threads.messages(freed) == []
    echo = await engine.agent("echo")
    done = await engine.service.create(SCOPE, agent_id=echo, input="hello", thread_id=thread.id)
    await engine.service.wait(done.id)
    assert [m["content"] for m in await engine.service.threads.messages(freed)] == [
        "hello",
        "hello",
    ]


async def test_a_run_refused_by_the_concurrency_limit_leaves_the_thread_free(
    tmp_path: Path,
) -> None:
    eng = Engine(tmp_path / "gateway.db", max_concurrent_runs=1)
    await eng.service.start()
    try:
        agent = await eng.agent()
        # A run of another process in progress takes the one slot.
        hold = RunRecord(
            id="run_hold",
            project=SCOPE.project,
            environment=SCOPE.environment,
            agent_id=agent,
            agent_version=1,
            agent={},
            status="in_progress",
            input="hold",
            metadata={},
            created_at=time.time(),
        )
        assert await eng.storage.runs.insert(hold)
        thread = await eng.service.threads.create(SCOPE)
        with pytest.raises(Busy):
            await eng.service.create(SCOPE, agent_id=agent, input="x", thread_id=thread.id)
        free = await eng.service.threads.get(SCOPE, thread.id)
        assert free.run_id is None
        assert await eng.service.threads.run_ids(SCOPE, thread.id) == ([], False)
        await eng.storage.runs.transition(hold.id, "in_progress", "failed", None)
        with pytest.raises(NotFound) as missing:
            await eng.service.create(SCOPE, agent_id=agent, input="x", thread_id="thr_" + "0" * 24)
        assert missing.value.param == "thread_id"
    finally:
        await eng.service.stop()
        await eng.db.close()
