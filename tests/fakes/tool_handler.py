"""A local HTTP tool handler (a real server on loopback) for `http` tools in tests and benchmarks.

Paths: `/rows` answers `{"rows": 7, "got": <arguments>}`; `/slow?s=N` waits N seconds;
`/big` sends 10 MB; `/fail` answers 500; `/echo` returns the JSON it got.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit


class ToolHandlerServer:
    """Records every request (`requests`) and answers by path."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None

    def url(self, path: str) -> str:
        """Absolute URL of a path on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> ToolHandlerServer:
        """Serve in a background thread."""
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            self._server = loop.run_until_complete(
                asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=1024)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(5)
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._loop is not None:
            loop = self._loop

            def shutdown() -> None:
                assert self._server is not None
                self._server.close()
                loop.stop()

            loop.call_soon_threadsafe(shutdown)
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> ToolHandlerServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

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
