"""In-process checks of what is hard to provoke over the wire: 500s, the error mapping, settings, sealing."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.exceptions import (
    ClientException,
    NotFoundException,
    SerializationException,
    ValidationException,
)
from litestar.testing import TestClient

from aiagentics.engine.sealing import Sealer
from aiagentics.gateway.app import create_app
from aiagentics.gateway.errors import InvalidRequest, param_from_key, to_api_error
from aiagentics.gateway.ratelimit import RateLimiter
from aiagentics.gateway.settings import GatewaySettings

KEY = "sk_test_" + "u" * 40


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient[Any]]:
    app = create_app(GatewaySettings(database=str(tmp_path / "gw.db"), bootstrap_api_key=KEY))
    with TestClient(app) as c:
        c.headers["Authorization"] = f"Bearer {KEY}"
        yield c


def test_unhandled_exception_is_a_500_with_request_id_and_no_details(
    client: TestClient[Any], caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("db password is hunter2")

    client.app.state.services.store.get = broken
    with caplog.at_level(logging.ERROR, logger="aiagentics.gateway"):
        r = client.get("/v1/agents/agt_" + "A" * 20)
    assert r.status_code == 500
    err = r.json()["error"]
    assert err == {
        "type": "api_error",
        "code": "internal_error",
        "message": "internal server error",
        "param": None,
        "request_id": r.headers["x-request-id"],
    }
    assert "hunter2" not in r.text
    assert "hunter2" in caplog.text and r.headers["x-request-id"] in caplog.text


def test_a_failing_key_lookup_is_a_500_in_our_shape(client: TestClient[Any]) -> None:
    async def broken(*_: Any) -> Any:
        raise OSError("disk gone")

    client.app.state.services.store.key_by_hash = broken
    r = client.get("/v1/agents")
    assert r.status_code == 500 and r.json()["error"]["code"] == "internal_error"
    assert "disk gone" not in r.text and r.headers["x-request-id"].startswith("req_")


def test_error_mapping() -> None:
    assert param_from_key("tools.0.name") == "tools[0].name"
    assert param_from_key("vector.files.2") == "vector.files[2]"
    assert param_from_key(None) is None
    err = to_api_error(
        ValidationException(extra=[{"key": "guardrails.max_steps", "message": "too small"}])
    )
    assert isinstance(err, InvalidRequest) and err.param == "guardrails.max_steps"
    assert err.message == "guardrails.max_steps: too small"
    assert to_api_error(NotFoundException()).status == 404
    assert to_api_error(KeyError("x")).status == 500


def test_undecodable_bodies_are_invalid_json_whatever_the_decoder_raised() -> None:
    # Litestar wraps the decoder's failure; the decoder's class differs between versions.
    for cause in (
        msgspec.DecodeError("Invalid UTF-8 encoded string"),
        UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad"),
    ):
        wrapped = ClientException("x")
        wrapped.__cause__ = SerializationException(str(cause))
        wrapped.__cause__.__cause__ = cause
        err = to_api_error(wrapped, b'{"name": "\xff"}')
        assert (err.status, err.code) == (400, "invalid_json")
        assert err.message == "request body is not valid UTF-8 (byte 10)"
    err = to_api_error(ClientException("x"))
    assert err.code != "invalid_json"
    truncated = ClientException("x")
    truncated.__cause__ = SerializationException("Input data was truncated")
    err = to_api_error(truncated, b'{"name": ')
    assert err.code == "invalid_json" and err.message.startswith("request body is not valid JSON")


def test_rate_limiter_refills() -> None:
    limiter = RateLimiter(rate=2, burst=2)
    assert [limiter.take("k", now=0).allowed for _ in range(3)] == [True, True, False]
    denied = limiter.take("k", now=0)
    assert denied.retry_after == 1 and denied.remaining == 0
    assert limiter.take("k", now=0.5).allowed  # one token back after 1/rate seconds
    assert limiter.take("other", now=0).allowed  # buckets are per caller


def test_sealer_key_file_is_private_and_stable(tmp_path: Path) -> None:
    settings = GatewaySettings(database=str(tmp_path / "d" / "gw.db"))
    sealed = Sealer.from_settings(settings).seal("whsec_abc")
    assert "whsec_abc" not in sealed
    key_file = tmp_path / "d" / "secret.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert Sealer.from_settings(settings).unseal(sealed) == "whsec_abc"
    other = Sealer.from_settings(GatewaySettings(database=str(tmp_path / "e" / "gw.db")))
    with pytest.raises(ValueError, match="cannot be opened"):
        other.unseal(sealed)


def test_every_v1_route_declares_a_scope(client: TestClient[Any]) -> None:
    """A route without `opt=needs(...)` or a `require(...)` guard would be open to any key."""
    from aiagentics.gateway.auth import SCOPE_OPT

    unguarded = []
    for route in client.app.routes:
        if not route.path.startswith("/v1/") or route.path == "/v1/health":
            continue
        for handler in getattr(route, "route_handlers", []):
            if set(handler.http_methods) == {"OPTIONS"}:  # Litestar's automatic OPTIONS answer
                continue
            guards = [g.__name__ for g in handler.resolve_guards()]
            if handler.opt.get(SCOPE_OPT) is None and not any(
                g.startswith("require_") for g in guards
            ):
                unguarded.append((route.path, sorted(handler.http_methods)))
            elif handler.opt.get(SCOPE_OPT) is not None:
                params = handler.parsed_fn_signature.parameters
                # `auth` (the dependency) or `request` (the handler calls auth.authorize).
                assert "auth" in params or "request" in params, (route.path, "needs() unchecked")
    assert unguarded == []


def test_domain_errors_map_to_their_status_with_code_and_param() -> None:
    from aiagentics import errors

    cases = [
        (errors.InvalidInput("bad", param="x"), 400, "invalid_request"),
        (errors.NotFound("gone"), 404, "resource_missing"),
        (errors.Conflict("taken", code="name_taken", param="name"), 409, "name_taken"),
        (errors.TooLarge("big"), 413, "payload_too_large"),
        (errors.Busy("wait", retry_after=3, code="too_many_runs"), 429, "too_many_runs"),
    ]
    for exc, status, code in cases:
        err = to_api_error(exc)
        assert (err.status, err.code, err.message, err.param) == (
            status,
            code,
            exc.message,
            exc.param,
        )
    assert to_api_error(cases[-1][0]).headers["Retry-After"] == "3"
