"""`WebhookService`: turns run events into outbox messages, runs the dispatcher, rotates secrets.

The gateway's composition root makes it a component (the dispatcher starts with the
gateway and picks up whatever a previous process left pending) and a listener of the run
engine.
Events: `run.completed`, `run.failed`, and `tool.requested` of `webhook` tools (contract
§2: client tools are fulfilled by the caller, webhook tools also announce themselves).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

from aiagentics import kinds
from aiagentics.engine.definition_checks import SEALED_FIELD
from aiagentics.engine.definitions import check_id
from aiagentics.engine.sensitive import reveal
from aiagentics.engine.webhooks.dispatcher import Dispatcher, Endpoint
from aiagentics.engine.webhooks.signing import generate_secret
from aiagentics.errors import NotFound
from aiagentics.storage.base import Resource, Scope, Store
from aiagentics.storage.outbox import Delivery, Outbox
from aiagentics.wire.events import RUN_COMPLETED, RUN_FAILED, TOOL_REQUESTED

__all__ = ["MAX_OVERLAP_SECONDS", "WebhookService"]

log = logging.getLogger("aiagentics.webhooks")

MAX_OVERLAP_SECONDS = 7 * 86_400
RUN_EVENTS = (RUN_COMPLETED, RUN_FAILED)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat().replace("+00:00", "Z")


def run_payload(event_type: str, run: Any, data: dict[str, Any], at: float) -> dict[str, Any]:
    """The Standard Webhooks body `{type, timestamp, data}` of a run event."""
    body: dict[str, Any]
    if event_type == TOOL_REQUESTED:
        body = {
            "object": "tool_call",
            "id": data.get("id"),
            "run_id": run.id,
            "agent_id": run.agent_id,
            "tool": data.get("tool"),
            "arguments": data.get("args"),
            "metadata": run.metadata,
        }
    else:
        state = run.state
        body = {
            "object": "run",
            "id": run.id,
            "run_id": run.id,
            "agent_id": run.agent_id,
            "agent_version": run.agent_version,
            "status": data.get("status", run.status),
            "output": state.output,
            "error": state.error,
            "usage": state.usage,
            "metadata": run.metadata,
            "created_at": int(run.created_at),
            "completed_at": int(run.completed_at) if run.completed_at else None,
        }
    return {"type": event_type, "timestamp": _iso(at), "data": body}


class WebhookService:
    """The webhook side of the gateway (one per process)."""

    def __init__(self, settings: Any, store: Store, sealer: Any, outbox: Outbox) -> None:
        self.store = store
        self.sealer = sealer
        self.outbox = outbox
        self.max_attempts = int(settings.webhook_max_attempts)
        self.dispatcher = Dispatcher(
            self.outbox,
            self._endpoint,
            allow_private_network=bool(settings.allow_private_network),
            timeout=float(getattr(settings, "webhook_timeout_seconds", 10.0)),
            base_delay=float(settings.webhook_base_delay_seconds),
        )

    async def start(self) -> None:
        """Start delivering (pending deliveries from before a restart included)."""
        await self.dispatcher.start()

    async def stop(self) -> None:
        """Stop delivering; unfinished deliveries stay pending in the outbox."""
        await self.dispatcher.stop()

    # -- producing ------------------------------------------------------------------------
    async def on_run_event(self, run: Any, event: Any) -> None:
        """RunService listener: queue the events webhooks subscribe to."""
        if event.event in RUN_EVENTS:
            data = event.data
        elif event.event == TOOL_REQUESTED:
            data = event.data
            if data.get("type") != "webhook":
                return
        else:
            return
        payload = run_payload(event.event, run, data, event.created_at)
        await self.publish(Scope(run.project, run.environment), event.event, payload, run.id)

    async def publish(
        self, scope: Scope, event_type: str, payload: dict[str, Any], run_id: str | None = None
    ) -> list[str]:
        """Queue `payload` for every enabled webhook of the scope subscribed to `event_type`."""
        targets = [
            w.id
            for w in await self._webhooks(scope)
            if w.data.get("enabled", True) and event_type in (w.data.get("events") or [])
        ]
        if not targets:
            return []
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        _, ids = await self.outbox.enqueue(
            scope.project, scope.environment, event_type, run_id, body, targets, self.max_attempts
        )
        self.dispatcher.wake()
        return ids

    async def _webhooks(self, scope: Scope) -> list[Resource]:
        found: list[Resource] = []
        after: str | None = None
        while True:
            page = await self.store.list("webhook", scope, limit=100, starting_after=after)
            found.extend(page.items)
            if not page.has_more or not page.items:
                return found
            after = page.items[-1].id

    # -- sending ----------------------------------------------------------------------------
    async def _endpoint(self, delivery: Delivery) -> Endpoint | None:
        hook = await self.store.get(
            "webhook", Scope(delivery.project, delivery.environment), delivery.webhook_id
        )
        if hook is None:
            return None
        return Endpoint(
            url=str(reveal(self.sealer, hook.data).get("url", "")),  # may be write-only
            secrets=await self.secrets_of(hook),
            enabled=bool(hook.data.get("enabled", True)),
        )

    async def secrets_of(self, hook: Resource) -> list[str]:
        """The secrets that sign this webhook's messages now: current first, then rotated-out ones."""
        sealed_all = [
            hook.data.get(SEALED_FIELD, ""),
            *(s for s, _ in await self.outbox.old_secrets(hook.id)),
        ]
        secrets: list[str] = []
        for sealed in sealed_all:
            try:
                secrets.append(self.sealer.unseal(sealed))
            except ValueError:
                # Sealed with another key (secret_key changed): unusable. With no secret
                # left the delivery is given up with a clear error instead of sent unsigned.
                log.warning("a signing secret of %s cannot be unsealed; skipped", hook.id)
        return secrets

    # -- managing ----------------------------------------------------------------------------
    async def webhook(self, scope: Scope, id: str) -> Resource:
        """One webhook of the scope; NotFound otherwise (also for a malformed id)."""
        check_id(id, kinds.BY_KIND["webhook"].prefix, "webhook")
        hook = await self.store.get("webhook", scope, id)
        if hook is None:
            raise NotFound(f"no such webhook: {id}")
        return hook

    async def rotate_secret(
        self, scope: Scope, hook: Resource, overlap_seconds: int, secret: str | None = None
    ) -> tuple[str, float | None]:
        """Install a new secret; the old one keeps signing for `overlap_seconds`.

        Returns (new secret, when the old one stops being used or None without overlap).
        """
        new_secret = secret or generate_secret()
        old_sealed = hook.data[SEALED_FIELD]
        expires = time.time() + overlap_seconds if overlap_seconds > 0 else None
        if expires is not None:
            await self.outbox.add_old_secret(hook.id, old_sealed, expires)
        data = {**hook.data, SEALED_FIELD: self.sealer.seal(new_secret)}
        await self.store.update("webhook", scope, hook.id, hook.name, data)
        return new_secret, expires

    async def redeliver(self, webhook_id: str, delivery_id: str) -> Delivery | None:
        """Queue a manual attempt now."""
        delivery = await self.outbox.redeliver(webhook_id, delivery_id)
        if delivery is not None:
            self.dispatcher.wake()
        return delivery
