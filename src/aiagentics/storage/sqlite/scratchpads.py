"""`Scratchpads` in SQLite: the `memory_kv` table; expired rows are invisible and purged on writes."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from aiagentics.storage.memory import KVEntry, KVScope, ScratchpadFull
from aiagentics.storage.sqlite.db import Database

__all__ = ["SQLiteScratchpads"]

_WHERE_KEY = (
    "project=? AND environment=? AND memory_id=? AND scope=? AND scope_id=? AND key=?"
    " AND (expires_at IS NULL OR expires_at > ?)"
)


def _rows(conn: sqlite3.Connection, sql: str, params: Any = ()) -> list[sqlite3.Row]:
    # The row factory is set per cursor: the connection is shared with other stores.
    cur = conn.cursor()
    cur.row_factory = sqlite3.Row
    return cur.execute(sql, params).fetchall()


def _entry(row: sqlite3.Row) -> KVEntry:
    return KVEntry(
        key=row["key"],
        value=json.loads(row["value"]),
        scope=KVScope(row["scope"], row["scope_id"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        expires_at=row["expires_at"],
    )


class SQLiteScratchpads:
    """KV rows in the gateway database, every call off the event loop."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    async def get(
        self, project: str, environment: str, memory_id: str, scope: KVScope, key: str
    ) -> KVEntry | None:
        """The live entry for a key, or None."""
        params = (project, environment, memory_id, scope.kind, scope.id, key, self._clock())

        def read(conn: sqlite3.Connection) -> KVEntry | None:
            rows = _rows(conn, f"SELECT * FROM memory_kv WHERE {_WHERE_KEY}", params)
            return _entry(rows[0]) if rows else None

        return await self._db.read(read)

    async def put(
        self,
        project: str,
        environment: str,
        memory_id: str,
        scope: KVScope,
        key: str,
        value_json: str,
        ttl_seconds: float | None,
        max_keys: int,
    ) -> KVEntry:
        """Create or replace a key (created_at kept on replace); ScratchpadFull past `max_keys`."""
        now = self._clock()
        expires = now + ttl_seconds if ttl_seconds is not None else None
        where = (project, environment, memory_id, scope.kind, scope.id)

        def write(conn: sqlite3.Connection) -> float:
            conn.execute(
                "DELETE FROM memory_kv WHERE expires_at IS NOT NULL AND expires_at <= ?", (now,)
            )
            exists = conn.execute(
                "SELECT created_at FROM memory_kv WHERE project=? AND environment=? AND memory_id=?"
                " AND scope=? AND scope_id=? AND key=?",
                (*where, key),
            ).fetchone()
            if exists is None:
                (count,) = conn.execute(
                    "SELECT COUNT(*) FROM memory_kv WHERE project=? AND environment=?"
                    " AND memory_id=? AND scope=? AND scope_id=?",
                    where,
                ).fetchone()
                if count >= max_keys:
                    raise ScratchpadFull(max_keys)
            created = float(exists[0]) if exists else now
            conn.execute(
                "INSERT OR REPLACE INTO memory_kv (project, environment, memory_id, scope, scope_id,"
                " key, value, size, created_at, updated_at, expires_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (*where, key, value_json, len(value_json.encode()), created, now, expires),
            )
            return created

        created = await self._db.write(write, cached=False)
        return KVEntry(key, json.loads(value_json), scope, created, now, expires)

    async def delete(
        self, project: str, environment: str, memory_id: str, scope: KVScope, key: str
    ) -> bool:
        """Remove a key; True when a live entry was removed."""
        params = (project, environment, memory_id, scope.kind, scope.id, key, self._clock())

        def write(conn: sqlite3.Connection) -> bool:
            return conn.execute(f"DELETE FROM memory_kv WHERE {_WHERE_KEY}", params).rowcount > 0

        return await self._db.write(write, cached=False)

    async def list(
        self,
        project: str,
        environment: str,
        memory_id: str,
        scope: KVScope,
        prefix: str = "",
        limit: int = 100,
        starting_after: str | None = None,
    ) -> list[KVEntry]:
        """Live entries in key order (prefix filter, keyset pagination by key)."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params = (
            project,
            environment,
            memory_id,
            scope.kind,
            scope.id,
            escaped + "%",
            starting_after or "",
            self._clock(),
            limit,
        )

        def read(conn: sqlite3.Connection) -> list[KVEntry]:
            rows = _rows(
                conn,
                "SELECT * FROM memory_kv WHERE project=? AND environment=? AND memory_id=?"
                " AND scope=? AND scope_id=? AND key LIKE ? ESCAPE '\\' AND key > ?"
                " AND (expires_at IS NULL OR expires_at > ?) ORDER BY key LIMIT ?",
                params,
            )
            return [_entry(r) for r in rows]

        return await self._db.read(read)

    async def delete_memory(self, project: str, environment: str, memory_id: str) -> int:
        """Drop every key of a memory store (when it is deleted)."""

        def write(conn: sqlite3.Connection) -> int:
            return conn.execute(
                "DELETE FROM memory_kv WHERE project=? AND environment=? AND memory_id=?",
                (project, environment, memory_id),
            ).rowcount

        return await self._db.write(write, cached=False)

    async def purge_expired(self) -> int:
        """Delete expired rows; returns how many."""
        now = self._clock()

        def write(conn: sqlite3.Connection) -> int:
            return conn.execute(
                "DELETE FROM memory_kv WHERE expires_at IS NOT NULL AND expires_at <= ?", (now,)
            ).rowcount

        return await self._db.write(write, cached=False)
