"""The HTTP client of streamable_http MCP servers, through the outbound safety guard.

The `mcp` SDK speaks HTTP with `httpx2`; this gives it a client whose every connection
goes through `outbound.checked_addresses` (the rules of `http` tools and webhooks:
link-local and metadata addresses always refused, private ones unless
`allow_private_network`), connects to the checked address itself, ignores proxy
variables of the environment, and does not follow redirects on its own.
"""

from __future__ import annotations

import typing

import httpcore2
import httpx2

from aiagentics.engine.outbound import OutboundRefused, check_url, checked_addresses


class _GuardedBackend(httpcore2.AsyncNetworkBackend):
    """httpcore2 network backend: resolve once, check every answer, connect to it."""

    def __init__(self, allow_private_network: bool) -> None:
        self._allow_private = allow_private_network
        self._inner = httpcore2.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        try:
            addresses = await checked_addresses(host, port, self._allow_private)
        except OSError as exc:
            raise httpcore2.ConnectError(str(exc)) from exc
        last: Exception | None = None
        for addr in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(addr),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore2.ConnectError, httpcore2.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        raise OutboundRefused(path, "unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _GuardedTransport(httpx2.AsyncHTTPTransport):
    def __init__(self, allow_private_network: bool) -> None:
        super().__init__(trust_env=False)
        # httpx2 takes no network backend argument: the pool it built is replaced by an
        # identical one that connects through the guarded backend.
        self._pool = httpcore2.AsyncConnectionPool(
            ssl_context=httpx2.create_ssl_context(trust_env=False),
            max_connections=20,
            max_keepalive_connections=5,
            network_backend=_GuardedBackend(allow_private_network),
        )


def guarded_client(
    url: str, headers: dict[str, str], timeout: float, *, allow_private_network: bool
) -> httpx2.AsyncClient:
    """A client for one MCP endpoint; OutboundRefused at once for a URL refused statically."""
    check_url(url, allow_private_network)
    return httpx2.AsyncClient(
        headers=headers,
        # The SSE stream of a call may stay open while the tool works: each call has its
        # own deadline (timeout_seconds), the read timeout only bounds a silent server.
        timeout=httpx2.Timeout(timeout, read=max(timeout, 300.0)),
        follow_redirects=False,
        trust_env=False,
        transport=_GuardedTransport(allow_private_network),
    )
