"""`MemoryService`: KV scratchpads and retrieval wired into the gateway.

`install_memory(services)` makes it `services.memory` and `services.files_index`
(uploads are indexed, deletions drop their chunks), registers the built-in memory
tools with the run engine and the retrieval context provider.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import anyio.to_thread

from aiagentics.engine.documents.extract import ExtractionError, detect_format
from aiagentics.engine.memory.embeddings import Embedder
from aiagentics.engine.memory.index import ChunkIndex, SearchHit
from aiagentics.engine.memory.kv import KVStore
from aiagentics.engine.memory.retrieval import (
    DEFAULT_CHUNK_OVERLAP,
    DEFAULT_CHUNK_SIZE,
    Retrieval,
)
from aiagentics.gateway.errors import InvalidRequest
from aiagentics.storage.base import Resource, Scope, Store
from aiagentics.storage.sqlite.db import Database

__all__ = ["MemoryService", "VectorProfile", "install_memory"]

log = logging.getLogger("aiagentics.memory")

CONTEXT_TOP_K = 5
CONTEXT_MAX_CHARS = 6000


class VectorProfile:
    """Which files a search covers and how they are chunked (from a Memory's `vector`)."""

    __slots__ = ("chunk_overlap", "chunk_size", "file_ids", "top_k")

    def __init__(
        self,
        file_ids: list[str] | None,
        top_k: int = CONTEXT_TOP_K,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        chunk_overlap: int = DEFAULT_CHUNK_OVERLAP,
    ) -> None:
        self.file_ids = file_ids
        self.top_k = top_k
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap

    @classmethod
    def of_memory(
        cls, memory: Resource | None, extra_files: list[str] | None = None
    ) -> VectorProfile:
        """The profile of a memory store's `vector` (every project file when it lists none)."""
        vector = (memory.data.get("vector") if memory is not None else None) or {}
        files = list(dict.fromkeys([*(vector.get("files") or []), *(extra_files or [])]))
        return cls(
            files or (None if vector else []),
            int(vector.get("top_k") or CONTEXT_TOP_K),
            int(vector.get("chunk_size") or DEFAULT_CHUNK_SIZE),
            int(vector.get("chunk_overlap") or DEFAULT_CHUNK_OVERLAP),
        )


class MemoryService:
    """KV and retrieval for API handlers, tools and the run context."""

    def __init__(self, settings: Any, db: Database, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.kv = KVStore(db)
        self.retrieval = Retrieval(ChunkIndex(db), _embedder(settings))

    async def start(self) -> None:
        """Purge expired KV rows left from before."""
        await anyio.to_thread.run_sync(self.kv.purge_expired)

    async def stop(self) -> None:
        """Nothing to release."""

    async def memory_store(self, scope: Scope, memory_id: str | None) -> Resource | None:
        """A memory store of the scope by id."""
        if not memory_id:
            return None
        return await self.store.get("memory_store", scope, memory_id)

    async def search(
        self, scope: Scope, query: object, top_k: object, profile: VectorProfile
    ) -> list[SearchHit]:
        """Search the profile's files (MemoryInputError on bad query/top_k)."""
        if profile.file_ids:
            await self._index_missing(scope, profile.file_ids)
        args = (profile.file_ids, profile.chunk_size, profile.chunk_overlap)
        hits = await self.retrieval.search(scope.project, scope.environment, query, top_k, *args)
        # Chunks of a file deleted without telling the index (another writer of the store)
        # are dropped here, and the search runs again without them.
        found = list(dict.fromkeys(h.file_id for h in hits))
        gone = await self.store.missing("file", scope, found) if found else []
        if not gone:
            return hits
        for file_id in gone:
            await anyio.to_thread.run_sync(self.retrieval.delete_file, file_id)
        return await self.retrieval.search(scope.project, scope.environment, query, top_k, *args)

    async def _index_missing(self, scope: Scope, file_ids: list[str]) -> None:
        # A file uploaded with another purpose (or before indexing existed) is indexed on
        # first use, from its stored content.
        for file_id in file_ids:
            if self.retrieval.index.text_of(file_id) is not None:
                continue
            res = await self.store.get("file", scope, file_id)
            path = Path(self.settings.files_dir) / file_id
            if res is None or not path.is_file():
                continue
            try:
                await self._index(scope, res, path)
            except ExtractionError as exc:
                log.warning("file %s cannot be indexed: %s", file_id, exc)

    async def _index(self, scope: Scope, res: Resource, path: Path) -> int:
        data = await anyio.to_thread.run_sync(path.read_bytes)
        return await self.retrieval.index_document(
            res.id,
            scope.project,
            scope.environment,
            data,
            str(res.data.get("filename") or res.name or ""),
            res.data.get("content_type"),
        )

    async def memory_deleted(self, scope: Scope, memory: Resource) -> None:
        """Forget a deleted memory store: its KV entries and its own chunking profile.

        The default profile is what uploads are indexed with, so it stays; another profile
        stays for the files that a remaining store with the same profile still covers.
        """
        await anyio.to_thread.run_sync(
            self.kv.delete_memory, scope.project, scope.environment, memory.id
        )
        if not memory.data.get("vector"):
            return
        gone = VectorProfile.of_memory(memory)
        profile = (gone.chunk_size, gone.chunk_overlap)
        if profile == (DEFAULT_CHUNK_SIZE, DEFAULT_CHUNK_OVERLAP):
            return
        keep: set[str] = set()
        after: str | None = None
        while True:
            page = await self.store.list("memory_store", scope, limit=100, starting_after=after)
            for other in page.items:
                p = VectorProfile.of_memory(other)
                if other.id == memory.id or (p.chunk_size, p.chunk_overlap) != profile:
                    continue
                if not other.data.get("vector"):
                    continue
                if p.file_ids is None:  # covers every file: the whole profile is in use
                    return
                keep.update(p.file_ids)
            if not page.has_more or not page.items:
                break
            after = page.items[-1].id
        await anyio.to_thread.run_sync(
            self.retrieval.index.delete_profile,
            scope.project,
            scope.environment,
            *profile,
            sorted(keep),
        )

    # -- files_index (called by the files controller) -----------------------------------------
    async def file_added(self, scope: Scope, res: Resource, path: Path) -> None:
        """Index a `retrieval` upload; an unreadable txt/md/html/json/csv/pdf is removed and a 400."""
        if res.data.get("purpose", "retrieval") != "retrieval":
            return
        try:
            await self._index(scope, res, path)
        except ExtractionError as exc:
            filename = str(res.data.get("filename") or "")
            if detect_format(filename, res.data.get("content_type")) is None:
                # Not a document format we read: kept as a plain file, just not searchable.
                log.info("file %s (%s) not indexed: %s", res.id, filename, exc)
                return
            await self.store.delete("file", scope, res.id)
            Path(path).unlink(missing_ok=True)
            raise InvalidRequest(str(exc), param="file", code="unreadable_file") from None

    async def file_deleted(self, scope: Scope, file_id: str) -> None:
        """Drop a deleted file's text and chunks."""
        await anyio.to_thread.run_sync(self.retrieval.delete_file, file_id)


def _embedder(settings: Any) -> Embedder | None:
    base_url = getattr(settings, "embeddings_base_url", None)
    if not base_url:
        return None
    key_env = getattr(settings, "embeddings_api_key_env", None)
    return Embedder(
        base_url=base_url,
        model=getattr(settings, "embeddings_model", None) or "text-embedding-3-small",
        api_key=os.environ.get(key_env) if key_env else None,
    )


def install_memory(services: Any) -> MemoryService:
    """Build the service; register it, its tools and its context provider."""
    from aiagentics.engine.memory.tools import install_tools

    service = MemoryService(services.settings, services.db, services.store)
    services.memory = service
    services.files_index = service
    services.components.append(service)
    if getattr(services, "runs", None) is not None:
        install_tools(service, services.runs)
    return service
