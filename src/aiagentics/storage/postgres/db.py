"""`PgDatabase`: an async psycopg 3 connection pool with the same unit of work as SQLite's.

Every call is a coroutine on psycopg's async API, so the event loop never blocks on the
database. `read(fn)` and `write(fn)` take an async `fn(conn)`:

- outside a unit of work, a read runs on a pooled connection in autocommit (each statement
  sees the last committed state); a write runs in its own transaction.
- `transaction()`, the unit of work, takes one connection for the task that opened it;
  every `read`/`write` that task awaits inside runs there, in that one transaction, each
  write under a savepoint (so a failed statement, a duplicate name, does not poison the
  rest of the unit). Other tasks of this process wait for it before they write (as they
  do on SQLite, where there is one writer); their reads go on.
- the change token is a one-row counter (`aia_change`) bumped by every commit that may
  change definitions or keys, in the same transaction, so every instance on the database
  sees it move.
"""

from __future__ import annotations

import asyncio
import contextvars
import weakref
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import urlsplit

from psycopg import AsyncConnection, OperationalError
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from aiagentics.storage.base import DatabaseUnavailable

T = TypeVar("T")
Conn = AsyncConnection[Any]
Params = Sequence[Any] | dict[str, Any]

__all__ = ["DatabaseUnavailable", "PgDatabase", "UnitOfWork", "describe"]

_BUMP = "UPDATE aia_change SET n = n + 1"


def describe(url: str) -> str:
    """`host:port/db` of a URL, without its user or password (for messages)."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or 5432
    return f"{host}:{port}{parts.path or ''}"


async def fetchone(conn: Conn, sql: str, params: Params | None = None) -> tuple[Any, ...] | None:
    """The first row of a query, or None."""
    cur = await conn.execute(sql, params)
    return await cur.fetchone()


async def fetchall(conn: Conn, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]:
    """All rows of a query."""
    cur = await conn.execute(sql, params)
    return await cur.fetchall()


async def execute(conn: Conn, sql: str, params: Params | None = None) -> int:
    """One statement; the number of rows it touched."""
    cur = await conn.execute(sql, params)
    return cur.rowcount


class PgDatabase:
    """A PostgreSQL database shared by every gateway component (and every instance)."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10) -> None:
        self.url = url
        self._pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            open=False,
            kwargs={"autocommit": True},
            name="aiagentics",
        )
        self._opened = False
        self._open_lock: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._unit: contextvars.ContextVar[UnitOfWork | None] = contextvars.ContextVar(
            f"pg-unit-of-work-{id(self)}", default=None
        )
        self._closed = False

    # -- connections -------------------------------------------------------------------
    async def open(self, timeout: float = 10.0) -> None:
        """Open the pool, failing with `DatabaseUnavailable` when the server does not answer."""
        if self._opened:
            return
        if self._closed:
            raise DatabaseUnavailable("the database is closed")
        try:
            # One direct attempt first: the pool retries quietly until its timeout, and
            # would then say only that it timed out, not why.
            probe = await AsyncConnection.connect(self.url, connect_timeout=int(timeout))
            await probe.close()
            await self._pool.open(wait=True, timeout=timeout)
        except (PoolTimeout, OperationalError) as exc:
            await self._pool.close()
            raise DatabaseUnavailable(self._unreachable(exc)) from None
        self._opened = True

    def _unreachable(self, exc: Exception) -> str:
        # psycopg's own reason (refused, bad password, no such database) without the URL.
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return (
            f"cannot connect to PostgreSQL at {describe(self.url)} ({reason}); start the server"
            " or fix [gateway] database / AIAGENTICS_DATABASE_URL"
        )

    async def _conn_ready(self) -> None:
        if not self._opened:
            loop = asyncio.get_running_loop()
            lock = self._open_lock.get(loop)
            if lock is None:
                lock = self._open_lock[loop] = asyncio.Lock()
            async with lock:
                await self.open()

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    def _current_unit(self) -> UnitOfWork | None:
        """The unit of work the current task opened (a task it spawned does not join it)."""
        unit = self._unit.get()
        if unit is not None and unit.task is asyncio.current_task():
            return unit
        return None

    # -- the async API -----------------------------------------------------------------
    async def read(self, fn: Callable[[Conn], Awaitable[T]]) -> T:
        """`await fn(conn)` on a pooled connection (autocommit), or inside the caller's unit."""
        unit = self._current_unit()
        if unit is not None:
            return await unit.step(fn, cached=False, write=False)
        await self._conn_ready()
        async with self._pool.connection() as conn:
            return await fn(conn)

    async def write(self, fn: Callable[[Conn], Awaitable[T]], *, cached: bool = True) -> T:
        """`await fn(conn)` in a transaction of its own, or inside the caller's unit of work.

        `cached=False` says the write changes nothing a read cache holds (definitions and
        keys), so the change token is left alone."""
        unit = self._current_unit()
        if unit is not None:
            return await unit.step(fn, cached=cached, write=True)
        await self._conn_ready()
        lock = self._lock()
        if lock.locked():  # another task's unit is open: write after it, as SQLite does
            async with lock:
                return await self._write_now(fn, cached)
        return await self._write_now(fn, cached)

    async def _write_now(self, fn: Callable[[Conn], Awaitable[T]], cached: bool) -> T:
        async with self._pool.connection() as conn, conn.transaction():
            result = await fn(conn)
            if cached:
                await conn.execute(_BUMP)
            return result

    def transaction(self) -> UnitOfWork:
        """The unit of work: `async with db.transaction():` (nested ones join the outer one)."""
        return UnitOfWork(self)

    async def change_token(self) -> int:
        """The commit counter of definitions and keys, shared by every instance."""
        row = await self.read(lambda conn: fetchone(conn, "SELECT n FROM aia_change"))
        return int(row[0]) if row else 0

    async def close(self) -> None:
        """Close the pool (idempotent)."""
        if self._closed:
            return
        self._closed = True
        await self._pool.close()


class UnitOfWork:
    """`async with` it: one transaction on one connection for the current task."""

    def __init__(self, db: PgDatabase) -> None:
        self._db = db
        self.task: asyncio.Task[Any] | None = None
        self._joined = False
        self._cached = False
        self._token: contextvars.Token[UnitOfWork | None] | None = None
        self._lock: asyncio.Lock | None = None
        self._conn_cm: Any = None
        self._tx: Any = None
        self._conn: Conn | None = None

    async def step(self, fn: Callable[[Conn], Awaitable[T]], *, cached: bool, write: bool) -> T:
        """Run `fn(conn)` on the unit's connection (a write under a savepoint)."""
        assert self._conn is not None
        self._cached = self._cached or cached
        if not write:
            return await fn(self._conn)
        async with self._conn.transaction():
            return await fn(self._conn)

    async def __aenter__(self) -> PgDatabase:
        db = self._db
        if db._current_unit() is not None:
            self._joined = True
            return db
        await db._conn_ready()
        self._lock = db._lock()
        await self._lock.acquire()
        try:
            self._conn_cm = db._pool.connection()
            self._conn = await self._conn_cm.__aenter__()
            self._tx = self._conn.transaction()
            await self._tx.__aenter__()
        except BaseException:
            if self._conn_cm is not None and self._conn is not None:
                await self._conn_cm.__aexit__(None, None, None)
            self._lock.release()
            raise
        self.task = asyncio.current_task()
        self._token = db._unit.set(self)
        return db

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._joined:
            return
        assert self._token is not None and self._lock is not None and self._conn is not None
        self._db._unit.reset(self._token)
        try:
            await asyncio.shield(self._end(exc_type, exc, tb))
        finally:
            self._lock.release()

    async def _end(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._conn is not None
        try:
            if exc_type is None and self._cached:
                await self._conn.execute(_BUMP)
        except BaseException as failed:
            await self._tx.__aexit__(type(failed), failed, failed.__traceback__)
            await self._conn_cm.__aexit__(None, None, None)
            raise
        try:
            await self._tx.__aexit__(exc_type, exc, tb)
        finally:
            await self._conn_cm.__aexit__(None, None, None)
