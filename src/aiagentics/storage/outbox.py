"""The storage of the durable webhook outbox: messages, deliveries, attempts, rotated secrets.

A delivery is `pending` until it is `delivered` or `failed` (given up). Dispatchers
claim due deliveries with a lease, so several worker processes never send the same
attempt twice, and a delivery whose process died is claimed again once its lease
runs out.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["DELIVERED", "FAILED", "PENDING", "Attempt", "Delivery", "Outbox"]

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


@dataclass(frozen=True, slots=True)
class Attempt:
    """One HTTP try of a delivery."""

    attempt: int
    trigger: str  # "auto" | "manual"
    started_at: float
    latency_ms: int
    status_code: int | None
    succeeded: bool
    error: str | None
    response_excerpt: str | None

    def to_json(self) -> dict[str, Any]:
        """The API object."""
        return {
            "attempt": self.attempt,
            "trigger": self.trigger,
            "started_at": round(self.started_at, 3),
            "latency_ms": self.latency_ms,
            "status_code": self.status_code,
            "succeeded": self.succeeded,
            "error": self.error,
            "response": self.response_excerpt,
        }


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event for one endpoint."""

    id: str
    webhook_id: str
    message_id: str
    project: str
    environment: str
    event_type: str
    status: str
    attempts: int
    attempt_limit: int
    next_trigger: str
    next_attempt_at: float | None
    last_status_code: int | None
    last_error: str | None
    created_at: float
    updated_at: float
    delivered_at: float | None

    def to_json(self, attempts: Sequence[Attempt] | None = None) -> dict[str, Any]:
        """The API object (`attempts_log` only when the attempts are given)."""
        out: dict[str, Any] = {
            "id": self.id,
            "object": "webhook.delivery",
            "webhook_id": self.webhook_id,
            "message_id": self.message_id,
            "event_type": self.event_type,
            "status": self.status,
            "attempts": self.attempts,
            "next_attempt_at": int(self.next_attempt_at) if self.next_attempt_at else None,
            "last_status_code": self.last_status_code,
            "last_error": self.last_error,
            "created_at": int(self.created_at),
            "updated_at": int(self.updated_at),
            "delivered_at": int(self.delivered_at) if self.delivered_at else None,
        }
        if attempts is not None:
            out["attempts_log"] = [a.to_json() for a in attempts]
        return out


class Outbox(Protocol):
    """Durable webhook messages and their deliveries."""

    async def enqueue(
        self,
        project: str,
        environment: str,
        event_type: str,
        run_id: str | None,
        payload: bytes,
        webhook_ids: Sequence[str],
        attempt_limit: int,
        message_id: str | None = None,
    ) -> tuple[str, list[str]]:
        """Store one message and a pending delivery per endpoint, atomically; (message, deliveries)."""
        ...

    async def claim_due(self, limit: int, lease_seconds: float) -> list[Delivery]:
        """Lease up to `limit` due pending deliveries (earliest due first) to the caller."""
        ...

    async def next_due_at(self) -> float | None:
        """When the earliest pending delivery is due (its lease end if later), or None."""
        ...

    async def payload(self, message_id: str) -> bytes | None:
        """The stored body of a message."""
        ...

    async def record_attempt(
        self,
        delivery: Delivery,
        *,
        trigger: str,
        started_at: float,
        latency_ms: int,
        status_code: int | None,
        succeeded: bool,
        error: str | None,
        response_excerpt: str | None,
        retry_at: float | None,
    ) -> Delivery:
        """Log an attempt and move the delivery on: delivered, pending again (retry_at), or failed."""
        ...

    async def fail(self, delivery: Delivery, error: str) -> None:
        """Give a delivery up without an HTTP attempt (endpoint deleted or disabled)."""
        ...

    async def release(self, delivery_ids: Sequence[str]) -> None:
        """Drop leases (a stopping process hands its claims back)."""
        ...

    async def get(self, webhook_id: str, delivery_id: str) -> Delivery | None:
        """One delivery of an endpoint."""
        ...

    async def list(
        self,
        webhook_id: str,
        *,
        limit: int = 20,
        starting_after: str | None = None,
        status: str | None = None,
    ) -> tuple[list[Delivery], bool]:
        """An endpoint's deliveries, newest first; (page, has_more)."""
        ...

    async def attempts(self, delivery_id: str) -> builtins.list[Attempt]:
        """Every attempt of a delivery, oldest first."""
        ...

    async def attempts_of(self, delivery_ids: Sequence[str]) -> dict[str, builtins.list[Attempt]]:
        """The attempts of several deliveries (oldest first each), by delivery id."""
        ...

    async def redeliver(self, webhook_id: str, delivery_id: str) -> Delivery | None:
        """Queue one more (manual) attempt now, whatever the delivery's state."""
        ...

    async def add_old_secret(self, webhook_id: str, secret_sealed: str, expires_at: float) -> None:
        """Keep a rotated-out secret signing until `expires_at`."""
        ...

    async def old_secrets(self, webhook_id: str) -> builtins.list[tuple[str, float]]:
        """Sealed secrets still in their overlap, newest first, with their expiry."""
        ...

    async def forget_webhook(self, webhook_id: str) -> None:
        """Drop an endpoint's rotated secrets (its deliveries stay listable)."""
        ...
