"""`SQLiteRunJournal`: runs and their event logs on the shared `Database` (see `RunJournal`).

Every call is one `db.read` or `db.write`, off the event loop. The `runs` row is rewritten
at segment boundaries; events are appended in batches (the engine's group commit).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import msgspec

from aiagentics.storage.records import ACTIVE, RunEvent, RunRecord, RunState
from aiagentics.storage.sqlite.db import Database

_encode = msgspec.json.encode
_decode = msgspec.json.decode
# The step number is the next one of the run's, taken inside the same write.
_INSERT_STEP = (
    "INSERT INTO run_steps (run_id, n, after_seq, event, data, created_at)"
    " VALUES (?, (SELECT COALESCE(MAX(n), -1) + 1 FROM run_steps WHERE run_id = ?), ?, ?, ?, ?)"
)
_COLS = (
    "id, project, environment, agent_id, agent_version, agent, status, input, metadata, owner,"
    " created_at, started_at, completed_at, state"
)


def _record(row: sqlite3.Row) -> RunRecord:
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


class SQLiteRunJournal:
    """Runs and run events in SQLite; see `RunJournal` for each method."""

    def __init__(self, db: Database) -> None:
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

        def insert(conn: sqlite3.Connection) -> bool:
            if max_active is not None:
                row = conn.execute(
                    "SELECT COUNT(*) FROM runs WHERE status IN (?, ?) AND project = ?"
                    " AND environment = ?",
                    (*ACTIVE, run.project, run.environment),
                ).fetchone()
                if row is not None and row[0] >= max_active:
                    return False
            conn.execute(
                f"INSERT INTO runs ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                params,
            )
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
            lambda conn: conn.execute(
                "UPDATE runs SET status = ?, owner = ?, started_at = ?, completed_at = ?,"
                " state = ? WHERE id = ?",
                params,
            ),
            cached=False,
        )

    async def transition(
        self, run_id: str, from_status: str, to_status: str, owner: str | None
    ) -> bool:
        count = await self.db.write(
            lambda conn: (
                conn.execute(
                    "UPDATE runs SET status = ?, owner = ? WHERE id = ? AND status = ?",
                    (to_status, owner, run_id, from_status),
                ).rowcount
            ),
            cached=False,
        )
        return bool(count == 1)

    async def get(
        self, run_id: str, project: str | None = None, environment: str | None = None
    ) -> RunRecord | None:
        row = await self.db.read(
            lambda conn: conn.execute(
                f"SELECT {_COLS} FROM runs WHERE id = ?", (run_id,)
            ).fetchone()
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
    ) -> tuple[list[RunRecord], bool]:
        where = ["project = ?", "environment = ?"]
        params: list[Any] = [project, environment]
        if starting_after:
            where.append(
                "rowid < (SELECT rowid FROM runs WHERE id = ? AND project = ? AND environment = ?)"
            )
            params += [starting_after, project, environment]
        if agent_id:
            where.append("agent_id = ?")
            params.append(agent_id)
        if status:
            where.append("status = ?")
            params.append(status)
        sql = f"SELECT {_COLS} FROM runs WHERE {' AND '.join(where)} ORDER BY rowid DESC LIMIT ?"
        rows = await self.db.read(lambda conn: conn.execute(sql, (*params, limit + 1)).fetchall())
        return [_record(r) for r in rows[:limit]], len(rows) > limit

    async def request_cancel(self, run_id: str) -> bool:
        count = await self.db.write(
            lambda conn: (
                conn.execute(
                    "UPDATE runs SET cancel_requested = 1 WHERE id = ? AND status IN (?, ?)",
                    (run_id, *ACTIVE),
                ).rowcount
            ),
            cached=False,
        )
        return bool(count == 1)

    async def cancel_requests(self, owner: str) -> list[str]:
        rows = await self.db.read(
            lambda conn: conn.execute(
                "SELECT id FROM runs WHERE cancel_requested = 1 AND owner = ? AND status IN (?, ?)",
                (owner, *ACTIVE),
            ).fetchall()
        )
        return [r[0] for r in rows]

    async def active(self) -> list[RunRecord]:
        rows = await self.db.read(
            lambda conn: conn.execute(
                f"SELECT {_COLS} FROM runs WHERE status IN (?, ?)", ACTIVE
            ).fetchall()
        )
        return [_record(r) for r in rows]

    # -- events --------------------------------------------------------------------------
    async def append(self, event: RunEvent) -> None:
        params = (event.run_id, event.seq, event.event, event.raw, event.created_at)
        await self.db.write(
            lambda conn: conn.execute(
                "INSERT INTO run_events (run_id, seq, event, data, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                params,
            ),
            cached=False,
        )

    async def append_batch(
        self, events: Sequence[RunEvent], internal: Sequence[RunEvent] = ()
    ) -> None:
        if not events and not internal:
            return
        public = [(e.run_id, e.seq, e.event, e.raw, e.created_at) for e in events]
        steps = [(e.run_id, e.run_id, e.seq, e.event, e.raw, e.created_at) for e in internal]

        def write(conn: sqlite3.Connection) -> None:
            if public:
                conn.executemany(
                    "INSERT INTO run_events (run_id, seq, event, data, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    public,
                )
            if steps:
                conn.executemany(_INSERT_STEP, steps)

        await self.db.write(write, cached=False)

    async def append_internal(self, event: RunEvent) -> None:
        params = (event.run_id, event.run_id, event.seq, event.event, event.raw, event.created_at)
        await self.db.write(lambda conn: conn.execute(_INSERT_STEP, params), cached=False)

    async def internal_events(self, run_id: str) -> list[RunEvent]:
        rows = await self.db.read(
            lambda conn: conn.execute(
                "SELECT after_seq, event, data, created_at FROM run_steps WHERE run_id = ?"
                " ORDER BY n",
                (run_id,),
            ).fetchall()
        )
        return [RunEvent(run_id, r[0], r[1], bytes(r[2]), r[3]) for r in rows]

    async def status(self, run_id: str) -> str | None:
        row = await self.db.read(
            lambda conn: conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
        )
        return str(row[0]) if row else None

    async def events_after(self, run_id: str, seq: int = 0, limit: int = 1000) -> list[RunEvent]:
        rows = await self.db.read(
            lambda conn: conn.execute(
                "SELECT seq, event, data, created_at FROM run_events WHERE run_id = ? AND seq > ?"
                " ORDER BY seq LIMIT ?",
                (run_id, seq, limit),
            ).fetchall()
        )
        return [RunEvent(run_id, r[0], r[1], bytes(r[2]), r[3]) for r in rows]

    async def last_seq(self, run_id: str) -> int:
        row = await self.db.read(
            lambda conn: conn.execute(
                "SELECT MAX(seq) FROM run_events WHERE run_id = ?", (run_id,)
            ).fetchone()
        )
        return int(row[0] or 0) if row else 0
