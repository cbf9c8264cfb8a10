"""A loopback TCP proxy that cuts connections: the n-th connection is closed after it has
passed `cuts[n]` bytes of the server's answer (None: passed whole), to test how clients
resume a dropped stream against a real server."""

from __future__ import annotations

import asyncio
import contextlib

from tests.fakes.loopback import LoopbackServer


class CuttingProxy(LoopbackServer):
    """Forwards to 127.0.0.1:`upstream_port`; `heads` holds the first bytes each client sent."""

    def __init__(self, upstream_port: int, cuts: list[int | None]) -> None:
        super().__init__()
        self.upstream_port = upstream_port
        self.cuts = list(cuts)
        self.heads: list[bytes] = []
        self.cut = 0  # connections cut so far

    @property
    def base_url(self) -> str:
        """The /v1 base URL through the proxy."""
        return f"http://127.0.0.1:{self.port}/v1"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        budget = self.cuts.pop(0) if self.cuts else None
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        index = len(self.heads)
        self.heads.append(b"")

        async def upstream() -> None:
            while chunk := await reader.read(65536):
                if len(self.heads[index]) < 4096:
                    self.heads[index] += chunk
                up_writer.write(chunk)
                await up_writer.drain()

        async def downstream() -> None:
            left = budget
            while chunk := await up_reader.read(65536):
                if left is not None and len(chunk) >= left:
                    writer.write(chunk[:left])
                    await writer.drain()
                    self.cut += 1
                    return
                if left is not None:
                    left -= len(chunk)
                writer.write(chunk)
                await writer.drain()

        pump = asyncio.ensure_future(upstream())
        try:
            await downstream()
        except OSError:
            pass
        finally:
            pump.cancel()
            for w in (writer, up_writer):
                with contextlib.suppress(Exception):
                    w.close()
