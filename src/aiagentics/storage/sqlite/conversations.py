"""`SQLiteThreads`: threads (conversations across runs) on the shared `Database` (see `Threads`).

Named apart from `threads.py`, which is about the OS threads that run SQLite calls. Every
call is one `db.read` or `db.write`, off the event loop; writes are `cached=False`, since
no read cache holds threads.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import msgspec

from aiagentics.storage.base import Page, Scope
from aiagentics.storage.sqlite.db import Database
from aiagentics.storage.threads import Claim, ThreadMessage, ThreadRecord

_encode = msgspec.json.encode
_decode = msgspec.json.decode
_COLS = "id, project, environment, metadata, run_id, created_at"
_IN_SCOPE = "id = ? AND project = ? AND environment = ?"


def _thread(row: sqlite3.Row) -> ThreadRecord:
    return ThreadRecord(
        id=row[0],
        project=row[1],
        environment=row[2],
        metadata=_decode(row[3]),
        run_id=row[4],
        created_at=row[5],
    )


class SQLiteThreads:
    """Threads, their messages and runs in SQLite; see `Threads` for each method."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create_thread(self, thread: ThreadRecord) -> ThreadRecord:
        params = (
            thread.id,
            thread.project,
            thread.environment,
            _encode(thread.metadata),
            thread.run_id,
            thread.created_at,
        )
        await self.db.write(
            lambda conn: conn.execute(
                f"INSERT INTO threads ({_COLS}) VALUES (?, ?, ?, ?, ?, ?)", params
            ),
            cached=False,
        )
        return thread

    async def get_thread(self, scope: Scope, thread_id: str) -> ThreadRecord | None:
        params = (thread_id, scope.project, scope.environment)
        row = await self.db.read(
            lambda conn: conn.execute(
                f"SELECT {_COLS} FROM threads WHERE {_IN_SCOPE}", params
            ).fetchone()
        )
        return _thread(row) if row else None

    async def list_threads(
        self, scope: Scope, *, limit: int = 20, starting_after: str | None = None
    ) -> Page:
        params: list[Any] = [scope.project, scope.environment]
        where = ""
        if starting_after:
            where = " AND seq < COALESCE((SELECT seq FROM threads WHERE id = ?), -1)"
            params.append(starting_after)
        params.append(limit + 1)
        sql = (
            f"SELECT {_COLS} FROM threads WHERE project = ? AND environment = ?{where}"
            " ORDER BY seq DESC LIMIT ?"
        )
        rows = await self.db.read(lambda conn: conn.execute(sql, params).fetchall())
        return Page(items=[_thread(r) for r in rows[:limit]], has_more=len(rows) > limit)

    async def delete_thread(self, scope: Scope, thread_id: str) -> bool:
        params = (thread_id, scope.project, scope.environment)

        def delete(conn: sqlite3.Connection) -> bool:
            if conn.execute(f"DELETE FROM threads WHERE {_IN_SCOPE}", params).rowcount != 1:
                return False
            conn.execute("DELETE FROM thread_messages WHERE thread_id = ?", (thread_id,))
            conn.execute("DELETE FROM thread_runs WHERE thread_id = ?", (thread_id,))
            return True

        return await self.db.write(delete, cached=False)

    async def claim(
        self, scope: Scope, thread_id: str, run_id: str, *, stale: str | None = None
    ) -> Claim:
        def claim(conn: sqlite3.Connection) -> Claim:
            # Compare-and-set inside the writer's transaction: of two runs claiming at
            # once, the second finds the first as the holder.
            taken = conn.execute(
                f"UPDATE threads SET run_id = ? WHERE {_IN_SCOPE}"
                " AND (run_id IS NULL OR run_id = ? OR run_id = ?)",
                (run_id, thread_id, scope.project, scope.environment, run_id, stale or ""),
            ).rowcount
            if taken == 1:
                conn.execute(
                    "INSERT OR IGNORE INTO thread_runs (thread_id, run_id) VALUES (?, ?)",
                    (thread_id, run_id),
                )
                return Claim(True, run_id)
            row = conn.execute(
                f"SELECT run_id FROM threads WHERE {_IN_SCOPE}",
                (thread_id, scope.project, scope.environment),
            ).fetchone()
            return Claim(row is not None, row[0] if row else None)

        return await self.db.write(claim, cached=False)

    async def finish_run(
        self, thread_id: str, run_id: str, messages: Sequence[dict[str, Any]], at: float
    ) -> bool:
        rows = [(thread_id, thread_id, run_id, _encode(m), at) for m in messages]

        def finish(conn: sqlite3.Connection) -> bool:
            if conn.execute("SELECT 1 FROM threads WHERE id = ?", (thread_id,)).fetchone() is None:
                return False
            # One statement per message, each numbered after the thread's last one.
            conn.executemany(
                "INSERT INTO thread_messages (thread_id, n, run_id, message, created_at)"
                " VALUES (?, (SELECT COALESCE(MAX(n), -1) + 1 FROM thread_messages"
                " WHERE thread_id = ?), ?, ?, ?)",
                rows,
            )
            conn.execute(
                "UPDATE threads SET run_id = NULL WHERE id = ? AND run_id = ?", (thread_id, run_id)
            )
            return True

        return await self.db.write(finish, cached=False)

    async def messages(self, thread_id: str) -> list[ThreadMessage]:
        rows = await self.db.read(
            lambda conn: conn.execute(
                "SELECT run_id, message, created_at FROM thread_messages WHERE thread_id = ?"
                " ORDER BY n",
                (thread_id,),
            ).fetchall()
        )
        return [ThreadMessage(r[0], _decode(r[1]), r[2]) for r in rows]

    async def run_ids(
        self, scope: Scope, thread_id: str, *, limit: int = 20, starting_after: str | None = None
    ) -> tuple[list[str], bool]:
        params: list[Any] = [thread_id, scope.project, scope.environment]
        where = ""
        if starting_after:
            where = " AND r.seq < COALESCE((SELECT seq FROM thread_runs WHERE run_id = ?), -1)"
            params.append(starting_after)
        params.append(limit + 1)
        sql = (
            "SELECT r.run_id FROM thread_runs r JOIN threads t ON t.id = r.thread_id"
            f" WHERE r.thread_id = ? AND t.project = ? AND t.environment = ?{where}"
            " ORDER BY r.seq DESC LIMIT ?"
        )
        rows = await self.db.read(lambda conn: conn.execute(sql, params).fetchall())
        return [r[0] for r in rows[:limit]], len(rows) > limit
