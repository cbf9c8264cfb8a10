"""Key-value scratchpads of a Memory, scoped to a user, a session or the project, with TTLs."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from aiagentics.storage.sqlite.db import Database

__all__ = [
    "KEYS_PER_SCOPE_MAX",
    "KEY_MAX_CHARS",
    "VALUE_MAX_BYTES",
    "KVEntry",
    "KVStore",
    "MemoryInputError",
    "Scope",
    "resolve_scope",
]

KEY_MAX_CHARS = 256
VALUE_MAX_BYTES = 64 * 1024
KEYS_PER_SCOPE_MAX = 10_000
ScopeKind = Literal["user", "session", "project"]


class MemoryInputError(ValueError):
    """Bad input to memory (key, value, scope, query); `param` names the offending field."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose scratchpad: kind is the Memory's kv.scope, id the user or session id ('' for project)."""

    kind: ScopeKind
    id: str = ""


def resolve_scope(kind: str, user_id: str | None, session_id: str | None) -> Scope:
    """The scope for a Memory's kv.scope from a request's or a run's user_id/session_id."""
    if kind == "project":
        return Scope("project", "")
    if kind == "user":
        if not user_id:
            raise MemoryInputError("this memory is scoped per user: give user_id", "user_id")
        return Scope("user", _check_scope_id(user_id, "user_id"))
    if kind == "session":
        if not session_id:
            raise MemoryInputError(
                "this memory is scoped per session: give session_id", "session_id"
            )
        return Scope("session", _check_scope_id(session_id, "session_id"))
    raise MemoryInputError(f"unknown scope {kind!r}", "scope")


def _check_scope_id(value: str, param: str) -> str:
    if not isinstance(value, str) or len(value) > KEY_MAX_CHARS:
        raise MemoryInputError(
            f"{param} must be a string of at most {KEY_MAX_CHARS} characters", param
        )
    return value


@dataclass(frozen=True, slots=True)
class KVEntry:
    """One stored key and its JSON value."""

    key: str
    value: Any
    scope: Scope
    created_at: float
    updated_at: float
    expires_at: float | None

    def to_json(self, memory_id: str) -> dict[str, Any]:
        """The API object."""
        return {
            "object": "memory.kv",
            "memory_id": memory_id,
            "key": self.key,
            "value": self.value,
            "scope": self.scope.kind,
            "scope_id": self.scope.id or None,
            "created_at": int(self.created_at),
            "updated_at": int(self.updated_at),
            "expires_at": int(self.expires_at) if self.expires_at is not None else None,
        }


def check_key(key: Any) -> str:
    """A valid key or MemoryInputError(param='key')."""
    if not isinstance(key, str) or not key:
        raise MemoryInputError("key must be a non-empty string", "key")
    if len(key) > KEY_MAX_CHARS:
        raise MemoryInputError(f"key is longer than {KEY_MAX_CHARS} characters", "key")
    if any(ord(c) < 32 or ord(c) == 127 for c in key):
        raise MemoryInputError("key must not contain control characters", "key")
    return key


def encode_value(value: Any) -> str:
    """The stored JSON of a value, or MemoryInputError(param='value') past the size limit."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise MemoryInputError(f"value is not JSON: {exc}", "value") from None
    if len(text.encode()) > VALUE_MAX_BYTES:
        raise MemoryInputError(f"value is larger than {VALUE_MAX_BYTES} bytes as JSON", "value")
    return text


class KVStore:
    """KV rows in the gateway database; expired rows are invisible and purged on writes."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    def get(
        self, project: str, environment: str, memory_id: str, scope: Scope, key: str
    ) -> KVEntry | None:
        """The live entry for a key, or None."""
        row = self._db.fetchone(
            "SELECT * FROM memory_kv WHERE project=? AND environment=? AND memory_id=? AND scope=?"
            " AND scope_id=? AND key=? AND (expires_at IS NULL OR expires_at > ?)",
            (project, environment, memory_id, scope.kind, scope.id, check_key(key), self._clock()),
        )
        return _entry(row) if row else None

    def set(
        self,
        project: str,
        environment: str,
        memory_id: str,
        scope: Scope,
        key: str,
        value: Any,
        ttl_seconds: float | None = None,
    ) -> KVEntry:
        """Create or replace a key; `ttl_seconds` (None: no expiry) counts from now."""
        check_key(key)
        text = encode_value(value)
        if ttl_seconds is not None and (
            isinstance(ttl_seconds, bool)
            or not isinstance(ttl_seconds, int | float)
            or ttl_seconds <= 0
        ):
            raise MemoryInputError("ttl_seconds must be a positive number", "ttl_seconds")
        now = self._clock()
        expires = now + ttl_seconds if ttl_seconds is not None else None
        where = (project, environment, memory_id, scope.kind, scope.id)
        with self._db.transaction():
            self._db.execute(
                "DELETE FROM memory_kv WHERE expires_at IS NOT NULL AND expires_at <= ?", (now,)
            )
            exists = self._db.fetchone(
                "SELECT created_at FROM memory_kv WHERE project=? AND environment=? AND memory_id=?"
                " AND scope=? AND scope_id=? AND key=?",
                (*where, key),
            )
            if exists is None:
                count = self._db.fetchone(
                    "SELECT COUNT(*) AS n FROM memory_kv WHERE project=? AND environment=?"
                    " AND memory_id=? AND scope=? AND scope_id=?",
                    where,
                )
                if count and count["n"] >= KEYS_PER_SCOPE_MAX:
                    raise MemoryInputError(
                        f"this scratchpad already holds {KEYS_PER_SCOPE_MAX} keys", "key"
                    )
            created = exists["created_at"] if exists else now
            self._db.execute(
                "INSERT OR REPLACE INTO memory_kv (project, environment, memory_id, scope, scope_id,"
                " key, value, size, created_at, updated_at, expires_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (*where, key, text, len(text.encode()), created, now, expires),
            )
        return KVEntry(key, json.loads(text), scope, created, now, expires)

    def delete(
        self, project: str, environment: str, memory_id: str, scope: Scope, key: str
    ) -> bool:
        """Remove a key; True when a live entry was removed."""
        cur = self._db.execute(
            "DELETE FROM memory_kv WHERE project=? AND environment=? AND memory_id=? AND scope=?"
            " AND scope_id=? AND key=? AND (expires_at IS NULL OR expires_at > ?)",
            (project, environment, memory_id, scope.kind, scope.id, check_key(key), self._clock()),
        )
        return cur.rowcount > 0

    def list(
        self,
        project: str,
        environment: str,
        memory_id: str,
        scope: Scope,
        prefix: str = "",
        limit: int = 100,
        starting_after: str | None = None,
    ) -> list[KVEntry]:
        """Live entries in key order (prefix filter, keyset pagination by key)."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._db.fetchall(
            "SELECT * FROM memory_kv WHERE project=? AND environment=? AND memory_id=? AND scope=?"
            " AND scope_id=? AND key LIKE ? ESCAPE '\\' AND key > ?"
            " AND (expires_at IS NULL OR expires_at > ?) ORDER BY key LIMIT ?",
            (
                project,
                environment,
                memory_id,
                scope.kind,
                scope.id,
                escaped + "%",
                starting_after or "",
                self._clock(),
                limit,
            ),
        )
        return [_entry(r) for r in rows]

    def delete_memory(self, project: str, environment: str, memory_id: str) -> int:
        """Drop every key of a Memory (when it is deleted)."""
        return self._db.execute(
            "DELETE FROM memory_kv WHERE project=? AND environment=? AND memory_id=?",
            (project, environment, memory_id),
        ).rowcount

    def purge_expired(self) -> int:
        """Delete expired rows; returns how many."""
        return self._db.execute(
            "DELETE FROM memory_kv WHERE expires_at IS NOT NULL AND expires_at <= ?",
            (self._clock(),),
        ).rowcount


def _entry(row: Any) -> KVEntry:
    return KVEntry(
        key=row["key"],
        value=json.loads(row["value"]),
        scope=Scope(row["scope"], row["scope_id"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        expires_at=row["expires_at"],
    )
