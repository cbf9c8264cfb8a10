"""The middleware's steps on their own: headers read, body limits, the token bucket."""

from __future__ import annotations

from typing import Any

import pytest

from aiagentics.gateway.errors import PayloadTooLarge, RateLimited
from aiagentics.gateway.middleware.asgi import read_headers
from aiagentics.gateway.middleware.limits import (
    MULTIPART_OVERHEAD,
    body_limit,
    check_length,
    limited,
    read_body,
)
from aiagentics.gateway.middleware.rate import spend
from aiagentics.gateway.ratelimit import RateLimiter
from aiagentics.gateway.settings import GatewaySettings


def test_a_repeated_single_header_is_named() -> None:
    scope = {"headers": [(b"Authorization", b"Bearer a"), (b"authorization", b"Bearer b")]}
    headers, repeated = read_headers(scope)
    assert repeated == "Authorization" and headers["authorization"] == "Bearer b"
    assert read_headers({"headers": [(b"x-other", b"1")]}) == ({}, None)


def test_uploads_get_the_file_limit_and_the_rest_the_body_limit() -> None:
    settings = GatewaySettings(max_body_bytes=2000, max_file_bytes=5000)
    assert body_limit(settings, "/v1/files", "POST") == 5000 + MULTIPART_OVERHEAD
    assert body_limit(settings, "/v1/agents", "POST") == 2000
    check_length("2000", 2000)
    check_length(None, 2000)
    with pytest.raises(PayloadTooLarge):
        check_length("2001", 2000)


async def test_a_body_growing_past_the_limit_is_refused() -> None:
    chunks = [b"x" * 600, b"x" * 600]

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}

    wrapped = limited(receive, 1000)
    await wrapped()
    with pytest.raises(PayloadTooLarge):
        await wrapped()
    chunks[:] = [b"x" * 600, b"x" * 600]
    assert await read_body(receive, 1000) == (b"", False)


def test_spending_adds_the_headers_and_refuses_an_empty_bucket() -> None:
    limiter = RateLimiter(rate=1, burst=1)
    extra: list[tuple[bytes, bytes]] = []
    spend(limiter, "key_1", extra)
    assert dict(extra)[b"x-ratelimit-limit"] == b"1"
    with pytest.raises(RateLimited) as refused:
        spend(limiter, "key_1", [])
    assert refused.value.headers["Retry-After"] == "1"
