"""Key-value scratchpads of a Memory, scoped to a user, a session or the project, with TTLs."""

from __future__ import annotations

import json
from typing import Any

from aiagentics.storage.memory import KVEntry, ScratchpadFull, Scratchpads
from aiagentics.storage.memory import KVScope as Scope

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


class MemoryInputError(ValueError):
    """Bad input to memory (key, value, scope, query); `param` names the offending field."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


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
    """The KV scratchpads of memory stores: input checks and limits over `Scratchpads`.

    Keys are checked here, so callers may pass what a request or a model sent.
    """

    def __init__(self, pads: Scratchpads) -> None:
        self._pads = pads

    async def get(
        self, project: str, environment: str, memory_id: str, scope: Scope, key: object
    ) -> KVEntry | None:
        """The live entry for a key, or None."""
        return await self._pads.get(project, environment, memory_id, scope, check_key(key))

    async def set(
        self,
        project: str,
        environment: str,
        memory_id: str,
        scope: Scope,
        key: object,
        value: Any,
        ttl_seconds: float | None = None,
    ) -> KVEntry:
        """Create or replace a key; `ttl_seconds` (None: no expiry) counts from now."""
        key = check_key(key)
        text = encode_value(value)
        if ttl_seconds is not None and (
            isinstance(ttl_seconds, bool)
            or not isinstance(ttl_seconds, int | float)
            or ttl_seconds <= 0
        ):
            raise MemoryInputError("ttl_seconds must be a positive number", "ttl_seconds")
        try:
            return await self._pads.put(
                project, environment, memory_id, scope, key, text, ttl_seconds, KEYS_PER_SCOPE_MAX
            )
        except ScratchpadFull as exc:
            raise MemoryInputError(str(exc), "key") from None

    async def delete(
        self, project: str, environment: str, memory_id: str, scope: Scope, key: object
    ) -> bool:
        """Remove a key; True when a live entry was removed."""
        return await self._pads.delete(project, environment, memory_id, scope, check_key(key))

    async def list(
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
        return await self._pads.list(
            project, environment, memory_id, scope, prefix, limit, starting_after
        )

    async def delete_memory(self, project: str, environment: str, memory_id: str) -> int:
        """Drop every key of a Memory (when it is deleted)."""
        return await self._pads.delete_memory(project, environment, memory_id)

    async def purge_expired(self) -> int:
        """Delete expired rows; returns how many."""
        return await self._pads.purge_expired()
