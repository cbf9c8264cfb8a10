"""What the benches share to start servers on loopback: a free port, and waiting for health."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx


def free_port() -> int:
    """A port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(
    url: str, proc: subprocess.Popen[bytes] | None = None, timeout: float = 30.0
) -> None:
    """Block until `url` answers (or the server `proc`, if given, died, or `timeout` passed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")
