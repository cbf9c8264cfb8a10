"""A local HTTP tool handler (a real server on loopback) for `http` tools in tests and benchmarks.

Paths: `/rows` answers `{"rows": 7, "got": <arguments>}`; `/slow?s=N` waits N seconds;
`/big` sends 10 MB; `/fail` answers 500; `/echo` returns the JSON it got.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.loopback import LoopbackServer


class ToolHandlerServer(LoopbackServer):
    """Records every request (`requests`) and answers by path."""

    backlog = 1024  # the benchmarks open many connections at once

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[dict[str, Any]] = []

    def url(self, path: str) -> str:
        """Absolute URL of a path on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                parts = urlsplit(target)
                payload = json.loads(body) if body else None
                self.requests.append(
                    {"method": method, "path": parts.path, "headers": headers, "json": payload}
                )
                if parts.path == "/fail_echo":  # a handler that quotes the request's headers
                    status, data = 500, json.dumps({"error": "denied", "headers": headers}).encode()
                else:
                    status, data = await self._answer(parts.path, parse_qs(parts.query), payload)
                writer.write(
                    f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n"
                    f"content-length: {len(data)}\r\n\r\n".encode()
                    + data
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # closed by the client, or the server is shutting down
        finally:
            writer.close()

    async def _answer(
        self, path: str, query: dict[str, list[str]], payload: Any
    ) -> tuple[int, bytes]:
        if path == "/slow":
            await asyncio.sleep(float(query.get("s", ["5"])[0]))
            return 200, b'{"late": true}'
        if path == "/big":
            return 200, b'{"blob": "' + b"x" * 10_000_000 + b'"}'
        if path == "/fail":
            return 500, b'{"error": "database down"}'
        if path == "/echo":
            return 200, json.dumps(payload).encode()
        return 200, json.dumps({"rows": 7, "got": payload}).encode()
