"""`aia serve` on PostgreSQL: clear errors when it cannot be had, and two real gateways on one
real database behaving as one (objects, keys, idempotency, follow and cancel across them).

The server is the session's throwaway cluster (tests/pg_server.py); each test gets a
database of its own. Both gateways serve one project folder, so they share its sealing key.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from tests.e2e.conftest import AIA

pytestmark = pytest.mark.e2e

KEY = "sk_test_" + "p" * 40


def _serve_fails(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    (tmp_path / "aiagentics.toml").write_text('[project]\nname = "e2e"\n')
    proc_env = {**os.environ, "AIAGENTICS_API_KEY": KEY, **env}
    proc_env.pop("AIAGENTICS_GATEWAY_SETTINGS", None)
    return subprocess.run(
        [AIA, "-C", str(tmp_path), "serve", "--port", "0"],
        capture_output=True,
        text=True,
        env=proc_env,
        timeout=60,
        check=False,
    )


def test_an_unreachable_server_is_named_with_its_host_and_port(tmp_path: Path) -> None:
    # Port 1 on loopback: nothing listens there.
    done = _serve_fails(
        tmp_path, {"AIAGENTICS_DATABASE_URL": "postgresql://app:pw1x@127.0.0.1:1/aia"}
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "cannot connect to PostgreSQL at 127.0.0.1:1/aia" in done.stderr
    assert "AIAGENTICS_DATABASE_URL" in done.stderr  # how to fix it
    assert "pw1x" not in done.stderr + done.stdout  # never the password


def test_a_missing_postgres_extra_says_how_to_install_it(tmp_path: Path) -> None:
    # A `psycopg` package that cannot be imported stands in for the extra not installed.
    blocker = tmp_path / "blocked" / "psycopg"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text('raise ImportError("not installed")\n')
    project = tmp_path / "project"
    project.mkdir()
    done = _serve_fails(
        project,
        {
            "PYTHONPATH": str(tmp_path / "blocked"),
            "AIAGENTICS_DATABASE_URL": "postgresql://app@127.0.0.1:1/aia",
        },
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "pip install 'aiagentics[postgres]'" in done.stderr
