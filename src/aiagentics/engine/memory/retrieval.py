"""Retrieval over files: index on upload, BM25 search, optional hybrid with dense embeddings.

Hybrid ranking fuses the BM25 list and the dense (cosine) list by reciprocal-rank
fusion: score = sum over lists of 1 / (RRF_K + rank).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
from collections.abc import AsyncIterator, Sequence

import anyio.to_thread

from aiagentics.engine.blank import is_blank
from aiagentics.engine.documents.chunking import chunk_text
from aiagentics.engine.documents.extract import extract_text
from aiagentics.engine.memory.embeddings import Embedder, EmbeddingError, cosine, pack, unpack
from aiagentics.engine.memory.kv import MemoryInputError
from aiagentics.storage.memory import Chunks, SearchHit

__all__ = ["DEFAULT_CHUNK_OVERLAP", "DEFAULT_CHUNK_SIZE", "Retrieval", "rrf_fuse"]

log = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 800
DEFAULT_CHUNK_OVERLAP = 100
RRF_K = 60
CANDIDATES = 50
MAX_TOP_K = 50
MAX_QUERY_CHARS = 4000


def rrf_fuse(lists: Sequence[Sequence[SearchHit]], top_k: int, k: int = RRF_K) -> list[SearchHit]:
    """Reciprocal-rank fusion of ranked lists (chunks identified by row id)."""
    scores: dict[int, float] = {}
    hits: dict[int, SearchHit] = {}
    for ranked in lists:
        for rank, hit in enumerate(ranked, start=1):
            scores[hit.row_id] = scores.get(hit.row_id, 0.0) + 1.0 / (k + rank)
            hits.setdefault(hit.row_id, hit)
    best = heapq.nlargest(top_k, scores.items(), key=lambda kv: kv[1])
    return [_with_score(hits[row], score) for row, score in best]


def _with_score(hit: SearchHit, score: float) -> SearchHit:
    return SearchHit(hit.file_id, hit.chunk_index, hit.start, hit.end, hit.text, score, hit.row_id)


class Retrieval:
    """Indexes file texts and answers searches; dense ranking when an Embedder is configured.

    Extraction, chunking and vector maths run in worker threads; the index is awaited.
    """

    def __init__(self, index: Chunks, embedder: Embedder | None = None) -> None:
        self.index = index
        self.embedder = embedder
        # One indexer per (file, profile) in this process: a search that needs a profile
        # being written waits for it instead of starting the same work again.
        self._locks: dict[tuple[str, int, int], tuple[asyncio.Lock, int]] = {}

    @property
    def ranking(self) -> str:
        """'hybrid' with embeddings, else 'bm25'."""
        return "hybrid" if self.embedder is not None else "bm25"

    async def index_document(
        self,
        file_id: str,
        project: str,
        environment: str,
        data: bytes,
        filename: str,
        content_type: str | None = None,
    ) -> int:
        """Extract, chunk (default profile) and index an uploaded document; ExtractionError if unreadable."""
        text = await anyio.to_thread.run_sync(extract_text, data, filename, content_type)
        return await self.index_text(file_id, project, environment, text)

    async def index_text(
        self,
        file_id: str,
        project: str,
        environment: str,
        text: str,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        chunk_overlap: int = DEFAULT_CHUNK_OVERLAP,
    ) -> int:
        """Store a file's text and index one chunking profile of it; returns the chunk count."""
        async with self._lock(file_id, chunk_size, chunk_overlap):
            await self.index.store_text(file_id, project, environment, text)
            return await self._index_profile(
                file_id, project, environment, text, chunk_size, chunk_overlap
            )

    @contextlib.asynccontextmanager
    async def _lock(self, file_id: str, size: int, overlap: int) -> AsyncIterator[None]:
        key = (file_id, size, overlap)
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            # Forget the lock once nobody holds or awaits it, so the map stays small.
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def _index_profile(
        self, file_id: str, project: str, environment: str, text: str, size: int, overlap: int
    ) -> int:
        chunks = await anyio.to_thread.run_sync(chunk_text, text, size, overlap)
        blobs: list[bytes | None] | None = None
        if self.embedder is not None and chunks:
            try:
                vectors = await self.embedder.embed([c.text for c in chunks])
                packed = await anyio.to_thread.run_sync(lambda: [pack(v) for v in vectors])
                blobs = list(packed)
            except EmbeddingError as exc:
                # BM25 still works without vectors; the file stays searchable.
                log.warning("file %s indexed without embeddings: %s", file_id, exc)
        return await self.index.replace_chunks(
            file_id, project, environment, size, overlap, chunks, blobs
        )

    async def ensure_indexed(
        self, project: str, environment: str, file_ids: Sequence[str], size: int, overlap: int
    ) -> None:
        """Chunk files for a profile they were not indexed with yet (from their stored text)."""
        done = await self.index.indexed_files(file_ids, size, overlap)
        for file_id in file_ids:
            if file_id in done:
                continue
            async with self._lock(file_id, size, overlap):
                # Another task may have indexed it while this one waited for the lock.
                if not await self.index.indexed_files([file_id], size, overlap):
                    text = await self.index.text_of(file_id)
                    if text:
                        await self._index_profile(
                            file_id, project, environment, text, size, overlap
                        )

    async def delete_file(self, file_id: str) -> int:
        """Drop a file's text and chunks."""
        return await self.index.delete_file(file_id)

    async def search(
        self,
        project: str,
        environment: str,
        query: object,
        top_k: object = 5,
        file_ids: Sequence[str] | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        chunk_overlap: int = DEFAULT_CHUNK_OVERLAP,
    ) -> list[SearchHit]:
        """The top_k chunks for a query among `file_ids` (every file of the project when None)."""
        if not isinstance(query, str) or is_blank(query):
            raise MemoryInputError("query must be a non-empty string", "query")
        if len(query) > MAX_QUERY_CHARS:
            raise MemoryInputError(f"query is longer than {MAX_QUERY_CHARS} characters", "query")
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K:
            raise MemoryInputError(f"top_k must be an integer from 1 to {MAX_TOP_K}", "top_k")
        if file_ids is not None:
            await self.ensure_indexed(project, environment, file_ids, chunk_size, chunk_overlap)
        elif (chunk_size, chunk_overlap) != (DEFAULT_CHUNK_SIZE, DEFAULT_CHUNK_OVERLAP):
            every = await self.index.file_ids(project, environment)
            await self.ensure_indexed(project, environment, every, chunk_size, chunk_overlap)
        limit = top_k if self.embedder is None else max(CANDIDATES, top_k)
        lexical = await self.index.bm25(
            project, environment, query, file_ids, chunk_size, chunk_overlap, limit
        )
        if self.embedder is None:
            return lexical
        try:
            (qvec,) = await self.embedder.embed([query])
        except EmbeddingError as exc:
            log.warning("dense ranking skipped: %s", exc)
            return lexical[:top_k]
        embedded = await self.index.embedded_chunks(
            project, environment, file_ids, chunk_size, chunk_overlap
        )
        dense = await anyio.to_thread.run_sync(_dense, qvec, embedded)
        return rrf_fuse([lexical, dense], top_k)


def _dense(qvec: Sequence[float], embedded: list[tuple[SearchHit, bytes]]) -> list[SearchHit]:
    """The CANDIDATES chunks nearest to the query vector by cosine."""
    qunit = unpack(pack(qvec))
    scored = [_with_score(hit, cosine(qunit, unpack(blob))) for hit, blob in embedded]
    return heapq.nlargest(CANDIDATES, scored, key=lambda h: h.score)
