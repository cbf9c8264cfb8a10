"""The chunk index: file texts and their chunks in SQLite, ranked with FTS5's bm25()."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiagentics.engine.documents.chunking import Chunk
from aiagentics.storage.sqlite.db import Database

__all__ = ["ChunkIndex", "SearchHit", "fts_query"]

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_TERMS = 64


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One ranked chunk: its file, position and text; `score` is higher for better matches."""

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


def fts_query(query: str) -> str | None:
    """An FTS5 MATCH expression: every word quoted (no operator injection), OR-ed; None if no word."""
    words = list(dict.fromkeys(w.lower() for w in _WORD.findall(query)))[:MAX_QUERY_TERMS]
    if not words:
        return None
    return " OR ".join(f'"{w}"' for w in words)


class ChunkIndex:
    """Synchronous store of texts, chunks and embeddings; call from a worker thread for big files."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def store_text(self, file_id: str, project: str, environment: str, text: str) -> None:
        """Keep a file's extracted text; its chunks of every profile are dropped (new content).

        Chunks for profiles other than the one indexed next are cut from this text on demand.
        """
        with self._db.transaction():
            self._db.execute("DELETE FROM file_chunks WHERE file_id=?", (file_id,))
            self._db.execute(
                "INSERT OR REPLACE INTO file_texts (file_id, project, environment, text,"
                " created_at) VALUES (?,?,?,?,?)",
                (file_id, project, environment, text, time.time()),
            )

    def text_of(self, file_id: str) -> str | None:
        """The stored text of a file, or None when it was never indexed."""
        row = self._db.fetchone("SELECT text FROM file_texts WHERE file_id=?", (file_id,))
        return row["text"] if row else None

    def indexed_files(
        self, file_ids: Sequence[str], chunk_size: int, chunk_overlap: int
    ) -> set[str]:
        """Which of the files already have chunks for this profile (or have no text at all)."""
        if not file_ids:
            return set()
        marks = ",".join("?" * len(file_ids))
        rows = self._db.fetchall(
            f"SELECT DISTINCT file_id FROM file_chunks WHERE file_id IN ({marks})"
            " AND chunk_size=? AND chunk_overlap=?",
            (*file_ids, chunk_size, chunk_overlap),
        )
        return {r["file_id"] for r in rows}

    def add_chunks(
        self,
        file_id: str,
        project: str,
        environment: str,
        chunk_size: int,
        chunk_overlap: int,
        chunks: Sequence[Chunk],
        embeddings: Sequence[bytes | None] | None = None,
    ) -> int:
        """Replace the file's chunks of one profile; returns how many were written."""
        blobs = list(embeddings) if embeddings is not None else [None] * len(chunks)
        with self._db.transaction():
            self._db.execute(
                "DELETE FROM file_chunks WHERE file_id=? AND chunk_size=? AND chunk_overlap=?",
                (file_id, chunk_size, chunk_overlap),
            )
            self._db.executemany(
                "INSERT INTO file_chunks (file_id, project, environment, chunk_size, chunk_overlap,"
                " chunk_index, start, end, text, embedding) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        file_id,
                        project,
                        environment,
                        chunk_size,
                        chunk_overlap,
                        c.index,
                        c.start,
                        c.end,
                        c.text,
                        blob,
                    )
                    for c, blob in zip(chunks, blobs, strict=True)
                ],
            )
        return len(chunks)

    def delete_file(self, file_id: str) -> int:
        """Remove a file's text and every chunk (the FTS rows go with them by trigger)."""
        with self._db.transaction():
            n = self._db.execute("DELETE FROM file_chunks WHERE file_id=?", (file_id,)).rowcount
            self._db.execute("DELETE FROM file_texts WHERE file_id=?", (file_id,))
        return n

    def delete_profile(
        self,
        project: str,
        environment: str,
        chunk_size: int,
        chunk_overlap: int,
        keep_files: Sequence[str] | None = None,
    ) -> int:
        """Drop a chunking profile's chunks in a scope, except those of `keep_files`."""
        sql = (
            "DELETE FROM file_chunks WHERE project=? AND environment=? AND chunk_size=?"
            " AND chunk_overlap=?"
        )
        params: list[Any] = [project, environment, chunk_size, chunk_overlap]
        if keep_files:
            sql += f" AND file_id NOT IN ({','.join('?' * len(keep_files))})"
            params.extend(keep_files)
        with self._db.transaction():
            return int(self._db.execute(sql, params).rowcount)

    def file_ids(self, project: str, environment: str) -> list[str]:
        """Every indexed file of a project and environment."""
        rows = self._db.fetchall(
            "SELECT file_id FROM file_texts WHERE project=? AND environment=? ORDER BY file_id",
            (project, environment),
        )
        return [r["file_id"] for r in rows]

    def chunk_count(self, file_id: str) -> int:
        """How many chunks a file has (all profiles)."""
        row = self._db.fetchone("SELECT COUNT(*) AS n FROM file_chunks WHERE file_id=?", (file_id,))
        return int(row["n"]) if row else 0

    def bm25(
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
            " JOIN file_chunks c ON c.id = file_chunks_fts.rowid"
            " WHERE file_chunks_fts MATCH ? AND c.project=? AND c.environment=?"
            " AND c.chunk_size=? AND c.chunk_overlap=?"
        )
        params: list[Any] = [match, project, environment, chunk_size, chunk_overlap]
        if file_ids is not None:
            sql += f" AND c.file_id IN ({','.join('?' * len(file_ids))})"
            params.extend(file_ids)
        sql += " ORDER BY rank LIMIT ?"
        params.append(limit)
        return [
            # bm25() is lower-is-better (negative); the API reports higher-is-better.
            SearchHit(
                r["file_id"],
                r["chunk_index"],
                r["start"],
                r["end"],
                r["text"],
                -float(r["rank"]),
                r["id"],
            )
            for r in self._db.fetchall(sql, params)
        ]

    def embedded_chunks(
        self,
        project: str,
        environment: str,
        file_ids: Sequence[str] | None,
        chunk_size: int,
        chunk_overlap: int,
    ) -> list[tuple[SearchHit, bytes]]:
        """Chunks in scope that carry an embedding (score 0), with the packed vector."""
        sql = (
            "SELECT id, file_id, chunk_index, start, end, text, embedding FROM file_chunks"
            " WHERE project=? AND environment=? AND chunk_size=? AND chunk_overlap=?"
            " AND embedding IS NOT NULL"
        )
        params: list[Any] = [project, environment, chunk_size, chunk_overlap]
        if file_ids is not None:
            if not file_ids:
                return []
            sql += f" AND file_id IN ({','.join('?' * len(file_ids))})"
            params.extend(file_ids)
        return [
            (
                SearchHit(
                    r["file_id"], r["chunk_index"], r["start"], r["end"], r["text"], 0.0, r["id"]
                ),
                r["embedding"],
            )
            for r in self._db.fetchall(sql, params)
        ]
