"""`Outbox` in SQLite: the webhook_* tables; claims take a lease inside one write transaction."""

from __future__ import annotations

import builtins
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import Any

from aiagentics.ids import new_id
from aiagentics.storage.outbox import DELIVERED, FAILED, PENDING, Attempt, Delivery
from aiagentics.storage.sqlite.db import Database

__all__ = ["SQLiteOutbox"]


def _rows(conn: sqlite3.Connection, sql: str, params: Any = ()) -> list[sqlite3.Row]:
    # The row factory is set per cursor: the connection is shared with other stores.
    cur = conn.cursor()
    cur.row_factory = sqlite3.Row
    return cur.execute(sql, params).fetchall()


def _delivery(row: sqlite3.Row) -> Delivery:
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


def _attempt(row: sqlite3.Row) -> Attempt:
    return Attempt(
        row["attempt"],
        row["trigger"],
        row["started_at"],
        row["latency_ms"],
        row["status_code"],
        bool(row["succeeded"]),
        row["error"],
        row["response_excerpt"],
    )


def _get(conn: sqlite3.Connection, webhook_id: str, delivery_id: str) -> Delivery | None:
    rows = _rows(
        conn,
        "SELECT * FROM webhook_deliveries WHERE id=? AND webhook_id=?",
        (delivery_id, webhook_id),
    )
    return _delivery(rows[0]) if rows else None


class SQLiteOutbox:
    """The webhook outbox in the gateway database, every call off the event loop."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

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
        """Store one message and a pending delivery per endpoint, atomically."""
        now = self._clock()
        msg_id = message_id or new_id("msg")
        ids = [new_id("dlv") for _ in webhook_ids]

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO webhook_messages (id, project, environment, event_type, run_id,"
                " payload, created_at) VALUES (?,?,?,?,?,?,?)",
                (msg_id, project, environment, event_type, run_id, payload, now),
            )
            conn.executemany(
                "INSERT INTO webhook_deliveries (id, webhook_id, message_id, project, environment,"
                " event_type, status, attempts, attempt_limit, next_attempt_at, created_at,"
                " updated_at) VALUES (?,?,?,?,?,?,'pending',0,?,?,?,?)",
                [
                    (d, w, msg_id, project, environment, event_type, attempt_limit, now, now, now)
                    for d, w in zip(ids, webhook_ids, strict=True)
                ],
            )

        await self._db.write(write, cached=False)
        return msg_id, ids

    async def claim_due(self, limit: int, lease_seconds: float) -> list[Delivery]:
        """Lease up to `limit` due pending deliveries to the caller."""
        now = self._clock()

        def write(conn: sqlite3.Connection) -> list[Delivery]:
            rows = _rows(
                conn,
                "SELECT * FROM webhook_deliveries WHERE status='pending' AND next_attempt_at <= ?"
                " AND (locked_until IS NULL OR locked_until <= ?) ORDER BY next_attempt_at LIMIT ?",
                (now, now, limit),
            )
            if rows:
                conn.executemany(
                    "UPDATE webhook_deliveries SET locked_until=? WHERE id=?",
                    [(now + lease_seconds, r["id"]) for r in rows],
                )
            return [_delivery(r) for r in rows]

        return await self._db.write(write, cached=False)

    async def next_due_at(self) -> float | None:
        """When the earliest pending delivery is due (its lease end if later), or None."""

        def read(conn: sqlite3.Connection) -> float | None:
            row = conn.execute(
                "SELECT MIN(MAX(next_attempt_at, COALESCE(locked_until, 0)))"
                " FROM webhook_deliveries WHERE status='pending'"
            ).fetchone()
            return float(row[0]) if row and row[0] is not None else None

        return await self._db.read(read)

    async def payload(self, message_id: str) -> bytes | None:
        """The stored body of a message."""

        def read(conn: sqlite3.Connection) -> bytes | None:
            row = conn.execute(
                "SELECT payload FROM webhook_messages WHERE id=?", (message_id,)
            ).fetchone()
            return bytes(row[0]) if row else None

        return await self._db.read(read)

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
        number = delivery.attempts + 1
        now = self._clock()
        if succeeded:
            status, next_at, delivered_at = DELIVERED, None, now
        elif retry_at is not None:
            status, next_at, delivered_at = PENDING, retry_at, None
        else:
            status, next_at, delivered_at = FAILED, None, None
        attempt = (
            delivery.id,
            number,
            trigger,
            started_at,
            latency_ms,
            status_code,
            int(succeeded),
            error,
            response_excerpt,
        )

        def write(conn: sqlite3.Connection) -> Delivery | None:
            conn.execute(
                "INSERT INTO webhook_attempts (delivery_id, attempt, trigger, started_at,"
                " latency_ms, status_code, succeeded, error, response_excerpt)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                attempt,
            )
            conn.execute(
                "UPDATE webhook_deliveries SET status=?, attempts=?, next_attempt_at=?,"
                " locked_until=NULL, next_trigger='auto', last_status_code=?, last_error=?,"
                " updated_at=?, delivered_at=COALESCE(?, delivered_at) WHERE id=?",
                (status, number, next_at, status_code, error, now, delivered_at, delivery.id),
            )
            return _get(conn, delivery.webhook_id, delivery.id)

        updated = await self._db.write(write, cached=False)
        assert updated is not None
        return updated

    async def fail(self, delivery: Delivery, error: str) -> None:
        """Give a delivery up without an HTTP attempt (endpoint deleted or disabled)."""
        params = (error, self._clock(), delivery.id)

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE webhook_deliveries SET status='failed', locked_until=NULL, last_error=?,"
                " next_attempt_at=NULL, updated_at=? WHERE id=?",
                params,
            )

        await self._db.write(write, cached=False)

    async def release(self, delivery_ids: Sequence[str]) -> None:
        """Drop leases (a stopping process hands its claims back)."""
        rows = [(d,) for d in delivery_ids]

        def write(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "UPDATE webhook_deliveries SET locked_until=NULL WHERE id=? AND status='pending'",
                rows,
            )

        await self._db.write(write, cached=False)

    async def get(self, webhook_id: str, delivery_id: str) -> Delivery | None:
        """One delivery of an endpoint."""
        return await self._db.read(lambda conn: _get(conn, webhook_id, delivery_id))

    async def list(
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
        rows = await self._db.read(lambda conn: _rows(conn, sql, params))
        return [_delivery(r) for r in rows[:limit]], len(rows) > limit

    async def attempts(self, delivery_id: str) -> builtins.list[Attempt]:
        """Every attempt of a delivery, oldest first."""
        return (await self.attempts_of([delivery_id]))[delivery_id]

    async def attempts_of(self, delivery_ids: Sequence[str]) -> dict[str, builtins.list[Attempt]]:
        """The attempts of several deliveries (oldest first each), by delivery id."""
        ids = list(dict.fromkeys(delivery_ids))
        if not ids:
            return {}
        sql = (
            f"SELECT * FROM webhook_attempts WHERE delivery_id IN ({','.join('?' * len(ids))})"
            " ORDER BY delivery_id, attempt"
        )
        rows = await self._db.read(lambda conn: _rows(conn, sql, ids))
        out: dict[str, builtins.list[Attempt]] = {d: [] for d in ids}
        for r in rows:
            out[r["delivery_id"]].append(_attempt(r))
        return out

    async def redeliver(self, webhook_id: str, delivery_id: str) -> Delivery | None:
        """Queue one more (manual) attempt now, whatever the delivery's state."""
        now = self._clock()

        def write(conn: sqlite3.Connection) -> Delivery | None:
            cur = conn.execute(
                "UPDATE webhook_deliveries SET status='pending', next_attempt_at=?,"
                " locked_until=NULL, attempt_limit=attempts + 1, next_trigger='manual',"
                " updated_at=? WHERE id=? AND webhook_id=?",
                (now, now, delivery_id, webhook_id),
            )
            return _get(conn, webhook_id, delivery_id) if cur.rowcount else None

        return await self._db.write(write, cached=False)

    async def add_old_secret(self, webhook_id: str, secret_sealed: str, expires_at: float) -> None:
        """Keep a rotated-out secret signing until `expires_at`."""
        now = self._clock()

        def write(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM webhook_old_secrets WHERE expires_at <= ?", (now,))
            conn.execute(
                "INSERT INTO webhook_old_secrets (webhook_id, secret_sealed, expires_at)"
                " VALUES (?,?,?)",
                (webhook_id, secret_sealed, expires_at),
            )

        await self._db.write(write, cached=False)

    async def old_secrets(self, webhook_id: str) -> builtins.list[tuple[str, float]]:
        """Sealed secrets still in their overlap, newest first, with their expiry."""
        params = (webhook_id, self._clock())

        def read(conn: sqlite3.Connection) -> builtins.list[tuple[str, float]]:
            rows = conn.execute(
                "SELECT secret_sealed, expires_at FROM webhook_old_secrets WHERE webhook_id=?"
                " AND expires_at > ? ORDER BY rowid DESC",
                params,
            ).fetchall()
            return [(str(r[0]), float(r[1])) for r in rows]

        return await self._db.read(read)

    async def forget_webhook(self, webhook_id: str) -> None:
        """Drop an endpoint's rotated secrets (its deliveries stay listable)."""

        def write(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM webhook_old_secrets WHERE webhook_id=?", (webhook_id,))

        await self._db.write(write, cached=False)
