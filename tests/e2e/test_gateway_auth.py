"""Keys over real HTTP and the real `aia` command: scopes, scoping, revocation, rotation, bootstrap."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from aiagentics.engine.keys import make_key
from aiagentics.storage.sqlite.db import Database
from aiagentics.storage.sqlite.definitions import SQLiteStore

pytestmark = pytest.mark.e2e


def _key(gw: Any, scopes: list[str], **extra: Any) -> dict[str, Any]:
    r = httpx.post(
        gw.url("/keys"), json={"name": "k", "scopes": scopes, **extra}, headers=gw.headers
    )
    assert r.status_code == 200, r.text
    return r.json()


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_missing_and_bad_keys_are_401(module_gateway: Any) -> None:
    url = module_gateway.url("/agents")
    for headers, code in (
        ({}, "missing_api_key"),
        ({"Authorization": "Basic abc"}, "invalid_api_key"),
        ({"Authorization": "Bearer"}, "invalid_api_key"),
        (_bearer("sk_test_" + "0" * 40), "invalid_api_key"),
    ):
        r = httpx.get(url, headers=headers)
        assert r.status_code == 401, r.text
        assert (
            r.json()["error"]["code"] == code
            and r.json()["error"]["type"] == "authentication_error"
        )
        assert r.headers["x-request-id"].startswith("req_") and "x-ratelimit-limit" in r.headers


def test_key_create_shape_and_secret_only_once(module_gateway: Any) -> None:
    key = _key(module_gateway, ["read"])
    assert key["id"].startswith("key_") and key["object"] == "api_key"
    assert re.fullmatch(r"sk_test_[0-9A-Za-z]{40}", key["secret"])
    assert (
        key["project"] == "default" and key["environment"] == "test" and key["scopes"] == ["read"]
    )
    got = httpx.get(module_gateway.url(f"/keys/{key['id']}"), headers=module_gateway.headers).json()
    assert "secret" not in got and got["hint"].endswith(key["secret"][-4:])
    listed = httpx.get(
        module_gateway.url("/keys"), params={"limit": 100}, headers=module_gateway.headers
    ).json()
    assert any(k["id"] == key["id"] for k in listed["data"]) and all(
        "secret" not in k for k in listed["data"]
    )
    # Never stored in clear.
    assert key["secret"].encode() not in module_gateway.database.read_bytes()
    bad = httpx.post(
        module_gateway.url("/keys"), json={"scopes": ["root"]}, headers=module_gateway.headers
    )
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "scopes[0]"


def test_scopes_are_enforced_per_route(module_gateway: Any) -> None:
    read = _bearer(_key(module_gateway, ["read"])["secret"])
    run = _bearer(_key(module_gateway, ["run"])["secret"])
    admin = module_gateway.headers
    agent = httpx.post(
        module_gateway.url("/agents"),
        json={"name": f"s-{time.time_ns()}", "model": "scripted"},
        headers=admin,
    ).json()
    for headers in (read, run):
        assert (
            httpx.get(module_gateway.url(f"/agents/{agent['id']}"), headers=headers).status_code
            == 200
        )
        r = httpx.post(module_gateway.url("/agents"), json={"name": "nope"}, headers=headers)
        assert r.status_code == 403 and r.json()["error"]["code"] == "insufficient_scope"
        assert (
            httpx.delete(module_gateway.url(f"/agents/{agent['id']}"), headers=headers).status_code
            == 403
        )
        assert httpx.get(module_gateway.url("/keys"), headers=headers).status_code == 403
        assert httpx.post(module_gateway.url("/keys"), json={}, headers=headers).status_code == 403


def test_revocation_is_effective_on_the_next_request(module_gateway: Any) -> None:
    key = _key(module_gateway, ["read"])
    headers = _bearer(key["secret"])
    assert httpx.get(module_gateway.url("/agents"), headers=headers).status_code == 200
    r = httpx.delete(module_gateway.url(f"/keys/{key['id']}"), headers=module_gateway.headers)
    assert r.status_code == 200 and r.json() == {
        "id": key["id"],
        "object": "api_key",
        "deleted": True,
    }
    r = httpx.get(module_gateway.url("/agents"), headers=headers)
    assert r.status_code == 401 and r.json()["error"]["code"] == "api_key_revoked"
    got = httpx.get(module_gateway.url(f"/keys/{key['id']}"), headers=module_gateway.headers).json()
    assert got["revoked_at"] is not None


def test_expiry_and_rotation(module_gateway: Any) -> None:
    key = _key(module_gateway, ["read", "run"])
    old = _bearer(key["secret"])
    rolled = httpx.post(
        module_gateway.url(f"/keys/{key['id']}/roll"),
        json={"expires_in_seconds": 2},
        headers=module_gateway.headers,
    )
    assert rolled.status_code == 200, rolled.text
    new = rolled.json()
    assert (
        new["id"] != key["id"]
        and new["secret"] != key["secret"]
        and new["scopes"] == ["read", "run"]
    )
    # Both valid during the overlap, only the new one after it.
    assert httpx.get(module_gateway.url("/agents"), headers=old).status_code == 200
    assert (
        httpx.get(module_gateway.url("/agents"), headers=_bearer(new["secret"])).status_code == 200
    )
    time.sleep(2.1)
    r = httpx.get(module_gateway.url("/agents"), headers=old)
    assert r.status_code == 401 and r.json()["error"]["code"] == "api_key_expired"
    assert (
        httpx.get(module_gateway.url("/agents"), headers=_bearer(new["secret"])).status_code == 200
    )
    now = httpx.post(
        module_gateway.url(f"/keys/{new['id']}/roll"),
        json={"expires_in_seconds": 0},
        headers=module_gateway.headers,
    )
    assert (
        httpx.get(module_gateway.url("/agents"), headers=_bearer(new["secret"])).status_code == 401
    )
    assert (
        httpx.get(module_gateway.url("/agents"), headers=_bearer(now.json()["secret"])).status_code
        == 200
    )


def test_another_projects_objects_are_404(module_gateway: Any) -> None:
    admin = module_gateway.headers
    agent = httpx.post(
        module_gateway.url("/agents"), json={"name": "mine", "model": "scripted"}, headers=admin
    ).json()
    key = _key(module_gateway, ["read"])
    # A key of another project (and one of the live environment) written into the same database file.
    db = Database(module_gateway.database)
    store = SQLiteStore(db)
    secrets_by_scope = {}
    for project, env in (("other", "test"), ("default", "live")):
        record, secret = make_key(project=project, environment=env, name="x", scopes=["admin"])
        asyncio.run(store.create_key(record))
        secrets_by_scope[(project, env)] = secret
    db.close()
    for secret in secrets_by_scope.values():
        h = _bearer(secret)
        r = httpx.get(module_gateway.url(f"/agents/{agent['id']}"), headers=h)
        assert r.status_code == 404 and r.json()["error"]["code"] == "resource_missing"
        assert (
            httpx.post(
                module_gateway.url(f"/agents/{agent['id']}"), json={"description": "x"}, headers=h
            ).status_code
            == 404
        )
        assert (
            httpx.delete(module_gateway.url(f"/agents/{agent['id']}"), headers=h).status_code == 404
        )
        assert httpx.delete(module_gateway.url(f"/keys/{key['id']}"), headers=h).status_code == 404
        assert all(
            a["id"] != agent["id"]
            for a in httpx.get(module_gateway.url("/agents"), headers=h).json()["data"]
        )
        # The same name is free in the other scope.
        assert (
            httpx.post(
                module_gateway.url("/agents"), json={"name": "mine", "model": "scripted"}, headers=h
            ).status_code
            == 200
        )


def test_aia_keys_cli(module_gateway: Any) -> None:
    aia = [str(Path(sys.executable).with_name("aia"))]
    env = {**module_gateway.env, "AIAGENTICS_BASE_URL": module_gateway.base_url}
    created = subprocess.run(
        [*aia, "keys", "create", "--name", "ci", "--scope", "read"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("sk_test_")
    assert httpx.get(module_gateway.url("/agents"), headers=_bearer(secret)).status_code == 200
    listed = subprocess.run(
        [*aia, "keys", "list", "--json"], capture_output=True, text=True, env=env, timeout=60
    )
    assert listed.returncode == 0, listed.stderr
    key_id = next(k["id"] for k in json.loads(listed.stdout) if k["hint"].endswith(secret[-4:]))
    revoked = subprocess.run(
        [*aia, "keys", "revoke", key_id], capture_output=True, text=True, env=env, timeout=60
    )
    assert revoked.returncode == 0 and key_id in revoked.stdout
    assert httpx.get(module_gateway.url("/agents"), headers=_bearer(secret)).status_code == 401
    denied = subprocess.run(
        [*aia, "--api-key", secret, "keys", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert denied.returncode == 1 and "revoked" in denied.stderr


def test_bootstrap_key_is_created_and_printed_once(gateway_factory: Any) -> None:
    gw = gateway_factory(env={"AIAGENTICS_API_KEY": ""}, api_key="unused")
    printed = re.findall(r"sk_test_[0-9A-Za-z]{40}", gw.output())
    assert len(printed) == 1
    assert httpx.get(gw.url("/agents"), headers=_bearer(printed[0])).status_code == 200
    assert httpx.get(gw.url("/agents"), headers=_bearer("unused")).status_code == 401
    assert gw.stop() == 0
    # Restarted on the same database: the key still works and no new one is printed.
    again = gateway_factory(directory=gw.root, env={"AIAGENTICS_API_KEY": ""}, api_key="unused")
    assert not re.findall(r"sk_test_[0-9A-Za-z]{40}", again.output())
    assert httpx.get(again.url("/agents"), headers=_bearer(printed[0])).status_code == 200
