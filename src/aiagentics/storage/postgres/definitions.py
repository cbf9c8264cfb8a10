"""`PgStore`: definitions, keys and idempotency on PostgreSQL (JSON kept as TEXT, byte-exact).

Every call is one `db.read` or `db.write` on psycopg's async API (inside the caller's unit
of work when there is one)."""

from __future__ import annotations

import builtins
import time
from typing import Any

import msgspec
from psycopg import errors

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
from aiagentics.storage.postgres.db import Conn, PgDatabase, execute, fetchall, fetchone

_encode = msgspec.json.encode
_decode = msgspec.json.decode
_RES_COLS = "id, kind, project, environment, name, version, created_at, updated_at, data"
_KEY_COLS = (
    "id, project, environment, name, scopes, secret_hash, hint, created_at, expires_at,"
    " revoked_at, last_used_at, metadata"
)
_SCOPED = "id = %s AND kind = %s AND project = %s AND environment = %s"


def _resource(row: tuple[Any, ...]) -> Resource:
    return Resource(
        id=row[0],
        kind=row[1],
        project=row[2],
        environment=row[3],
        name=row[4],
        version=row[5],
        created_at=row[6],
        updated_at=row[7],
        raw=row[8].encode(),
    )


def _key(row: tuple[Any, ...]) -> ApiKeyRecord:
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


def _duplicate(exc: errors.UniqueViolation, kind: str, name: str | None) -> Exception:
    if exc.diag.constraint_name == "resources_name":
        return DuplicateName(kind, name or "")
    return DuplicateId(str(exc.diag.message_detail or exc))


class PgStore:
    """`Definitions`, `Keys` and `Idempotency` on PostgreSQL; see those Protocols."""

    def __init__(self, db: PgDatabase) -> None:
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
        text = _encode(data).decode()

        async def insert(conn: Conn) -> None:
            await execute(
                conn,
                f"INSERT INTO resources ({_RES_COLS}) VALUES (%s, %s, %s, %s, %s, 1, %s, %s, %s)",
                (rid, kind, scope.project, scope.environment, name, now, now, text),
            )
            if kind in VERSIONED:
                await execute(
                    conn,
                    "INSERT INTO resource_versions (id, version, name, created_at, data)"
                    " VALUES (%s, 1, %s, %s, %s)",
                    (rid, name, now, text),
                )

        try:
            await self.db.write(insert)
        except errors.UniqueViolation as exc:
            raise _duplicate(exc, kind, name) from None
        return Resource(rid, kind, scope.project, scope.environment, name, 1, now, now, data)

    async def get(self, kind: Kind, scope: Scope, id: str) -> Resource | None:
        row = await self.db.read(
            lambda conn: fetchone(
                conn,
                f"SELECT {_RES_COLS} FROM resources WHERE {_SCOPED}",
                (id, kind, scope.project, scope.environment),
            )
        )
        return _resource(row) if row else None

    async def get_by_name(self, kind: Kind, scope: Scope, name: str) -> Resource | None:
        row = await self.db.read(
            lambda conn: fetchone(
                conn,
                f"SELECT {_RES_COLS} FROM resources WHERE kind = %s AND project = %s"
                " AND environment = %s AND name = %s",
                (kind, scope.project, scope.environment, name),
            )
        )
        return _resource(row) if row else None

    async def update(
        self, kind: Kind, scope: Scope, id: str, name: str | None, data: dict[str, Any]
    ) -> Resource | None:
        now = int(time.time())
        text = _encode(data).decode()

        async def update(conn: Conn) -> tuple[Any, ...] | None:
            row = await fetchone(
                conn,
                f"UPDATE resources SET name = %s, version = version + 1, updated_at = %s,"
                f" data = %s WHERE {_SCOPED} RETURNING {_RES_COLS}",
                (name, now, text, id, kind, scope.project, scope.environment),
            )
            if row is not None and kind in VERSIONED:
                await execute(
                    conn,
                    "INSERT INTO resource_versions (id, version, name, created_at, data)"
                    " VALUES (%s, %s, %s, %s, %s)",
                    (id, row[5], name, now, text),
                )
            return row

        try:
            row = await self.db.write(update)
        except errors.UniqueViolation as exc:
            raise _duplicate(exc, kind, name) from None
        return _resource(row) if row else None

    async def delete(self, kind: Kind, scope: Scope, id: str) -> bool:
        async def delete(conn: Conn) -> bool:
            count = await execute(
                conn,
                f"DELETE FROM resources WHERE {_SCOPED}",
                (id, kind, scope.project, scope.environment),
            )
            if count:
                await execute(conn, "DELETE FROM resource_versions WHERE id = %s", (id,))
            return bool(count)

        return await self.db.write(delete)

    async def list(
        self, kind: Kind, scope: Scope, *, limit: int = 20, starting_after: str | None = None
    ) -> Page:
        params: builtins.list[Any] = [kind, scope.project, scope.environment]
        where = ""
        if starting_after:
            where = " AND seq < COALESCE((SELECT seq FROM resources WHERE id = %s), -1)"
            params.append(starting_after)
        params.append(limit + 1)
        sql = (
            f"SELECT {_RES_COLS} FROM resources WHERE kind = %s AND project = %s"
            f" AND environment = %s{where} ORDER BY seq DESC LIMIT %s"
        )
        rows = await self.db.read(lambda conn: fetchall(conn, sql, params))
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
        async def read(conn: Conn) -> tuple[tuple[Any, ...] | None, builtins.list[tuple[Any, ...]]]:
            row = await fetchone(
                conn,
                f"SELECT {_RES_COLS} FROM resources WHERE {_SCOPED}",
                (id, kind, scope.project, scope.environment),
            )
            if row is None or kind not in VERSIONED:
                return row, []
            before = starting_after if starting_after is not None else int(row[5]) + 1
            rows = await fetchall(
                conn,
                "SELECT version, name, created_at, data FROM resource_versions WHERE id = %s"
                " AND version < %s ORDER BY version DESC LIMIT %s",
                (id, before, limit + 1),
            )
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
                raw=r[3].encode(),
            )
            for r in rows[:limit]
        ]
        return Page(items=items, has_more=len(rows) > limit)

    async def missing(
        self, kind: Kind, scope: Scope, ids: builtins.list[str]
    ) -> builtins.list[str]:
        if not ids:
            return []
        rows = await self.db.read(
            lambda conn: fetchall(
                conn,
                "SELECT id FROM resources WHERE kind = %s AND project = %s AND environment = %s"
                " AND id = ANY(%s)",
                (kind, scope.project, scope.environment, list(ids)),
            )
        )
        found = {r[0] for r in rows}
        return [i for i in ids if i not in found]

    async def referrers(self, kind: Kind, scope: Scope, field: str, id: str) -> builtins.list[str]:
        # `field` is a dotted path; it holds one id or a list of them (as SQLite's
        # json_each walks either).
        path = field.split(".")
        rows = await self.db.read(
            lambda conn: fetchall(
                conn,
                "SELECT r.id FROM resources r WHERE r.kind = %s AND r.project = %s"
                " AND r.environment = %s AND (r.data::jsonb #> %s = to_jsonb(%s::text)"
                " OR (jsonb_typeof(r.data::jsonb #> %s) = 'array'"
                " AND r.data::jsonb #> %s ? %s)) ORDER BY r.seq",
                (kind, scope.project, scope.environment, path, id, path, path, id),
            )
        )
        return [r[0] for r in rows]

    # -- keys ---------------------------------------------------------------------------
    async def create_key(self, key: ApiKeyRecord) -> ApiKeyRecord:
        params = (
            key.id,
            key.project,
            key.environment,
            key.name,
            _encode(key.scopes).decode(),
            key.secret_hash,
            key.hint,
            key.created_at,
            key.expires_at,
            key.revoked_at,
            key.last_used_at,
            _encode(key.metadata).decode(),
        )
        marks = ", ".join(["%s"] * len(params))
        await self.db.write(
            lambda conn: execute(
                conn, f"INSERT INTO api_keys ({_KEY_COLS}) VALUES ({marks})", params
            )
        )
        return key

    async def key_by_hash(self, secret_hash: str) -> ApiKeyRecord | None:
        row = await self.db.read(
            lambda conn: fetchone(
                conn, f"SELECT {_KEY_COLS} FROM api_keys WHERE secret_hash = %s", (secret_hash,)
            )
        )
        return _key(row) if row else None

    async def get_key(self, scope: Scope, id: str) -> ApiKeyRecord | None:
        row = await self.db.read(lambda conn: _key_row(conn, scope, id))
        return _key(row) if row else None

    async def list_keys(
        self, scope: Scope, *, limit: int = 20, starting_after: str | None = None
    ) -> Page:
        params: builtins.list[Any] = [scope.project, scope.environment]
        where = ""
        if starting_after:
            where = " AND seq < COALESCE((SELECT seq FROM api_keys WHERE id = %s), -1)"
            params.append(starting_after)
        params.append(limit + 1)
        sql = (
            f"SELECT {_KEY_COLS} FROM api_keys WHERE project = %s AND environment = %s{where}"
            " ORDER BY seq DESC LIMIT %s"
        )
        rows = await self.db.read(lambda conn: fetchall(conn, sql, params))
        return Page(items=[_key(r) for r in rows[:limit]], has_more=len(rows) > limit)

    async def revoke_key(self, scope: Scope, id: str, at: int) -> ApiKeyRecord | None:
        async def revoke(conn: Conn) -> tuple[Any, ...] | None:
            await execute(
                conn,
                "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, %s) WHERE id = %s"
                " AND project = %s AND environment = %s",
                (at, id, scope.project, scope.environment),
            )
            return await _key_row(conn, scope, id)

        row = await self.db.write(revoke)
        return _key(row) if row else None

    async def set_key_expiry(self, scope: Scope, id: str, expires_at: int) -> ApiKeyRecord | None:
        async def shorten(conn: Conn) -> tuple[Any, ...] | None:
            await execute(
                conn,
                "UPDATE api_keys SET expires_at = LEAST(COALESCE(expires_at, %s), %s)"
                " WHERE id = %s AND project = %s AND environment = %s",
                (expires_at, expires_at, id, scope.project, scope.environment),
            )
            return await _key_row(conn, scope, id)

        row = await self.db.write(shorten)
        return _key(row) if row else None

    async def count_active_admin_keys(self, scope: Scope, now: int) -> int:
        row = await self.db.read(
            lambda conn: fetchone(
                conn,
                "SELECT COUNT(*) FROM api_keys WHERE project = %s AND environment = %s"
                " AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > %s)"
                " AND scopes::jsonb ? 'admin'",
                (scope.project, scope.environment, now),
            )
        )
        return int(row[0]) if row else 0

    # -- idempotency --------------------------------------------------------------------
    async def idempotency_begin(
        self, owner: str, key: str, body_hash: str, now: int
    ) -> StoredResponse | None:
        async def claim(conn: Conn) -> StoredResponse | None:
            # Two instances claiming at once: the unique key lets exactly one insert.
            won = await fetchone(
                conn,
                "INSERT INTO idempotency (owner, key, body_hash, created_at)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1",
                (owner, key, body_hash, now),
            )
            if won is not None:
                return None
            row = await fetchone(
                conn,
                "SELECT body_hash, status, headers, body FROM idempotency"
                " WHERE owner = %s AND key = %s",
                (owner, key),
            )
            if row is None:  # abandoned between the two statements: the claim is free again
                return StoredResponse(body_hash=body_hash, status=None, headers=[], body=b"")
            return StoredResponse(
                body_hash=row[0],
                status=row[1],
                headers=[tuple(h) for h in _decode(row[2])],
                body=bytes(row[3]),
            )

        return await self.db.write(claim, cached=False)

    async def idempotency_finish(
        self,
        owner: str,
        key: str,
        status: int,
        headers: builtins.list[tuple[str, str]],
        body: bytes,
    ) -> None:
        params = (status, _encode(headers).decode(), body, owner, key)
        await self.db.write(
            lambda conn: execute(
                conn,
                "UPDATE idempotency SET status = %s, headers = %s, body = %s WHERE owner = %s"
                " AND key = %s",
                params,
            ),
            cached=False,
        )

    async def idempotency_abandon(self, owner: str, key: str) -> None:
        await self.db.write(
            lambda conn: execute(
                conn,
                "DELETE FROM idempotency WHERE owner = %s AND key = %s AND status IS NULL",
                (owner, key),
            ),
            cached=False,
        )

    async def idempotency_purge(self, older_than: int) -> int:
        return await self.db.write(
            lambda conn: execute(
                conn, "DELETE FROM idempotency WHERE created_at < %s", (older_than,)
            ),
            cached=False,
        )


async def _key_row(conn: Conn, scope: Scope, id: str) -> tuple[Any, ...] | None:
    return await fetchone(
        conn,
        f"SELECT {_KEY_COLS} FROM api_keys WHERE id = %s AND project = %s AND environment = %s",
        (id, scope.project, scope.environment),
    )
