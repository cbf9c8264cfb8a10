"""Connection threads hand results back to the loop, sharing wake-ups when they pile up."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from typing import Any

import pytest

from aiagentics.storage.sqlite.threads import ConnectionThreads


async def test_results_that_pile_up_share_a_wake_up_of_the_loop() -> None:
    threads = ConnectionThreads("test", 1, lambda: sqlite3.connect(":memory:"))
    loop = asyncio.get_running_loop()
    wake_ups = 0
    real = loop.call_soon_threadsafe

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal wake_ups
        wake_ups += 1
        return real(*args, **kwargs)

    gate = threading.Event()
    loop.call_soon_threadsafe = counted  # type: ignore[method-assign]
    try:
        first = threads.run(lambda conn: gate.wait(5))
        rest = [
            threads.run(lambda conn, n=n: conn.execute("SELECT ?", (n,)).fetchone()[0])
            for n in range(200)
        ]
        gate.set()  # every job is queued: the thread runs them back to back
        assert await first is True
        assert await asyncio.gather(*rest) == list(range(200))
    finally:
        del loop.call_soon_threadsafe
        threads.close()
    assert 1 <= wake_ups < 100, wake_ups


async def test_an_error_reaches_its_own_caller_only() -> None:
    threads = ConnectionThreads("test", 2, lambda: sqlite3.connect(":memory:"))
    try:
        bad = threads.run(lambda conn: conn.execute("SELECT nope FROM nowhere"))
        good = threads.run(lambda conn: conn.execute("SELECT 7").fetchone()[0])
        with pytest.raises(sqlite3.OperationalError):
            await bad
        assert await good == 7
    finally:
        threads.close()
