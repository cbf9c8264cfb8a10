"""WebhookService: fan-out to subscribed endpoints, rotation overlap, run-event mapping."""

from __future__ import annotations

import asyncio
import json
import time
from types import SimpleNamespace

from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from webhook_receiver import Receiver

from aiagentics.engine.sealing import Sealer
from aiagentics.engine.webhooks.service import WebhookService
from aiagentics.engine.webhooks.signing import generate_secret
from aiagentics.gateway.settings import GatewaySettings
from aiagentics.storage.base import Scope
from aiagentics.storage.sqlite.db import Database
from aiagentics.storage.sqlite.definitions import SQLiteStore
from aiagentics.storage.sqlite.outbox import SQLiteOutbox

SCOPE = Scope("proj", "test")


def _service(tmp_path, db, store, sealer) -> WebhookService:  # type: ignore[no-untyped-def]
    settings = GatewaySettings(
        database=str(tmp_path / "gateway.db"),
        allow_private_network=True,
        webhook_base_delay_seconds=0.05,
        webhook_max_attempts=3,
    )
    service = WebhookService(settings, store, sealer, SQLiteOutbox(db))
    service.dispatcher.poll_seconds = 0.05
    return service


async def _hook(store: SQLiteStore, sealer: Sealer, url: str, events: list[str], **extra):  # type: ignore[no-untyped-def]
    secret = generate_secret()
    data = {
        "url": url,
        "events": events,
        "enabled": True,
        "secret_sealed": sealer.seal(secret),
        **extra,
    }
    return await store.create("webhook", SCOPE, None, data), secret


def _run(status: str = "completed") -> SimpleNamespace:
    return SimpleNamespace(
        id="run_abc12345",
        project=SCOPE.project,
        environment=SCOPE.environment,
        agent_id="agt_abc12345",
        agent_version=2,
        status=status,
        metadata={"user_id": "u1"},
        created_at=time.time() - 1,
        completed_at=time.time(),
        state=SimpleNamespace(output="7 payments failed", error=None, usage={"total_tokens": 3}),
    )


def _event(name: str, data: dict) -> SimpleNamespace:  # type: ignore[type-arg]
    return SimpleNamespace(
        event=name, data={"run_id": "run_abc12345", **data}, created_at=time.time()
    )


async def _wait(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout
    while not (await result if asyncio.iscoroutine(result := predicate()) else result):
        assert time.time() < deadline
        await asyncio.sleep(0.02)


def _failed(service: WebhookService, webhook_id: str, delivery_id: str):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        delivery = await service.outbox.get(webhook_id, delivery_id)
        return delivery is not None and delivery.status == "failed"

    return check


async def test_run_events_reach_only_subscribed_enabled_endpoints(
    tmp_path, db: Database, store: SQLiteStore, sealer: Sealer, receiver: Receiver
) -> None:
    service = _service(tmp_path, db, store, sealer)
    done_hook, secret = await _hook(store, sealer, receiver.url + "?h=done", ["run.completed"])
    await _hook(store, sealer, receiver.url + "?h=failed", ["run.failed"])
    await _hook(store, sealer, receiver.url + "?h=off", ["run.completed"], enabled=False)
    await store.create(
        "webhook",
        Scope("other", "test"),
        None,
        {
            "url": receiver.url + "?h=foreign",
            "events": ["run.completed"],
            "enabled": True,
            "secret_sealed": sealer.seal(generate_secret()),
        },
    )
    _, tool_secret = await _hook(store, sealer, receiver.url + "?h=tool", ["tool.requested"])
    await service.start()
    try:
        await service.on_run_event(_run(), _event("run.completed", {"status": "completed"}))
        await service.on_run_event(_run(), _event("token", {"delta": "x"}))
        await service.on_run_event(
            _run(),
            _event(
                "tool.requested", {"id": "call_1", "tool": "lookup", "type": "client", "args": {}}
            ),
        )
        await service.on_run_event(
            _run(),
            _event(
                "tool.requested",
                {"id": "call_2", "tool": "notify", "type": "webhook", "args": {"x": 1}},
            ),
        )
        await _wait(lambda: len(receiver.received) >= 2)
        await asyncio.sleep(0.2)
    finally:
        await service.stop()
    by_path = {r.path.split("?h=")[1]: r for r in receiver.received}
    assert set(by_path) == {"done", "tool"}
    body = Webhook(secret).verify(by_path["done"].body, by_path["done"].headers)
    assert body["type"] == "run.completed"
    assert body["data"]["output"] == "7 payments failed" and body["data"]["metadata"] == {
        "user_id": "u1"
    }
    tool = Webhook(tool_secret).verify(by_path["tool"].body, by_path["tool"].headers)
    assert tool["data"]["id"] == "call_2" and tool["data"]["arguments"] == {"x": 1}
    page, more = await service.outbox.list(done_hook.id)
    assert [d.status for d in page] == ["delivered"] and not more


async def test_rotation_signs_with_both_secrets_during_overlap(
    tmp_path, db: Database, store: SQLiteStore, sealer: Sealer, receiver: Receiver
) -> None:
    service = _service(tmp_path, db, store, sealer)
    hook, old = await _hook(store, sealer, receiver.url, ["run.failed"])
    new, expires = await service.rotate_secret(SCOPE, hook, overlap_seconds=60)
    assert expires is not None and 55 < expires - time.time() <= 60
    hook = await store.get("webhook", SCOPE, hook.id)
    assert await service.secrets_of(hook) == [new, old]  # type: ignore[arg-type]
    newer, none = await service.rotate_secret(SCOPE, hook, overlap_seconds=0)  # type: ignore[arg-type]
    assert none is None
    hook = await store.get("webhook", SCOPE, hook.id)  # type: ignore[union-attr]
    assert await service.secrets_of(hook) == [newer, old]  # type: ignore[arg-type]  # `new` had no overlap
    await service.start()
    try:
        await service.publish(SCOPE, "run.failed", {"type": "run.failed", "data": {}})
        await _wait(lambda: len(receiver.received) >= 1)
        (got,) = receiver.received
    finally:
        await service.stop()
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    Webhook(newer).verify(got.body, got.headers)
    Webhook(old).verify(got.body, got.headers)
    try:
        Webhook(new).verify(got.body, got.headers)
        raise AssertionError("a secret rotated out without overlap must not verify")
    except WebhookVerificationError:
        pass
    assert json.loads(got.body)["type"] == "run.failed"


async def test_deleted_webhook_is_given_up(
    tmp_path, db: Database, store: SQLiteStore, sealer: Sealer, receiver: Receiver
) -> None:
    service = _service(tmp_path, db, store, sealer)
    hook, _ = await _hook(store, sealer, receiver.url, ["run.failed"])
    (dlv,) = await service.publish(SCOPE, "run.failed", {"type": "run.failed", "data": {}})
    await store.delete("webhook", SCOPE, hook.id)
    await service.start()
    try:
        await _wait(_failed(service, hook.id, dlv))
    finally:
        await service.stop()
    assert (await service.outbox.get(hook.id, dlv)).last_error == "the webhook was deleted"  # type: ignore[union-attr]
    assert receiver.received == []


async def test_unusable_secret_gives_the_delivery_up_with_a_clear_error(
    tmp_path, db: Database, store: SQLiteStore, sealer: Sealer, receiver: Receiver
) -> None:
    from cryptography.fernet import Fernet

    service = _service(tmp_path, db, store, sealer)
    other = Sealer(Fernet.generate_key())  # the gateway's secret_key changed since
    hook = await store.create(
        "webhook",
        SCOPE,
        None,
        {
            "url": receiver.url,
            "events": ["run.failed"],
            "enabled": True,
            "secret_sealed": other.seal(generate_secret()),
        },
    )
    (dlv,) = await service.publish(SCOPE, "run.failed", {"type": "run.failed", "data": {}})
    await service.start()
    try:
        await _wait(_failed(service, hook.id, dlv))
    finally:
        await service.stop()
    assert "no secret to sign with" in ((await service.outbox.get(hook.id, dlv)).last_error or "")  # type: ignore[union-attr]
    assert receiver.received == []
