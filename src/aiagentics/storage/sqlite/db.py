"""One SQLite file: WAL, synchronous=NORMAL, foreign keys on, one connection per process.

Calls are plain synchronous methods. They are fast (sub-millisecond on an indexed
table), so async handlers call them directly instead of paying a thread hop;
push anything slow (bulk imports, large scans) to `anyio.to_thread.run_sync`.
Every call is serialized by one re-entrant lock, so the connection is safe to use
from worker threads too. NEVER `await` inside `transaction()`: the lock is held by
the thread, and another coroutine on the same thread would walk into your transaction.
Several processes (uvicorn workers) may open the same file; SQLite's locking and
`busy_timeout` arbitrate between them.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread

T = TypeVar("T")
Params = Sequence[Any] | dict[str, Any]


class Database:
    """A SQLite database file shared by every gateway component."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: autocommit; `transaction()` issues BEGIN IMMEDIATE itself
        # so that write locks are taken up front and never upgraded mid-transaction.
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._depth = 0
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute("PRAGMA busy_timeout=5000")

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

    def change_token(self) -> tuple[int, int]:
        """Changes whenever the database may have changed: a commit by another connection
        (PRAGMA data_version) or any row written through this one (total_changes).

        Read caches compare it on every request, so they never serve data older than the
        request itself.
        """
        with self._lock:
            return (
                self._conn.execute("PRAGMA data_version").fetchone()[0],
                self._conn.total_changes,
            )

    @contextmanager
    def transaction(self) -> Iterator[Database]:
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

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` off the event loop (the one connection, under the lock)."""

        def run() -> T:
            with self._lock:
                return fn(self._conn)

        return await anyio.to_thread.run_sync(run)

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` off the event loop inside BEGIN IMMEDIATE ... COMMIT.

        Joins a transaction already open on the connection instead of nesting one.
        """

        def run() -> T:
            with self._lock:
                if self._depth:
                    return fn(self._conn)
                self._conn.execute("BEGIN IMMEDIATE")
                self._depth = 1
                try:
                    result = fn(self._conn)
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                else:
                    self._conn.execute("COMMIT")
                finally:
                    self._depth = 0
                return result

        return await anyio.to_thread.run_sync(run)
