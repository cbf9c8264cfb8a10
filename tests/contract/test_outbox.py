"""The `Outbox` contract: messages, deliveries, claim leases, attempts, redelivery, old secrets."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tests.contract.conftest import Backend, Clock

from aiagentics.storage.outbox import Delivery, Outbox

BODY = b'{"type":"run.completed","data":{}}'
LEASE = 30.0


@pytest.fixture
async def outbox(backend: Backend, clock: Clock) -> AsyncIterator[Outbox]:
    storage = await backend.open(clock=clock)
    yield storage.outbox
    await storage.close()


async def enqueue(outbox: Outbox, *hooks: str, limit: int = 3) -> tuple[str, list[str]]:
    return await outbox.enqueue("p", "test", "run.completed", "run_1", BODY, list(hooks), limit)


async def attempt(
    outbox: Outbox, d: Delivery, ok: bool, retry_at: float | None = None, trigger: str = "auto"
) -> Delivery:
    return await outbox.record_attempt(
        d,
        trigger=trigger,
        started_at=1.5,
        latency_ms=12,
        status_code=200 if ok else 500,
        succeeded=ok,
        error=None if ok else "HTTP 500",
        response_excerpt="ok" if ok else "boom",
        retry_at=retry_at,
    )


async def test_enqueue_stores_one_message_and_a_pending_delivery_per_endpoint(
    outbox: Outbox, clock: Clock
) -> None:
    msg, ids = await enqueue(outbox, "whk_1", "whk_2")
    assert msg.startswith("msg_") and len(ids) == 2 and all(i.startswith("dlv_") for i in ids)
    assert await outbox.payload(msg) == BODY
    assert await outbox.payload("msg_missing") is None
    d = await outbox.get("whk_1", ids[0])
    assert d is not None
    assert (d.message_id, d.status, d.attempts, d.attempt_limit) == (msg, "pending", 0, 3)
    assert (d.project, d.environment, d.event_type) == ("p", "test", "run.completed")
    assert d.next_attempt_at == clock.now and d.next_trigger == "auto"
    assert d.delivered_at is None and d.last_error is None
    # A delivery belongs to its endpoint only.
    assert await outbox.get("whk_2", ids[0]) is None
    mine, _ = await outbox.enqueue("p", "test", "x", None, BODY, ["whk_1"], 1, message_id="msg_42")
    assert mine == "msg_42"


async def test_claims_lease_due_deliveries_oldest_first(outbox: Outbox, clock: Clock) -> None:
    _, (a,) = await enqueue(outbox, "whk_1")
    clock.now += 1
    _, (b,) = await enqueue(outbox, "whk_1")
    clock.now += 1
    _, (c,) = await enqueue(outbox, "whk_1")
    assert [d.id for d in await outbox.claim_due(2, LEASE)] == [a, b]
    assert [d.id for d in await outbox.claim_due(10, LEASE)] == [c]
    assert await outbox.claim_due(10, LEASE) == []  # all leased
    # The earliest wake-up is the end of the first lease.
    assert await outbox.next_due_at() == pytest.approx(clock.now - 2 + LEASE, abs=2)
    clock.now += LEASE + 1  # the claiming process died: its leases ran out
    assert {d.id for d in await outbox.claim_due(10, LEASE)} == {a, b, c}


async def test_release_hands_claims_back(outbox: Outbox) -> None:
    _, (a, _) = await enqueue(outbox, "whk_1", "whk_2")
    assert len(await outbox.claim_due(10, LEASE)) == 2
    await outbox.release([a])
    assert [d.id for d in await outbox.claim_due(10, LEASE)] == [a]
    await outbox.release([])


async def test_a_failed_attempt_is_retried_when_due(outbox: Outbox, clock: Clock) -> None:
    _, (dlv,) = await enqueue(outbox, "whk_1")
    (claimed,) = await outbox.claim_due(10, LEASE)
    after = await attempt(outbox, claimed, ok=False, retry_at=clock.now + 60)
    assert (after.status, after.attempts, after.last_status_code) == ("pending", 1, 500)
    assert after.last_error == "HTTP 500" and after.next_attempt_at == clock.now + 60
    # The lease ended with the attempt; the retry is not due yet.
    assert await outbox.claim_due(10, LEASE) == []
    assert await outbox.next_due_at() == clock.now + 60
    clock.now += 61
    (again,) = await outbox.claim_due(10, LEASE)
    assert again.id == dlv and again.attempts == 1
    done = await attempt(outbox, again, ok=True)
    assert done.status == "delivered" and done.delivered_at == clock.now
    assert done.attempts == 2 and done.next_attempt_at is None
    assert await outbox.next_due_at() is None
    log = await outbox.attempts(dlv)
    assert [(a.attempt, a.succeeded, a.status_code, a.trigger) for a in log] == [
        (1, False, 500, "auto"),
        (2, True, 200, "auto"),
    ]
    assert (log[0].latency_ms, log[0].error, log[0].response_excerpt) == (12, "HTTP 500", "boom")


async def test_no_retry_gives_up(outbox: Outbox) -> None:
    await enqueue(outbox, "whk_1")
    (claimed,) = await outbox.claim_due(10, LEASE)
    final = await attempt(outbox, claimed, ok=False, retry_at=None)
    assert final.status == "failed" and final.next_attempt_at is None
    assert await outbox.claim_due(10, LEASE) == []


async def test_fail_gives_up_without_an_attempt(outbox: Outbox) -> None:
    _, (dlv,) = await enqueue(outbox, "whk_1")
    (claimed,) = await outbox.claim_due(10, LEASE)
    await outbox.fail(claimed, "the webhook was deleted")
    d = await outbox.get("whk_1", dlv)
    assert d is not None and d.status == "failed" and d.last_error == "the webhook was deleted"
    assert await outbox.attempts(dlv) == []
    assert await outbox.claim_due(10, LEASE) == []


async def test_redelivery_queues_one_manual_attempt(outbox: Outbox, clock: Clock) -> None:
    _, (dlv,) = await enqueue(outbox, "whk_1", limit=1)
    (claimed,) = await outbox.claim_due(10, LEASE)
    await attempt(outbox, claimed, ok=False)
    clock.now += 5
    again = await outbox.redeliver("whk_1", dlv)
    assert again is not None and again.status == "pending"
    assert again.next_trigger == "manual" and again.next_attempt_at == clock.now
    assert again.attempt_limit == again.attempts + 1
    (manual,) = await outbox.claim_due(10, LEASE)
    done = await attempt(outbox, manual, ok=True, trigger=manual.next_trigger)
    assert done.status == "delivered" and done.next_trigger == "auto"
    assert [a.trigger for a in await outbox.attempts(dlv)] == ["auto", "manual"]
    # A delivered one can be sent again too; another endpoint's id is not found.
    assert (await outbox.redeliver("whk_1", dlv)) is not None
    assert await outbox.redeliver("whk_2", dlv) is None
    assert await outbox.redeliver("whk_1", "dlv_missing") is None


async def test_list_pages_newest_first_with_a_status_filter(outbox: Outbox) -> None:
    ids = [(await enqueue(outbox, "whk_1"))[1][0] for _ in range(5)]
    await enqueue(outbox, "whk_2")
    seen: list[str] = []
    after: str | None = None
    while True:
        page, more = await outbox.list("whk_1", limit=2, starting_after=after)
        seen.extend(d.id for d in page)
        if not more:
            break
        after = page[-1].id
    assert seen == ids[::-1]
    (claimed, *_) = await outbox.claim_due(1, LEASE)
    await attempt(outbox, claimed, ok=True)
    delivered, more = await outbox.list("whk_1", status="delivered")
    assert [d.id for d in delivered] == [claimed.id] and not more
    pending, _ = await outbox.list("whk_1", status="pending")
    assert claimed.id not in {d.id for d in pending} and len(pending) == 4
    assert await outbox.list("whk_3") == ([], False)


async def test_attempts_of_several_deliveries(outbox: Outbox) -> None:
    _, (a, b) = await enqueue(outbox, "whk_1", "whk_2")
    for d in await outbox.claim_due(10, LEASE):
        await attempt(outbox, d, ok=d.id == a)
    got = await outbox.attempts_of([a, b, "dlv_none"])
    assert [x.succeeded for x in got[a]] == [True] and [x.succeeded for x in got[b]] == [False]
    assert got["dlv_none"] == []
    assert await outbox.attempts_of([]) == {}


async def test_old_secrets_sign_until_they_expire(outbox: Outbox, clock: Clock) -> None:
    await outbox.add_old_secret("whk_1", "sealed-a", clock.now + 10)
    await outbox.add_old_secret("whk_1", "sealed-b", clock.now + 100)
    await outbox.add_old_secret("whk_2", "sealed-c", clock.now + 100)
    assert await outbox.old_secrets("whk_1") == [
        ("sealed-b", clock.now + 100),
        ("sealed-a", clock.now + 10),
    ]
    clock.now += 11
    assert [s for s, _ in await outbox.old_secrets("whk_1")] == ["sealed-b"]
    await outbox.forget_webhook("whk_1")
    assert await outbox.old_secrets("whk_1") == []
    assert [s for s, _ in await outbox.old_secrets("whk_2")] == ["sealed-c"]
