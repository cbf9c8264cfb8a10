"""The `storage` fixture: every contract test runs once per backend.

A backend is a way to open a `Storage` on one fresh, migrated database, and to open
another handle on that same database (another connection, as another worker process
would have). A new backend adds one entry to BACKENDS. `open` takes the clock that dates
KV entries and deliveries (tests move it by hand) and the chunk slice size.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest

from aiagentics.storage.base import Definitions, Idempotency, Keys, RunJournal, Storage
from aiagentics.storage.threads import Threads


class Opener(Protocol):
    def __call__(
        self, clock: Callable[[], float] = ..., chunk_slice_rows: int | None = ...
    ) -> Awaitable[Storage]: ...


@dataclass
class Backend:
    """Opens handles on one database of one backend."""

    name: str
    open: Opener


def _sqlite(tmp_path: Path) -> Backend:
    from aiagentics.storage.sqlite.storage import SQLiteStorage

    path = tmp_path / "contract.db"

    async def open_one(
        clock: Callable[[], float] = time.time, chunk_slice_rows: int | None = None
    ) -> Storage:
        options = {} if chunk_slice_rows is None else {"chunk_slice_rows": chunk_slice_rows}
        storage = SQLiteStorage.open(path, clock=clock, **options)
        await storage.migrate()
        return storage

    return Backend("sqlite", open_one)


def _postgres(tmp_path: Path, request: pytest.FixtureRequest) -> Backend:
    # The session's throwaway server (skips, or fails in CI, without one); a database per test.
    server = request.getfixturevalue("postgres_server")
    url = server.database()
    from aiagentics.storage.postgres.storage import PgStorage

    async def open_one(
        clock: Callable[[], float] = time.time, chunk_slice_rows: int | None = None
    ) -> Storage:
        options = {} if chunk_slice_rows is None else {"chunk_slice_rows": chunk_slice_rows}
        storage = PgStorage.open(url, clock=clock, **options)
        await storage.migrate()
        return storage

    return Backend("postgres", open_one)


class Clock:
    """A clock the test moves by hand, so TTLs, leases and retries fall due without sleeping."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


BACKENDS: dict[str, Callable[[Path, pytest.FixtureRequest], Backend]] = {
    "sqlite": lambda tmp_path, request: _sqlite(tmp_path),
    "postgres": _postgres,
}


@pytest.fixture(params=sorted(BACKENDS))
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """One backend, on a fresh database."""
    return BACKENDS[request.param](tmp_path, request)


@pytest.fixture
async def storage(backend: Backend) -> AsyncIterator[Storage]:
    """A migrated Storage on the backend's database."""
    opened = await backend.open()
    yield opened
    await opened.close()


@pytest.fixture
async def another(backend: Backend) -> AsyncIterator[Storage]:
    """A second handle on the same database (another connection, as another process)."""
    opened = await backend.open()
    yield opened
    await opened.close()


@pytest.fixture
def definitions(storage: Storage) -> Definitions:
    return storage.definitions


@pytest.fixture
def keys(storage: Storage) -> Keys:
    return storage.keys


@pytest.fixture
def idempotency(storage: Storage) -> Idempotency:
    return storage.idempotency


@pytest.fixture
def runs(storage: Storage) -> RunJournal:
    return storage.runs


@pytest.fixture
def threads(storage: Storage) -> Threads:
    return storage.threads
