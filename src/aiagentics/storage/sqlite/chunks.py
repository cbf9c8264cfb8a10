"""`Chunks` in SQLite: file texts and their chunks, ranked with FTS5's bm25().

A file's chunks of one profile form a chunk set (`file_chunk_sets`). Big sets are
written and deleted in slices of `SLICE_ROWS` rows, each its own write transaction,
so other writers get the database in between; searches only see complete sets, so a
reader never gets half a file. Chunks without a set row are leftovers of a deleted or
superseded set: invisible, and removed in slices by whoever dropped the set.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import time
from collections.abc import Sequence
from functools import partial
from typing import Any

from aiagentics.storage.memory import ChunkSpan, SearchHit
from aiagentics.storage.sqlite.db import Database

__all__ = ["SLICE_ROWS", "SQLiteChunks", "fts_query"]

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_TERMS = 64
# Rows per write transaction: a slice of chunks with their FTS rows takes about ten
# milliseconds (more when FTS5 merges its segments), short enough for other writers.
SLICE_ROWS = 100

_COMPLETE_SET = (
    " JOIN file_chunk_sets s ON s.file_id = c.file_id AND s.chunk_size = c.chunk_size"
    " AND s.chunk_overlap = c.chunk_overlap AND s.complete = 1"
)
_NO_SET = (
    "NOT EXISTS (SELECT 1 FROM file_chunk_sets s WHERE s.file_id = c.file_id"
    " AND s.chunk_size = c.chunk_size AND s.chunk_overlap = c.chunk_overlap)"
)


def fts_query(query: str) -> str | None:
    """An FTS5 MATCH expression: every word quoted (no operator injection), OR-ed; None if no word."""
    words = list(dict.fromkeys(w.lower() for w in _WORD.findall(query)))[:MAX_QUERY_TERMS]
    if not words:
        return None
    return " OR ".join(f'"{w}"' for w in words)


def _rows(conn: sqlite3.Connection, sql: str, params: Any = ()) -> list[sqlite3.Row]:
    # The row factory is set per cursor: the connection is shared with other stores.
    cur = conn.cursor()
    cur.row_factory = sqlite3.Row
    return cur.execute(sql, params).fetchall()


def _marks(items: Sequence[Any]) -> str:
    return ",".join("?" * len(items))


def _hit(row: sqlite3.Row, score: float) -> SearchHit:
    return SearchHit(
        row["file_id"], row["chunk_index"], row["start"], row["end"], row["text"], score, row["id"]
    )


def _holds(conn: sqlite3.Connection, file_id: str, size: int, overlap: int, token: str) -> bool:
    row = conn.execute(
        "SELECT token FROM file_chunk_sets WHERE file_id=? AND chunk_size=? AND chunk_overlap=?",
        (file_id, size, overlap),
    ).fetchone()
    return row is not None and row[0] == token


class SQLiteChunks:
    """The chunk index in the gateway database, every call off the event loop."""

    def __init__(self, db: Database, slice_rows: int = SLICE_ROWS) -> None:
        self._db = db
        self._slice = slice_rows

    async def store_text(self, file_id: str, project: str, environment: str, text: str) -> None:
        """Keep a file's extracted text; its chunks of every profile are dropped (new content).

        Chunks for profiles other than the one indexed next are cut from this text on demand.
        """

        purge, params = self._purge_sql(file_id, None)

        def write(conn: sqlite3.Connection) -> int:
            conn.execute("DELETE FROM file_chunk_sets WHERE file_id=?", (file_id,))
            conn.execute(
                "INSERT OR REPLACE INTO file_texts (file_id, project, environment, text,"
                " created_at) VALUES (?,?,?,?,?)",
                (file_id, project, environment, text, time.time()),
            )
            return conn.execute(purge, params).rowcount

        await self._purge(file_id, first=await self._db.write(write, cached=False))

    async def text_of(self, file_id: str) -> str | None:
        """The stored text of a file, or None when it was never indexed."""

        def read(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT text FROM file_texts WHERE file_id=?", (file_id,)).fetchone()
            return str(row[0]) if row else None

        return await self._db.read(read)

    async def has_text(self, file_id: str) -> bool:
        """Whether a file's text is stored (without reading it)."""

        def read(conn: sqlite3.Connection) -> bool:
            sql = "SELECT 1 FROM file_texts WHERE file_id=?"
            return conn.execute(sql, (file_id,)).fetchone() is not None

        return await self._db.read(read)

    async def indexed_files(
        self, file_ids: Sequence[str], chunk_size: int, chunk_overlap: int
    ) -> set[str]:
        """Which of the files have a complete chunk set for this profile."""
        if not file_ids:
            return set()
        ids = list(file_ids)

        def read(conn: sqlite3.Connection) -> set[str]:
            rows = conn.execute(
                f"SELECT file_id FROM file_chunk_sets WHERE file_id IN ({_marks(ids)})"
                " AND chunk_size=? AND chunk_overlap=? AND complete=1",
                (*ids, chunk_size, chunk_overlap),
            ).fetchall()
            return {r[0] for r in rows}

        return await self._db.read(read)

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
        """Replace the file's chunks of one profile, in slices; returns how many were written.

        The set is claimed first with a fresh token, so that it stays invisible while it is
        written; every slice checks the token and stops (returning 0) once another writer
        has claimed the set or the file's text was replaced or deleted.
        """
        blobs = list(embeddings) if embeddings is not None else [None] * len(chunks)
        if len(blobs) != len(chunks):
            raise ValueError("one embedding per chunk")
        token = secrets.token_hex(8)
        profile = (file_id, chunk_size, chunk_overlap)
        head = (file_id, project, environment, chunk_size, chunk_overlap)
        # Each slice's rows are built in the writer thread: for a 20 MB file, building
        # every row up front took tens of milliseconds of the loop.
        starts = list(range(0, len(chunks), self._slice)) or [0]

        def rows_of(part: int) -> list[tuple[Any, ...]]:
            lo = starts[part]
            hi = lo + self._slice
            return [
                (*head, c.index, c.start, c.end, c.text, blob)
                for c, blob in zip(chunks[lo:hi], blobs[lo:hi], strict=True)
            ]

        def step(conn: sqlite3.Connection, claim: bool, old_left: bool, part: int) -> int:
            """One write: claim or check the set, then old rows or the next part of new ones.

            Returns -1 when superseded, 0 when old rows remain, 1 when `part` was written.
            """
            if claim:
                conn.execute(
                    "INSERT OR REPLACE INTO file_chunk_sets (file_id, project, environment,"
                    " chunk_size, chunk_overlap, token, complete) VALUES (?,?,?,?,?,?,0)",
                    (*head, token),
                )
            elif not _holds(conn, *profile, token):
                return -1
            if old_left:
                deleted = conn.execute(
                    "DELETE FROM file_chunks WHERE id IN (SELECT id FROM file_chunks"
                    " WHERE file_id=? AND chunk_size=? AND chunk_overlap=? LIMIT ?)",
                    (*profile, self._slice),
                ).rowcount
                if deleted >= self._slice:
                    return 0
            conn.executemany(
                "INSERT INTO file_chunks (file_id, project, environment, chunk_size,"
                " chunk_overlap, chunk_index, start, end, text, embedding)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                rows_of(part),
            )
            if part == len(starts) - 1:
                conn.execute(
                    "UPDATE file_chunk_sets SET complete=1 WHERE file_id=? AND chunk_size=?"
                    " AND chunk_overlap=?",
                    profile,
                )
            return 1

        claim, old_left, part = True, True, 0
        while part < len(starts):
            outcome = await self._db.write(
                partial(step, claim=claim, old_left=old_left, part=part), cached=False
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
        """Remove a file's text and every chunk (the FTS rows go with them by trigger)."""

        purge, params = self._purge_sql(file_id, None)

        def write(conn: sqlite3.Connection) -> int:
            conn.execute("DELETE FROM file_chunk_sets WHERE file_id=?", (file_id,))
            conn.execute("DELETE FROM file_texts WHERE file_id=?", (file_id,))
            return conn.execute(purge, params).rowcount

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

        def write(conn: sqlite3.Connection) -> list[str]:
            sql = (
                "DELETE FROM file_chunk_sets WHERE project=? AND environment=? AND chunk_size=?"
                " AND chunk_overlap=?"
            )
            if keep:
                sql += f" AND file_id NOT IN ({_marks(keep)})"
            conn.execute(sql, (*scope, *keep))
            rows = conn.execute(
                "SELECT DISTINCT c.file_id FROM file_chunks c WHERE c.project=?"
                f" AND c.environment=? AND c.chunk_size=? AND c.chunk_overlap=? AND {_NO_SET}",
                scope,
            ).fetchall()
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
        sql = "SELECT c.id FROM file_chunks c WHERE c.file_id=?"
        params: tuple[Any, ...] = (file_id,)
        if profile is not None:
            sql += " AND c.chunk_size=? AND c.chunk_overlap=?"
            params += profile
        return f"DELETE FROM file_chunks WHERE id IN ({sql} AND {_NO_SET} LIMIT ?)", (
            *params,
            self._slice,
        )

    async def _purge(
        self, file_id: str, profile: tuple[int, int] | None = None, first: int | None = None
    ) -> int:
        """Delete, slice by slice, the file's chunks that belong to no chunk set.

        `first` is how many rows a slice already deleted in the caller's own write.
        """
        sql, params = self._purge_sql(file_id, profile)

        def write(conn: sqlite3.Connection) -> int:
            return conn.execute(sql, params).rowcount

        total = n = first if first is not None else await self._db.write(write, cached=False)
        while n >= self._slice:
            n = await self._db.write(write, cached=False)
            total += n
        return total

    async def file_ids(self, project: str, environment: str) -> list[str]:
        """Every indexed file of a project and environment."""

        def read(conn: sqlite3.Connection) -> list[str]:
            rows = conn.execute(
                "SELECT file_id FROM file_texts WHERE project=? AND environment=? ORDER BY file_id",
                (project, environment),
            ).fetchall()
            return [r[0] for r in rows]

        return await self._db.read(read)

    async def chunk_count(self, file_id: str) -> int:
        """How many chunks a file has (all profiles)."""

        def read(conn: sqlite3.Connection) -> int:
            sql = "SELECT COUNT(*) FROM file_chunks WHERE file_id=?"
            return int(conn.execute(sql, (file_id,)).fetchone()[0])

        return await self._db.read(read)

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
        """Best chunks by BM25 among the given files (all files of the project when None)."""
        match = fts_query(query)
        if match is None or (file_ids is not None and not file_ids):
            return []
        sql = (
            "SELECT c.id, c.file_id, c.chunk_index, c.start, c.end, c.text,"
            " bm25(file_chunks_fts) AS rank FROM file_chunks_fts"
            f" JOIN file_chunks c ON c.id = file_chunks_fts.rowid{_COMPLETE_SET}"
            " WHERE file_chunks_fts MATCH ? AND c.project=? AND c.environment=?"
            " AND c.chunk_size=? AND c.chunk_overlap=?"
        )
        params: list[Any] = [match, project, environment, chunk_size, chunk_overlap]
        if file_ids is not None:
            sql += f" AND c.file_id IN ({_marks(file_ids)})"
            params.extend(file_ids)
        sql += " ORDER BY rank LIMIT ?"
        params.append(limit)

        def read(conn: sqlite3.Connection) -> list[SearchHit]:
            # bm25() is lower-is-better (negative); the API reports higher-is-better.
            return [_hit(r, -float(r["rank"])) for r in _rows(conn, sql, params)]

        return await self._db.read(read)

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
            "SELECT c.id, c.file_id, c.chunk_index, c.start, c.end, c.text, c.embedding"
            f" FROM file_chunks c{_COMPLETE_SET} WHERE c.project=? AND c.environment=?"
            " AND c.chunk_size=? AND c.chunk_overlap=? AND c.embedding IS NOT NULL"
        )
        params: list[Any] = [project, environment, chunk_size, chunk_overlap]
        if file_ids is not None:
            if not file_ids:
                return []
            sql += f" AND c.file_id IN ({_marks(file_ids)})"
            params.extend(file_ids)

        def read(conn: sqlite3.Connection) -> list[tuple[SearchHit, bytes]]:
            return [(_hit(r, 0.0), bytes(r["embedding"])) for r in _rows(conn, sql, params)]

        return await self._db.read(read)
