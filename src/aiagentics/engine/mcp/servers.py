"""One live connection per MCP server definition, each owned by a task of its own.

The SDK's client is an async context (anyio task groups, a subprocess for stdio): it must
be entered and left by one task. Each `_Connection` therefore has an owner task that
enters `mcp.Client`, publishes it, and leaves it when asked to stop; calls from any run
task go through the published client. A connection that fails (the process died, the
stream closed) is dropped, and the next use starts a fresh one.

stdio servers: started with the argv of `command` (never a shell), in an environment of
the SDK's safe defaults (PATH, HOME, ...) plus the Tool's `env` (the gateway's own
secrets are not inherited); their stderr goes to the `aiagentics.mcp` log, line by line.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp import Client
    from mcp_types import CallToolResult, Tool

log = logging.getLogger("aiagentics.mcp")

# A server that failed to start is not started again within this many seconds: the calls
# of one model step (and a retry loop of the model) get the same error without a respawn.
FAILED_START_BACKOFF = 2.0
_MAX_PAGES = 20  # tools/list pages read from one server


class ServerUnavailable(Exception):
    """The server could not be started or reached; the message says why (no secrets)."""


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """What identifies a server: a change of any field is a new server."""

    key: str  # the Tool's id (its name when it has none)
    name: str
    transport: str
    command: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    url: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    timeout: float = 30.0
    fingerprint: str = field(default="", compare=False)


def server_config(tool: Mapping[str, Any]) -> ServerConfig:
    """The server of a pinned `mcp` Tool definition (its sealed fields already revealed)."""
    command = tuple(str(a) for a in tool.get("command") or ())
    env = tuple(sorted((str(k), str(v)) for k, v in (tool.get("env") or {}).items()))
    headers = tuple(sorted((str(k), str(v)) for k, v in (tool.get("headers") or {}).items()))
    transport = str(tool.get("transport") or "stdio")
    url = str(tool.get("url") or "")
    # Compared, never shown: a digest of everything that makes the connection.
    digest = hashlib.sha256(
        json.dumps([transport, command, env, url, headers], sort_keys=True).encode()
    ).hexdigest()
    return ServerConfig(
        key=str(tool.get("id") or tool.get("name")),
        name=str(tool.get("name") or ""),
        transport=transport,
        command=command,
        env=env,
        url=url,
        headers=headers,
        timeout=float(tool.get("timeout_seconds") or 30),
        fingerprint=digest,
    )


def _reason(exc: BaseException) -> str:
    """A short reason for an exception, the first leaf of an exception group."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, FileNotFoundError):
        return f"the command was not found ({exc.filename or exc.strerror})"
    if isinstance(exc, PermissionError):
        return f"the command cannot be run ({exc.strerror})"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _StderrToLog:
    """A pipe whose write end a server process gets as stderr; lines go to the log."""

    def __init__(self, name: str) -> None:
        self.name = name
        read_fd, write_fd = os.pipe()
        self.writer = os.fdopen(write_fd, "w")
        self._reader = os.fdopen(read_fd, "rb")
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Close our copy of the write end (the child has its own) and read lines."""
        with contextlib.suppress(OSError):
            self.writer.close()
        self._task = asyncio.create_task(self._pump(), name=f"mcp {self.name} stderr")

    async def _pump(self) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=1 << 20)
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), self._reader
        )
        try:
            while line := await reader.readline():
                text = line.decode("utf-8", "replace").rstrip()
                if text:
                    log.info("mcp server %s: %s", self.name, text)
        except (ValueError, OSError):  # a line past the limit, or the pipe gone
            pass
        finally:
            transport.close()

    def close(self) -> None:
        """Release both ends (the reader task ends at the child's exit)."""
        with contextlib.suppress(OSError):
            self.writer.close()
        if self._task is None:
            with contextlib.suppress(OSError):
                self._reader.close()


class _Connection:
    """One server: started on first use, its tool list kept until it restarts."""

    def __init__(self, config: ServerConfig, allow_private_network: bool) -> None:
        self.config = config
        self.allow_private_network = allow_private_network
        self._client: Client | None = None
        self._owner: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._lock = asyncio.Lock()
        self._tools: list[Tool] | None = None
        self._failed: tuple[float, str] | None = None
        self.starts = 0

    @property
    def running(self) -> bool:
        return self._client is not None and self._owner is not None and not self._owner.done()

    async def client(self) -> Client:
        """The connected client, starting the server when it is not running."""
        async with self._lock:
            if self.running:
                assert self._client is not None
                return self._client
            if self._failed and time.monotonic() - self._failed[0] < FAILED_START_BACKOFF:
                raise ServerUnavailable(self._failed[1])
            await self._end_owner()
            try:
                async with asyncio.timeout(self.config.timeout):
                    self._client = await self._start()
            except TimeoutError:
                self._fail(f"did not start within {self.config.timeout:g} s")
            except ServerUnavailable as exc:
                self._fail(str(exc))
            self._failed = None
            assert self._client is not None
            return self._client

    def _fail(self, why: str) -> None:
        message = f"could not start the MCP server of tool {self.config.name!r}: {why}"
        self._failed = (time.monotonic(), message)
        log.warning("%s", message)
        raise ServerUnavailable(message)

    async def _start(self) -> Client:
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[Client] = loop.create_future()
        self._stop = asyncio.Event()
        self._tools = None
        self.starts += 1
        self._owner = asyncio.create_task(self._own(ready), name=f"mcp {self.config.name}")
        try:
            return await asyncio.shield(ready)
        except BaseException:
            await self._end_owner(graceful=False)
            raise

    async def _own(self, ready: asyncio.Future[Client]) -> None:
        """Enter the SDK client, hand it out, and leave it when told to stop (or it fails)."""
        from mcp import Client  # the SDK is imported only by a gateway that uses MCP

        stderr: _StderrToLog | None = None
        try:
            if self.config.transport == "stdio":
                stderr = _StderrToLog(self.config.name)
                transport = self._stdio(stderr)
            else:
                transport = self._http()
            async with Client(transport, read_timeout_seconds=self.config.timeout) as client:
                if stderr is not None:
                    stderr.start()
                if not ready.done():
                    ready.set_result(client)
                await self._stop.wait()
        except asyncio.CancelledError:
            if not ready.done():
                ready.set_exception(ServerUnavailable("stopped while starting"))
            raise
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(ServerUnavailable(_reason(exc)))
            else:
                log.warning("MCP server of tool %r ended: %s", self.config.name, _reason(exc))
        finally:
            self._client = None
            if stderr is not None:
                stderr.close()

    def _stdio(self, stderr: _StderrToLog) -> Any:
        from mcp.client.stdio import StdioServerParameters, stdio_client

        program, *args = self.config.command
        params = StdioServerParameters(command=program, args=args, env=dict(self.config.env))
        return stdio_client(params, errlog=stderr.writer)

    def _http(self) -> Any:
        from mcp.client.streamable_http import streamable_http_client

        from aiagentics.engine.mcp.guarded_http import guarded_client
        from aiagentics.engine.outbound import OutboundRefused

        try:
            http = guarded_client(
                self.config.url,
                dict(self.config.headers),
                self.config.timeout,
                allow_private_network=self.allow_private_network,
            )
        except OutboundRefused as exc:
            raise ServerUnavailable(str(exc)) from None
        return _OwnedHttp(streamable_http_client(self.config.url, http_client=http), http)

    async def _end_owner(self, *, graceful: bool = True) -> None:
        owner, self._owner = self._owner, None
        if owner is None:
            return
        self._stop.set()
        # The SDK closes stdin, waits, then kills the process tree (a few seconds at most);
        # a server still starting is cancelled at once (the SDK shields the process's end).
        done, _ = await asyncio.wait({owner}, timeout=10 if graceful else 0)
        if not done:
            owner.cancel()
            with contextlib.suppress(BaseException):
                await owner
        self._client = None

    async def stop(self) -> None:
        """Stop the server (a no-op when it is not running)."""
        async with self._lock:
            await self._end_owner()
            self._tools = None

    def broken(self) -> None:
        """The connection failed mid-call: the next use starts the server again."""
        self._client = None
        self._stop.set()

    async def list_tools(self) -> list[Tool]:
        """Every tool the server lists (cached until it restarts)."""
        client = await self.client()
        if self._tools is not None:
            return self._tools
        tools: list[Tool] = []
        cursor: str | None = None
        async with asyncio.timeout(self.config.timeout):
            for _ in range(_MAX_PAGES):
                page = await client.list_tools(cursor=cursor)
                tools.extend(page.tools)
                cursor = page.next_cursor
                if cursor is None:
                    break
        self._tools = tools
        return tools

    async def call(self, name: str, arguments: dict[str, Any], timeout: float) -> CallToolResult:
        """`tools/call`; raises TimeoutError past `timeout`, MCPError for a server error."""
        client = await self.client()
        async with asyncio.timeout(timeout):
            return await client.call_tool(name, arguments)


class _OwnedHttp:
    """The SDK's streamable HTTP transport with its httpx2 client closed after it."""

    def __init__(self, transport: Any, http: Any) -> None:
        self._transport, self._http = transport, http

    async def __aenter__(self) -> Any:
        return await self._transport.__aenter__()

    async def __aexit__(self, *exc: Any) -> Any:
        try:
            return await self._transport.__aexit__(*exc)
        finally:
            await self._http.aclose()


class McpServers:
    """The MCP servers of one gateway process, by Tool definition."""

    def __init__(self, *, allow_private_network: bool = False) -> None:
        self.allow_private_network = allow_private_network
        self._connections: dict[str, _Connection] = {}

    async def start(self) -> None:
        """Nothing to start: servers start on first use."""

    async def stop(self) -> None:
        """Stop every server (the gateway is leaving)."""
        connections, self._connections = list(self._connections.values()), {}
        await asyncio.gather(*(c.stop() for c in connections), return_exceptions=True)

    async def connection(self, config: ServerConfig) -> _Connection:
        """The connection of `config`, replacing (and stopping) one of an older definition."""
        current = self._connections.get(config.key)
        if current is not None and current.config.fingerprint == config.fingerprint:
            current.config = config  # a changed timeout needs no restart
            return current
        fresh = _Connection(config, self.allow_private_network)
        self._connections[config.key] = fresh
        if current is not None:
            log.info("the definition of MCP tool %r changed: restarting its server", config.name)
            await current.stop()
        return fresh

    async def forget(self, key: str) -> None:
        """Stop the server of a deleted Tool."""
        current = self._connections.pop(key, None)
        if current is not None:
            await current.stop()

    def running(self) -> list[str]:
        """Keys of the servers running now (for tests and status)."""
        return [k for k, c in self._connections.items() if c.running]
