"""Outbound safety against real local servers."""

from __future__ import annotations

import ipaddress
from http.server import ThreadingHTTPServer

import httpcore
import httpx
import pytest

from aiagentics.engine.outbound import (
    OutboundRefused,
    ResponseTooLarge,
    check_address,
    check_url,
    fetch_capped,
    safe_client,
)


def _url(server: ThreadingHTTPServer, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


@pytest.fixture
def connect_spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every TCP connect the guarded backend actually makes."""
    calls: list[str] = []
    original = httpcore.AnyIOBackend.connect_tcp

    async def spy(self, host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(f"{host}:{port}")
        return await original(self, host, port, *args, **kwargs)

    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", spy)
    return calls


@pytest.mark.parametrize(
    ("ip", "private_ok"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("192.168.1.1", True),
        ("100.64.0.1", True),
        ("0.0.0.0", True),
        ("::1", True),
        ("fc00::1", True),
        ("fd12:3456::1", True),
        ("169.254.169.254", False),
        ("169.254.1.1", False),
        ("fe80::1", False),
        ("fd00:ec2::254", False),
        ("::ffff:169.254.169.254", False),
        ("64:ff9b::a9fe:a9fe", False),
        ("100.100.100.200", False),
        ("192.0.0.192", False),
        ("168.63.129.16", False),
        # IPv4 metadata inside IPv6: compatible, mapped, NAT64 (well-known and local-use),
        # 6to4 and Teredo (client bits inverted) forms.
        ("::169.254.169.254", False),
        ("::a9fe:a9fe", False),
        ("::ffff:a9fe:a9fe", False),
        ("64:ff9b:1::a9fe:a9fe", False),
        ("2002:a9fe:a9fe::", False),
        ("2001:0:4136:e378:8000:63bf:5601:5601", False),
        ("::ffff:168.63.129.16", False),
        ("::10.0.0.1", True),
        ("64:ff9b:1::1.1.1.1", True),
    ],
)
def test_address_classes(ip: str, private_ok: bool) -> None:
    with pytest.raises(OutboundRefused):
        check_address(ip, allow_private_network=False)
    if private_ok:
        check_address(ip, allow_private_network=True)
    else:
        with pytest.raises(OutboundRefused):
            check_address(ip, allow_private_network=True)


def test_public_addresses_pass() -> None:
    for ip in ("93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"):
        check_address(ipaddress.ip_address(ip), allow_private_network=False)


def test_check_url_refuses_metadata_names_and_bad_schemes() -> None:
    for url in ("http://metadata.google.internal/x", "http://METADATA.GOOGLE.INTERNAL./x"):
        with pytest.raises(OutboundRefused, match="metadata"):
            check_url(url, allow_private_network=True)
    with pytest.raises(OutboundRefused, match="scheme"):
        check_url("ftp://example.com/", allow_private_network=True)


async def test_local_server_allowed_only_with_private_network(
    local_server: ThreadingHTTPServer,
) -> None:
    async with safe_client(allow_private_network=True, timeout=5, max_bytes=1000) as client:
        status, _, body = await fetch_capped(client, "GET", _url(local_server, "/ok"))
    assert (status, body) == (200, b"hello")
    async with safe_client(allow_private_network=False, timeout=5, max_bytes=1000) as client:
        with pytest.raises(OutboundRefused, match="loopback"):
            await fetch_capped(client, "GET", _url(local_server, "/ok"))
        # The connect-time check holds for plain client calls too, not only fetch_capped.
        with pytest.raises(OutboundRefused):
            await client.get(f"http://localhost:{local_server.server_address[1]}/ok")
    assert local_server.hits == ["/ok"]  # type: ignore[attr-defined]


async def test_metadata_refused_without_connecting(connect_spy: list[str]) -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return ["169.254.169.254"]

    async with safe_client(True, 5, 1000, resolver=resolver) as client:
        with pytest.raises(OutboundRefused, match="metadata"):
            await fetch_capped(client, "GET", "http://169.254.169.254/latest/meta-data/")
        with pytest.raises(OutboundRefused, match="metadata"):
            await client.get("http://innocent.example/latest/meta-data/")
        with pytest.raises(OutboundRefused, match="metadata"):
            await client.get("http://[fd00:ec2::254]/latest/")
    assert connect_spy == []


@pytest.mark.parametrize(
    "answer",
    [
        "::169.254.169.254",
        "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe",
        "2002:a9fe:a9fe::",
        "168.63.129.16",
        "100.100.100.200",
        "192.0.0.192",
    ],
)
async def test_metadata_in_any_form_refused_in_check_url_and_at_connect(
    answer: str, connect_spy: list[str]
) -> None:
    """Refused even with allow_private_network: as a literal URL host and as a DNS answer."""
    host = f"[{answer}]" if ":" in answer else answer
    with pytest.raises(OutboundRefused, match="metadata"):
        check_url(f"http://{host}/latest/", allow_private_network=True)

    async def resolver(name: str, port: int) -> list[str]:
        return [answer]

    async with safe_client(True, 5, 1000, resolver=resolver) as client:
        with pytest.raises(OutboundRefused, match="metadata"):
            await client.get("http://innocent.example/latest/")
        with pytest.raises(OutboundRefused, match="metadata"):
            await client.get(f"http://{host}/latest/")
    assert connect_spy == []


async def test_connects_to_the_checked_address(
    local_server: ThreadingHTTPServer, connect_spy: list[str]
) -> None:
    """The name is resolved once by the guard and the socket goes to that IP (no second lookup)."""
    answers = iter([["127.0.0.1"], ["169.254.169.254"]])

    async def rebinding(host: str, port: int) -> list[str]:
        return next(answers)

    port = local_server.server_address[1]
    async with safe_client(True, 5, 1000, resolver=rebinding) as client:
        status, _, body = await fetch_capped(client, "GET", f"http://rebind.test:{port}/ok")
        assert (status, body) == (200, b"hello")
        assert connect_spy == [f"127.0.0.1:{port}"]
        # A fresh connection re-resolves and re-checks: the rebound answer is refused.
        client2 = safe_client(True, 5, 1000, resolver=rebinding)
        async with client2:
            with pytest.raises(OutboundRefused):
                await client2.get(f"http://rebind.test:{port}/ok")


async def test_mixed_answers_refused(local_server: ThreadingHTTPServer) -> None:
    async def mixed(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "127.0.0.1"]

    async with safe_client(False, 5, 1000, resolver=mixed) as client:
        with pytest.raises(OutboundRefused):
            await client.get("http://mixed.test/ok")


async def test_redirect_not_followed_by_default(local_server: ThreadingHTTPServer) -> None:
    target = "http://169.254.169.254/latest/"
    async with safe_client(True, 5, 1000) as client:
        status, headers, _ = await fetch_capped(
            client, "GET", _url(local_server, f"/redirect?to={target}")
        )
    assert status == 302 and headers["location"] == target


async def test_redirect_into_refused_range_refused(
    local_server: ThreadingHTTPServer, connect_spy: list[str]
) -> None:
    async with safe_client(True, 5, 1000) as client:
        with pytest.raises(OutboundRefused):
            await fetch_capped(
                client,
                "GET",
                _url(local_server, "/redirect?to=http://169.254.169.254/latest/"),
                max_redirects=3,
            )
        # An allowed hop is followed.
        ok = _url(local_server, "/ok")
        status, _, body = await fetch_capped(
            client, "GET", _url(local_server, f"/redirect?to={ok}"), max_redirects=3
        )
    assert (status, body) == (200, b"hello")
    assert all(c.startswith("127.0.0.1:") for c in connect_spy)


@pytest.mark.parametrize("path", ["/big", "/big-chunked"])
async def test_response_size_capped(local_server: ThreadingHTTPServer, path: str) -> None:
    async with safe_client(True, 5, max_bytes=10_000) as client:
        with pytest.raises(ResponseTooLarge):
            await fetch_capped(client, "GET", _url(local_server, path))
        status, _, body = await fetch_capped(
            client, "GET", _url(local_server, path), max_bytes=60_000
        )
    assert status == 200 and len(body) > 10_000


async def test_trickling_server_hits_the_total_deadline(local_server: ThreadingHTTPServer) -> None:
    async with safe_client(True, timeout=0.7, max_bytes=1000) as client:
        with pytest.raises(httpx.TimeoutException):
            await fetch_capped(client, "GET", _url(local_server, "/slow"))


async def test_numeric_host_forms_resolving_to_metadata_are_refused(connect_spy: list[str]) -> None:
    """`2852039166` and `0xa9fea9fe` are 169.254.169.254 to the system resolver."""
    async with safe_client(True, 5, 1000) as client:
        for url in ("http://2852039166/latest/", "http://0xa9fea9fe/latest/"):
            with pytest.raises(OutboundRefused, match=r"169\.254\.169\.254"):
                await fetch_capped(client, "GET", url)
    assert connect_spy == []


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2852039166", "169.254.169.254"),
        ("0xA9FEA9FE", "169.254.169.254"),
        ("169.254.43518", "169.254.169.254"),
        ("127.1", "127.0.0.1"),
        ("[fd00:ec2::254]", "fd00:ec2::254"),
        ("example.com", None),
        ("1e100.net", None),
    ],
)
def test_literal_address_reads_numeric_forms(host: str, address: str | None) -> None:
    from aiagentics.engine.outbound import literal_address

    got = literal_address(host)
    assert (str(got) if got is not None else None) == address


def test_check_url_refuses_localhost_only_without_private_network() -> None:
    from aiagentics.engine.outbound import OutboundRefused, check_url

    with pytest.raises(OutboundRefused):
        check_url("http://LocalHost./x", allow_private_network=False)
    with pytest.raises(OutboundRefused):
        check_url("http://2852039166/", allow_private_network=True)
    check_url("http://localhost/x", allow_private_network=True)
