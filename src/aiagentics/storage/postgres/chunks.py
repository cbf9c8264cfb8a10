"""`Chunks` on PostgreSQL: file texts and their chunks, ranked with its own text search.

Each chunk row carries a generated `tsvector` (English stemming) under a GIN index;
searches OR the query's words and rank with `ts_rank_cd` (cover density: more and
closer occurrences rank higher). Chunk sets are written in slices exactly as on SQLite
(see `storage/sqlite/chunks.py`): searches see only complete sets, and a writer whose
set was claimed by a later one stops.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Sequence
from typing import Any

from aiagentics.storage.memory import ChunkSpan, SearchHit
from aiagentics.storage.postgres.db import Conn, PgDatabase, execute, fetchall, fetchone

__all__ = ["SLICE_ROWS", "PgChunks", "ts_query"]

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_TERMS = 64
SLICE_ROWS = 500

_HIT_COLS = "c.id, c.file_id, c.chunk_index, c.start_at, c.end_at, c.text"
_COMPLETE_SET = (
    " JOIN file_chunk_sets s ON s.file_id = c.file_id AND s.chunk_size = c.chunk_size"
    " AND s.chunk_overlap = c.chunk_overlap AND s.complete"
)
_NO_SET = (
    "NOT EXISTS (SELECT 1 FROM file_chunk_sets s WHERE s.file_id = c.file_id"
    " AND s.chunk_size = c.chunk_size AND s.chunk_overlap = c.chunk_overlap)"
)


def ts_query(query: str) -> str | None:
    """A `to_tsquery` text: every word quoted as a lexeme (no operator gets through), OR-ed."""
    words = list(dict.fromkeys(w.lower() for w in _WORD.findall(query)))[:MAX_QUERY_TERMS]
    if not words:
        return None
    return " | ".join(f"'{w}'" for w in words)


def _hit(row: tuple[Any, ...], score: float) -> SearchHit:
    return SearchHit(row[1], row[2], row[3], row[4], row[5], score, row[0])


async def _holds(conn: Conn, file_id: str, size: int, overlap: int, token: str) -> bool:
    row = await fetchone(
        conn,
        "SELECT token FROM file_chunk_sets WHERE file_id=%s AND chunk_size=%s"
        " AND chunk_overlap=%s FOR UPDATE",
        (file_id, size, overlap),
    )
    return row is not None and row[0] == token


class PgChunks:
    """The chunk index in the gateway database."""

    def __init__(self, db: PgDatabase, slice_rows: int = SLICE_ROWS) -> None:
        self._db = db
        self._slice = slice_rows

    async def store_text(self, file_id: str, project: str, environment: str, text: str) -> None:
        """Keep a file's extracted text; its chunks of every profile are dropped (new content)."""
        purge, params = self._purge_sql(file_id, None)

        async def write(conn: Conn) -> int:
            await execute(conn, "DELETE FROM file_chunk_sets WHERE file_id=%s", (file_id,))
            await execute(
                conn,
                "INSERT INTO file_texts (file_id, project, environment, text, created_at)"
                " VALUES (%s,%s,%s,%s,%s) ON CONFLICT (file_id) DO UPDATE SET"
                " project=EXCLUDED.project, environment=EXCLUDED.environment,"
                " text=EXCLUDED.text, created_at=EXCLUDED.created_at",
                (file_id, project, environment, text, time.time()),
            )
            return await execute(conn, purge, params)

        await self._purge(file_id, first=await self._db.write(write, cached=False))

    async def text_of(self, file_id: str) -> str | None:
        """The stored text of a file, or None when it was never indexed."""
        row = await self._db.read(
            lambda conn: fetchone(conn, "SELECT text FROM file_texts WHERE file_id=%s", (file_id,))
        )
        return str(row[0]) if row else None

    async def has_text(self, file_id: str) -> bool:
        """Whether a file's text is stored (without reading it)."""
        row = await self._db.read(
            lambda conn: fetchone(conn, "SELECT 1 FROM file_texts WHERE file_id=%s", (file_id,))
        )
        return row is not None

    async def indexed_files(
        self, file_ids: Sequence[str], chunk_size: int, chunk_overlap: int
    ) -> set[str]:
        """Which of the files have a complete chunk set for this profile."""
        if not file_ids:
            return set()
        rows = await self._db.read(
            lambda conn: fetchall(
                conn,
                "SELECT file_id FROM file_chunk_sets WHERE file_id = ANY(%s)"
                " AND chunk_size=%s AND chunk_overlap=%s AND complete",
                (list(file_ids), chunk_size, chunk_overlap),
            )
        )
        return {r[0] for r in rows}

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
        """Replace the file's chunks of one profile, in slices; returns how many were written
        (0 when another writer claimed the set, or the file's text changed, meanwhile)."""
        blobs = list(embeddings) if embeddings is not None else [None] * len(chunks)
        if len(blobs) != len(chunks):
            raise ValueError("one embedding per chunk")
        token = secrets.token_hex(8)
        profile = (file_id, chunk_size, chunk_overlap)
        head = (file_id, project, environment, chunk_size, chunk_overlap)
        starts = list(range(0, len(chunks), self._slice)) or [0]

        def rows_of(part: int) -> list[tuple[Any, ...]]:
            lo = starts[part]
            hi = lo + self._slice
            return [
                (*head, c.index, c.start, c.end, c.text, blob)
                for c, blob in zip(chunks[lo:hi], blobs[lo:hi], strict=True)
            ]

        async def step(conn: Conn, claim: bool, old_left: bool, part: int) -> int:
            """-1 when superseded, 0 when old rows remain, 1 when `part` was written."""
            if claim:
                await execute(
                    conn,
                    "INSERT INTO file_chunk_sets (file_id, project, environment, chunk_size,"
                    " chunk_overlap, token, complete) VALUES (%s,%s,%s,%s,%s,%s,FALSE)"
                    " ON CONFLICT (file_id, chunk_size, chunk_overlap) DO UPDATE SET"
                    " project=EXCLUDED.project, environment=EXCLUDED.environment,"
                    " token=EXCLUDED.token, complete=FALSE",
                    (*head, token),
                )
            elif not await _holds(conn, *profile, token):
                return -1
            if old_left:
                deleted = await execute(
                    conn,
                    "DELETE FROM file_chunks WHERE id IN (SELECT id FROM file_chunks"
                    " WHERE file_id=%s AND chunk_size=%s AND chunk_overlap=%s LIMIT %s)",
                    (*profile, self._slice),
                )
                if deleted >= self._slice:
                    return 0
            rows = rows_of(part)
            if rows:
                async with conn.cursor() as cur:
                    await cur.executemany(
                        "INSERT INTO file_chunks (file_id, project, environment, chunk_size,"
                        " chunk_overlap, chunk_index, start_at, end_at, text, embedding)"
                        " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                        rows,
                    )
            if part == len(starts) - 1:
                await execute(
                    conn,
                    "UPDATE file_chunk_sets SET complete=TRUE WHERE file_id=%s AND chunk_size=%s"
                    " AND chunk_overlap=%s",
                    profile,
                )
            return 1

        claim, old_left, part = True, True, 0
        while part < len(starts):
            outcome = await self._db.write(
                lambda conn, c=claim, o=old_left, p=part: step(conn, c, o, p),  # type: ignore[misc]
                cached=False,
            )
            if outcome < 0:
                return 0
            claim = False
            if outcome == 0:
                continue
            old_left = False
            part += 1
        return len(chunks)

    async def delete_file(self, file_id: str) -> int:
        """Remove a file's text and every chunk."""
        purge, params = self._purge_sql(file_id, None)

        async def write(conn: Conn) -> int:
            await execute(conn, "DELETE FROM file_chunk_sets WHERE file_id=%s", (file_id,))
            await execute(conn, "DELETE FROM file_texts WHERE file_id=%s", (file_id,))
            return await execute(conn, purge, params)

        return await self._purge(file_id, first=await self._db.write(write, cached=False))

    async def delete_profile(
        self,
        project: str,
        environment: str,
        chunk_size: int,
        chunk_overlap: int,
        keep_files: Sequence[str] | None = None,
    ) -> int:
        """Drop a chunking profile's chunks in a scope, except those of `keep_files`."""
        keep = list(keep_files or [])
        scope = (project, environment, chunk_size, chunk_overlap)

        async def write(conn: Conn) -> list[str]:
            await execute(
                conn,
                "DELETE FROM file_chunk_sets WHERE project=%s AND environment=%s"
                " AND chunk_size=%s AND chunk_overlap=%s AND NOT (file_id = ANY(%s))",
                (*scope, keep),
            )
            rows = await fetchall(
                conn,
                "SELECT DISTINCT c.file_id FROM file_chunks c WHERE c.project=%s"
                f" AND c.environment=%s AND c.chunk_size=%s AND c.chunk_overlap=%s AND {_NO_SET}",
                scope,
            )
            return [r[0] for r in rows]

        orphaned = await self._db.write(write, cached=False)
        total = 0
        for file_id in orphaned:
            total += await self._purge(file_id, (chunk_size, chunk_overlap))
        return total

    def _purge_sql(
        self, file_id: str, profile: tuple[int, int] | None
    ) -> tuple[str, tuple[Any, ...]]:
        """One slice of the file's chunks that belong to no chunk set."""
        sql = "SELECT c.id FROM file_chunks c WHERE c.file_id=%s"
        params: tuple[Any, ...] = (file_id,)
        if profile is not None:
            sql += " AND c.chunk_size=%s AND c.chunk_overlap=%s"
            params += profile
        return f"DELETE FROM file_chunks WHERE id IN ({sql} AND {_NO_SET} LIMIT %s)", (
            *params,
            self._slice,
        )

    async def _purge(
        self, file_id: str, profile: tuple[int, int] | None = None, first: int | None = None
    ) -> int:
        """Delete, slice by slice, the file's chunks that belong to no chunk set."""
        sql, params = self._purge_sql(file_id, profile)

        async def write(conn: Conn) -> int:
            return await execute(conn, sql, params)

        total = n = first if first is not None else await self._db.write(write, cached=False)
        while n >= self._slice:
            n = await self._db.write(write, cached=False)
            total += n
        return total

    async def file_ids(self, project: str, environment: str) -> list[str]:
        """Every indexed file of a project and environment."""
        rows = await self._db.read(
            lambda conn: fetchall(
                conn,
                "SELECT file_id FROM file_texts WHERE project=%s AND environment=%s"
                ' ORDER BY file_id COLLATE "C"',
                (project, environment),
            )
        )
        return [r[0] for r in rows]

    async def chunk_count(self, file_id: str) -> int:
        """How many chunks a file has (all profiles)."""
        row = await self._db.read(
            lambda conn: fetchone(
                conn, "SELECT COUNT(*) FROM file_chunks WHERE file_id=%s", (file_id,)
            )
        )
        return int(row[0]) if row else 0

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
        """Best chunks by `ts_rank_cd` among the given files (all files of the scope when None)."""
        match = ts_query(query)
        if match is None or (file_ids is not None and not file_ids):
            return []
        sql = (
            f"SELECT {_HIT_COLS}, ts_rank_cd(c.tsv, q) AS rank"
            f" FROM to_tsquery('english', %s) q, file_chunks c{_COMPLETE_SET}"
            " WHERE c.tsv @@ q AND c.project=%s AND c.environment=%s"
            " AND c.chunk_size=%s AND c.chunk_overlap=%s"
        )
        params: list[Any] = [match, project, environment, chunk_size, chunk_overlap]
        if file_ids is not None:
            sql += " AND c.file_id = ANY(%s)"
            params.append(list(file_ids))
        sql += " ORDER BY rank DESC, c.id LIMIT %s"
        params.append(limit)
        rows = await self._db.read(lambda conn: fetchall(conn, sql, params))
        return [_hit(r, float(r[6])) for r in rows]

    async def embedded_chunks(
        self,
        project: str,
        environment: str,
        file_ids: Sequence[str] | None,
        chunk_size: int,
        chunk_overlap: int,
    ) -> list[tuple[SearchHit, bytes]]:
        """Chunks in scope that carry an embedding (score 0), with the packed vector."""
        sql = (
            f"SELECT {_HIT_COLS}, c.embedding FROM file_chunks c{_COMPLETE_SET}"
            " WHERE c.project=%s AND c.environment=%s AND c.chunk_size=%s"
            " AND c.chunk_overlap=%s AND c.embedding IS NOT NULL"
        )
        params: list[Any] = [project, environment, chunk_size, chunk_overlap]
        if file_ids is not None:
            if not file_ids:
                return []
            sql += " AND c.file_id = ANY(%s)"
            params.append(list(file_ids))
        sql += " ORDER BY c.id"
        rows = await self._db.read(lambda conn: fetchall(conn, sql, params))
        return [(_hit(r, 0.0), bytes(r[6])) for r in rows]
