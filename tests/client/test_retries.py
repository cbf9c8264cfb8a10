"""Retry timing and error typing of ApiClient, driven by httpx.MockTransport (timing only)."""

from __future__ import annotations

import itertools
import time

import httpx
import pytest

from aiagentics.client import (
    ApiClient,
    ApiConnectionError,
    AuthenticationError,
    ConflictError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)


def _client(handler, **kw) -> ApiClient:
    return ApiClient(
        "http://api.test/v1", "sk_test_x", transport=httpx.MockTransport(handler), **kw
    )


def _error(status: int, code: str, **headers: str) -> httpx.Response:
    body = {
        "error": {
            "type": "x",
            "code": code,
            "message": f"m{status}",
            "param": "name",
            "request_id": "req_1",
        }
    }
    return httpx.Response(status, json=body, headers=headers)


def test_429_honours_retry_after_then_succeeds() -> None:
    seen: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(time.monotonic())
        if len(seen) == 1:
            return _error(429, "rate_limited", **{"Retry-After": "0.3"})
        return httpx.Response(200, json={"id": "agt_1"})

    client = _client(handler, backoff_base=0.01)
    assert client.get("agents/agt_1") == {"id": "agt_1"}
    assert len(seen) == 2 and seen[1] - seen[0] >= 0.28
    assert client.stats.requests == 2


def test_5xx_backs_off_exponentially_then_raises_typed_error() -> None:
    seen: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(time.monotonic())
        return _error(503, "unavailable")

    client = _client(handler, max_attempts=3, backoff_base=0.05)
    with pytest.raises(ServerError) as info:
        client.get("agents")
    assert len(seen) == 3
    gaps = [b - a for a, b in itertools.pairwise(seen)]
    # full jitter in [ceiling/2, ceiling]: 0.025-0.05, then 0.05-0.1
    assert 0.02 <= gaps[0] <= 0.2 and 0.045 <= gaps[1] <= 0.3
    assert info.value.status == 503 and info.value.request_id == "req_1"


def test_retried_create_reuses_one_idempotency_key() -> None:
    keys: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers.get("idempotency-key"))
        if len(keys) < 3:
            return _error(502, "bad_gateway")
        return httpx.Response(200, json={"id": "tool_1"})

    _client(handler, backoff_base=0.001).create("tools", {"name": "t"})
    assert len(keys) == 3 and keys[0] and len(set(keys)) == 1


@pytest.mark.parametrize(
    ("status", "cls", "text"),
    [
        (401, AuthenticationError, "api_key_env"),
        (403, PermissionDeniedError, "scope"),
        (409, ConflictError, "m409"),
    ],
)
def test_client_errors_are_not_retried_and_are_typed(status: int, cls: type, text: str) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return _error(status, "c")

    with pytest.raises(cls) as info:
        _client(handler).get("agents")
    assert len(calls) == 1
    assert text in str(info.value) and info.value.param == "name"


def test_connection_refused_is_an_unreachable_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(ApiConnectionError, match=r"cannot reach the API at http://api.test/v1"):
        _client(handler, max_attempts=2, backoff_base=0.001).get("agents")


def test_rate_limit_exhausted_carries_retry_after() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return _error(429, "rate_limited", **{"Retry-After": "0"})

    with pytest.raises(RateLimitError) as info:
        _client(handler, max_attempts=2).get("agents")
    assert info.value.retry_after == 0


def test_pagination_follows_has_more_with_limit_100() -> None:
    objects = [{"id": f"agt_{i:04d}"} for i in range(250)]
    queries: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        queries.append(params)
        start = 0
        if "starting_after" in params:
            start = (
                next(i for i, o in enumerate(objects) if o["id"] == params["starting_after"]) + 1
            )
        page = objects[start : start + int(params["limit"])]
        return httpx.Response(
            200, json={"object": "list", "data": page, "has_more": start + len(page) < len(objects)}
        )

    client = _client(handler)
    assert client.list_all("agents") == objects
    assert [q["limit"] for q in queries] == ["100"] * 3 and client.stats.requests == 3
