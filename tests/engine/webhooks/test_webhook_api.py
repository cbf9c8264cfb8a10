"""Deliveries, redelivery and rotation over the API (in-process app, real receiver)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from standardwebhooks.webhooks import Webhook
from webhook_receiver import Receiver

from aiagentics.gateway.app import create_app
from aiagentics.gateway.settings import GatewaySettings

KEY = "sk_test_" + "w" * 40


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient[Any]]:
    settings = GatewaySettings(
        database=str(tmp_path / "gw.db"),
        bootstrap_api_key=KEY,
        allow_private_network=True,
        webhook_base_delay_seconds=0.05,
        webhook_max_attempts=2,
    )
    with TestClient(create_app(settings)) as c:
        c.headers["Authorization"] = f"Bearer {KEY}"
        c.app.state.services.webhooks.dispatcher.poll_seconds = 0.05
        yield c


def _wait(predicate, timeout: float = 30.0) -> Any:  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.time() < deadline, "timed out"
        time.sleep(0.05)


def _publish(c: TestClient[Any]) -> str:
    """A real run of a scripted agent: its run.completed event goes through the outbox."""
    agent = c.post("/v1/agents", json={"name": "echo", "model": "scripted"})
    assert agent.status_code == 200, agent.text
    run = c.post("/v1/runs", json={"agent_id": agent.json()["id"], "input": "hello there"})
    assert run.status_code == 200, run.text
    return run.json()["id"]


def test_deliveries_listed_redelivered_and_secret_rotated(
    client: TestClient[Any], receiver: Receiver
) -> None:
    receiver.script.extend(["500", "500"])
    created = client.post(
        "/v1/webhooks", json={"name": "hook", "url": receiver.url, "events": ["run.completed"]}
    )
    assert created.status_code == 200, created.text
    hook_id, old_secret = created.json()["id"], created.json()["secret"]
    run_id = _publish(client)
    listed = _wait(
        lambda: (
            (d := client.get(f"/v1/webhooks/{hook_id}/deliveries").json())["data"]
            and d["data"][0]["status"] == "failed"
            and d
        )
    )
    (delivery,) = listed["data"]
    assert delivery["attempts"] == 2 and delivery["last_status_code"] == 500
    assert [a["status_code"] for a in delivery["attempts_log"]] == [500, 500]
    rotated = client.post(f"/v1/webhooks/{hook_id}/rotate_secret", json={"overlap_seconds": 600})
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret.startswith("whsec_") and new_secret != old_secret
    assert "secret" not in client.get(f"/v1/webhooks/{hook_id}").json()
    r = client.post(f"/v1/webhooks/{hook_id}/deliveries/{delivery['id']}/redeliver")
    assert r.status_code == 202 and r.json()["status"] == "pending"
    one = _wait(
        lambda: (
            (d := client.get(f"/v1/webhooks/{hook_id}/deliveries/{delivery['id']}").json())[
                "status"
            ]
            == "delivered"
            and d
        )
    )
    assert [a["trigger"] for a in one["attempts_log"]] == ["auto", "auto", "manual"]
    last = receiver.received[-1]
    assert Webhook(new_secret).verify(last.body, last.headers)["data"]["run_id"] == run_id
    Webhook(old_secret).verify(last.body, last.headers)
    Webhook(new_secret).verify(last.body, last.headers)
    failed = client.get(f"/v1/webhooks/{hook_id}/deliveries", params={"status": "failed"}).json()
    assert failed["data"] == []


def test_bad_requests(client: TestClient[Any]) -> None:
    hook = client.post(
        "/v1/webhooks",
        json={"name": "h", "url": "https://example.com/h", "events": ["run.completed"]},
    ).json()
    r = client.post(f"/v1/webhooks/{hook['id']}/rotate_secret", json={"overlap_seconds": -1})
    assert r.status_code == 400 and r.json()["error"]["param"] == "overlap_seconds"
    r = client.post(f"/v1/webhooks/{hook['id']}/rotate_secret", json={"secret": "whsec_!!"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "secret"
    assert client.get(f"/v1/webhooks/{hook['id']}/deliveries/dlv_missing12345").status_code == 404
    assert client.get("/v1/webhooks/whk_missing1234567/deliveries").status_code == 404
    r = client.get(f"/v1/webhooks/{hook['id']}/deliveries", params={"starting_after": "nope"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "starting_after"
    r = client.get(
        f"/v1/webhooks/{hook['id']}/deliveries", params={"starting_after": "dlv_unknown1234567"}
    )
    assert r.status_code == 400 and r.json()["error"]["param"] == "starting_after"
    assert client.post(f"/v1/webhooks/{hook['id']}/rotate_secret").status_code == 200
