"""The durable webhook outbox in the gateway database: messages, deliveries, attempts.

A delivery is `pending` until it is `delivered` or `failed` (given up). The
dispatcher claims due deliveries with a lease (`locked_until`) inside a write
transaction, so several worker processes never send the same attempt twice, and
a delivery whose process died is claimed again once its lease runs out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiagentics.ids import new_id
from aiagentics.storage.sqlite.db import Database

__all__ = ["Attempt", "Delivery", "Outbox"]

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


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=row["id"],
        webhook_id=row["webhook_id"],
        message_id=row["message_id"],
        project=row["project"],
        environment=row["environment"],
        event_type=row["event_type"],
        status=row["status"],
        attempts=row["attempts"],
        attempt_limit=row["attempt_limit"],
        next_trigger=row["next_trigger"],
        next_attempt_at=row["next_attempt_at"],
        last_status_code=row["last_status_code"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        delivered_at=row["delivered_at"],
    )


class Outbox:
    """SQL access for the webhook tables (synchronous, fast calls)."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    def enqueue(
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
        """Store one message and a pending delivery per endpoint, atomically."""
        now = self._clock()
        msg_id = message_id or new_id("msg")
        ids = [new_id("dlv") for _ in webhook_ids]
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO webhook_messages (id, project, environment, event_type, run_id,"
                " payload, created_at) VALUES (?,?,?,?,?,?,?)",
                (msg_id, project, environment, event_type, run_id, payload, now),
            )
            self._db.executemany(
                "INSERT INTO webhook_deliveries (id, webhook_id, message_id, project, environment,"
                " event_type, status, attempts, attempt_limit, next_attempt_at, created_at,"
                " updated_at) VALUES (?,?,?,?,?,?,'pending',0,?,?,?,?)",
                [
                    (d, w, msg_id, project, environment, event_type, attempt_limit, now, now, now)
                    for d, w in zip(ids, webhook_ids, strict=True)
                ],
            )
        return msg_id, ids

    def claim_due(self, limit: int, lease_seconds: float) -> list[Delivery]:
        """Lease up to `limit` due pending deliveries to the caller."""
        now = self._clock()
        with self._db.transaction():
            rows = self._db.fetchall(
                "SELECT * FROM webhook_deliveries WHERE status='pending' AND next_attempt_at <= ?"
                " AND (locked_until IS NULL OR locked_until <= ?) ORDER BY next_attempt_at LIMIT ?",
                (now, now, limit),
            )
            if rows:
                self._db.executemany(
                    "UPDATE webhook_deliveries SET locked_until=? WHERE id=?",
                    [(now + lease_seconds, r["id"]) for r in rows],
                )
        return [_delivery(r) for r in rows]

    def next_due_at(self) -> float | None:
        """When the earliest pending delivery is due (its lease end if later), or None."""
        row = self._db.fetchone(
            "SELECT MIN(MAX(next_attempt_at, COALESCE(locked_until, 0))) AS t"
            " FROM webhook_deliveries WHERE status='pending'"
        )
        return row["t"] if row and row["t"] is not None else None

    def payload(self, message_id: str) -> bytes | None:
        """The stored body of a message."""
        row = self._db.fetchone("SELECT payload FROM webhook_messages WHERE id=?", (message_id,))
        return bytes(row["payload"]) if row else None

    def record_attempt(
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
        number = delivery.attempts + 1
        now = self._clock()
        if succeeded:
            status, next_at, delivered_at = DELIVERED, None, now
        elif retry_at is not None:
            status, next_at, delivered_at = PENDING, retry_at, None
        else:
            status, next_at, delivered_at = FAILED, None, None
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO webhook_attempts (delivery_id, attempt, trigger, started_at,"
                " latency_ms, status_code, succeeded, error, response_excerpt)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    delivery.id,
                    number,
                    trigger,
                    started_at,
                    latency_ms,
                    status_code,
                    int(succeeded),
                    error,
                    response_excerpt,
                ),
            )
            self._db.execute(
                "UPDATE webhook_deliveries SET status=?, attempts=?, next_attempt_at=?,"
                " locked_until=NULL, next_trigger='auto', last_status_code=?, last_error=?, updated_at=?,"
                " delivered_at=COALESCE(?, delivered_at) WHERE id=?",
                (status, number, next_at, status_code, error, now, delivered_at, delivery.id),
            )
        updated = self.get(delivery.webhook_id, delivery.id)
        assert updated is not None
        return updated

    def fail(self, delivery: Delivery, error: str) -> None:
        """Give a delivery up without an HTTP attempt (endpoint deleted or disabled)."""
        self._db.execute(
            "UPDATE webhook_deliveries SET status='failed', locked_until=NULL, last_error=?,"
            " next_attempt_at=NULL, updated_at=? WHERE id=?",
            (error, self._clock(), delivery.id),
        )

    def release(self, delivery_ids: Sequence[str]) -> None:
        """Drop leases (a stopping process hands its claims back)."""
        self._db.executemany(
            "UPDATE webhook_deliveries SET locked_until=NULL WHERE id=? AND status='pending'",
            [(d,) for d in delivery_ids],
        )

    def get(self, webhook_id: str, delivery_id: str) -> Delivery | None:
        """One delivery of an endpoint."""
        row = self._db.fetchone(
            "SELECT * FROM webhook_deliveries WHERE id=? AND webhook_id=?",
            (delivery_id, webhook_id),
        )
        return _delivery(row) if row else None

    def list(
        self,
        webhook_id: str,
        *,
        limit: int = 20,
        starting_after: str | None = None,
        status: str | None = None,
    ) -> tuple[list[Delivery], bool]:
        """An endpoint's deliveries, newest first; (page, has_more)."""
        sql = "SELECT * FROM webhook_deliveries WHERE webhook_id=?"
        params: list[Any] = [webhook_id]
        if status is not None:
            sql += " AND status=?"
            params.append(status)
        if starting_after is not None:
            sql += " AND seq < COALESCE((SELECT seq FROM webhook_deliveries WHERE id=?), -1)"
            params.append(starting_after)
        sql += " ORDER BY seq DESC LIMIT ?"
        params.append(limit + 1)
        rows = self._db.fetchall(sql, params)
        return [_delivery(r) for r in rows[:limit]], len(rows) > limit

    def attempts(self, delivery_id: str) -> list[Attempt]:
        """Every attempt of a delivery, oldest first."""
        rows = self._db.fetchall(
            "SELECT * FROM webhook_attempts WHERE delivery_id=? ORDER BY attempt", (delivery_id,)
        )
        return [
            Attempt(
                r["attempt"],
                r["trigger"],
                r["started_at"],
                r["latency_ms"],
                r["status_code"],
                bool(r["succeeded"]),
                r["error"],
                r["response_excerpt"],
            )
            for r in rows
        ]

    def redeliver(self, webhook_id: str, delivery_id: str) -> Delivery | None:
        """Queue one more (manual) attempt now, whatever the delivery's state."""
        now = self._clock()
        cur = self._db.execute(
            "UPDATE webhook_deliveries SET status='pending', next_attempt_at=?, locked_until=NULL,"
            " attempt_limit=attempts + 1, next_trigger='manual', updated_at=?"
            " WHERE id=? AND webhook_id=?",
            (now, now, delivery_id, webhook_id),
        )
        return self.get(webhook_id, delivery_id) if cur.rowcount else None

    def add_old_secret(self, webhook_id: str, secret_sealed: str, expires_at: float) -> None:
        """Keep a rotated-out secret signing until `expires_at`."""
        with self._db.transaction():
            self._db.execute(
                "DELETE FROM webhook_old_secrets WHERE expires_at <= ?", (self._clock(),)
            )
            self._db.execute(
                "INSERT INTO webhook_old_secrets (webhook_id, secret_sealed, expires_at)"
                " VALUES (?,?,?)",
                (webhook_id, secret_sealed, expires_at),
            )

    def old_secrets(self, webhook_id: str) -> list[tuple[str, float]]:
        """Sealed secrets still in their overlap, newest first, with their expiry."""
        rows = self._db.fetchall(
            "SELECT secret_sealed, expires_at FROM webhook_old_secrets WHERE webhook_id=?"
            " AND expires_at > ? ORDER BY rowid DESC",
            (webhook_id, self._clock()),
        )
        return [(r["secret_sealed"], r["expires_at"]) for r in rows]

    def forget_webhook(self, webhook_id: str) -> None:
        """Drop an endpoint's rotated secrets (its deliveries stay listable)."""
        self._db.execute("DELETE FROM webhook_old_secrets WHERE webhook_id=?", (webhook_id,))
