"""The `Idempotency` contract: claim, finish, replay, abandon, purge."""

from __future__ import annotations

from aiagentics.storage.base import Idempotency, Scope

A = Scope("proj", "test")
B = Scope("other", "test")
A_LIVE = Scope("proj", "live")


async def test_idempotency_records(idempotency: Idempotency) -> None:
    assert await idempotency.idempotency_begin("o", "k", "h1", 10) is None
    pending = await idempotency.idempotency_begin("o", "k", "h1", 11)
    assert pending is not None and pending.status is None
    await idempotency.idempotency_finish(
        "o", "k", 200, [("content-type", "application/json")], b"{}"
    )
    done = await idempotency.idempotency_begin("o", "k", "h2", 12)
    assert done is not None and done.status == 200 and done.body == b"{}" and done.body_hash == "h1"
    assert done.headers == [("content-type", "application/json")]
    assert await idempotency.idempotency_begin("other-owner", "k", "h1", 12) is None
    await idempotency.idempotency_abandon("other-owner", "k")
    assert await idempotency.idempotency_begin("other-owner", "k", "h1", 13) is None
    assert await idempotency.idempotency_purge(12) == 1
    assert await idempotency.idempotency_begin("o", "k", "h3", 14) is None
