"""Memory objects: scratchpad (KV) entries and search hits."""

from __future__ import annotations

from typing import Any, Literal

import msgspec


class KVEntry(msgspec.Struct, kw_only=True):
    """One key of a scratchpad, with its scope (`user`, `session`, ...) and expiry."""

    object: Literal["memory.kv"] = "memory.kv"
    memory_id: str
    key: str
    value: Any
    scope: str
    scope_id: str | None
    created_at: int
    updated_at: int
    expires_at: int | None


class KVDeleted(msgspec.Struct, kw_only=True):
    """The answer of deleting a key."""

    object: Literal["memory.kv"] = "memory.kv"
    memory_id: str
    key: str
    deleted: bool


class KVList(msgspec.Struct, kw_only=True):
    """A page of keys, in key order."""

    object: Literal["list"] = "list"
    data: list[KVEntry]
    has_more: bool


class SearchHit(msgspec.Struct, kw_only=True):
    """One chunk of a file that matched a search, with its offsets and score."""

    object: Literal["memory.search_result"] = "memory.search_result"
    file_id: str
    chunk_index: int
    start: int
    end: int
    score: float
    text: str


class SearchResults(msgspec.Struct, kw_only=True):
    """The hits of a search, best first, and the ranking used (`bm25`, `hybrid`)."""

    object: Literal["list"] = "list"
    data: list[SearchHit]
    has_more: bool
    ranking: str
