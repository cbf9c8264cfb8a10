"""The dispatcher against a real receiver: signatures, retries, give-ups, leases, restarts."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from standardwebhooks.webhooks import Webhook
from webhook_receiver import Receiver

from aiagentics.engine.webhooks.dispatcher import Dispatcher, Endpoint, retry_delay
from aiagentics.engine.webhooks.signing import generate_secret
from aiagentics.storage.outbox import Delivery, Outbox
from aiagentics.storage.sqlite.db import Database
from aiagentics.storage.sqlite.outbox import SQLiteOutbox

SECRET = generate_secret()
BODY = json.dumps({"type": "run.completed", "data": {"run_id": "run_x"}}).encode()


def _dispatcher(outbox: Outbox, url: str, **kw) -> Dispatcher:  # type: ignore[no-untyped-def]
    async def lookup(d: Delivery) -> Endpoint | None:
        return Endpoint(url, [SECRET])

    kw.setdefault("timeout", 1.0)
    kw.setdefault("base_delay", 0.05)
    kw.setdefault("poll_seconds", 0.05)
    return Dispatcher(outbox, lookup, allow_private_network=True, **kw)


async def _until(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout
    while not await predicate():
        assert time.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


def _status_is(outbox: Outbox, delivery_id: str, status: str):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        delivery = await outbox.get("whk_1", delivery_id)
        return delivery is not None and delivery.status == status

    return check


def test_retry_delay_grows_with_jitter_and_cap() -> None:
    assert retry_delay(1, 2.0, rand=lambda: 0.0) == 1.0
    assert retry_delay(1, 2.0, rand=lambda: 1.0) == 2.0
    assert retry_delay(4, 2.0, rand=lambda: 0.0) == 8.0
    assert retry_delay(30, 2.0, cap=100, rand=lambda: 1.0) == 100
    samples = {retry_delay(3, 1.0) for _ in range(50)}
    assert len(samples) > 1 and all(2.0 <= s <= 4.0 for s in samples)


async def test_signed_delivery_verified_by_reference_library(
    db: Database, receiver: Receiver
) -> None:
    outbox = SQLiteOutbox(db)
    msg_id, (dlv,) = await outbox.enqueue("p", "test", "run.completed", "run_x", BODY, ["whk_1"], 5)
    d = _dispatcher(outbox, receiver.url)
    await d.start()
    try:
        await _until(_status_is(outbox, dlv, "delivered"))
    finally:
        await d.stop()
    (got,) = receiver.received
    assert got.headers["webhook-id"] == msg_id
    assert got.headers["content-type"] == "application/json"
    assert Webhook(SECRET).verify(got.body, got.headers)["data"]["run_id"] == "run_x"
    (attempt,) = await outbox.attempts(dlv)
    assert attempt.succeeded and attempt.status_code == 200 and attempt.trigger == "auto"
    assert attempt.response_excerpt == '{"received": true}'


@pytest.mark.parametrize(
    ("behaviour", "error"),
    [
        ("500", "HTTP 500"),
        ("close", "RemoteProtocolError"),
        ("slow", "timed out"),
        ("redirect", "redirect to http://169.254.169.254/latest/meta-data/ not followed"),
    ],
)
async def test_failures_are_retried_then_delivered(
    db: Database, receiver: Receiver, behaviour: str, error: str
) -> None:
    receiver.script.extend([behaviour])
    outbox = SQLiteOutbox(db)
    msg_id, (dlv,) = await outbox.enqueue("p", "test", "run.failed", None, BODY, ["whk_1"], 5)
    d = _dispatcher(outbox, receiver.url)
    await d.start()
    try:
        await _until(_status_is(outbox, dlv, "delivered"))
    finally:
        await d.stop()
    first, second = await outbox.attempts(dlv)
    assert not first.succeeded and error in (first.error or "")
    assert second.succeeded
    # Same message id on the retry; each attempt signed with its own timestamp.
    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert ids == {msg_id}
    for r in receiver.received:
        Webhook(SECRET).verify(r.body, r.headers)


async def test_gives_up_after_the_attempt_limit(db: Database, receiver: Receiver) -> None:
    receiver.script.extend(["500"] * 10)
    outbox = SQLiteOutbox(db)
    _, (dlv,) = await outbox.enqueue("p", "test", "run.failed", None, BODY, ["whk_1"], 3)
    d = _dispatcher(outbox, receiver.url)
    await d.start()
    try:
        await _until(_status_is(outbox, dlv, "failed"))
        await asyncio.sleep(0.3)
    finally:
        await d.stop()
    assert len(await outbox.attempts(dlv)) == 3 == len(receiver.received)
    final = await outbox.get("whk_1", dlv)
    assert final is not None and final.last_status_code == 500 and final.next_attempt_at is None


async def test_refused_destination_is_given_up_at_once(db: Database) -> None:
    outbox = SQLiteOutbox(db)
    _, (dlv,) = await outbox.enqueue("p", "test", "run.completed", None, BODY, ["whk_1"], 5)
    d = _dispatcher(outbox, "http://169.254.169.254/hook")
    await d.start()
    try:
        await _until(_status_is(outbox, dlv, "failed"))
    finally:
        await d.stop()
    (attempt,) = await outbox.attempts(dlv)
    assert "refused" in (attempt.error or "") and "metadata" in (attempt.error or "")
    assert attempt.status_code is None


async def test_pending_deliveries_survive_a_restart(db: Database, receiver: Receiver) -> None:
    receiver.script.extend(["500"])
    outbox = SQLiteOutbox(db)
    _, (dlv,) = await outbox.enqueue("p", "test", "run.completed", None, BODY, ["whk_1"], 5)
    first = _dispatcher(outbox, receiver.url, base_delay=60)
    await first.start()

    async def one_attempt() -> bool:
        return len(await outbox.attempts(dlv)) == 1

    await _until(one_attempt)
    await first.stop()  # the process leaves with the retry still pending
    assert (await outbox.get("whk_1", dlv)).status == "pending"  # type: ignore[union-attr]
    # Time passes while the gateway is down: the retry becomes due.
    await db.write(
        lambda c: c.execute(
            "UPDATE webhook_deliveries SET next_attempt_at = 0 WHERE id = ?", (dlv,)
        )
    )
    second = _dispatcher(SQLiteOutbox(db), receiver.url)
    await second.start()
    try:
        await _until(_status_is(outbox, dlv, "delivered"))
    finally:
        await second.stop()
    assert [a.succeeded for a in await outbox.attempts(dlv)] == [False, True]


async def test_a_live_lease_is_respected_and_an_expired_one_taken_over(db: Database) -> None:
    clock = [1000.0]
    outbox = SQLiteOutbox(db, clock=lambda: clock[0])
    _, (dlv,) = await outbox.enqueue("p", "test", "run.completed", None, BODY, ["whk_1"], 5)
    assert [d.id for d in await outbox.claim_due(10, lease_seconds=30)] == [dlv]
    assert await outbox.claim_due(10, lease_seconds=30) == []  # another worker holds it
    clock[0] += 31  # that worker died: its lease ran out
    assert [d.id for d in await outbox.claim_due(10, lease_seconds=30)] == [dlv]


async def test_manual_redelivery_after_giving_up(db: Database, receiver: Receiver) -> None:
    receiver.script.extend(["500"])
    outbox = SQLiteOutbox(db)
    _, (dlv,) = await outbox.enqueue("p", "test", "run.completed", None, BODY, ["whk_1"], 1)
    d = _dispatcher(outbox, receiver.url)
    await d.start()
    try:
        await _until(_status_is(outbox, dlv, "failed"))
        assert (await outbox.redeliver("whk_1", dlv)).status == "pending"  # type: ignore[union-attr]
        d.wake()
        await _until(_status_is(outbox, dlv, "delivered"))
    finally:
        await d.stop()
    assert [(a.trigger, a.succeeded) for a in await outbox.attempts(dlv)] == [
        ("auto", False),
        ("manual", True),
    ]
    assert await outbox.redeliver("whk_other", dlv) is None


async def test_deliveries_page_newest_first(db: Database) -> None:
    outbox = SQLiteOutbox(db)
    ids = [
        (await outbox.enqueue("p", "test", "run.completed", None, BODY, ["whk_1"], 5))[1][0]
        for _ in range(3)
    ]
    await outbox.enqueue("p", "test", "run.completed", None, BODY, ["whk_2"], 5)
    page, more = await outbox.list("whk_1", limit=2)
    assert [d.id for d in page] == ids[::-1][:2] and more
    rest, more = await outbox.list("whk_1", limit=2, starting_after=page[-1].id)
    assert [d.id for d in rest] == [ids[0]] and not more
    assert await outbox.list("whk_1", status="delivered") == ([], False)
