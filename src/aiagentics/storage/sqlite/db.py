"""One SQLite file (WAL, synchronous=NORMAL, foreign keys on) that the event loop never touches.

Every SQLite call runs on a thread of this module, never on the caller's:

- ONE writer connection, owned by one writer thread. `write(fn)` runs `fn(conn)` there
  inside BEGIN IMMEDIATE ... COMMIT; writers queue on an asyncio lock, so a waiting writer
  parks its task instead of blocking the loop.
- a small pool of read connections on reader threads. WAL lets them read the last
  committed state while the writer works, so a read never waits for a long write.
- `transaction()`, the unit of work: it holds the writer for the task that opened it, and
  every `read`/`write` that task awaits inside runs on the writer connection in that one
  transaction (so reads see its own writes). Other tasks' writes wait; their reads go on.

Several processes (uvicorn workers) may open the same file; SQLite's locking and
`busy_timeout` arbitrate between their writers. A process that is the file's only
writer (one gateway process) opens it with `sole_writer=True`: every commit then goes
through this writer, so the change token is its commit counter, read without a hop. That
promise is kept by a lock file next to the database: a sole writer holds it exclusively and
every other opener shares it, so a second process on a file that a sole writer holds (or a
sole writer on a file others hold) fails to open with `DatabaseInUse` instead of serving
caches that never see the other's writes (a revoked key still accepted, say).
`:memory:` opens a fresh temporary file (deleted on close), so tests get the same WAL
concurrency as a real database.
"""

from __future__ import annotations

import asyncio
import contextvars
import errno
import os
import shutil
import sqlite3
import tempfile
import threading
import weakref
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from aiagentics.storage.sqlite.blocking import BlockingConnection, Params
from aiagentics.storage.sqlite.threads import ConnectionThreads

T = TypeVar("T")
R = TypeVar("R")

try:
    import fcntl
except ImportError:  # not on this platform: no cross-process check of a sole writer
    fcntl = None  # type: ignore[assignment]

__all__ = ["Database", "DatabaseInUse", "Params"]

_READERS = 4


def connect(path: str) -> sqlite3.Connection:
    """A connection with the pragmas every connection of ours uses."""
    # isolation_level=None: autocommit; transactions are begun explicitly, write locks
    # taken up front (BEGIN IMMEDIATE) and never upgraded mid-transaction.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


class DatabaseInUse(OSError):
    """Another process holds the database in a way that this opening cannot share."""


def _hold(path: str, sole_writer: bool) -> int | None:
    """Take the database's lock file: exclusive for a sole writer, shared otherwise."""
    if fcntl is None:
        return None
    fd = os.open(path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if sole_writer else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            raise
        if sole_writer:
            why = "another process has it open"
        else:
            why = "a gateway process uses it as its only writer"
        raise DatabaseInUse(
            errno.EBUSY,
            f"{why}; stop that process, give each gateway its own database, or set"
            " `[gateway] shared_database = true` in aiagentics.toml when other processes"
            " must write to it (the worker processes of one `aia serve --workers N` share it)",
            path,
        ) from None
    return fd


class Database:
    """A SQLite database file shared by every gateway component; see the module docstring."""

    def __init__(
        self, path: str | Path, *, readers: int = _READERS, sole_writer: bool = False
    ) -> None:
        self._tmpdir: str | None = None
        self.sole_writer = sole_writer
        if str(path) == ":memory:":
            self._tmpdir = tempfile.mkdtemp(prefix="aiagentics-db-")
            path = os.path.join(self._tmpdir, "memory.db")
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lockfd = _hold(self.path, sole_writer)
        # The writer opens first: it switches the file to WAL before any reader opens it.
        self._writer = ConnectionThreads("sqlite-writer", 1, self._open_writer)
        self._readers = ConnectionThreads("sqlite-reader", readers, self._open_reader)
        # data_version is per connection (it moves when OTHER connections commit), so the
        # change token always asks the same one, on a thread of its own.
        self._tokens = ConnectionThreads("sqlite-token", 1, self._open_reader)
        self._commits = 0  # commits made through the writer connection
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        # The open unit of work of the current context (None outside one).
        self._unit: contextvars.ContextVar[UnitOfWork | None] = contextvars.ContextVar(
            f"sqlite-unit-of-work-{id(self)}", default=None
        )
        self._blocking: BlockingConnection | None = None
        self._blocking_lock = threading.Lock()
        self._closed = False

    # -- connections -------------------------------------------------------------------
    def _open_writer(self) -> sqlite3.Connection:
        conn = connect(self.path)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _open_reader(self) -> sqlite3.Connection:
        conn = connect(self.path)
        conn.execute("PRAGMA query_only=ON")
        return conn

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

    def _check_open(self) -> None:
        if self._closed:
            raise sqlite3.ProgrammingError("the database is closed")

    # -- the async API -----------------------------------------------------------------
    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """`fn(conn)` on a read connection, or inside the caller's unit of work.

        Each statement reads the last committed state (`fn` may BEGIN for one snapshot over
        several). No BEGIN/COMMIT is added: every statement hands the GIL back and forth
        with the loop thread, which under load costs more than the statement itself."""
        self._check_open()
        unit = self._current_unit()
        if unit is not None:
            return await unit.step(fn, cached=False)
        return await self._readers.run(fn)

    async def write(self, fn: Callable[[sqlite3.Connection], T], *, cached: bool = True) -> T:
        """`fn(conn)` on the writer in its own transaction, or inside the caller's unit of work.

        `cached=False` says the write changes nothing a read cache holds (definitions and
        keys): run logs, the outbox, memory. Such commits leave `change_token()` alone, so
        a stream of run events does not empty the read cache."""
        self._check_open()
        unit = self._current_unit()
        if unit is not None:
            return await unit.step(fn, cached)
        # The writer thread runs jobs in order, so the lock is only needed to keep this
        # write out of another task's open unit: a job queued while no unit holds it runs
        # before any step of a unit that opens later. Not holding it across the hop lets
        # writes queue back to back instead of one per loop wake-up.
        lock = self._lock()
        if lock.locked():
            async with lock:
                done = self._writer.run(lambda conn: self._write_now(conn, fn, cached))
        else:
            done = self._writer.run(lambda conn: self._write_now(conn, fn, cached))
        return await done

    def _write_now(
        self, conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T], cached: bool
    ) -> T:
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self._commit_now(conn, cached)
        return result

    def _commit_now(self, conn: sqlite3.Connection, cached: bool = True) -> None:
        try:
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        if cached:
            self._commits += 1

    async def write_in_slices(
        self,
        rows: Iterable[R],
        fn: Callable[[sqlite3.Connection, list[R]], Any],
        slice_size: int = 500,
        *,
        cached: bool = True,
    ) -> int:
        """Write `rows` with `fn(conn, slice)`, one transaction per slice, so other writers
        interleave with a long batch instead of waiting for all of it. Returns the row count.

        Inside a unit of work the slices join it (the caller asked for one transaction)."""
        batch: list[R] = []
        count = 0
        for row in rows:
            batch.append(row)
            if len(batch) >= slice_size:
                part, batch = batch, []
                await self.write(lambda conn, part=part: fn(conn, part), cached=cached)  # type: ignore[misc]
                count += len(part)
        if batch:
            await self.write(lambda conn: fn(conn, batch), cached=cached)
            count += len(batch)
        return count

    def transaction(self) -> UnitOfWork:
        """The unit of work: `async with db.transaction():` (nested ones join the outer one)."""
        return UnitOfWork(self)

    async def change_token(self) -> tuple[int, int]:
        """Moves whenever what read caches hold may have changed: a commit by another
        connection or process (PRAGMA data_version) or one made through the writer that was
        not marked `cached=False` (a counter).

        Read caches compare it once per request, so they never serve data older than the
        request itself."""
        self._check_open()
        if self.sole_writer:
            return (0, self._commits)
        version = await self._tokens.run(
            lambda conn: int(conn.execute("PRAGMA data_version").fetchone()[0])
        )
        return (version, self._commits)

    def close(self) -> Awaitable[None]:
        """Close every connection (idempotent). Await it on the loop (the thread joins run
        off the loop); from synchronous code, calling it closes at once."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._close_now()
            return _Done()
        return asyncio.ensure_future(loop.run_in_executor(None, self._close_now))

    def _close_now(self) -> None:
        if self._closed:
            return
        self._closed = True
        for threads in (self._readers, self._tokens, self._writer):
            threads.close()
        if self._blocking is not None:
            self._blocking.close()
        if self._lockfd is not None:
            os.close(self._lockfd)  # releases the lock
            self._lockfd = None
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    # -- blocking calls ----------------------------------------------------------------
    # Code that has not moved to `read`/`write` yet calls these; they run on a connection
    # of their own (as another process would), never on the writer's, so they cannot walk
    # into a unit of work. They block the calling thread: call them from worker threads.
    @property
    def blocking(self) -> BlockingConnection:
        """The blocking connection (opened on first use)."""
        with self._blocking_lock:
            if self._blocking is None:
                self._blocking = BlockingConnection(self.path, connect)
            return self._blocking

    def execute(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        """Blocking: one autocommitted statement (see `blocking`)."""
        return self.blocking.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        """Blocking: one statement for many parameter rows."""
        self.blocking.executemany(sql, rows)

    def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """Blocking: the first row of a query, or None."""
        return self.blocking.fetchone(sql, params)

    def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Blocking: all rows of a query."""
        return self.blocking.fetchall(sql, params)


class _Done:
    """An already finished awaitable (what `close()` returns when called without a loop)."""

    def __await__(self) -> Any:
        return iter(())


class UnitOfWork:
    """`async with` it: one transaction on the writer for the current task (see `Database`).

    BEGIN IMMEDIATE goes with the unit's first statement and COMMIT after its last: the
    writer thread runs jobs in order, so the end comes after every step, even one whose
    await was cancelled. A plain `with` is the blocking connection's transaction, for code
    not yet on the async API.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self.task: asyncio.Task[Any] | None = None
        self._joined = False
        self._steps = 0
        self._cached = False
        self._token: contextvars.Token[UnitOfWork | None] | None = None
        self._lock: asyncio.Lock | None = None
        self._sync: Any = None

    def step(self, fn: Callable[[sqlite3.Connection], T], cached: bool = True) -> asyncio.Future[T]:
        """Run `fn(conn)` on the writer inside this unit (beginning it if need be)."""
        self._steps += 1
        self._cached = self._cached or cached

        def job(conn: sqlite3.Connection) -> T:
            if not conn.in_transaction:
                conn.execute("BEGIN IMMEDIATE")
            return fn(conn)

        return self._db._writer.run(job)

    async def __aenter__(self) -> Database:
        db = self._db
        db._check_open()
        if db._current_unit() is not None:
            self._joined = True
            return db
        self._lock = db._lock()
        await self._lock.acquire()
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
        db = self._db
        assert self._token is not None and self._lock is not None
        db._unit.reset(self._token)
        try:
            if self._steps:
                end = self._commit if exc_type is None else _rollback
                await asyncio.shield(db._writer.run(end))
        finally:
            self._lock.release()

    def _commit(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            self._db._commit_now(conn, self._cached)

    def __enter__(self) -> Database:
        self._sync = self._db.blocking.transaction()
        self._sync.__enter__()
        return self._db

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._sync.__exit__(exc_type, exc, tb)


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")
