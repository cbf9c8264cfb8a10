"""`SQLiteStorage`: the `Storage` root on one SQLite file."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from aiagentics.storage.sqlite.chunks import SLICE_ROWS, SQLiteChunks
from aiagentics.storage.sqlite.conversations import SQLiteThreads
from aiagentics.storage.sqlite.db import Database, UnitOfWork
from aiagentics.storage.sqlite.definitions import SQLiteStore
from aiagentics.storage.sqlite.migrations import migrate
from aiagentics.storage.sqlite.outbox import SQLiteOutbox
from aiagentics.storage.sqlite.runs import SQLiteRunJournal
from aiagentics.storage.sqlite.scratchpads import SQLiteScratchpads


class SQLiteStorage:
    """Every aggregate on one `Database`; one `SQLiteStore` serves definitions, keys and
    idempotency (one table family, one set of SQL).

    `clock` dates KV entries and deliveries (tests move it by hand); `chunk_slice_rows`
    is how many chunks one write of a long index holds (smaller: writers interleave more).
    """

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], float] = time.time,
        chunk_slice_rows: int = SLICE_ROWS,
    ) -> None:
        self.db = db
        store = SQLiteStore(db)
        self.definitions = store
        self.keys = store
        self.idempotency = store
        self.runs = SQLiteRunJournal(db)
        self.scratchpads = SQLiteScratchpads(db, clock)
        self.chunks = SQLiteChunks(db, slice_rows=chunk_slice_rows)
        self.outbox = SQLiteOutbox(db, clock)
        self.threads = SQLiteThreads(db)

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        clock: Callable[[], float] = time.time,
        chunk_slice_rows: int = SLICE_ROWS,
        sole_writer: bool = False,
    ) -> SQLiteStorage:
        """Open (or create) the database file; nothing is migrated yet. `sole_writer`: no
        other process writes it (see `Database`)."""
        db = Database(path, sole_writer=sole_writer)
        return cls(db, clock=clock, chunk_slice_rows=chunk_slice_rows)

    def transaction(self) -> UnitOfWork:
        """The unit of work (see `Database.transaction`)."""
        return self.db.transaction()

    async def change_token(self) -> object:
        """See `Database.change_token`."""
        return await self.db.change_token()

    async def migrate(self) -> None:
        """Apply every pending migration of every component."""
        await migrate(self.db)

    async def close(self) -> None:
        """Close every connection."""
        await self.db.close()
