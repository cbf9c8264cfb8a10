"""Threads that each own one SQLite connection and run jobs for the event loop.

A job is `fn(conn)`; its result or exception is handed back to the submitting loop as
soon as it is ready, through that loop's `HandBack`: results that come while the loop
has not yet woken for the previous ones ride on that same wake-up. This is one queue hop
per call and at most one wake-up per loop turn, cheaper than `run_in_executor` (no
concurrent future to chain, no wake-up per result), and it matters: every request and
every run event takes at least one.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import queue
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

Settled = tuple[asyncio.Future[Any], Any, BaseException | None]


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():  # the caller stopped waiting; the job ran all the same
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class HandBack:
    """Results for one event loop, delivered with as few wake-ups of it as possible."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        # Weak: the table of hand-backs is keyed by the loop and must not keep it alive.
        self._loop = weakref.ref(loop)
        self._ready: collections.deque[Settled] = collections.deque()
        self._lock = threading.Lock()
        self._woken = False  # a drain is scheduled and has not started yet

    def put(self, future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
        """From any thread: queue a result, waking the loop unless a wake-up is pending."""
        self._ready.append((future, result, error))
        with self._lock:
            if self._woken:
                return
            self._woken = True
        loop = self._loop()
        # A closed or collected loop: nobody is waiting any more.
        with contextlib.suppress(RuntimeError):
            if loop is not None:
                loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        # Cleared before draining: a result queued from here on schedules a drain of its own.
        with self._lock:
            self._woken = False
        while self._ready:
            _settle(*self._ready.popleft())


Job = tuple[Callable[[sqlite3.Connection], Any], HandBack, asyncio.Future[Any]]
# How long the first result of a run of queued jobs may wait for the jobs behind it.
HAND_BACK_AFTER = 0.0005
_NOT_TAKEN: Any = object()  # no next job was taken off the queue (None means stop)
_hand_backs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, HandBack] = (
    weakref.WeakKeyDictionary()
)


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
            job = self._jobs.get()
            while job is not None:
                # Jobs that queued up meanwhile run back to back before their results go
                # back: waking the loop between them makes it fight this thread for the
                # GIL at every job. No further job is taken once the first result has
                # waited HAND_BACK_AFTER.
                done: list[tuple[HandBack, Settled]] = []
                started = time.perf_counter()
                while True:
                    fn, hand_back, future = job
                    try:
                        result, error = fn(conn), None
                    except BaseException as exc:
                        result, error = None, exc
                    if not done:
                        started = time.perf_counter()
                    done.append((hand_back, (future, result, error)))
                    if time.perf_counter() - started > HAND_BACK_AFTER:
                        job = _NOT_TAKEN
                        break
                    try:
                        job = self._jobs.get_nowait()
                    except queue.Empty:
                        job = _NOT_TAKEN
                        break
                    if job is None:  # the stop signal, after these results
                        break
                for hand_back, settled in done:
                    hand_back.put(*settled)
                if job is _NOT_TAKEN:
                    job = self._jobs.get()
        finally:
            conn.close()

    def run(self, fn: Callable[[sqlite3.Connection], T]) -> asyncio.Future[T]:
        """`fn(conn)` on one of the threads; await the returned future on the running loop."""
        loop = asyncio.get_running_loop()
        hand_back = _hand_backs.get(loop)
        if hand_back is None:
            hand_back = _hand_backs[loop] = HandBack(loop)
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((fn, hand_back, future))
        return future

    def close(self) -> None:
        """Let every queued job finish, then stop the threads (their connections close)."""
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join()
        self._threads = []
