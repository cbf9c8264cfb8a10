"""A real gateway on loopback (uvicorn in a thread, SQLite in tmp_path) for client tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from aiagentics.gateway.app import create_app
from aiagentics.gateway.settings import GatewaySettings

KEY = "sk_test_client_tests_0123456789"


@dataclass(frozen=True)
class LiveApi:
    base_url: str
    api_key: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_api(tmp_path: Path) -> Iterator[LiveApi]:
    """Start the gateway app in-process on a free port; stop it after the test."""
    port = _free_port()
    settings = GatewaySettings(
        host="127.0.0.1",
        port=port,
        database=str(tmp_path / "gateway.db"),
        bootstrap_api_key=KEY,
        rate_limit_per_second=1000.0,
        rate_limit_burst=2000,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 60
    # `started` is set once this server has bound its port (a health answer could come
    # from another test's server on a port ours failed to take).
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the gateway did not start")
        time.sleep(0.05)
    yield LiveApi(base, KEY)
    server.should_exit = True
    thread.join(10)
