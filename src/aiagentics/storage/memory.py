"""The storage of memory stores: KV scratchpads (`Scratchpads`) and the file chunk index (`Chunks`).

Both are async Protocols over plain data types, so a networked backend fits and the
engine never sees SQL. Every call is scoped by project and environment; a scratchpad
is further addressed by its memory store and a `KVScope` (whose entries), a chunk by
its file and its chunking profile (chunk_size, chunk_overlap).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

__all__ = [
    "ChunkSpan",
    "Chunks",
    "KVEntry",
    "KVScope",
    "ScopeKind",
    "ScratchpadFull",
    "Scratchpads",
    "SearchHit",
]

ScopeKind = Literal["user", "session", "project"]


@dataclass(frozen=True, slots=True)
class KVScope:
    """Whose scratchpad: kind is the Memory's kv.scope, id the user or session id ('' for project)."""

    kind: ScopeKind
    id: str = ""


@dataclass(frozen=True, slots=True)
class KVEntry:
    """One stored key and its JSON value."""

    key: str
    value: Any
    scope: KVScope
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


class ScratchpadFull(Exception):
    """A new key was refused: the scratchpad already holds its maximum number of live keys."""

    def __init__(self, max_keys: int) -> None:
        super().__init__(f"this scratchpad already holds {max_keys} keys")
        self.max_keys = max_keys


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One ranked chunk: its file, position and text; `score` is higher for better matches.

    `row_id` identifies the chunk within the backend, so that ranked lists can be fused.
    """

    file_id: str
    chunk_index: int
    start: int
    end: int
    text: str
    score: float
    row_id: int = 0

    def to_json(self) -> dict[str, Any]:
        """The API object of a search result."""
        return {
            "object": "memory.search_result",
            "file_id": self.file_id,
            "chunk_index": self.chunk_index,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 6),
            "text": self.text,
        }


class ChunkSpan(Protocol):
    """What the index keeps of a chunk: its position in the file and its text."""

    @property
    def index(self) -> int: ...

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...

    @property
    def text(self) -> str: ...


class Scratchpads(Protocol):
    """KV entries of memory stores; expired entries are invisible to every call."""

    async def get(
        self, project: str, environment: str, memory_id: str, scope: KVScope, key: str
    ) -> KVEntry | None:
        """The live entry for a key, or None."""
        ...

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
        ...

    async def delete(
        self, project: str, environment: str, memory_id: str, scope: KVScope, key: str
    ) -> bool:
        """Remove a key; True when a live entry was removed."""
        ...

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
        """Live entries in key order whose key starts with `prefix`, after `starting_after`."""
        ...

    async def delete_memory(self, project: str, environment: str, memory_id: str) -> int:
        """Drop every key of a memory store (every scope); returns how many."""
        ...

    async def purge_expired(self) -> int:
        """Delete expired entries; returns how many."""
        ...


class Chunks(Protocol):
    """File texts and their chunks per chunking profile, with BM25 search and embeddings.

    A profile's chunks of a file become visible to searches all at once, when
    `replace_chunks` completes, however the backend writes them.
    """

    async def store_text(self, file_id: str, project: str, environment: str, text: str) -> None:
        """Keep a file's extracted text; its chunks of every profile are dropped (new content)."""
        ...

    async def text_of(self, file_id: str) -> str | None:
        """The stored text of a file, or None when it was never indexed."""
        ...

    async def has_text(self, file_id: str) -> bool:
        """Whether a file's text is stored (without reading it)."""
        ...

    async def indexed_files(
        self, file_ids: Sequence[str], chunk_size: int, chunk_overlap: int
    ) -> set[str]:
        """Which of the files have a complete chunk set for this profile."""
        ...

    async def replace_chunks(
        self,
        file_id: str,
        project: str,
        environment: str,
        chunk_size: int,
        chunk_overlap: int,
        chunks: Sequence[ChunkSpan],
        embeddings: Sequence[bytes | None] | None = None,
    ) -> int:
        """Replace the file's chunks of one profile; returns how many were written.

        Returns 0 when another writer started indexing the same file and profile
        meanwhile: the latest one wins.
        """
        ...

    async def delete_file(self, file_id: str) -> int:
        """Remove a file's text and every chunk; returns how many chunks."""
        ...

    async def delete_profile(
        self,
        project: str,
        environment: str,
        chunk_size: int,
        chunk_overlap: int,
        keep_files: Sequence[str] | None = None,
    ) -> int:
        """Drop a profile's chunks in a scope, except those of `keep_files`; returns how many."""
        ...

    async def file_ids(self, project: str, environment: str) -> list[str]:
        """Every file with a stored text in a project and environment, by id."""
        ...

    async def chunk_count(self, file_id: str) -> int:
        """How many chunks a file has (every profile)."""
        ...

    async def bm25(
        self,
        project: str,
        environment: str,
        query: str,
        file_ids: Sequence[str] | None,
        chunk_size: int,
        chunk_overlap: int,
        limit: int,
    ) -> list[SearchHit]:
        """Best chunks by BM25 (highest score first) among the files (every file when None)."""
        ...

    async def embedded_chunks(
        self,
        project: str,
        environment: str,
        file_ids: Sequence[str] | None,
        chunk_size: int,
        chunk_overlap: int,
    ) -> list[tuple[SearchHit, bytes]]:
        """Chunks in scope that carry an embedding (score 0), with the packed vector."""
        ...
