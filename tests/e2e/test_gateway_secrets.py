"""Write-only fields through the real API: tool headers and declared sensitive fields.

Never returned (read or admin key; get, list, versions, create and update responses),
never stored in plain text (the database file's bytes), still sent by the tool call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.conftest import Gateway
from tests.fakes.tool_handler import ToolHandlerServer

pytestmark = pytest.mark.e2e

TOKEN_1 = "Bearer s3cr3t-one-4f1c"
TOKEN_2 = "Bearer s3cr3t-two-9b2e"
URL_KEY = "urlk3y-77aa"
SECRETS = (TOKEN_1, TOKEN_2, "s3cr3t-one", "s3cr3t-two", URL_KEY)


def no_secret(text: str | bytes) -> None:
    data = text.encode() if isinstance(text, str) else text
    for secret in SECRETS:
        assert secret.encode() not in data, f"{secret!r} leaked"


def read_key(gateway: Gateway) -> str:
    with gateway.client() as client:
        made = client.post("keys", json={"name": "reader", "scopes": ["read"]})
        assert made.status_code == 200, made.text
        return str(made.json()["secret"])


def database_bytes(gateway: Gateway) -> bytes:
    """The SQLite file and its write-ahead log, as bytes on disk."""
    parts = sorted(gateway.database.parent.glob(gateway.database.name + "*"))
    assert parts, "no database file"
    return b"".join(p.read_bytes() for p in parts)


def wait_run(client: httpx.Client, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        run = client.get(f"runs/{run_id}").json()
        if run["status"] in ("completed", "failed", "cancelled", "requires_action"):
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish")


def test_tool_headers_are_write_only(
    gateway_factory: Callable[..., Gateway], tmp_path: Path
) -> None:
    with ToolHandlerServer() as handler:
        gateway = gateway_factory(settings={"allow_private_network": True})
        reader = read_key(gateway)
        with gateway.client() as admin:
            body = {
                "name": "crm",
                "type": "http",
                "handler_url": handler.url(f"/echo?key={URL_KEY}"),
                "headers": {"Authorization": TOKEN_1, "X-Team": "payments"},
                "sensitive_fields": ["handler_url"],
            }
            created = admin.post("tools", json=body, headers={"Idempotency-Key": "crm-1"})
            assert created.status_code == 200, created.text
            no_secret(created.content)
            tool = created.json()
            assert tool["sensitive_fields"] == [
                "handler_url",
                "headers.Authorization",
                "headers.X-Team",
            ]
            assert tool["headers"]["Authorization"].startswith("scrypt$")
            tid = tool["id"]
            replayed = admin.post("tools", json=body, headers={"Idempotency-Key": "crm-1"})
            assert replayed.status_code == 200 and replayed.json() == tool
            no_secret(replayed.content)

            # Sending back what was read keeps the stored value (no new fingerprint).
            same = admin.post(f"tools/{tid}", json={"headers": tool["headers"]})
            assert same.status_code == 200 and same.json()["headers"] == tool["headers"]

            updated = admin.post(
                f"tools/{tid}",
                json={"headers": {"Authorization": TOKEN_2, "X-Team": "payments"}},
                headers={"Idempotency-Key": "crm-2"},
            )
            assert updated.status_code == 200, updated.text
            no_secret(updated.content)
            assert updated.json()["headers"]["Authorization"] != tool["headers"]["Authorization"]
            described = admin.post(f"tools/{tid}", json={"description": "CRM lookups"})
            assert described.json()["headers"] == updated.json()["headers"]  # value kept

            agent = admin.post(
                "agents",
                json={
                    "name": "caller",
                    "model": "scripted",
                    "tools": [tid],
                    "model_options": {"script": [{"tool_calls": [{"name": "crm"}]}]},
                },
            ).json()
            run = admin.post("runs", json={"agent_id": agent["id"], "input": "go"}).json()
            finished = wait_run(admin, run["id"])
            assert finished["status"] == "completed", finished
            no_secret(admin.get(f"runs/{run['id']}").content)
            no_secret(admin.get(f"traces/{run['id']}").content)

        # The handler got the current value; the API never shows it, whoever asks.
        (call,) = [r for r in handler.requests if r["path"] == "/echo"]
        assert call["headers"]["authorization"] == TOKEN_2
        for key in (gateway.api_key, reader):
            with httpx.Client(
                base_url=gateway.base_url + "/",
                headers={"Authorization": f"Bearer {key}"},
                timeout=30,
            ) as client:
                for path in (f"tools/{tid}", "tools", f"tools/{tid}/versions"):
                    response = client.get(path, params={"limit": 100})
                    assert response.status_code == 200, response.text
                    no_secret(response.content)
                    assert "scrypt$" in response.text
        gateway.stop()
        no_secret(database_bytes(gateway))


def test_sensitive_fields_must_name_string_fields(gateway: Gateway) -> None:
    with gateway.client() as admin:
        bad = admin.post(
            "tools",
            json={"name": "t", "type": "client", "sensitive_fields": ["description", "nope"]},
        )
        assert bad.status_code == 400
        assert bad.json()["error"]["param"] == "sensitive_fields[1]"
        agent_tool = admin.post("tools", json={"name": "u", "type": "client"}).json()
        agent = admin.post(
            "agents",
            json={
                "name": "a",
                "model": "scripted",
                "tools": [agent_tool["id"]],
                "sensitive_fields": ["tools.0"],
            },
        )
        assert agent.status_code == 400  # a reference stays an id the API can resolve
        assert agent.json()["error"]["param"] == "sensitive_fields[0]"


def test_aia_dev_seals_headers_and_a_reload_keeps_them(tmp_path: Path) -> None:
    from tests.e2e.dev_helpers import agent_yaml, start_dev, wait_for, write_project

    root = tmp_path / "project"
    write_project(root)
    (root / "tools" / "crm.yaml").write_text(
        "apiVersion: aiagentics.io/v1\nkind: Tool\nmetadata: {name: crm}\n"
        "spec:\n  type: http\n  handler_url: https://crm.example.com/q\n"
        f"  headers: {{Authorization: {TOKEN_1}}}\n"
    )
    dev = start_dev(root)
    try:
        with dev.client() as c:
            tool = next(t for t in c.get("tools").json()["data"] if t["name"] == "crm")
            no_secret(c.get(f"tools/{tool['id']}").content)
            assert tool["headers"]["Authorization"].startswith("scrypt$")
            (root / "agents" / "helper.yaml").write_text(agent_yaml(instructions="Be warm."))
            wait_for(lambda: "Be warm." in c.get("agents").text)
            again = c.get(f"tools/{tool['id']}").json()
        # The reload compared the header by fingerprint: the tool did not change.
        assert again["version"] == tool["version"] and again["headers"] == tool["headers"]
    finally:
        dev.stop()
    parts = list((root / ".aiagentics").glob("*.db*"))
    assert parts
    no_secret(b"".join(p.read_bytes() for p in parts))
