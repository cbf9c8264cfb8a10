"""Threads that each own one SQLite connection and run jobs for the event loop.

A job is `fn(conn)`; its result or exception is handed back to the submitting loop with
`call_soon_threadsafe`. This is one queue hop and one wake-up per call, about half the
cost of `run_in_executor` (no concurrent future to chain), and it matters: every request
and every run event takes at least one.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

Job = tuple[
    Callable[[sqlite3.Connection], Any],
    asyncio.AbstractEventLoop | None,
    asyncio.Future[Any] | None,
]


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():  # the caller stopped waiting; the job ran all the same
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class ConnectionThreads:
    """`count` threads sharing one job queue, each with a connection from `open_conn`."""

    def __init__(self, name: str, count: int, open_conn: Callable[[], sqlite3.Connection]) -> None:
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._open = open_conn
        self._threads: list[threading.Thread] = []
        opened: queue.SimpleQueue[BaseException | None] = queue.SimpleQueue()
        for n in range(count):
            # Daemon threads: a database nobody closed must not keep the process alive.
            thread = threading.Thread(
                target=self._serve, args=(opened,), name=f"{name}-{n}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        for _ in range(count):
            error = opened.get()
            if error is not None:
                self.close()
                raise error

    def _serve(self, opened: queue.SimpleQueue[BaseException | None]) -> None:
        try:
            conn = self._open()
        except BaseException as exc:
            opened.put(exc)
            return
        opened.put(None)
        try:
            while True:
                job = self._jobs.get()
                if job is None:
                    return
                fn, loop, future = job
                try:
                    result, error = fn(conn), None
                except BaseException as exc:
                    result, error = None, exc
                if loop is not None and future is not None:
                    # A closed loop raises RuntimeError: nobody is waiting any more.
                    with contextlib.suppress(RuntimeError):
                        loop.call_soon_threadsafe(_settle, future, result, error)
        finally:
            conn.close()

    def run(self, fn: Callable[[sqlite3.Connection], T]) -> asyncio.Future[T]:
        """`fn(conn)` on one of the threads; await the returned future on the running loop."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((fn, loop, future))
        return future

    def close(self) -> None:
        """Let every queued job finish, then stop the threads (their connections close)."""
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join()
        self._threads = []
