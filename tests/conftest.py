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
