"""`SQLiteStorage`: the `Storage` root on one SQLite file."""

from __future__ import annotations

from pathlib import Path

from aiagentics.storage.sqlite.db import Database, UnitOfWork
from aiagentics.storage.sqlite.definitions import SQLiteStore
from aiagentics.storage.sqlite.migrations import migrate
from aiagentics.storage.sqlite.runs import SQLiteRunJournal


class SQLiteStorage:
    """Every aggregate on one `Database`; one `SQLiteStore` serves definitions, keys and
    idempotency (one table family, one set of SQL)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        store = SQLiteStore(db)
        self.definitions = store
        self.keys = store
        self.idempotency = store
        self.runs = SQLiteRunJournal(db)

    @classmethod
    def open(cls, path: str | Path) -> SQLiteStorage:
        """Open (or create) the database file; nothing is migrated yet."""
        return cls(Database(path))

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
