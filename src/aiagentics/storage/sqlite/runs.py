"""SQLite persistence of runs and their event logs (through the shared `Database`).

Calls are synchronous and sub-millisecond (see `Database`): the run loop calls them
inline. The `runs` row is rewritten at segment boundaries; events are appended one
by one, as they happen.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec

from aiagentics.engine.runs.events import RunEvent
from aiagentics.engine.runs.records import ACTIVE, RunRecord, RunState
from aiagentics.storage.sqlite import schema_runs  # noqa: F401  (registers migrations)
from aiagentics.storage.sqlite.db import Database

_encode = msgspec.json.encode
_decode = msgspec.json.decode
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


class RunStore:
    """Runs and run events in SQLite."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def insert(self, run: RunRecord, max_active: int | None = None) -> bool:
        """Insert a run; False (nothing inserted) when its project and environment already
        have `max_active` queued or in-progress runs (checked in the same write transaction);
        each environment has its own limit, as it has its own keys and objects."""
        with self.db.transaction():
            if max_active is not None:
                row = self.db.fetchone(
                    "SELECT COUNT(*) FROM runs WHERE status IN (?, ?) AND project = ?"
                    " AND environment = ?",
                    (*ACTIVE, run.project, run.environment),
                )
                if row is not None and row[0] >= max_active:
                    return False
            self.db.execute(
                f"INSERT INTO runs ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
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
                ),
            )
        return True

    def save(self, run: RunRecord) -> None:
        """Write the run's status, timestamps and state."""
        self.db.execute(
            "UPDATE runs SET status = ?, owner = ?, started_at = ?, completed_at = ?, state = ?"
            " WHERE id = ?",
            (run.status, run.owner, run.started_at, run.completed_at, _encode(run.state), run.id),
        )

    def transition(self, run_id: str, from_status: str, to_status: str, owner: str | None) -> bool:
        """Compare-and-set the status (so two callers cannot both resume or cancel a run)."""
        cursor = self.db.execute(
            "UPDATE runs SET status = ?, owner = ? WHERE id = ? AND status = ?",
            (to_status, owner, run_id, from_status),
        )
        return cursor.rowcount == 1

    def get(
        self, run_id: str, project: str | None = None, environment: str | None = None
    ) -> RunRecord | None:
        """One run (limited to a project and environment when given)."""
        row = self.db.fetchone(f"SELECT {_COLS} FROM runs WHERE id = ?", (run_id,))
        if row is None:
            return None
        if project is not None and (row[1] != project or row[2] != environment):
            return None
        return _record(row)

    def list(
        self,
        project: str,
        environment: str,
        *,
        limit: int = 20,
        starting_after: str | None = None,
        agent_id: str | None = None,
        status: str | None = None,
    ) -> tuple[list[RunRecord], bool]:
        """Newest first; returns (runs, has_more)."""
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
        rows = self.db.fetchall(
            f"SELECT {_COLS} FROM runs WHERE {' AND '.join(where)} ORDER BY rowid DESC LIMIT ?",
            (*params, limit + 1),
        )
        return [_record(r) for r in rows[:limit]], len(rows) > limit

    def request_cancel(self, run_id: str) -> bool:
        """Flag a running run for its owner process to cancel (see `cancel_requests`)."""
        cursor = self.db.execute(
            "UPDATE runs SET cancel_requested = 1 WHERE id = ? AND status IN (?, ?)",
            (run_id, *ACTIVE),
        )
        return cursor.rowcount == 1

    def cancel_requests(self, owner: str) -> list[str]:
        """Ids of this owner's running runs that another process asked to cancel."""
        rows = self.db.fetchall(
            "SELECT id FROM runs WHERE cancel_requested = 1 AND owner = ? AND status IN (?, ?)",
            (owner, *ACTIVE),
        )
        return [r[0] for r in rows]

    def active(self) -> list[RunRecord]:
        """Runs left queued or in progress (startup recovery)."""
        rows = self.db.fetchall(f"SELECT {_COLS} FROM runs WHERE status IN (?, ?)", ACTIVE)
        return [_record(r) for r in rows]

    # -- events --------------------------------------------------------------------------
    def append(self, event: RunEvent) -> None:
        """Persist one event."""
        self.db.execute(
            "INSERT INTO run_events (run_id, seq, event, data, created_at) VALUES (?, ?, ?, ?, ?)",
            (event.run_id, event.seq, event.event, event.raw, event.created_at),
        )

    def append_internal(self, event: RunEvent) -> None:
        """Persist an internal record (not part of the public log); `event.seq` is the
        sequence number of the public event it follows."""
        self.db.execute(
            "INSERT INTO run_steps (run_id, n, after_seq, event, data, created_at)"
            " VALUES (?, (SELECT COALESCE(MAX(n), -1) + 1 FROM run_steps WHERE run_id = ?), ?, ?, ?, ?)",
            (event.run_id, event.run_id, event.seq, event.event, event.raw, event.created_at),
        )

    def internal_events(self, run_id: str) -> list[RunEvent]:
        """The run's internal records, in the order they were written."""
        rows = self.db.fetchall(
            "SELECT after_seq, event, data, created_at FROM run_steps WHERE run_id = ? ORDER BY n",
            (run_id,),
        )
        return [RunEvent(run_id, r[0], r[1], bytes(r[2]), r[3]) for r in rows]

    def status(self, run_id: str) -> str | None:
        """Only the run's status (None when there is no such run): cheap enough to poll."""
        row = self.db.fetchone("SELECT status FROM runs WHERE id = ?", (run_id,))
        return str(row[0]) if row else None

    def events_after(self, run_id: str, seq: int = 0, limit: int = 1000) -> list[RunEvent]:
        """Events with a sequence number above `seq`, in order."""
        rows = self.db.fetchall(
            "SELECT seq, event, data, created_at FROM run_events WHERE run_id = ? AND seq > ?"
            " ORDER BY seq LIMIT ?",
            (run_id, seq, limit),
        )
        return [RunEvent(run_id, r[0], r[1], bytes(r[2]), r[3]) for r in rows]

    def last_seq(self, run_id: str) -> int:
        """The sequence number of the run's latest event (0 when none)."""
        row = self.db.fetchone("SELECT MAX(seq) FROM run_events WHERE run_id = ?", (run_id,))
        return int(row[0] or 0) if row else 0
