"""Settings for every test session."""

from __future__ import annotations

import atexit
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # `aia validate` and `aia plan` keep a template cache in the user cache folder: the tests
    # (and the `aia` processes they start) keep theirs in a folder of their own, removed at exit.
    folder = tempfile.mkdtemp(prefix="aiagentics-test-cache-")
    os.environ["XDG_CACHE_HOME"] = folder  # also for `aia` processes started without AIAGENTICS_*
    os.environ["AIAGENTICS_CACHE_DIR"] = folder
    atexit.register(shutil.rmtree, folder, True)


def file_mode(path: Path) -> int:
    """The permission bits of `path`."""
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """umask 0 (inherited by servers the test starts): every mode seen is one the code set."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[object]:
    """A throwaway PostgreSQL server for the session (see tests/pg_server.py).

    Without one the Postgres tests skip, except in CI (`CI=true`), where they fail.
    """
    from tests.pg_server import PgServer, ServerUnavailable, server_from_env

    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        _no_postgres("the postgres extra is not installed (pip install -e '.[dev,postgres]')")
    server = server_from_env()
    if server is None:
        try:
            server = PgServer.start()
        except ServerUnavailable as exc:
            _no_postgres(str(exc))
    try:
        yield server
    finally:
        server.stop()


def _no_postgres(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required in CI: {reason}", pytrace=False)
    pytest.skip(f"no PostgreSQL: {reason}")
