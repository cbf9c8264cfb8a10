"""Outbound HTTP safety for webhooks and `http` tools (SSRF protection).

Every connection made through `safe_client` resolves the host once, checks every
resolved address and connects to the checked IP itself, so a DNS answer that
changes between a check and the connect (DNS rebinding) cannot switch it.

- link-local (169.254/16, fe80::/10), multicast and cloud-metadata addresses and
  names are refused always; an IPv4 address inside an IPv6 one (mapped, compatible,
  NAT64, 6to4, Teredo) is checked as that IPv4 address too;
- loopback, private and other non-global addresses (RFC 1918, 127/8, ::1,
  fc00::/7, 100.64/10, 0.0.0.0, ...) are refused unless `allow_private_network`;
- redirects are not followed by the client; `fetch_capped(max_redirects=N)`
  follows them hop by hop, each hop going through the same checks;
- response bodies are streamed and cut at `max_bytes`; the whole exchange has a
  deadline of `timeout` seconds (a trickling server cannot hold us).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import typing
from collections.abc import Awaitable, Callable

import httpcore
import httpx

__all__ = [
    "ALWAYS_REFUSED_HOSTNAMES",
    "OutboundError",
    "OutboundRefused",
    "ResponseTooLarge",
    "SafeClient",
    "check_address",
    "check_url",
    "checked_addresses",
    "fetch_capped",
    "literal_address",
    "safe_client",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

# Names of cloud metadata services; refused by name before any lookup.
ALWAYS_REFUSED_HOSTNAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.azure.internal",
        "metadata.tencentyun.com",
    }
)
# Metadata endpoints that do not sit inside link-local ranges.
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",
        "169.254.170.2",  # ECS task metadata
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
        "168.63.129.16",  # Azure wire server (a public address, reachable from every VM)
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# RFC 8215 local-use NAT64 prefix: operators embed the IPv4 address in its last 32 bits.
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")
# Deprecated IPv4-compatible IPv6 (`::a.b.c.d`); :: and ::1 are not IPv4 addresses.
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")

DEFAULT_MAX_BYTES = 1_000_000
DEFAULT_TIMEOUT = 10.0


class OutboundError(Exception):
    """Base of the errors raised by outbound calls."""


class OutboundRefused(OutboundError):
    """The destination is not allowed (scheme, metadata name, or a refused address)."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"outbound request to {host!r} refused: {reason}")
        self.host = host
        self.reason = reason


class ResponseTooLarge(OutboundError):
    """The response body is larger than the client's `max_bytes`."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"response body larger than {limit} bytes")
        self.limit = limit


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address hidden in an IPv6 one (mapped, compatible, NAT64, 6to4, Teredo), if any.

    Each of these forms can reach the IPv4 host through a translator or a dual stack, so
    the IPv4 address must pass the same checks as if it had been given itself.
    """
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _NAT64 or ip in _LOCAL_NAT64:
        return low32
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:
        return low32
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def check_address(ip: IPAddress | str, allow_private_network: bool, host: str = "") -> None:
    """Raise OutboundRefused unless `ip` may be contacted."""
    addr = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    label = host or str(addr)
    inner = _embedded_ipv4(addr)
    if inner is not None:
        check_address(inner, allow_private_network, label)
    if addr in _METADATA_ADDRESSES:
        raise OutboundRefused(label, f"{addr} is a cloud metadata address")
    if addr.is_link_local:
        raise OutboundRefused(label, f"{addr} is link-local")
    if addr.is_multicast:
        raise OutboundRefused(label, f"{addr} is multicast")
    if allow_private_network:
        return
    if addr.is_loopback:
        raise OutboundRefused(label, f"{addr} is loopback (allow_private_network is off)")
    if (
        addr.is_unspecified
        or addr.is_private
        or addr in _CGNAT
        or addr in _LOCAL_NAT64
        or not addr.is_global
    ):
        raise OutboundRefused(label, f"{addr} is a private address (allow_private_network is off)")


# Host spellings that inet_aton reads as an IPv4 address ("2852039166", "0xa9fea9fe",
# "169.254.43518", "127.1"); a resolver turns them into that address without any DNS.
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.IGNORECASE)


def literal_address(host: str) -> IPAddress | None:
    """The IP address a host names literally (any numeric IPv4 form too), or None for a name."""
    name = host.strip("[]").rstrip(".")
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        pass
    if _NUMERIC_HOST.match(name):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            return None
    return None


def _check_hostname(host: str) -> None:
    name = host.rstrip(".").lower()
    if name in ALWAYS_REFUSED_HOSTNAMES:
        raise OutboundRefused(host, "cloud metadata host")


def check_url(url: str | httpx.URL, allow_private_network: bool) -> None:
    """Static checks of a URL (scheme, metadata names, literal addresses); no DNS lookup."""
    parsed = httpx.URL(url) if isinstance(url, str) else url
    if parsed.scheme not in ("http", "https"):
        raise OutboundRefused(parsed.host, f"scheme {parsed.scheme!r} is not http or https")
    if not parsed.host:
        raise OutboundRefused("", "the URL has no host")
    _check_hostname(parsed.host)
    name = parsed.host.rstrip(".").lower()
    if not allow_private_network and (name == "localhost" or name.endswith(".localhost")):
        raise OutboundRefused(parsed.host, "localhost (allow_private_network is off)")
    literal = literal_address(parsed.host)
    if literal is not None:
        check_address(literal, allow_private_network, parsed.host)


async def _system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    # Drop an IPv6 scope id ("fe80::1%eth0") so ipaddress can parse it; the check still sees fe80::/10.
    return list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))


async def checked_addresses(
    host: str, port: int, allow_private_network: bool, resolver: Resolver | None = None
) -> list[IPAddress]:
    """The addresses to connect to for `host`, each checked: resolved once, so that a DNS
    answer that changes before the connect cannot switch it. OSError when it does not
    resolve, OutboundRefused when any answer is refused (a name that mixes public and
    private answers is refused). For every connection of an outbound client."""
    _check_hostname(host)
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            addresses = [
                ipaddress.ip_address(a) for a in await (resolver or _system_resolve)(host, port)
            ]
        except OSError as exc:
            raise OSError(f"cannot resolve {host!r}: {exc}") from exc
    if not addresses:
        raise OSError(f"{host!r} resolved to no address")
    for addr in addresses:
        check_address(addr, allow_private_network, host)
    return addresses


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore network backend: resolve once, check, connect to the checked IP."""

    def __init__(self, allow_private_network: bool, resolver: Resolver | None) -> None:
        self._allow_private = allow_private_network
        self._resolve = resolver or _system_resolve
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await checked_addresses(host, port, self._allow_private, self._resolve)
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        last: Exception | None = None
        for addr in addresses:
            try:
                # TLS keeps the request's host name for SNI and verification: httpcore passes it
                # to start_tls separately from the address we connect to here.
                return await self._inner.connect_tcp(
                    str(addr),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise OutboundRefused(path, "unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx transport whose connection pool connects through `_GuardedBackend`."""

    def __init__(
        self, allow_private_network: bool, resolver: Resolver | None, limits: httpx.Limits
    ) -> None:
        super().__init__(trust_env=False, limits=limits)
        # httpx takes no network backend argument, so the pool it built is replaced by an
        # identical one that connects through the guarded backend.
        ssl_context = httpx.create_ssl_context(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(allow_private_network, resolver),
        )


class SafeClient(httpx.AsyncClient):
    """An httpx.AsyncClient that only reaches allowed addresses; carries its limits."""

    def __init__(
        self, *, allow_private_network: bool, timeout: float, max_bytes: int, **kwargs: typing.Any
    ) -> None:
        super().__init__(timeout=timeout, follow_redirects=False, trust_env=False, **kwargs)
        self.allow_private_network = allow_private_network
        self.total_timeout = timeout
        self.max_bytes = max_bytes


def safe_client(
    allow_private_network: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    resolver: Resolver | None = None,
) -> SafeClient:
    """An AsyncClient for untrusted URLs: checked at connect time, no redirects, no env proxies.

    `resolver(host, port) -> [ip, ...]` replaces DNS (tests use it to simulate rebinding).
    """
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=10)
    return SafeClient(
        allow_private_network=allow_private_network,
        timeout=timeout,
        max_bytes=max_bytes,
        transport=_GuardedTransport(allow_private_network, resolver, limits),
    )


async def fetch_capped(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    max_bytes: int | None = None,
    max_redirects: int = 0,
    **kwargs: typing.Any,
) -> tuple[int, httpx.Headers, bytes]:
    """Send one request and read at most `max_bytes` of the body -> (status, headers, body).

    Raises OutboundRefused for a refused destination (also on a redirect hop),
    ResponseTooLarge past the cap, httpx.TimeoutException past the deadline and
    other httpx.TransportError subclasses for network failures. With
    `max_redirects=0` a 3xx is returned as is.
    """
    allow_private = getattr(client, "allow_private_network", False)
    limit = max_bytes if max_bytes is not None else getattr(client, "max_bytes", DEFAULT_MAX_BYTES)
    deadline = getattr(client, "total_timeout", None)
    try:
        async with asyncio.timeout(deadline):
            return await _fetch(client, method, url, limit, max_redirects, allow_private, kwargs)
    except TimeoutError as exc:
        raise httpx.ReadTimeout(f"no complete response within {deadline} s") from exc


async def _fetch(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    limit: int,
    max_redirects: int,
    allow_private: bool,
    kwargs: dict[str, typing.Any],
) -> tuple[int, httpx.Headers, bytes]:
    target = httpx.URL(url)
    for _hop in range(max_redirects + 1):
        check_url(target, allow_private)
        async with client.stream(method, target, **kwargs) as response:
            if response.is_redirect and _hop < max_redirects:
                target = target.join(response.headers["location"])
                if response.status_code == 303 or (
                    response.status_code in (301, 302) and method == "POST"
                ):
                    method, kwargs = "GET", _without_body(kwargs)
                continue
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise ResponseTooLarge(limit)
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > limit:
                    raise ResponseTooLarge(limit)
            return response.status_code, response.headers, bytes(body)
    raise httpx.TooManyRedirects(f"more than {max_redirects} redirects")


def _without_body(kwargs: dict[str, typing.Any]) -> dict[str, typing.Any]:
    return {k: v for k, v in kwargs.items() if k not in ("content", "data", "json", "files")}
