"""`PgRunJournal`: runs and their event logs on PostgreSQL (see `RunJournal`).

The concurrent-runs limit is counted and enforced under a transaction-scoped advisory
lock on the run's project and environment, so instances inserting at once cannot both
take the last slot.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import msgspec

from aiagentics.storage.postgres.db import Conn, PgDatabase, execute, fetchall, fetchone
from aiagentics.storage.records import ACTIVE, RunEvent, RunRecord, RunState

_encode = msgspec.json.encode
_decode = msgspec.json.decode
_INSERT_EVENT = (
    "INSERT INTO run_events (run_id, seq, event, data, created_at) VALUES (%s, %s, %s, %s, %s)"
)
# The step number is the next one of the run's, taken inside the same write.
_INSERT_STEP = (
    "INSERT INTO run_steps (run_id, n, after_seq, event, data, created_at) VALUES"
    " (%s, (SELECT COALESCE(MAX(n), -1) + 1 FROM run_steps WHERE run_id = %s), %s, %s, %s, %s)"
)
_COLS = (
    "id, project, environment, agent_id, agent_version, agent, status, input, metadata, owner,"
    " created_at, started_at, completed_at, state"
)
_ACTIVE = list(ACTIVE)


def _record(row: tuple[Any, ...]) -> RunRecord:
    return RunRecord(
        id=row[0],
        project=row[1],
        environment=row[2],
        agent_id=row[3],
        agent_version=row[4],
        agent=_decode(row[5]),
        status=row[6],
        input=_decode(row[7]),
        metadata=_decode(row[8]),
        owner=row[9],
        created_at=row[10],
        started_at=row[11],
        completed_at=row[12],
        state=_decode(row[13], type=RunState),
    )


class PgRunJournal:
    """Runs and run events in PostgreSQL; see `RunJournal` for each method."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def insert(self, run: RunRecord, max_active: int | None = None) -> bool:
        params = (
            run.id,
            run.project,
            run.environment,
            run.agent_id,
            run.agent_version,
            _encode(run.agent),
            run.status,
            _encode(run.input),
            _encode(run.metadata),
            run.owner,
            run.created_at,
            run.started_at,
            run.completed_at,
            _encode(run.state),
        )

        async def insert(conn: Conn) -> bool:
            if max_active is not None:
                await execute(
                    conn,
                    "SELECT pg_advisory_xact_lock(hashtext(%s))",
                    (f"runs\x1f{run.project}\x1f{run.environment}",),
                )
                row = await fetchone(
                    conn,
                    "SELECT COUNT(*) FROM runs WHERE status = ANY(%s) AND project = %s"
                    " AND environment = %s",
                    (_ACTIVE, run.project, run.environment),
                )
                if row is not None and row[0] >= max_active:
                    return False
            marks = ", ".join(["%s"] * len(params))
            await execute(conn, f"INSERT INTO runs ({_COLS}) VALUES ({marks})", params)
            return True

        return await self.db.write(insert, cached=False)

    async def save(self, run: RunRecord) -> None:
        params = (
            run.status,
            run.owner,
            run.started_at,
            run.completed_at,
            _encode(run.state),
            run.id,
        )
        await self.db.write(
            lambda conn: execute(
                conn,
                "UPDATE runs SET status = %s, owner = %s, started_at = %s, completed_at = %s,"
                " state = %s WHERE id = %s",
                params,
            ),
            cached=False,
        )

    async def transition(
        self, run_id: str, from_status: str, to_status: str, owner: str | None
    ) -> bool:
        count = await self.db.write(
            lambda conn: execute(
                conn,
                "UPDATE runs SET status = %s, owner = %s WHERE id = %s AND status = %s",
                (to_status, owner, run_id, from_status),
            ),
            cached=False,
        )
        return count == 1

    async def get(
        self, run_id: str, project: str | None = None, environment: str | None = None
    ) -> RunRecord | None:
        row = await self.db.read(
            lambda conn: fetchone(conn, f"SELECT {_COLS} FROM runs WHERE id = %s", (run_id,))
        )
        if row is None:
            return None
        if project is not None and (row[1] != project or row[2] != environment):
            return None
        return _record(row)

    async def list(
        self,
        project: str,
        environment: str,
        *,
        limit: int = 20,
        starting_after: str | None = None,
        agent_id: str | None = None,
        status: str | None = None,
    ) -> tuple[builtins.list[RunRecord], bool]:
        where = ["project = %s", "environment = %s"]
        params: builtins.list[Any] = [project, environment]
        if starting_after:
            where.append(
                "seq < (SELECT seq FROM runs WHERE id = %s AND project = %s AND environment = %s)"
            )
            params += [starting_after, project, environment]
        if agent_id:
            where.append("agent_id = %s")
            params.append(agent_id)
        if status:
            where.append("status = %s")
            params.append(status)
        sql = f"SELECT {_COLS} FROM runs WHERE {' AND '.join(where)} ORDER BY seq DESC LIMIT %s"
        rows = await self.db.read(lambda conn: fetchall(conn, sql, (*params, limit + 1)))
        return [_record(r) for r in rows[:limit]], len(rows) > limit

    async def request_cancel(self, run_id: str) -> bool:
        count = await self.db.write(
            lambda conn: execute(
                conn,
                "UPDATE runs SET cancel_requested = TRUE WHERE id = %s AND status = ANY(%s)",
                (run_id, _ACTIVE),
            ),
            cached=False,
        )
        return count == 1

    async def cancel_requests(self, owner: str) -> builtins.list[str]:
        rows = await self.db.read(
            lambda conn: fetchall(
                conn,
                "SELECT id FROM runs WHERE cancel_requested AND owner = %s AND status = ANY(%s)",
                (owner, _ACTIVE),
            )
        )
        return [r[0] for r in rows]

    async def active(self) -> builtins.list[RunRecord]:
        rows = await self.db.read(
            lambda conn: fetchall(
                conn, f"SELECT {_COLS} FROM runs WHERE status = ANY(%s) ORDER BY seq", (_ACTIVE,)
            )
        )
        return [_record(r) for r in rows]

    # -- events --------------------------------------------------------------------------
    async def append(self, event: RunEvent) -> None:
        params = (event.run_id, event.seq, event.event, event.raw, event.created_at)
        await self.db.write(lambda conn: execute(conn, _INSERT_EVENT, params), cached=False)

    async def append_batch(
        self, events: Sequence[RunEvent], internal: Sequence[RunEvent] = ()
    ) -> None:
        if not events and not internal:
            return
        public = [(e.run_id, e.seq, e.event, e.raw, e.created_at) for e in events]
        steps = [(e.run_id, e.run_id, e.seq, e.event, e.raw, e.created_at) for e in internal]

        async def write(conn: Conn) -> None:
            async with conn.cursor() as cur:
                if public:
                    await cur.executemany(_INSERT_EVENT, public)
                if steps:
                    await cur.executemany(_INSERT_STEP, steps)

        await self.db.write(write, cached=False)

    async def append_internal(self, event: RunEvent) -> None:
        params = (event.run_id, event.run_id, event.seq, event.event, event.raw, event.created_at)
        await self.db.write(lambda conn: execute(conn, _INSERT_STEP, params), cached=False)

    async def internal_events(self, run_id: str) -> builtins.list[RunEvent]:
        rows = await self.db.read(
            lambda conn: fetchall(
                conn,
                "SELECT after_seq, event, data, created_at FROM run_steps WHERE run_id = %s"
                " ORDER BY n",
                (run_id,),
            )
        )
        return [RunEvent(run_id, r[0], r[1], bytes(r[2]), r[3]) for r in rows]

    async def status(self, run_id: str) -> str | None:
        row = await self.db.read(
            lambda conn: fetchone(conn, "SELECT status FROM runs WHERE id = %s", (run_id,))
        )
        return str(row[0]) if row else None

    async def events_after(
        self, run_id: str, seq: int = 0, limit: int = 1000
    ) -> builtins.list[RunEvent]:
        rows = await self.db.read(
            lambda conn: fetchall(
                conn,
                "SELECT seq, event, data, created_at FROM run_events WHERE run_id = %s"
                " AND seq > %s ORDER BY seq LIMIT %s",
                (run_id, seq, limit),
            )
        )
        return [RunEvent(run_id, r[0], r[1], bytes(r[2]), r[3]) for r in rows]

    async def last_seq(self, run_id: str) -> int:
        row = await self.db.read(
            lambda conn: fetchone(
                conn, "SELECT MAX(seq) FROM run_events WHERE run_id = %s", (run_id,)
            )
        )
        return int(row[0] or 0) if row else 0
