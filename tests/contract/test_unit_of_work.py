"""The unit of work and the change token, on every backend.

`async with storage.transaction()` commits every aggregate call of the task together or
not at all; nested ones join; reads inside see its own writes; other tasks neither see
its writes before the commit nor wait for it to read; their writes wait for it.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from aiagentics.storage.base import Scope, Storage
from aiagentics.storage.records import RunRecord

A = Scope("proj", "test")


class Boom(Exception):
    pass


def _run(id: str) -> RunRecord:
    return RunRecord(
        id=id,
        project="proj",
        environment="test",
        agent_id="agt_1",
        agent_version=1,
        agent={},
        status="in_progress",
        input="hi",
        metadata={},
        created_at=time.time(),
    )


async def test_commit_spans_aggregates(storage: Storage) -> None:
    async with storage.transaction():
        res = await storage.definitions.create("agent", A, "one", {})
        await storage.runs.insert(_run("run_1"))
    assert await storage.definitions.get("agent", A, res.id) is not None
    assert await storage.runs.get("run_1") is not None


async def test_rollback_on_exception_undoes_everything(storage: Storage) -> None:
    with pytest.raises(Boom):
        async with storage.transaction():
            await storage.definitions.create("agent", A, "one", {})
            await storage.runs.insert(_run("run_1"))
            raise Boom
    assert await storage.definitions.get_by_name("agent", A, "one") is None
    assert await storage.runs.get("run_1") is None
    # The storage is usable afterwards.
    await storage.definitions.create("agent", A, "one", {})


async def test_nested_units_join_the_outer_one(storage: Storage) -> None:
    with pytest.raises(Boom):
        async with storage.transaction():
            async with storage.transaction():
                await storage.definitions.create("agent", A, "inner", {})
            # The inner block ended without committing anything on its own.
            raise Boom
    assert await storage.definitions.get_by_name("agent", A, "inner") is None
    async with storage.transaction(), storage.transaction():
        await storage.definitions.create("agent", A, "inner", {})
    assert await storage.definitions.get_by_name("agent", A, "inner") is not None


async def test_reads_inside_see_own_writes_and_others_do_not(storage: Storage) -> None:
    written = asyncio.Event()
    seen_outside: list[object] = []
    release = asyncio.Event()

    async def outsider() -> None:
        await written.wait()
        # Neither waits for the open unit nor sees its uncommitted write.
        seen_outside.append(await storage.definitions.get_by_name("agent", A, "mine"))
        release.set()

    other = asyncio.create_task(outsider())
    async with storage.transaction():
        res = await storage.definitions.create("agent", A, "mine", {"v": 1})
        got = await storage.definitions.get("agent", A, res.id)
        assert got is not None and got.data == {"v": 1}
        updated = await storage.definitions.update("agent", A, res.id, "mine", {"v": 2})
        assert updated is not None and updated.version == 2
        written.set()
        await asyncio.wait_for(release.wait(), 5)
    await other
    assert seen_outside == [None]
    assert (await storage.definitions.get("agent", A, res.id)).data == {"v": 2}  # type: ignore[union-attr]


async def test_other_tasks_writes_wait_for_the_unit(storage: Storage) -> None:
    order: list[str] = []
    async with storage.transaction():
        await storage.definitions.create("agent", A, "first", {})
        writer = asyncio.create_task(storage.definitions.create("agent", A, "second", {}))
        writer.add_done_callback(lambda _: order.append("second"))
        await asyncio.sleep(0.2)
        assert not writer.done()  # it waits for the unit, without blocking this task
        order.append("commit")
    await writer
    assert order == ["commit", "second"]


async def test_a_read_does_not_wait_for_an_open_unit(storage: Storage) -> None:
    await storage.definitions.create("agent", A, "old", {})
    async with storage.transaction():
        await storage.definitions.create("agent", A, "new", {})
        reader = asyncio.create_task(storage.definitions.list("agent", A))
        page = await asyncio.wait_for(reader, 2)  # would time out if reads queued behind us
        assert [r.name for r in page.items] == ["old"]


async def test_change_token_moves_after_a_write_here_or_elsewhere(
    storage: Storage, another: Storage
) -> None:
    first = await storage.change_token()
    await storage.definitions.list("agent", A)
    assert await storage.change_token() == first  # reads do not move it
    await storage.definitions.create("agent", A, "here", {})
    second = await storage.change_token()
    assert second != first
    await another.definitions.create("agent", A, "there", {})  # another connection's commit
    third = await storage.change_token()
    assert third != second
    async with another.transaction():
        await another.keys.revoke_key(A, "key_none", 1)
        await another.runs.insert(_run("run_1"))
    assert await storage.change_token() != third
