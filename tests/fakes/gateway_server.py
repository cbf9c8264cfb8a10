"""The real gateway on a free loopback port, served by uvicorn in a background thread.

`GatewayServer(settings).start()` serves `create_app(settings)`; `stop()` shuts it down
cleanly (startup/shutdown hooks run), and `start()` again serves the same database:
what a restart of `aia serve` does.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import httpx
import uvicorn

from aiagentics.gateway.app import create_app
from aiagentics.gateway.settings import GatewaySettings

ADMIN_KEY = "sk_test_" + "e2e0" * 10


def free_port() -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GatewayServer:
    """One gateway process-equivalent: its own app, event loop and thread."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings.replace(bootstrap_api_key=settings.bootstrap_api_key or ADMIN_KEY)
        self.port = free_port()
        self.app: Any = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL (without /v1)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        """Authorization with the bootstrap admin key."""
        return {"Authorization": f"Bearer {self.settings.bootstrap_api_key}"}

    def client(self, **kwargs: Any) -> httpx.Client:
        """A sync client for this server, authorized."""
        return httpx.Client(base_url=self.url, headers=self.headers, timeout=30, **kwargs)

    def start(self) -> GatewayServer:
        """Serve until `stop()`; returns when the server accepts connections."""
        self.app = create_app(self.settings)
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 60
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the gateway did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Shut down (runs the shutdown hooks) and wait for the thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(15)
        self._server = None
        self._thread = None

    def __enter__(self) -> GatewayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
