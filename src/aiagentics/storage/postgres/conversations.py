"""`PgThreads`: threads (conversations across runs) on PostgreSQL (see `Threads`).

The same tables as SQLite's; a claim is a compare-and-set UPDATE, and appending a run's
exchange takes a per-thread advisory lock so that message numbers stay dense when two
instances append at once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aiagentics.storage.base import Page, Scope
from aiagentics.storage.postgres.db import Conn, PgDatabase, execute, fetchall, fetchone
from aiagentics.storage.threads import Claim, ThreadMessage, ThreadRecord

__all__ = ["PgThreads"]

_COLS = "id, project, environment, metadata, run_id, created_at"
_IN_SCOPE = "id = %s AND project = %s AND environment = %s"


def _thread(row: tuple[Any, ...]) -> ThreadRecord:
    return ThreadRecord(
        id=row[0],
        project=row[1],
        environment=row[2],
        metadata=json.loads(row[3]),
        run_id=row[4],
        created_at=row[5],
    )


class PgThreads:
    """Threads, their messages and runs in PostgreSQL; see `Threads` for each method."""

    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    async def create_thread(self, thread: ThreadRecord) -> ThreadRecord:
        params = (
            thread.id,
            thread.project,
            thread.environment,
            json.dumps(thread.metadata),
            thread.run_id,
            thread.created_at,
        )
        await self._db.write(
            lambda conn: execute(
                conn,
                f"INSERT INTO threads ({_COLS}) VALUES (%s, %s, %s, %s, %s, %s)",
                params,
            ),
            cached=False,
        )
        return thread

    async def get_thread(self, scope: Scope, thread_id: str) -> ThreadRecord | None:
        params = (thread_id, scope.project, scope.environment)
        row = await self._db.read(
            lambda conn: fetchone(conn, f"SELECT {_COLS} FROM threads WHERE {_IN_SCOPE}", params)
        )
        return _thread(row) if row else None

    async def list_threads(
        self, scope: Scope, *, limit: int = 20, starting_after: str | None = None
    ) -> Page:
        params: list[Any] = [scope.project, scope.environment]
        where = ""
        if starting_after:
            where = " AND seq < COALESCE((SELECT seq FROM threads WHERE id = %s), -1)"
            params.append(starting_after)
        params.append(limit + 1)
        sql = (
            f"SELECT {_COLS} FROM threads WHERE project = %s AND environment = %s{where}"
            " ORDER BY seq DESC LIMIT %s"
        )
        rows = await self._db.read(lambda conn: fetchall(conn, sql, params))
        return Page(items=[_thread(r) for r in rows[:limit]], has_more=len(rows) > limit)

    async def delete_thread(self, scope: Scope, thread_id: str) -> bool:
        params = (thread_id, scope.project, scope.environment)

        async def delete(conn: Conn) -> bool:
            if await execute(conn, f"DELETE FROM threads WHERE {_IN_SCOPE}", params) != 1:
                return False
            await execute(conn, "DELETE FROM thread_messages WHERE thread_id = %s", (thread_id,))
            await execute(conn, "DELETE FROM thread_runs WHERE thread_id = %s", (thread_id,))
            return True

        return await self._db.write(delete, cached=False)

    async def claim(
        self, scope: Scope, thread_id: str, run_id: str, *, stale: str | None = None
    ) -> Claim:
        async def claim(conn: Conn) -> Claim:
            # Compare-and-set: the UPDATE's row lock makes a second claimer wait and then
            # find the first as the holder.
            taken = await execute(
                conn,
                f"UPDATE threads SET run_id = %s WHERE {_IN_SCOPE}"
                " AND (run_id IS NULL OR run_id = %s OR run_id = %s)",
                (run_id, thread_id, scope.project, scope.environment, run_id, stale or ""),
            )
            if taken == 1:
                await execute(
                    conn,
                    "INSERT INTO thread_runs (thread_id, run_id) VALUES (%s, %s)"
                    " ON CONFLICT (run_id) DO NOTHING",
                    (thread_id, run_id),
                )
                return Claim(True, run_id)
            row = await fetchone(
                conn,
                f"SELECT run_id FROM threads WHERE {_IN_SCOPE}",
                (thread_id, scope.project, scope.environment),
            )
            return Claim(row is not None, row[0] if row else None)

        return await self._db.write(claim, cached=False)

    async def finish_run(
        self, thread_id: str, run_id: str, messages: Sequence[dict[str, Any]], at: float
    ) -> bool:
        async def finish(conn: Conn) -> bool:
            # Locks the thread's row: appends to one thread are numbered one after another.
            row = await fetchone(
                conn, "SELECT 1 FROM threads WHERE id = %s FOR UPDATE", (thread_id,)
            )
            if row is None:
                return False
            last = await fetchone(
                conn,
                "SELECT COALESCE(MAX(n), -1) FROM thread_messages WHERE thread_id = %s",
                (thread_id,),
            )
            n = int(last[0]) if last else -1
            for message in messages:
                n += 1
                await execute(
                    conn,
                    "INSERT INTO thread_messages (thread_id, n, run_id, message, created_at)"
                    " VALUES (%s, %s, %s, %s, %s)",
                    (thread_id, n, run_id, json.dumps(message), at),
                )
            await execute(
                conn,
                "UPDATE threads SET run_id = NULL WHERE id = %s AND run_id = %s",
                (thread_id, run_id),
            )
            return True

        return await self._db.write(finish, cached=False)

    async def messages(self, thread_id: str) -> list[ThreadMessage]:
        rows = await self._db.read(
            lambda conn: fetchall(
                conn,
                "SELECT run_id, message, created_at FROM thread_messages WHERE thread_id = %s"
                " ORDER BY n",
                (thread_id,),
            )
        )
        return [ThreadMessage(r[0], json.loads(r[1]), r[2]) for r in rows]

    async def run_ids(
        self, scope: Scope, thread_id: str, *, limit: int = 20, starting_after: str | None = None
    ) -> tuple[list[str], bool]:
        params: list[Any] = [thread_id, scope.project, scope.environment]
        where = ""
        if starting_after:
            where = " AND r.seq < COALESCE((SELECT seq FROM thread_runs WHERE run_id = %s), -1)"
            params.append(starting_after)
        params.append(limit + 1)
        sql = (
            "SELECT r.run_id FROM thread_runs r JOIN threads t ON t.id = r.thread_id"
            f" WHERE r.thread_id = %s AND t.project = %s AND t.environment = %s{where}"
            " ORDER BY r.seq DESC LIMIT %s"
        )
        rows = await self._db.read(lambda conn: fetchall(conn, sql, params))
        return [r[0] for r in rows[:limit]], len(rows) > limit
