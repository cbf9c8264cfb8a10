"""`Scratchpads` on PostgreSQL: the `memory_kv` table; expired rows are invisible and purged on writes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from aiagentics.storage.memory import KVEntry, KVScope, ScratchpadFull
from aiagentics.storage.postgres.db import Conn, PgDatabase, execute, fetchall, fetchone

__all__ = ["PgScratchpads"]

_COLS = "key, value, scope, scope_id, created_at, updated_at, expires_at"
_WHERE_SCOPE = "project=%s AND environment=%s AND memory_id=%s AND scope=%s AND scope_id=%s"
_LIVE = "(expires_at IS NULL OR expires_at > %s)"


def _entry(row: tuple[Any, ...]) -> KVEntry:
    return KVEntry(
        key=row[0],
        value=json.loads(row[1]),
        scope=KVScope(row[2], row[3]),
        created_at=row[4],
        updated_at=row[5],
        expires_at=row[6],
    )


class PgScratchpads:
    """KV rows in the gateway database."""

    def __init__(self, db: PgDatabase, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    async def get(
        self, project: str, environment: str, memory_id: str, scope: KVScope, key: str
    ) -> KVEntry | None:
        """The live entry for a key, or None."""
        params = (project, environment, memory_id, scope.kind, scope.id, key, self._clock())
        row = await self._db.read(
            lambda conn: fetchone(
                conn,
                f"SELECT {_COLS} FROM memory_kv WHERE {_WHERE_SCOPE} AND key=%s AND {_LIVE}",
                params,
            )
        )
        return _entry(row) if row else None

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

        async def write(conn: Conn) -> float:
            # One writer per scratchpad at a time, so that two instances cannot both add
            # the last key allowed.
            await execute(
                conn,
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                ("\x1f".join(("kv", *where)),),
            )
            await execute(
                conn,
                "DELETE FROM memory_kv WHERE expires_at IS NOT NULL AND expires_at <= %s",
                (now,),
            )
            exists = await fetchone(
                conn,
                f"SELECT created_at FROM memory_kv WHERE {_WHERE_SCOPE} AND key=%s",
                (*where, key),
            )
            if exists is None:
                row = await fetchone(
                    conn, f"SELECT COUNT(*) FROM memory_kv WHERE {_WHERE_SCOPE}", where
                )
                if row is not None and row[0] >= max_keys:
                    raise ScratchpadFull(max_keys)
            created = float(exists[0]) if exists else now
            await execute(
                conn,
                "INSERT INTO memory_kv (project, environment, memory_id, scope, scope_id, key,"
                " value, size, created_at, updated_at, expires_at)"
                " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
                " ON CONFLICT (project, environment, memory_id, scope, scope_id, key) DO UPDATE"
                " SET value=EXCLUDED.value, size=EXCLUDED.size, updated_at=EXCLUDED.updated_at,"
                " expires_at=EXCLUDED.expires_at, created_at=EXCLUDED.created_at",
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
        count = await self._db.write(
            lambda conn: execute(
                conn, f"DELETE FROM memory_kv WHERE {_WHERE_SCOPE} AND key=%s AND {_LIVE}", params
            ),
            cached=False,
        )
        return count > 0

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
        # COLLATE "C": keys in byte order, as SQLite compares them.
        rows = await self._db.read(
            lambda conn: fetchall(
                conn,
                f"SELECT {_COLS} FROM memory_kv WHERE {_WHERE_SCOPE}"
                " AND key LIKE %s ESCAPE '\\' AND key COLLATE \"C\" > %s"
                f' AND {_LIVE} ORDER BY key COLLATE "C" LIMIT %s',
                params,
            )
        )
        return [_entry(r) for r in rows]

    async def delete_memory(self, project: str, environment: str, memory_id: str) -> int:
        """Drop every key of a memory store (when it is deleted)."""
        return await self._db.write(
            lambda conn: execute(
                conn,
                "DELETE FROM memory_kv WHERE project=%s AND environment=%s AND memory_id=%s",
                (project, environment, memory_id),
            ),
            cached=False,
        )

    async def purge_expired(self) -> int:
        """Delete expired rows; returns how many."""
        now = self._clock()
        return await self._db.write(
            lambda conn: execute(
                conn,
                "DELETE FROM memory_kv WHERE expires_at IS NOT NULL AND expires_at <= %s",
                (now,),
            ),
            cached=False,
        )
