"""`Outbox` on PostgreSQL: claims lease due deliveries with FOR UPDATE SKIP LOCKED, so two
instances claiming at once never get the same delivery."""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable, Sequence
from typing import Any

from psycopg.rows import dict_row

from aiagentics.ids import new_id
from aiagentics.storage.outbox import DELIVERED, FAILED, PENDING, Attempt, Delivery
from aiagentics.storage.postgres.db import Conn, PgDatabase, execute, fetchall, fetchone

__all__ = ["PgOutbox"]

_DELIVERY_COLS = (
    "id, webhook_id, message_id, project, environment, event_type, status, attempts,"
    " attempt_limit, next_trigger, next_attempt_at, last_status_code, last_error, created_at,"
    " updated_at, delivered_at"
)
_ATTEMPT_COLS = (
    "delivery_id, attempt, trigger, started_at, latency_ms, status_code, succeeded, error,"
    " response_excerpt"
)


async def _dicts(conn: Conn, sql: str, params: Any = None) -> list[dict[str, Any]]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(sql, params)
        return await cur.fetchall()


def _delivery(row: dict[str, Any]) -> Delivery:
    return Delivery(**row)


def _attempt(row: dict[str, Any]) -> Attempt:
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


async def _get(conn: Conn, webhook_id: str, delivery_id: str) -> Delivery | None:
    rows = await _dicts(
        conn,
        f"SELECT {_DELIVERY_COLS} FROM webhook_deliveries WHERE id=%s AND webhook_id=%s",
        (delivery_id, webhook_id),
    )
    return _delivery(rows[0]) if rows else None


class PgOutbox:
    """The webhook outbox in the gateway database."""

    def __init__(self, db: PgDatabase, clock: Callable[[], float] = time.time) -> None:
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

        async def write(conn: Conn) -> None:
            await execute(
                conn,
                "INSERT INTO webhook_messages (id, project, environment, event_type, run_id,"
                " payload, created_at) VALUES (%s,%s,%s,%s,%s,%s,%s)",
                (msg_id, project, environment, event_type, run_id, payload, now),
            )
            if ids:
                async with conn.cursor() as cur:
                    await cur.executemany(
                        "INSERT INTO webhook_deliveries (id, webhook_id, message_id, project,"
                        " environment, event_type, status, attempts, attempt_limit,"
                        " next_attempt_at, created_at, updated_at)"
                        " VALUES (%s,%s,%s,%s,%s,%s,'pending',0,%s,%s,%s,%s)",
                        [
                            (
                                d,
                                w,
                                msg_id,
                                project,
                                environment,
                                event_type,
                                attempt_limit,
                                now,
                                now,
                                now,
                            )
                            for d, w in zip(ids, webhook_ids, strict=True)
                        ],
                    )

        await self._db.write(write, cached=False)
        return msg_id, ids

    async def claim_due(self, limit: int, lease_seconds: float) -> list[Delivery]:
        """Lease up to `limit` due pending deliveries to the caller."""
        now = self._clock()
        rows = await self._db.write(
            lambda conn: _dicts(
                conn,
                "UPDATE webhook_deliveries SET locked_until=%s WHERE id IN (SELECT id FROM"
                " webhook_deliveries WHERE status='pending' AND next_attempt_at <= %s"
                " AND (locked_until IS NULL OR locked_until <= %s) ORDER BY next_attempt_at"
                f" LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING {_DELIVERY_COLS}",
                (now + lease_seconds, now, now, limit),
            ),
            cached=False,
        )
        # RETURNING keeps no order: earliest due first, as claimed.
        return sorted((_delivery(r) for r in rows), key=lambda d: d.next_attempt_at or 0.0)

    async def next_due_at(self) -> float | None:
        """When the earliest pending delivery is due (its lease end if later), or None."""
        row = await self._db.read(
            lambda conn: fetchone(
                conn,
                "SELECT MIN(GREATEST(next_attempt_at, COALESCE(locked_until, 0)))"
                " FROM webhook_deliveries WHERE status='pending'",
            )
        )
        return float(row[0]) if row and row[0] is not None else None

    async def payload(self, message_id: str) -> bytes | None:
        """The stored body of a message."""
        row = await self._db.read(
            lambda conn: fetchone(
                conn, "SELECT payload FROM webhook_messages WHERE id=%s", (message_id,)
            )
        )
        return bytes(row[0]) if row else None

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
            succeeded,
            error,
            response_excerpt,
        )

        async def write(conn: Conn) -> Delivery | None:
            await execute(
                conn,
                f"INSERT INTO webhook_attempts ({_ATTEMPT_COLS}) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                attempt,
            )
            await execute(
                conn,
                "UPDATE webhook_deliveries SET status=%s, attempts=%s, next_attempt_at=%s,"
                " locked_until=NULL, next_trigger='auto', last_status_code=%s, last_error=%s,"
                " updated_at=%s, delivered_at=COALESCE(%s, delivered_at) WHERE id=%s",
                (status, number, next_at, status_code, error, now, delivered_at, delivery.id),
            )
            return await _get(conn, delivery.webhook_id, delivery.id)

        updated = await self._db.write(write, cached=False)
        assert updated is not None
        return updated

    async def fail(self, delivery: Delivery, error: str) -> None:
        """Give a delivery up without an HTTP attempt (endpoint deleted or disabled)."""
        params = (error, self._clock(), delivery.id)
        await self._db.write(
            lambda conn: execute(
                conn,
                "UPDATE webhook_deliveries SET status='failed', locked_until=NULL, last_error=%s,"
                " next_attempt_at=NULL, updated_at=%s WHERE id=%s",
                params,
            ),
            cached=False,
        )

    async def release(self, delivery_ids: Sequence[str]) -> None:
        """Drop leases (a stopping process hands its claims back)."""
        ids = list(delivery_ids)
        if not ids:
            return
        await self._db.write(
            lambda conn: execute(
                conn,
                "UPDATE webhook_deliveries SET locked_until=NULL WHERE id = ANY(%s)"
                " AND status='pending'",
                (ids,),
            ),
            cached=False,
        )

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
        sql = f"SELECT {_DELIVERY_COLS} FROM webhook_deliveries WHERE webhook_id=%s"
        params: list[Any] = [webhook_id]
        if status is not None:
            sql += " AND status=%s"
            params.append(status)
        if starting_after is not None:
            sql += " AND seq < COALESCE((SELECT seq FROM webhook_deliveries WHERE id=%s), -1)"
            params.append(starting_after)
        sql += " ORDER BY seq DESC LIMIT %s"
        params.append(limit + 1)
        rows = await self._db.read(lambda conn: _dicts(conn, sql, params))
        return [_delivery(r) for r in rows[:limit]], len(rows) > limit

    async def attempts(self, delivery_id: str) -> builtins.list[Attempt]:
        """Every attempt of a delivery, oldest first."""
        return (await self.attempts_of([delivery_id]))[delivery_id]

    async def attempts_of(self, delivery_ids: Sequence[str]) -> dict[str, builtins.list[Attempt]]:
        """The attempts of several deliveries (oldest first each), by delivery id."""
        ids = list(dict.fromkeys(delivery_ids))
        if not ids:
            return {}
        rows = await self._db.read(
            lambda conn: _dicts(
                conn,
                f"SELECT {_ATTEMPT_COLS} FROM webhook_attempts WHERE delivery_id = ANY(%s)"
                " ORDER BY delivery_id, attempt",
                (ids,),
            )
        )
        out: dict[str, builtins.list[Attempt]] = {d: [] for d in ids}
        for r in rows:
            out[r["delivery_id"]].append(_attempt(r))
        return out

    async def redeliver(self, webhook_id: str, delivery_id: str) -> Delivery | None:
        """Queue one more (manual) attempt now, whatever the delivery's state."""
        now = self._clock()

        async def write(conn: Conn) -> Delivery | None:
            count = await execute(
                conn,
                "UPDATE webhook_deliveries SET status='pending', next_attempt_at=%s,"
                " locked_until=NULL, attempt_limit=attempts + 1, next_trigger='manual',"
                " updated_at=%s WHERE id=%s AND webhook_id=%s",
                (now, now, delivery_id, webhook_id),
            )
            return await _get(conn, webhook_id, delivery_id) if count else None

        return await self._db.write(write, cached=False)

    async def add_old_secret(self, webhook_id: str, secret_sealed: str, expires_at: float) -> None:
        """Keep a rotated-out secret signing until `expires_at`."""
        now = self._clock()

        async def write(conn: Conn) -> None:
            await execute(conn, "DELETE FROM webhook_old_secrets WHERE expires_at <= %s", (now,))
            await execute(
                conn,
                "INSERT INTO webhook_old_secrets (webhook_id, secret_sealed, expires_at)"
                " VALUES (%s,%s,%s)",
                (webhook_id, secret_sealed, expires_at),
            )

        await self._db.write(write, cached=False)

    async def old_secrets(self, webhook_id: str) -> builtins.list[tuple[str, float]]:
        """Sealed secrets still in their overlap, newest first, with their expiry."""
        rows = await self._db.read(
            lambda conn: fetchall(
                conn,
                "SELECT secret_sealed, expires_at FROM webhook_old_secrets WHERE webhook_id=%s"
                " AND expires_at > %s ORDER BY id DESC",
                (webhook_id, self._clock()),
            )
        )
        return [(str(r[0]), float(r[1])) for r in rows]

    async def forget_webhook(self, webhook_id: str) -> None:
        """Drop an endpoint's rotated secrets (its deliveries stay listable)."""
        await self._db.write(
            lambda conn: execute(
                conn, "DELETE FROM webhook_old_secrets WHERE webhook_id=%s", (webhook_id,)
            ),
            cached=False,
        )
