"""A real webhook receiver on loopback whose answers are scripted (shared by tests)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each POST with the next scripted behaviour (then "ok" forever)."""

    server: ThreadingHTTPServer
    script: deque[str] = field(default_factory=deque)
    received: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait_for(self, n: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.time() + timeout
        while len(self.received) < n and time.time() < deadline:
            time.sleep(0.01)
        return self.received


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        receiver: Receiver = self.server.receiver  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        receiver.received.append(
            Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        )
        behaviour = receiver.script.popleft() if receiver.script else "ok"
        if behaviour == "close":
            self.close_connection = True
            self.connection.close()
            return
        if behaviour == "slow":
            time.sleep(1.5)
        if behaviour == "redirect":
            self.send_response(307)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status = 500 if behaviour == "500" else 200
        payload = b'{"received": true}' if status == 200 else b"boom"
        try:
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:  # the sender timed out and left
            pass


@contextmanager
def running_receiver(port: int = 0) -> Iterator[Receiver]:
    """Serve a Receiver on 127.0.0.1:port until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    server.daemon_threads = True
    rec = Receiver(server)
    server.receiver = rec  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()
