"""`PgStorage`: the `Storage` root on one PostgreSQL database (the `postgres` extra)."""

from __future__ import annotations

import time
from collections.abc import Callable

from aiagentics.storage.postgres.chunks import SLICE_ROWS, PgChunks
from aiagentics.storage.postgres.conversations import PgThreads
from aiagentics.storage.postgres.db import PgDatabase, UnitOfWork
from aiagentics.storage.postgres.definitions import PgStore
from aiagentics.storage.postgres.migrations import migrate
from aiagentics.storage.postgres.outbox import PgOutbox
from aiagentics.storage.postgres.runs import PgRunJournal
from aiagentics.storage.postgres.scratchpads import PgScratchpads


class PgStorage:
    """Every aggregate on one `PgDatabase`; one `PgStore` serves definitions, keys and
    idempotency. The pool opens on first use (or `migrate()`), so building it does no I/O."""

    def __init__(
        self,
        db: PgDatabase,
        *,
        clock: Callable[[], float] = time.time,
        chunk_slice_rows: int = SLICE_ROWS,
    ) -> None:
        self.db = db
        store = PgStore(db)
        self.definitions = store
        self.keys = store
        self.idempotency = store
        self.runs = PgRunJournal(db)
        self.scratchpads = PgScratchpads(db, clock)
        self.chunks = PgChunks(db, slice_rows=chunk_slice_rows)
        self.outbox = PgOutbox(db, clock)
        self.threads = PgThreads(db)

    @classmethod
    def open(
        cls,
        url: str,
        *,
        clock: Callable[[], float] = time.time,
        chunk_slice_rows: int = SLICE_ROWS,
        max_connections: int = 10,
    ) -> PgStorage:
        """A storage on the database at `url` (connected lazily; nothing migrated yet)."""
        return cls(
            PgDatabase(url, max_size=max_connections),
            clock=clock,
            chunk_slice_rows=chunk_slice_rows,
        )

    def transaction(self) -> UnitOfWork:
        """The unit of work (see `PgDatabase.transaction`)."""
        return self.db.transaction()

    async def change_token(self) -> object:
        """See `PgDatabase.change_token`."""
        return await self.db.change_token()

    async def migrate(self) -> None:
        """Connect (a clear `DatabaseUnavailable` when that fails), then apply every pending
        migration under the advisory lock."""
        await self.db.open()
        await migrate(self.db)

    async def close(self) -> None:
        """Close every connection."""
        await self.db.close()
