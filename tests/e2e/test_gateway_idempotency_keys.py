"""Idempotency records per API key, sealed at rest; one Authorization header per request."""

from __future__ import annotations

import base64
import secrets
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e


def _bearer(secret: str, idem: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {secret}"}
    if idem is not None:
        headers["Idempotency-Key"] = idem
    return headers


def _key(gw: Any, scopes: list[str]) -> dict[str, Any]:
    r = httpx.post(gw.url("/keys"), json={"name": "k", "scopes": scopes}, headers=gw.headers)
    assert r.status_code == 200, r.text
    return r.json()


def _stored_bytes(database: Path) -> bytes:
    """Everything SQLite has written for the database so far (main file and WAL)."""
    return b"".join(
        p.read_bytes()
        for p in (database, Path(f"{database}-wal"), Path(f"{database}-shm"))
        if p.exists()
    )


def _idempotency_rows(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        return conn.execute("SELECT COUNT(*) FROM idempotency").fetchone()[0]


def test_another_key_never_gets_a_replay(gateway: Any) -> None:
    """A read key sending the admin's Idempotency-Key must not receive the admin's new key."""
    idem = secrets.token_hex(8)
    body = {"name": "made-by-admin", "scopes": ["admin"]}
    first = httpx.post(gateway.url("/keys"), json=body, headers=_bearer(gateway.api_key, idem))
    assert first.status_code == 200, first.text
    admin_secret = first.json()["secret"]
    # The same key retrying gets the same response back, secret included.
    again = httpx.post(gateway.url("/keys"), json=body, headers=_bearer(gateway.api_key, idem))
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()

    reader = _key(gateway, ["read"])
    stolen = httpx.post(gateway.url("/keys"), json=body, headers=_bearer(reader["secret"], idem))
    assert stolen.status_code == 403, stolen.text
    assert admin_secret not in stolen.text
    assert "idempotent-replayed" not in stolen.headers

    # Another admin key with the same Idempotency-Key makes a request of its own.
    other_admin = _key(gateway, ["admin"])
    own = httpx.post(gateway.url("/keys"), json=body, headers=_bearer(other_admin["secret"], idem))
    assert own.status_code == 200 and "idempotent-replayed" not in own.headers
    assert own.json()["id"] != first.json()["id"]


def test_403_is_not_stored_or_replayed_to_an_admin(gateway: Any) -> None:
    idem = secrets.token_hex(8)
    body = {"name": f"tool-{secrets.token_hex(3)}", "type": "client"}
    reader = _key(gateway, ["read"])
    rows_before = _idempotency_rows(gateway.database)
    denied = httpx.post(gateway.url("/tools"), json=body, headers=_bearer(reader["secret"], idem))
    assert denied.status_code == 403, denied.text
    assert _idempotency_rows(gateway.database) == rows_before
    retry = httpx.post(gateway.url("/tools"), json=body, headers=_bearer(reader["secret"], idem))
    assert retry.status_code == 403 and "idempotent-replayed" not in retry.headers

    made = httpx.post(gateway.url("/tools"), json=body, headers=_bearer(gateway.api_key, idem))
    assert made.status_code == 200, made.text
    assert made.json()["name"] == body["name"]


def test_stored_responses_hold_no_secret_in_plain_text(gateway: Any) -> None:
    """New and rolled key secrets and webhook secrets, all sent with an Idempotency-Key."""
    admin = _bearer(gateway.api_key)
    shown: list[str] = []

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = {**admin, "Idempotency-Key": secrets.token_hex(8)}
        r = httpx.post(gateway.url(path), json=body, headers=headers)
        assert r.status_code == 200, r.text
        replay = httpx.post(gateway.url(path), json=body, headers=headers)
        assert replay.headers.get("idempotent-replayed") == "true" and replay.json() == r.json()
        shown.append(r.json()["secret"])
        return r.json()

    key = post("/keys", {"name": "sealed", "scopes": ["run"]})
    post(f"/keys/{key['id']}/roll", {"expires_in_seconds": 60})
    hook = post(
        "/webhooks",
        {"name": "sealed", "url": "https://example.com/hook", "events": ["run.completed"]},
    )
    post(f"/webhooks/{hook['id']}/rotate_secret", {"overlap_seconds": 60})
    given = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    post(
        "/webhooks",
        {
            "name": "given",
            "url": "https://example.com/hook2",
            "events": ["run.completed"],
            "secret": given,
        },
    )
    assert given in shown and len(set(shown)) == 5
    stored = _stored_bytes(gateway.database)
    assert _idempotency_rows(gateway.database) >= 5
    for secret in shown:
        assert secret.encode() not in stored
        # The random part alone, in case a prefix were stored apart from the rest.
        assert secret.encode()[-30:] not in stored


def test_two_authorization_headers_are_refused(gateway: Any) -> None:
    reader = _key(gateway, ["read"])
    for first, second in ((reader["secret"], gateway.api_key), (gateway.api_key, "sk_test_x")):
        r = httpx.post(
            gateway.url("/keys"),
            json={"name": "two", "scopes": ["admin"]},
            headers=[
                ("Authorization", f"Bearer {first}"),
                ("Authorization", f"Bearer {second}"),
            ],
        )
        assert r.status_code == 400, r.text
        err = r.json()["error"]
        assert err["code"] == "duplicate_header" and err["param"] == "Authorization"
        assert "more than one `Authorization` header" in err["message"]
        assert "secret" not in r.json()
    listed = httpx.get(gateway.url("/keys"), params={"limit": 100}, headers=gateway.headers)
    assert all(k["name"] != "two" for k in listed.json()["data"])
    twice = httpx.post(
        gateway.url("/tools"),
        json={"name": "t2", "type": "client"},
        headers=[
            ("Authorization", f"Bearer {gateway.api_key}"),
            ("Idempotency-Key", "a"),
            ("Idempotency-Key", "b"),
        ],
    )
    assert twice.status_code == 400 and twice.json()["error"]["param"] == "Idempotency-Key"


def test_a_record_sealed_with_another_key_is_a_clear_409(gateway_factory: Any) -> None:
    """After the sealing key changed, the stored response cannot be replayed (nor leaked)."""
    from cryptography.fernet import Fernet

    gw = gateway_factory()
    idem = secrets.token_hex(8)
    body = {"name": "before-the-change", "scopes": ["read"]}
    first = httpx.post(gw.url("/keys"), json=body, headers=_bearer(gw.api_key, idem))
    assert first.status_code == 200, first.text
    gw.stop()
    (gw.database.parent / "secret.key").write_bytes(Fernet.generate_key())
    again = gateway_factory(directory=gw.root, api_key=gw.api_key)
    r = httpx.post(again.url("/keys"), json=body, headers=_bearer(again.api_key, idem))
    assert r.status_code == 409, r.text
    err = r.json()["error"]
    assert err["code"] == "idempotency_key_unreadable" and err["param"] == "Idempotency-Key"
    assert first.json()["secret"] not in r.text
