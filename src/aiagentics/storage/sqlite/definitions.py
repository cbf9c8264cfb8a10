"""`SQLiteStore`: definitions, keys and idempotency on one SQLite file (plain SQL, JSON in TEXT).

Every call is one `db.read` or `db.write`, so it runs off the event loop (and inside the
caller's unit of work when there is one)."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

import msgspec

from aiagentics.storage.base import (
    VERSIONED,
    ApiKeyRecord,
    DuplicateId,
    DuplicateName,
    Kind,
    Page,
    Resource,
    Scope,
    StoredResponse,
)
from aiagentics.storage.sqlite.db import Database

_encode = msgspec.json.encode
_decode = msgspec.json.decode
_RES_COLS = "id, kind, project, environment, name, version, created_at, updated_at, data"
_KEY_COLS = (
    "id, project, environment, name, scopes, secret_hash, hint, created_at, expires_at,"
    " revoked_at, last_used_at, metadata"
)


def _resource(row: sqlite3.Row) -> Resource:
    return Resource(
        id=row[0],
        kind=row[1],
        project=row[2],
        environment=row[3],
        name=row[4],
        version=row[5],
        created_at=row[6],
        updated_at=row[7],
        raw=row[8] if isinstance(row[8], bytes) else row[8].encode(),
    )


def _key(row: sqlite3.Row) -> ApiKeyRecord:
    return ApiKeyRecord(
        id=row[0],
        project=row[1],
        environment=row[2],
        name=row[3],
        scopes=_decode(row[4]),
        secret_hash=row[5],
        hint=row[6],
        created_at=row[7],
        expires_at=row[8],
        revoked_at=row[9],
        last_used_at=row[10],
        metadata=_decode(row[11]),
    )


class SQLiteStore:
    """The embedded `Definitions`, `Keys` and `Idempotency`; see those Protocols for each method."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- definitions ------------------------------------------------------------------
    async def create(
        self,
        kind: Kind,
        scope: Scope,
        name: str | None,
        data: dict[str, Any],
        *,
        id: str | None = None,
    ) -> Resource:
        from aiagentics.ids import PREFIXES, new_id

        now = int(time.time())
        rid = id or new_id(PREFIXES[kind])
        blob = _encode(data)

        def insert(conn: sqlite3.Connection) -> None:
            conn.execute(
                f"INSERT INTO resources ({_RES_COLS}) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)",
                (rid, kind, scope.project, scope.environment, name, now, now, blob),
            )
            if kind in VERSIONED:
                conn.execute(
                    "INSERT INTO resource_versions (id, version, name, created_at, data)"
                    " VALUES (?, 1, ?, ?, ?)",
                    (rid, name, now, blob),
                )

        try:
            await self.db.write(insert)
        except sqlite3.IntegrityError as exc:
            raise self._integrity(exc, kind, name) from None
        return Resource(rid, kind, scope.project, scope.environment, name, 1, now, now, data)

    @staticmethod
    def _integrity(exc: sqlite3.IntegrityError, kind: str, name: str | None) -> Exception:
        text = str(exc)
        if "resources.id" in text or "resource_versions" in text:
            return DuplicateId(text)
        return DuplicateName(kind, name or "")

    async def get(self, kind: Kind, scope: Scope, id: str) -> Resource | None:
        row = await self.db.read(
            lambda conn: conn.execute(
                f"SELECT {_RES_COLS} FROM resources WHERE id = ? AND kind = ? AND project = ?"
                " AND environment = ?",
                (id, kind, scope.project, scope.environment),
            ).fetchone()
        )
        return _resource(row) if row else None

    async def get_by_name(self, kind: Kind, scope: Scope, name: str) -> Resource | None:
        row = await self.db.read(
            lambda conn: conn.execute(
                f"SELECT {_RES_COLS} FROM resources WHERE kind = ? AND project = ?"
                " AND environment = ? AND name = ?",
                (kind, scope.project, scope.environment, name),
            ).fetchone()
        )
        return _resource(row) if row else None

    async def update(
        self, kind: Kind, scope: Scope, id: str, name: str | None, data: dict[str, Any]
    ) -> Resource | None:
        now = int(time.time())
        blob = _encode(data)

        def update(conn: sqlite3.Connection) -> sqlite3.Row | None:
            row = conn.execute(
                "SELECT version FROM resources WHERE id = ? AND kind = ? AND project = ?"
                " AND environment = ?",
                (id, kind, scope.project, scope.environment),
            ).fetchone()
            if row is None:
                return None
            version = int(row[0]) + 1
            conn.execute(
                "UPDATE resources SET name = ?, version = ?, updated_at = ?, data = ? WHERE id = ?",
                (name, version, now, blob, id),
            )
            if kind in VERSIONED:
                conn.execute(
                    "INSERT INTO resource_versions (id, version, name, created_at, data)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (id, version, name, now, blob),
                )
            return conn.execute(f"SELECT {_RES_COLS} FROM resources WHERE id = ?", (id,)).fetchone()

        try:
            row = await self.db.write(update)
        except sqlite3.IntegrityError as exc:
            raise self._integrity(exc, kind, name) from None
        return _resource(row) if row else None

    async def delete(self, kind: Kind, scope: Scope, id: str) -> bool:
        def delete(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "DELETE FROM resources WHERE id = ? AND kind = ? AND project = ? AND environment = ?",
                (id, kind, scope.project, scope.environment),
            )
            if cur.rowcount:
                conn.execute("DELETE FROM resource_versions WHERE id = ?", (id,))
            return bool(cur.rowcount)

        return await self.db.write(delete)

    async def list(
        self, kind: Kind, scope: Scope, *, limit: int = 20, starting_after: str | None = None
    ) -> Page:
        params: list[Any] = [kind, scope.project, scope.environment]
        where = ""
        if starting_after:
            where = " AND seq < COALESCE((SELECT seq FROM resources WHERE id = ?), -1)"
            params.append(starting_after)
        params.append(limit + 1)
        sql = (
            f"SELECT {_RES_COLS} FROM resources WHERE kind = ? AND project = ? AND environment = ?"
            f"{where} ORDER BY seq DESC LIMIT ?"
        )
        rows = await self.db.read(lambda conn: conn.execute(sql, params).fetchall())
        return Page(items=[_resource(r) for r in rows[:limit]], has_more=len(rows) > limit)

    async def versions(
        self,
        kind: Kind,
        scope: Scope,
        id: str,
        *,
        limit: int = 20,
        starting_after: int | None = None,
    ) -> Page | None:
        def read(conn: sqlite3.Connection) -> tuple[sqlite3.Row | None, list[sqlite3.Row]]:
            row = conn.execute(
                f"SELECT {_RES_COLS} FROM resources WHERE id = ? AND kind = ? AND project = ?"
                " AND environment = ?",
                (id, kind, scope.project, scope.environment),
            ).fetchone()
            if row is None or kind not in VERSIONED:
                return row, []
            before = starting_after if starting_after is not None else int(row[5]) + 1
            rows = conn.execute(
                "SELECT version, name, created_at, data FROM resource_versions WHERE id = ?"
                " AND version < ? ORDER BY version DESC LIMIT ?",
                (id, before, limit + 1),
            ).fetchall()
            return row, rows

        found, rows = await self.db.read(read)
        if found is None:
            return None
        current = _resource(found)
        if kind not in VERSIONED:
            return Page(items=[current], has_more=False)
        items = [
            Resource(
                id=id,
                kind=kind,
                project=current.project,
                environment=current.environment,
                name=r[1],
                version=r[0],
                created_at=current.created_at,
                updated_at=r[2],
                data=_decode(r[3]),
            )
            for r in rows[:limit]
        ]
        return Page(items=items, has_more=len(rows) > limit)

    async def missing(self, kind: Kind, scope: Scope, ids: list[str]) -> list[str]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = await self.db.read(
            lambda conn: conn.execute(
                f"SELECT id FROM resources WHERE kind = ? AND project = ? AND environment = ?"
                f" AND id IN ({marks})",
                (kind, scope.project, scope.environment, *ids),
            ).fetchall()
        )
        found = {r[0] for r in rows}
        return [i for i in ids if i not in found]

    async def referrers(self, kind: Kind, scope: Scope, field: str, id: str) -> list[str]:
        rows = await self.db.read(
            lambda conn: conn.execute(
                "SELECT r.id FROM resources r WHERE r.kind = ? AND r.project = ?"
                " AND r.environment = ? AND EXISTS (SELECT 1 FROM json_each(r.data, ?) j"
                " WHERE j.value = ?) ORDER BY r.seq",
                (kind, scope.project, scope.environment, f"$.{field}", id),
            ).fetchall()
        )
        return [r[0] for r in rows]

    # -- keys ---------------------------------------------------------------------------
    async def create_key(self, key: ApiKeyRecord) -> ApiKeyRecord:
        params = (
            key.id,
            key.project,
            key.environment,
            key.name,
            _encode(key.scopes),
            key.secret_hash,
            key.hint,
            key.created_at,
            key.expires_at,
            key.revoked_at,
            key.last_used_at,
            _encode(key.metadata),
        )
        await self.db.write(
            lambda conn: conn.execute(
                f"INSERT INTO api_keys ({_KEY_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                params,
            )
        )
        return key

    async def key_by_hash(self, secret_hash: str) -> ApiKeyRecord | None:
        row = await self.db.read(
            lambda conn: conn.execute(
                f"SELECT {_KEY_COLS} FROM api_keys WHERE secret_hash = ?", (secret_hash,)
            ).fetchone()
        )
        return _key(row) if row else None

    async def get_key(self, scope: Scope, id: str) -> ApiKeyRecord | None:
        row = await self.db.read(lambda conn: _key_row(conn, scope, id))
        return _key(row) if row else None

    async def list_keys(
        self, scope: Scope, *, limit: int = 20, starting_after: str | None = None
    ) -> Page:
        params: list[Any] = [scope.project, scope.environment]
        where = ""
        if starting_after:
            where = " AND seq < COALESCE((SELECT seq FROM api_keys WHERE id = ?), -1)"
            params.append(starting_after)
        params.append(limit + 1)
        sql = (
            f"SELECT {_KEY_COLS} FROM api_keys WHERE project = ? AND environment = ?{where}"
            " ORDER BY seq DESC LIMIT ?"
        )
        rows = await self.db.read(lambda conn: conn.execute(sql, params).fetchall())
        return Page(items=[_key(r) for r in rows[:limit]], has_more=len(rows) > limit)

    async def revoke_key(self, scope: Scope, id: str, at: int) -> ApiKeyRecord | None:
        def revoke(conn: sqlite3.Connection) -> sqlite3.Row | None:
            conn.execute(
                "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?"
                " AND project = ? AND environment = ?",
                (at, id, scope.project, scope.environment),
            )
            return _key_row(conn, scope, id)

        row = await self.db.write(revoke)
        return _key(row) if row else None

    async def set_key_expiry(self, scope: Scope, id: str, expires_at: int) -> ApiKeyRecord | None:
        def shorten(conn: sqlite3.Connection) -> sqlite3.Row | None:
            conn.execute(
                "UPDATE api_keys SET expires_at = MIN(COALESCE(expires_at, ?), ?) WHERE id = ?"
                " AND project = ? AND environment = ?",
                (expires_at, expires_at, id, scope.project, scope.environment),
            )
            return _key_row(conn, scope, id)

        row = await self.db.write(shorten)
        return _key(row) if row else None

    async def count_active_admin_keys(self, scope: Scope, now: int) -> int:
        row = await self.db.read(
            lambda conn: conn.execute(
                "SELECT COUNT(*) FROM api_keys WHERE project = ? AND environment = ?"
                " AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)"
                " AND EXISTS (SELECT 1 FROM json_each(scopes) WHERE value = 'admin')",
                (scope.project, scope.environment, now),
            ).fetchone()
        )
        return int(row[0]) if row else 0

    # -- idempotency --------------------------------------------------------------------
    async def idempotency_begin(
        self, owner: str, key: str, body_hash: str, now: int
    ) -> StoredResponse | None:
        def claim(conn: sqlite3.Connection) -> StoredResponse | None:
            row = conn.execute(
                "SELECT body_hash, status, headers, body FROM idempotency WHERE owner = ? AND key = ?",
                (owner, key),
            ).fetchone()
            if row is not None:
                return StoredResponse(
                    body_hash=row[0],
                    status=row[1],
                    headers=[tuple(h) for h in _decode(row[2])],
                    body=bytes(row[3]),
                )
            conn.execute(
                "INSERT INTO idempotency (owner, key, body_hash, created_at) VALUES (?, ?, ?, ?)",
                (owner, key, body_hash, now),
            )
            return None

        return await self.db.write(claim, cached=False)

    async def idempotency_finish(
        self, owner: str, key: str, status: int, headers: list[tuple[str, str]], body: bytes
    ) -> None:
        await self.db.write(
            lambda conn: conn.execute(
                "UPDATE idempotency SET status = ?, headers = ?, body = ? WHERE owner = ?"
                " AND key = ?",
                (status, _encode(headers), body, owner, key),
            ),
            cached=False,
        )

    async def idempotency_abandon(self, owner: str, key: str) -> None:
        await self.db.write(
            lambda conn: conn.execute(
                "DELETE FROM idempotency WHERE owner = ? AND key = ? AND status IS NULL",
                (owner, key),
            ),
            cached=False,
        )

    async def idempotency_purge(self, older_than: int) -> int:
        return await self.db.write(
            lambda conn: (
                conn.execute("DELETE FROM idempotency WHERE created_at < ?", (older_than,)).rowcount
            ),
            cached=False,
        )


def _key_row(conn: sqlite3.Connection, scope: Scope, id: str) -> sqlite3.Row | None:
    return conn.execute(
        f"SELECT {_KEY_COLS} FROM api_keys WHERE id = ? AND project = ? AND environment = ?",
        (id, scope.project, scope.environment),
    ).fetchone()
