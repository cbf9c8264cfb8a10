"""Settings for every test session."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # `aia validate` and `aia plan` keep a template cache in the user cache folder: the tests
    # (and the `aia` processes they start) keep theirs in a folder of their own, removed at exit.
    folder = tempfile.mkdtemp(prefix="aiagentics-test-cache-")
    os.environ["XDG_CACHE_HOME"] = folder  # also for `aia` processes started without AIAGENTICS_*
    os.environ["AIAGENTICS_CACHE_DIR"] = folder
    atexit.register(shutil.rmtree, folder, True)
