"""HTTP behaviour of the served gateway: headers, error statuses, limits, idempotency, OpenAPI, shutdown."""

from __future__ import annotations

import json
import secrets
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e

RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


def _assert_error(
    r: httpx.Response, status: int, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    err = r.json()["error"]
    assert set(err) == {"type", "code", "message", "param", "request_id"}
    assert err["request_id"] == r.headers["x-request-id"]
    assert "Traceback" not in r.text
    if code:
        assert err["code"] == code
    if param:
        assert err["param"] == param
    return err


def test_health_needs_no_key_and_every_response_has_the_headers(module_gateway: Any) -> None:
    responses = [
        httpx.get(module_gateway.url("/v1/health")),
        httpx.get(module_gateway.url("/agents"), headers=module_gateway.headers),
        httpx.get(module_gateway.url("/agents")),  # 401
        httpx.get(module_gateway.url("/v1/nothing-here"), headers=module_gateway.headers),  # 404
        httpx.get(module_gateway.origin + "/elsewhere"),  # 404 outside /v1
        httpx.put(module_gateway.url("/agents"), headers=module_gateway.headers),  # 405
        httpx.get(module_gateway.url("/schema/openapi.json")),
    ]
    assert responses[0].json() == {"status": "ok", "version": responses[0].json()["version"]}
    ids = set()
    for r in responses:
        assert r.headers["x-request-id"].startswith("req_"), r.request.url
        ids.add(r.headers["x-request-id"])
        for h in RATE_HEADERS:
            assert int(r.headers[h]) >= 0, (r.request.url, h)
    assert len(ids) == len(responses)


def test_error_statuses(module_gateway: Any) -> None:
    h = {**module_gateway.headers, "content-type": "application/json"}
    url = module_gateway.url
    _assert_error(httpx.get(url("/v1/nothing"), headers=h), 404, "not_found")
    _assert_error(httpx.get(module_gateway.origin + "/nothing"), 404, "not_found")
    _assert_error(httpx.get(url("/v1/nothing")), 401, "missing_api_key")
    _assert_error(httpx.put(url("/agents"), headers=h), 405, "method_not_allowed")
    _assert_error(
        httpx.post(url("/agents"), content=b'{"name": "x",', headers=h), 400, "invalid_json"
    )
    _assert_error(httpx.post(url("/agents"), content=b"[1, 2]", headers=h), 400)
    _assert_error(
        httpx.post(url("/agents"), json={"name": "x", "colour": "red"}, headers=h),
        400,
        param="colour",
    )
    _assert_error(httpx.post(url("/agents"), json={"name": 5}, headers=h), 400, param="name")
    _assert_error(
        httpx.post(url("/agents"), json={"name": "Not Valid"}, headers=h), 400, param="name"
    )
    _assert_error(
        httpx.post(url("/agents"), json={"description": "no name"}, headers=h), 400, param="name"
    )
    _assert_error(
        httpx.post(url("/agents"), json={"name": "g", "guardrails": {"max_steps": 0}}, headers=h),
        400,
        param="guardrails.max_steps",
    )
    _assert_error(httpx.post(url("/tools"), json={"name": "t", "type": "http"}, headers=h), 400)
    _assert_error(
        httpx.post(
            url("/tools"),
            json={"name": "t", "type": "client", "parameters": {"type": "array"}},
            headers=h,
        ),
        400,
        param="parameters",
    )
    _assert_error(
        httpx.post(url("/agents"), json={"name": "m", "metadata": {"k": 1}}, headers=h),
        400,
        param="metadata.k",
    )
    _assert_error(
        httpx.get(url("/agents"), params={"limit": 10**12}, headers=h), 400, param="limit"
    )
    # Bodies that break parsers rather than schemas.
    _assert_error(httpx.post(url("/tools"), content=b"", headers=h), 400)
    _assert_error(httpx.post(url("/tools"), content=b"null", headers=h), 400)
    nested = b"[" * 50_000 + b"]" * 50_000
    _assert_error(httpx.post(url("/tools"), content=nested, headers=h), 400, "invalid_json")
    _assert_error(
        httpx.post(url("/tools"), content=b'{"name": "\xff"}', headers=h), 400, "invalid_json"
    )
    bad_utf8 = httpx.post(url("/tools"), content=b'{"name": "a\xed\xa0\x80"}', headers=h)
    assert "not valid UTF-8" in _assert_error(bad_utf8, 400, "invalid_json")["message"]
    deep = b'{"name": "deep", "type": "client", "parameters": {"type": "object", "properties": '
    deep += b'{"a": ' * 400 + b"1" + b"}" * 400 + b"}}"
    _assert_error(httpx.post(url("/tools"), content=deep, headers=h), 400)
    err = _assert_error(httpx.get(url("/agents/" + "x" * 3000), headers=h), 404)
    assert len(err["message"]) < 200


def test_oversized_bodies_are_413(gateway_factory: Any) -> None:
    gw = gateway_factory(settings={"max_body_bytes": 4096, "max_file_bytes": 10_000})
    big = {"name": "big", "instructions": "x" * 5000}
    _assert_error(
        httpx.post(gw.url("/agents"), json=big, headers=gw.headers), 413, "payload_too_large"
    )

    # Chunked (no Content-Length): counted as it arrives.
    def chunks() -> Any:
        yield b'{"name": "big", "instructions": "'
        for _ in range(10):
            yield b"y" * 1000
        yield b'"}'

    r = httpx.post(
        gw.url("/agents"),
        content=chunks(),
        headers={**gw.headers, "content-type": "application/json"},
    )
    _assert_error(r, 413)
    # Files have their own limit.
    ok = httpx.post(gw.url("/files"), files={"file": ("a.bin", b"a" * 9000)}, headers=gw.headers)
    assert ok.status_code == 200, ok.text
    too_big = httpx.post(
        gw.url("/files"), files={"file": ("a.bin", b"a" * 10_001)}, headers=gw.headers
    )
    _assert_error(too_big, 413)
    assert sorted(p.name for p in (gw.database.parent / "files").iterdir()) == [ok.json()["id"]]
    # The limit holds for the JSON routes with an Idempotency-Key too.
    r = httpx.post(gw.url("/agents"), json=big, headers={**gw.headers, "Idempotency-Key": "big"})
    _assert_error(r, 413)


def test_rate_limit_429_with_retry_after(gateway_factory: Any) -> None:
    gw = gateway_factory(settings={"rate_limit_per_second": 0.5, "rate_limit_burst": 3})
    seen = [httpx.get(gw.url("/agents"), headers=gw.headers) for _ in range(4)]
    assert [r.status_code for r in seen] == [200, 200, 200, 429]
    assert [r.headers["x-ratelimit-remaining"] for r in seen[:3]] == ["2", "1", "0"]
    assert all(r.headers["x-ratelimit-limit"] == "3" for r in seen)
    limited = seen[3]
    _assert_error(limited, 429, "rate_limited")
    assert int(limited.headers["retry-after"]) >= 1
    assert int(limited.headers["x-ratelimit-reset"]) >= 1
    # Per key: another key has its own bucket.
    key = httpx.post(gw.url("/keys"), json={"scopes": ["read"]}, headers=gw.headers)
    assert key.status_code == 429
    other = gateway_factory(settings={"rate_limit_per_second": 0.5, "rate_limit_burst": 3})
    assert httpx.get(other.url("/agents"), headers=other.headers).status_code == 200


def test_idempotency_key(module_gateway: Any) -> None:
    h = {**module_gateway.headers, "Idempotency-Key": secrets.token_hex(8)}
    body = {"name": f"idem-{secrets.token_hex(3)}", "type": "client"}
    first = httpx.post(module_gateway.url("/tools"), json=body, headers=h)
    second = httpx.post(module_gateway.url("/tools"), json=body, headers=h)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert (
        second.headers["idempotent-replayed"] == "true"
        and "idempotent-replayed" not in first.headers
    )
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    other = httpx.post(
        module_gateway.url("/tools"), json={**body, "description": "changed"}, headers=h
    )
    _assert_error(other, 409, "idempotency_key_reused", "Idempotency-Key")
    # Errors (4xx) are replayed as well: a retried bad request stays the same bad request.
    h2 = {**module_gateway.headers, "Idempotency-Key": secrets.token_hex(8)}
    bad1 = httpx.post(module_gateway.url("/tools"), json={"name": "x"}, headers=h2)
    bad2 = httpx.post(module_gateway.url("/tools"), json={"name": "x"}, headers=h2)
    assert (
        bad1.status_code == bad2.status_code == 400
        and bad1.json()["error"]["message"] == bad2.json()["error"]["message"]
    )
    # Concurrent retries with one key: one create, and the others replay it or are told it is in flight.
    h3 = {**module_gateway.headers, "Idempotency-Key": secrets.token_hex(8)}
    body3 = {"name": f"idem-{secrets.token_hex(3)}", "type": "client"}
    with ThreadPoolExecutor(8) as pool:
        results = list(
            pool.map(
                lambda _: httpx.post(module_gateway.url("/tools"), json=body3, headers=h3), range(8)
            )
        )
    assert {r.status_code for r in results} <= {200, 409}
    assert len({r.json()["id"] for r in results if r.status_code == 200}) == 1
    listed = httpx.get(
        module_gateway.url("/tools"), params={"limit": 100}, headers=module_gateway.headers
    ).json()
    assert sum(t["name"] == body3["name"] for t in listed["data"]) == 1
    _assert_error(
        httpx.post(
            module_gateway.url("/tools"),
            json=body,
            headers={**module_gateway.headers, "Idempotency-Key": "k" * 300},
        ),
        400,
        param="Idempotency-Key",
    )


def test_openapi_describes_every_route(module_gateway: Any) -> None:
    doc = httpx.get(module_gateway.url("/schema/openapi.json")).json()
    paths = doc["paths"]
    expected = {
        "/v1/health": {"get"},
        "/v1/agents": {"get", "post"},
        "/v1/agents/{id}": {"get", "post", "patch", "delete"},
        "/v1/agents/{id}/versions": {"get"},
        "/v1/tools": {"get", "post"},
        "/v1/tools/{id}": {"get", "post", "patch", "delete"},
        "/v1/tools/{id}/versions": {"get"},
        "/v1/memory_stores": {"get", "post"},
        "/v1/memory_stores/{id}": {"get", "post", "patch", "delete"},
        "/v1/webhooks": {"get", "post"},
        "/v1/webhooks/{id}": {"get", "post", "patch", "delete"},
        "/v1/files": {"get", "post"},
        "/v1/files/{id}": {"get", "post", "patch", "delete"},
        "/v1/files/{id}/content": {"get"},
        "/v1/keys": {"get", "post"},
        "/v1/keys/{id}": {"get", "delete"},
        "/v1/keys/{id}/roll": {"post"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
        for method in methods:
            op = paths[path][method]
            if path != "/v1/health":
                for status in ("401", "429", "500"):
                    assert status in op["responses"], (path, method, status)
    assert doc["paths"]["/v1/health"]["get"]["security"] == [{}]  # no key needed
    assert "bearer" in doc["components"]["securitySchemes"]
    create = doc["paths"]["/v1/agents"]["post"]
    schema_ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit(
        "/", 1
    )[1]
    agent_create = doc["components"]["schemas"][schema_ref]
    assert {"name", "model", "tools", "memory", "files", "guardrails", "metadata"} <= set(
        agent_create["properties"]
    )
    assert agent_create["additionalProperties"] is False
    upload = doc["paths"]["/v1/files"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload
    json.dumps(doc)


def test_graceful_shutdown_and_workers(gateway_factory: Any) -> None:
    gw = gateway_factory(args=["--workers", "2"])
    with ThreadPoolExecutor(4) as pool:
        codes = list(
            pool.map(
                lambda _: httpx.get(gw.url("/agents"), headers=gw.headers).status_code, range(20)
            )
        )
    assert codes == [200] * 20
    created = httpx.post(
        gw.url("/tools"), json={"name": "kept", "type": "client"}, headers=gw.headers
    )
    assert created.status_code == 200
    assert gw.stop() == 0
    assert "Application shutdown complete" in gw.output()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", gw.port)) != 0
    # The data survives a restart.
    again = gateway_factory(directory=gw.root)
    got = httpx.get(again.url(f"/tools/{created.json()['id']}"), headers=again.headers)
    assert got.status_code == 200 and got.json()["name"] == "kept"


def test_reads_are_fresh_across_workers(gateway_factory: Any) -> None:
    """Cached reads never outlive a write, whichever worker process made it."""
    gw = gateway_factory(args=["--workers", "2"])
    with gw.client() as api:
        tool = api.post("tools", json={"name": "fresh", "type": "client"}).json()
        for version in range(2, 6):
            # Warm both workers' caches, then change the tool through one of them.
            for _ in range(6):
                assert api.get(f"tools/{tool['id']}").json()["version"] == version - 1
                api.get("tools")
            assert (
                api.post(f"tools/{tool['id']}", json={"description": f"v{version}"}).status_code
                == 200
            )
            for _ in range(6):
                got = api.get(f"tools/{tool['id']}").json()
                assert (got["version"], got["description"]) == (version, f"v{version}")
                listed = api.get("tools").json()["data"]
                assert [t["version"] for t in listed if t["id"] == tool["id"]] == [version]
        key = api.post("keys", json={"scopes": ["read"]}).json()
        for _ in range(6):
            assert (
                httpx.get(
                    gw.url("/tools"), headers={"Authorization": f"Bearer {key['secret']}"}
                ).status_code
                == 200
            )
        api.delete(f"keys/{key['id']}")
        for _ in range(6):
            assert (
                httpx.get(
                    gw.url("/tools"), headers={"Authorization": f"Bearer {key['secret']}"}
                ).status_code
                == 401
            )
