"""The `Threads` contract: threads per scope, one holder at a time, exchanges appended in order."""

from __future__ import annotations

import asyncio
import time

from aiagentics.storage.base import Scope, Storage
from aiagentics.storage.threads import Claim, ThreadRecord, Threads

SCOPE = Scope("proj", "test")


def _thread(id: str, scope: Scope = SCOPE, **metadata: str) -> ThreadRecord:
    return ThreadRecord(id, scope.project, scope.environment, time.time(), dict(metadata))


async def test_create_get_list_delete_per_scope(threads: Threads) -> None:
    for i in range(3):
        await threads.create_thread(_thread(f"thr_{i}", topic=str(i)))
    await threads.create_thread(_thread("thr_live", Scope("proj", "live")))
    got = await threads.get_thread(SCOPE, "thr_1")
    assert got is not None and got.metadata == {"topic": "1"} and got.run_id is None
    assert await threads.get_thread(Scope("proj", "live"), "thr_1") is None
    assert await threads.get_thread(Scope("other", "test"), "thr_1") is None
    page = await threads.list_threads(SCOPE, limit=2)
    assert [t.id for t in page.items] == ["thr_2", "thr_1"] and page.has_more
    page = await threads.list_threads(SCOPE, limit=2, starting_after="thr_1")
    assert [t.id for t in page.items] == ["thr_0"] and not page.has_more
    assert not await threads.delete_thread(Scope("proj", "live"), "thr_1")
    assert await threads.delete_thread(SCOPE, "thr_1")
    assert not await threads.delete_thread(SCOPE, "thr_1")
    assert await threads.get_thread(SCOPE, "thr_1") is None


async def test_one_holder_at_a_time(threads: Threads) -> None:
    await threads.create_thread(_thread("thr_1"))
    assert await threads.claim(SCOPE, "thr_1", "run_a") == Claim(True, "run_a")
    assert await threads.claim(SCOPE, "thr_1", "run_a") == Claim(True, "run_a")  # idempotent
    assert await threads.claim(SCOPE, "thr_1", "run_b") == Claim(True, "run_a")  # refused
    assert await threads.claim(SCOPE, "thr_nope", "run_b") == Claim(False, None)
    assert await threads.claim(Scope("proj", "live"), "thr_1", "run_b") == Claim(False, None)
    # A holder known to have ended can be replaced.
    assert await threads.claim(SCOPE, "thr_1", "run_b", stale="run_a") == Claim(True, "run_b")
    assert await threads.finish_run("thr_1", "run_b", [{"role": "user", "content": "hi"}], 1.0)
    free = await threads.get_thread(SCOPE, "thr_1")
    assert free is not None and free.run_id is None
    assert await threads.claim(SCOPE, "thr_1", "run_c") == Claim(True, "run_c")
    ids, more = await threads.run_ids(SCOPE, "thr_1")
    assert ids == ["run_c", "run_b", "run_a"] and not more
    ids, more = await threads.run_ids(SCOPE, "thr_1", limit=1, starting_after="run_c")
    assert ids == ["run_b"] and more
    assert await threads.run_ids(Scope("other", "test"), "thr_1") == ([], False)


async def test_concurrent_claims_from_two_handles_have_one_winner(
    storage: Storage, another: Storage
) -> None:
    await storage.threads.create_thread(_thread("thr_1"))
    claims = await asyncio.gather(
        *(
            handle.threads.claim(SCOPE, "thr_1", f"run_{i}")
            for i, handle in enumerate([storage, another] * 4)
        )
    )
    winners = {c.holder for c in claims}
    assert len(winners) == 1
    assert sum(1 for i, c in enumerate(claims) if c.holder == f"run_{i}") == 1


async def test_exchanges_are_appended_in_order_and_deleted_with_the_thread(
    threads: Threads,
) -> None:
    await threads.create_thread(_thread("thr_1"))
    first = [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "a1"}]
    second = [
        {"role": "user", "content": "q2"},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "name": "t"}]},
        {"role": "tool", "tool_call_id": "c1", "name": "t", "content": "{}"},
        {"role": "assistant", "content": "a2"},
    ]
    await threads.claim(SCOPE, "thr_1", "run_1")
    assert await threads.finish_run("thr_1", "run_1", first, 10.0)
    # Releasing is only for the holder: a run that does not hold the thread leaves it held.
    await threads.claim(SCOPE, "thr_1", "run_2")
    assert await threads.finish_run("thr_1", "run_x", [], 11.0)
    held = await threads.get_thread(SCOPE, "thr_1")
    assert held is not None and held.run_id == "run_2"
    assert await threads.finish_run("thr_1", "run_2", second, 12.0)
    got = await threads.messages("thr_1")
    assert [m.message for m in got] == first + second
    assert [m.run_id for m in got] == ["run_1"] * 2 + ["run_2"] * 4
    assert got[0].created_at == 10.0
    assert await threads.delete_thread(SCOPE, "thr_1")
    assert await threads.messages("thr_1") == []
    assert not await threads.finish_run("thr_1", "run_3", first, 13.0)  # gone: nothing written
    assert await threads.messages("thr_1") == []


async def test_a_claim_rolls_back_with_the_unit_of_work(storage: Storage) -> None:
    await storage.threads.create_thread(_thread("thr_1"))

    class Refused(Exception):
        pass

    try:
        async with storage.transaction():
            assert (await storage.threads.claim(SCOPE, "thr_1", "run_1")).holder == "run_1"
            raise Refused
    except Refused:
        pass
    thread = await storage.threads.get_thread(SCOPE, "thr_1")
    assert thread is not None and thread.run_id is None
    assert await storage.threads.run_ids(SCOPE, "thr_1") == ([], False)
