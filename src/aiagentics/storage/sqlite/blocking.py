"""A blocking SQLite connection behind a re-entrant lock, for code not yet on the async API.

It is a connection of its own beside the writer and the readers of `Database`, so its
transactions are arbitrated by SQLite's file locks exactly as another process's would be.
Every call blocks the calling thread: call it from worker threads, never the event loop.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

Params = Sequence[Any] | dict[str, Any]


class BlockingConnection:
    """One connection, every call serialized by one lock; `transaction()` nests by joining."""

    def __init__(self, path: str, connect: Callable[[str], sqlite3.Connection]) -> None:
        self._conn = connect(path)
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._lock = threading.RLock()
        self._depth = 0

    def execute(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        """Run one statement (autocommitted unless inside `transaction()`)."""
        with self._lock:
            return self._conn.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        """Run one statement for many parameter rows."""
        with self._lock:
            self._conn.executemany(sql, rows)

    def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """The first row of a query, or None."""
        with self._lock:
            return self._conn.execute(sql, params).fetchone()

    def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """All rows of a query."""
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def locked(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        """`fn(conn)` on the connection, holding its lock."""
        with self._lock:
            return fn(self._conn)

    @contextmanager
    def transaction(self) -> Iterator[BlockingConnection]:
        """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error); nested calls join the outer one."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._depth = 0

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock, suppress(sqlite3.ProgrammingError):
            self._conn.close()
