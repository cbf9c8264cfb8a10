"""SQLite specifics of the definitions store (the interface itself: tests/contract/)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from aiagentics.storage.base import DuplicateName, Scope
from aiagentics.storage.sqlite.db import Database
from aiagentics.storage.sqlite.definitions import SQLiteStore
from aiagentics.storage.sqlite.migrations import apply_migrations

A = Scope("proj", "test")


def test_concurrent_duplicate_creates_exactly_one_wins(tmp_path: Path) -> None:
    """Many threads, each with its own connection to the same file, race for one name."""
    db = Database(tmp_path / "race.db")
    apply_migrations(db)
    db.close()
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        conn = Database(tmp_path / "race.db")
        store = SQLiteStore(conn)
        barrier.wait()
        try:
            asyncio.run(store.create("agent", A, "same", {}))
            outcomes.append("won")
        except DuplicateName:
            outcomes.append("duplicate")
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["duplicate"] * 7 + ["won"]
