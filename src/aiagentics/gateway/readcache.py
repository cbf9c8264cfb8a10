"""A per-app cache of encoded read results, valid only while the database is unchanged.

The middleware awaits the storage's `change_token()` once per request and calls `begin(token)`;
when the token differs from the cached one, everything is dropped. A value is stored with
the token the request began with and is only served to requests that began with the same
token, so a cached answer is never older than the request asking for it. Any write (a
revoked key, an updated agent, a run event) empties the cache; reads in between are served
from memory. Keys (API key lookups) and resource reads share it.
"""

from __future__ import annotations

from typing import Any

# Whatever the storage's change token is: only compared for equality.
Token = object


class ReadCache:
    """Bounded memo of read results keyed by tuples; see the module docstring."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._token: Token | None = None
        self._values: dict[Any, Any] = {}
        self._max = max_entries

    def begin(self, token: Token) -> Token:
        """Start a request at `token` (clearing the cache when the database moved on)."""
        if token != self._token:
            self._values.clear()
            self._token = token
        return token

    def get(self, key: Any, token: Token | None) -> Any:
        """The cached value, or None (also when `token` is not the current one)."""
        if token is None or token != self._token:
            return None
        return self._values.get(key)

    def put(self, key: Any, value: Any, token: Token | None) -> None:
        """Remember `value` when the request's token is still the current one."""
        if token is None or token != self._token or self._max <= 0:
            return
        if len(self._values) >= self._max:
            self._values.clear()
        self._values[key] = value
