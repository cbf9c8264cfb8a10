"""`aia serve` on PostgreSQL: clear errors when it cannot be had, and two real gateways on one
real database behaving as one (objects, keys, idempotency, follow and cancel across them).

The server is the session's throwaway cluster (tests/pg_server.py); each test gets a
database of its own. Both gateways serve one project folder, so they share its sealing key.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import connect_sse
from tests.e2e.conftest import AIA, Gateway
from tests.e2e.runs_helpers import create
from tests.fakes.tool_handler import ToolHandlerServer

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


@pytest.fixture
def pair(
    postgres_server: Any, gateway_factory: Callable[..., Gateway], tmp_path: Path
) -> tuple[Gateway, Gateway]:
    """Two `aia serve` processes on one fresh PostgreSQL database, one project folder."""
    env = {"AIAGENTICS_DATABASE_URL": postgres_server.database()}
    settings = {"allow_private_network": True}
    a = gateway_factory(directory=tmp_path / "project", env=env, settings=settings, api_key=KEY)
    b = gateway_factory(directory=tmp_path / "project", env=env, settings=settings, api_key=KEY)
    assert a.process.pid != b.process.pid
    return a, b


def test_objects_keys_and_idempotency_are_shared(pair: tuple[Gateway, Gateway]) -> None:
    a, b = pair
    with a.client() as ca, b.client() as cb:
        agent = create(ca, "agents", {"name": "shared", "model": "scripted"})
        assert cb.get(f"agents/{agent['id']}").json()["name"] == "shared"
        # B caches reads; an update through A is seen on B's next request all the same.
        assert cb.get(f"agents/{agent['id']}").json()["version"] == 1
        patch = {"name": "shared", "model": "scripted", "instructions": "v2"}
        assert ca.post(f"agents/{agent['id']}", json=patch).status_code == 200
        assert cb.get(f"agents/{agent['id']}").json()["version"] == 2

        # A key created through A works on B until A revokes it.
        made = ca.post("keys", json={"name": "k", "scopes": ["read"]}).json()
        reader = {"Authorization": f"Bearer {made['secret']}"}
        assert httpx.get(b.url("/agents"), headers=reader).status_code == 200
        assert ca.delete(f"keys/{made['id']}").status_code == 200
        assert httpx.get(b.url("/agents"), headers=reader).status_code == 401

        # One Idempotency-Key, sent to A then to B: one object, the same response.
        body = {"name": "once", "model": "scripted"}
        first = ca.post("agents", json=body, headers={"Idempotency-Key": "idem-1"})
        again = cb.post("agents", json=body, headers={"Idempotency-Key": "idem-1"})
        assert first.status_code == again.status_code == 200
        assert again.json()["id"] == first.json()["id"]
        other = cb.post(
            "agents", json={**body, "name": "twice"}, headers={"Idempotency-Key": "idem-1"}
        )
        assert other.json()["error"]["code"] == "idempotency_key_reused"
        names = [x["name"] for x in ca.get("agents", params={"limit": 100}).json()["data"]]
        assert names.count("once") == 1


def test_a_run_on_one_is_followed_and_cancelled_through_the_other(
    pair: tuple[Gateway, Gateway],
) -> None:
    a, b = pair
    with ToolHandlerServer() as handler, a.client() as ca, b.client() as cb:
        tool = create(
            ca, "tools", {"name": "hang", "type": "http", "handler_url": handler.url("/slow?s=30")}
        )
        agent = create(
            ca,
            "agents",
            {
                "name": "hanger",
                "model": "scripted",
                "tools": [tool["id"]],
                "model_options": {"script": [{"tool_calls": [{"name": "hang"}]}]},
            },
        )
        run = ca.post("runs", json={"agent_id": agent["id"], "input": "go"}).json()
        deadline = time.monotonic() + 20
        while not any(r["path"] == "/slow" for r in handler.requests):
            assert time.monotonic() < deadline, "the run never called its tool"
            time.sleep(0.02)

        # B follows the run A executes, live, from the start of its log.
        seen: list[tuple[str, str]] = []
        follower_done = threading.Event()

        def follow() -> None:
            with (
                httpx.Client(base_url=b.base_url + "/", headers=b.headers, timeout=30) as c,
                connect_sse(c, "GET", f"runs/{run['id']}/events") as source,
            ):
                for sse in source.iter_sse():
                    seen.append((sse.id, sse.event))
            follower_done.set()

        follower = threading.Thread(target=follow, daemon=True)
        follower.start()
        deadline = time.monotonic() + 20
        while not any(event == "tool.requested" for _, event in seen):
            assert time.monotonic() < deadline, f"B's follower saw {seen}"
            time.sleep(0.02)

        asked = time.monotonic()
        cancelled = cb.post(f"runs/{run['id']}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        assert follower_done.wait(10), f"B's stream did not end: {seen}"
        took = time.monotonic() - asked
        assert seen[-1][1] == "run.cancelled"
        assert took < 1.5, f"cancel through B took {took:.2f}s"
        assert [int(i) for i, _ in seen] == list(range(1, len(seen) + 1))  # no gap, no repeat
        assert ca.get(f"runs/{run['id']}").json()["status"] == "cancelled"
        # A's own replay is the same log.
        with connect_sse(ca, "GET", f"runs/{run['id']}/events") as source:
            replay = [(s.id, s.event) for s in source.iter_sse()]
        assert replay == seen
