"""Runs of an unchanged agent start without reading its definition again; a change is seen.

(With other writers on the database, their commits move the change token and so empty it.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tests.engine.runs.conftest import SCOPE, Engine

from aiagentics.errors import NotFound
from aiagentics.storage.base import Definitions


class CountingReads:
    """The real definitions store, counting the reads that go through it."""

    def __init__(self, store: Definitions) -> None:
        self.store = store
        self.reads = 0

    async def get(self, *args: Any) -> Any:
        self.reads += 1
        return await self.store.get(*args)

    async def get_by_name(self, *args: Any) -> Any:
        self.reads += 1
        return await self.store.get_by_name(*args)


@pytest.fixture
async def sole(tmp_path: Path) -> AsyncIterator[Engine]:
    """The engine of a gateway that is the database's only writer (`aia serve`, one worker)."""
    eng = Engine(tmp_path / "gateway.db", sole_writer=True)
    await eng.service.start()
    yield eng
    await eng.service.stop()
    await eng.db.close()


def counting(engine: Engine) -> CountingReads:
    store = CountingReads(engine.store)
    engine.service.store = store  # type: ignore[assignment]
    return store


async def test_an_unchanged_agent_is_read_once(sole: Engine) -> None:
    engine = sole
    tool = await engine.tool("lookup")
    agent = await engine.agent(tools=["lookup"])
    reads = counting(engine)
    first = await engine.run(agent)
    after_first = reads.reads
    second = await engine.run(agent)
    assert after_first >= 2  # the agent and its tool
    assert reads.reads == after_first
    assert first.agent == second.agent
    assert second.agent["tools"][0]["id"] == tool


async def test_runs_do_not_share_their_pinned_definitions(engine: Engine) -> None:
    agent = await engine.agent()
    first = await engine.run(agent)
    first.agent["instructions"] = "changed in memory"
    second = await engine.run(agent)
    assert second.agent["instructions"] == "Be brief."


async def test_an_updated_agent_or_tool_is_read_again(engine: Engine) -> None:
    tool = await engine.tool("lookup")
    agent = await engine.agent(tools=["lookup"])
    assert (await engine.run(agent)).agent_version == 1
    current = await engine.store.get("agent", SCOPE, agent)
    assert current is not None
    await engine.store.update(
        "agent", SCOPE, agent, "helper", {**current.data, "instructions": "New."}
    )
    run = await engine.run(agent)
    assert (run.agent_version, run.agent["instructions"]) == (2, "New.")
    tool_now = await engine.store.get("tool", SCOPE, tool)
    assert tool_now is not None
    edited = {**tool_now.data, "description": "edited"}
    await engine.store.update("tool", SCOPE, tool, "lookup", edited)
    run = await engine.run(agent)
    assert run.agent["tools"][0]["description"] == "edited"


async def test_a_deleted_agent_is_not_found(engine: Engine) -> None:
    agent = await engine.agent()
    await engine.run(agent)
    await engine.store.delete("agent", SCOPE, agent)
    with pytest.raises(NotFound, match="no agent"):
        await engine.run(agent)
