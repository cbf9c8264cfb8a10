"""Webhooks against `aia serve` and real receivers: signatures, retries, restarts, SSRF refusals."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook
from tests.e2e.conftest import Gateway, free_port
from tests.engine.webhooks.webhook_receiver import running_receiver

pytestmark = pytest.mark.e2e

# [gateway] settings: loopback receivers allowed, quick retries.
FAST = {"allow_private_network": True, "webhook_base_delay_seconds": 0.2, "webhook_max_attempts": 6}


def _ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    return r.json()


def _wait(predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.time() < deadline, "timed out waiting"
        time.sleep(0.05)


def _echo_agent(c: httpx.Client, name: str = "echo") -> dict[str, Any]:
    return _ok(c.post("agents", json={"name": name, "model": "scripted"}))


def _deliveries(c: httpx.Client, hook_id: str) -> list[dict[str, Any]]:
    return _ok(c.get(f"webhooks/{hook_id}/deliveries"))["data"]


def test_signed_delivery_and_retry_after_a_failure(gateway_factory: Any) -> None:
    gw: Gateway = gateway_factory(settings=FAST)
    with running_receiver() as rec, gw.client() as c:
        rec.script.extend(["500"])
        hook = _ok(
            c.post(
                "webhooks",
                json={"name": "done", "url": rec.url, "events": ["run.completed", "run.failed"]},
            )
        )
        secret = hook["secret"]
        assert secret.startswith("whsec_") and "secret" not in _ok(c.get(f"webhooks/{hook['id']}"))
        agent = _echo_agent(c)
        run = _ok(
            c.post(
                "runs",
                json={"agent_id": agent["id"], "input": "ping", "metadata": {"user_id": "u7"}},
            )
        )
        _wait(lambda: len(rec.received) >= 2)
        first, second = rec.received[:2]
        assert first.headers["webhook-id"] == second.headers["webhook-id"]
        payload = Webhook(secret).verify(second.body, second.headers)
        assert payload["type"] == "run.completed"
        assert payload["data"]["run_id"] == run["id"] and payload["data"]["output"] == "ping"
        assert payload["data"]["metadata"] == {"user_id": "u7"}
        Webhook(secret).verify(first.body, first.headers)
        (delivery,) = _wait(
            lambda: [d for d in _deliveries(c, hook["id"]) if d["status"] == "delivered"]
        )
        assert [a["status_code"] for a in delivery["attempts_log"]] == [500, 200]
        assert delivery["attempts_log"][0]["succeeded"] is False
        # Manual redelivery: one more signed attempt, same message id.
        r = c.post(f"webhooks/{hook['id']}/deliveries/{delivery['id']}/redeliver")
        assert r.status_code == 202, r.text
        _wait(lambda: len(rec.received) >= 3)
        assert rec.received[2].headers["webhook-id"] == first.headers["webhook-id"]


def test_rotation_sends_both_signatures(gateway_factory: Any) -> None:
    gw: Gateway = gateway_factory(settings=FAST)
    with running_receiver() as rec, gw.client() as c:
        hook = _ok(
            c.post("webhooks", json={"name": "rot", "url": rec.url, "events": ["run.completed"]})
        )
        new = _ok(c.post(f"webhooks/{hook['id']}/rotate_secret", json={"overlap_seconds": 300}))
        assert new["previous_secret_expires_at"] > time.time() + 250
        agent = _echo_agent(c)
        _ok(c.post("runs", json={"agent_id": agent["id"], "input": "rotate"}))
        (got,) = _wait(lambda: rec.received)
        assert len(got.headers["webhook-signature"].split(" ")) == 2
        Webhook(hook["secret"]).verify(got.body, got.headers)
        Webhook(new["secret"]).verify(got.body, got.headers)


def test_run_failed_is_delivered_with_its_error(gateway_factory: Any) -> None:
    gw: Gateway = gateway_factory(settings=FAST)
    with running_receiver() as rec, gw.client() as c:
        hook = _ok(
            c.post("webhooks", json={"name": "fails", "url": rec.url, "events": ["run.failed"]})
        )
        agent = _ok(c.post("agents", json={"name": "broken", "model": "nosuchprovider/x"}))
        run = _ok(c.post("runs", json={"agent_id": agent["id"], "input": "hello"}))
        (got,) = _wait(lambda: rec.received)
        body = Webhook(hook["secret"]).verify(got.body, got.headers)
        assert body["type"] == "run.failed" and body["data"]["status"] == "failed"
        assert (
            body["data"]["run_id"] == run["id"]
            and body["data"]["error"]["code"] == "model_not_found"
        )


def test_delivery_survives_a_gateway_restart(gateway_factory: Any, tmp_path: Any) -> None:
    port = free_port()  # nobody listens here yet: the first attempt fails
    url = f"http://127.0.0.1:{port}/hook"
    directory = tmp_path / "restart"
    gw: Gateway = gateway_factory(directory=directory, settings=FAST)
    with gw.client() as c:
        hook = _ok(
            c.post("webhooks", json={"name": "later", "url": url, "events": ["run.completed"]})
        )
        agent = _echo_agent(c)
        run = _ok(c.post("runs", json={"agent_id": agent["id"], "input": "after restart"}))
        (pending,) = _wait(lambda: [d for d in _deliveries(c, hook["id"]) if d["attempts"] >= 1])
        assert pending["status"] == "pending"
        assert "ConnectError" in pending["attempts_log"][0]["error"]
    assert gw.stop() == 0
    with running_receiver(port) as rec:
        gw2: Gateway = gateway_factory(directory=directory, settings=FAST)
        (got,) = _wait(lambda: rec.received, timeout=30)
        body = Webhook(hook["secret"]).verify(got.body, got.headers)
        assert body["data"]["run_id"] == run["id"] and body["data"]["output"] == "after restart"
        with gw2.client() as c:
            (done,) = _wait(
                lambda: [d for d in _deliveries(c, hook["id"]) if d["status"] == "delivered"]
            )
            assert done["attempts"] >= 2 and done["attempts_log"][-1]["status_code"] == 200


def test_two_workers_deliver_each_message_once(gateway_factory: Any) -> None:
    gw: Gateway = gateway_factory(settings=FAST, args=["--workers", "2"])
    with running_receiver() as rec, gw.client() as c:
        _ok(c.post("webhooks", json={"name": "once", "url": rec.url, "events": ["run.completed"]}))
        agent = _echo_agent(c)
        runs = {
            _ok(c.post("runs", json={"agent_id": agent["id"], "input": f"n{i}"}))["id"]
            for i in range(6)
        }
        _wait(lambda: len(rec.received) >= 6)
        time.sleep(1.5)  # both workers' dispatchers poll the outbox every second
        delivered = [json.loads(r.body)["data"]["run_id"] for r in rec.received]
        assert sorted(delivered) == sorted(runs)


ALWAYS_REFUSED = {
    "metadata": "http://169.254.169.254/latest/meta-data/",
    "decimal": "http://2852039166/latest/meta-data/",  # inet_aton reads it as 169.254.169.254
    "hex": "http://0xA9FEA9FE/",
    "short": "http://169.254.43518/",
    "ipv6_imds": "http://[fd00:ec2::254]/latest/",
    "mapped": "http://[::ffff:169.254.169.254]/",
    "link_local6": "http://[fe80::1]/",
    "gname": "http://metadata.google.internal/computeMetadata/v1/",
    "gname_dot": "http://METADATA.google.internal./computeMetadata/v1/",
}
PRIVATE = {
    "localhost": "http://localhost:9/hook",
    "loopback": "http://127.0.0.1:9/hook",
    "short_loopback": "http://127.1:9/hook",
    "rfc1918": "https://10.1.2.3/hook",
    "ipv6_loopback": "http://[::1]:9/hook",
}


@pytest.mark.parametrize("private", [True, False])
def test_ssrf_refused_at_create_and_update(gateway_factory: Any, private: bool) -> None:
    gw: Gateway = gateway_factory(settings={**FAST, "allow_private_network": private})
    with running_receiver() as rec, gw.client() as c:
        refused = {**ALWAYS_REFUSED, **({} if private else PRIVATE)}
        for name, url in refused.items():
            r = c.post("webhooks", json={"name": name, "url": url, "events": ["run.completed"]})
            assert r.status_code == 400, (name, r.text)
            error = r.json()["error"]
            assert error["param"] == "url" and "cannot be delivered" in error["message"], error
        assert _ok(c.get("webhooks"))["data"] == []
        public = _ok(
            c.post(
                "webhooks",
                json={"name": "ok", "url": "https://example.com/h", "events": ["run.completed"]},
            )
        )
        # An update to a refused URL is refused too and leaves the stored URL alone.
        r = c.post(f"webhooks/{public['id']}", json={"url": ALWAYS_REFUSED["decimal"]})
        assert r.status_code == 400 and r.json()["error"]["param"] == "url", r.text
        assert _ok(c.get(f"webhooks/{public['id']}"))["url"] == "https://example.com/h"
        for name, url in PRIVATE.items():
            r = c.post("webhooks", json={"name": name, "url": url, "events": ["run.completed"]})
            assert (r.status_code == 200) is private, (name, r.text)
        if private:  # allowed private targets are still delivered to
            hook = _ok(
                c.post(
                    "webhooks", json={"name": "rec", "url": rec.url, "events": ["run.completed"]}
                )
            )
            agent = _echo_agent(c)
            _ok(c.post("runs", json={"agent_id": agent["id"], "input": "ssrf"}))
            _wait(lambda: [x for x in _deliveries(c, hook["id"]) if x["status"] == "delivered"])
            assert len(rec.received) == 1


def test_webhook_tool_announces_tool_requested(gateway_factory: Any) -> None:
    gw: Gateway = gateway_factory(settings=FAST)
    with running_receiver() as rec, gw.client() as c:
        hook = _ok(
            c.post("webhooks", json={"name": "tools", "url": rec.url, "events": ["tool.requested"]})
        )
        tool = _ok(
            c.post(
                "tools",
                json={
                    "name": "notify_ops",
                    "type": "webhook",
                    "parameters": {"type": "object", "properties": {"msg": {"type": "string"}}},
                },
            )
        )
        agent = _ok(
            c.post(
                "agents",
                json={
                    "name": "notifier",
                    "model": "scripted",
                    "tools": [tool["id"]],
                    "model_options": {
                        "script": [
                            {
                                "tool_calls": [
                                    {"name": "notify_ops", "arguments": {"msg": "disk full"}}
                                ]
                            },
                            {"content": "done"},
                        ]
                    },
                },
            )
        )
        run = _ok(c.post("runs", json={"agent_id": agent["id"], "input": "alert"}))
        (got,) = _wait(lambda: rec.received)
        body = Webhook(hook["secret"]).verify(got.body, got.headers)
        assert body["type"] == "tool.requested"
        data = body["data"]
        assert data["run_id"] == run["id"] and data["tool"] == "notify_ops"
        assert data["arguments"] == {"msg": "disk full"}
        # The receiver answers through submit_tool_outputs and the run finishes.
        _wait(lambda: _ok(c.get(f"runs/{run['id']}"))["status"] == "requires_action")
        r = c.post(
            f"runs/{run['id']}/submit_tool_outputs",
            json={"tool_outputs": [{"tool_call_id": data["id"], "output": "paged"}]},
        )
        assert r.status_code == 200, r.text
        _wait(lambda: _ok(c.get(f"runs/{run['id']}"))["status"] == "completed")
        assert json.loads(got.body)["data"]["id"] == data["id"]
