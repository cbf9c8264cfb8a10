"""The documented shapes of KV entries, search hits and webhook deliveries are the ones the
gateway sends: real answers checked against the schemas of /schema/openapi.json."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jsonschema_rs
import pytest
from tests.e2e.conftest import Gateway
from tests.engine.webhooks.webhook_receiver import running_receiver

pytestmark = pytest.mark.e2e
FAST = {"allow_private_network": True, "webhook_base_delay_seconds": 0.2, "webhook_max_attempts": 6}


def _ok(r: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    return r.json()  # type: ignore[no-any-return]


def _validators(doc: dict[str, Any]) -> dict[str, jsonschema_rs.Validator]:
    """operation id -> validator of its 2xx JSON answer, for the operations that have one."""
    out = {}
    for item in doc["paths"].values():
        for op in item.values():
            if not isinstance(op, dict):
                continue
            for status, response in op.get("responses", {}).items():
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if status[:1] == "2" and schema and "$ref" in schema:
                    out[op["operationId"]] = jsonschema_rs.validator_for(
                        {**schema, "components": doc["components"]}
                    )
    return out


def test_kv_search_and_delivery_answers_match_their_schemas(gateway_factory: Any) -> None:
    gw: Gateway = gateway_factory(settings=FAST)
    check = _validators(httpx.get(gw.url("/schema/openapi.json")).json())
    with running_receiver() as rec, gw.client() as c:
        doc = _ok(c.post("files", files={"file": ("a.md", b"Refunds take five business days.")}))
        user = _ok(c.post("memory_stores", json={"name": "u", "kv": {"scope": "user"}}))
        proj = _ok(
            c.post(
                "memory_stores",
                json={"name": "p", "kv": {"scope": "project"}, "vector": {"files": [doc["id"]]}},
            )
        )
        answers: list[tuple[str, dict[str, Any]]] = []
        for mem, params in ((user, {"user_id": "alice"}), (proj, {})):
            url = f"memory_stores/{mem['id']}/kv"
            put = c.put(
                f"{url}/k1", params=params, json={"value": {"x": [1, 2]}, "ttl_seconds": 60}
            )
            answers.append(("put_memory_kv", _ok(put)))
            answers.append(
                ("put_memory_kv", _ok(c.put(f"{url}/k2", params=params, json={"value": 2})))
            )
            answers.append(("get_memory_kv", _ok(c.get(f"{url}/k1", params=params))))
            answers.append(("list_memory_kv", _ok(c.get(url, params=params))))
            answers.append(("delete_memory_kv", _ok(c.delete(f"{url}/k2", params=params))))
        hits = _ok(c.post(f"memory_stores/{proj['id']}/search", json={"query": "refunds"}))
        assert hits["data"], hits
        answers.append(("search_memory", hits))

        rec.script.extend(["500"])
        hook = _ok(c.post("webhooks", json={"url": rec.url, "events": ["run.completed"]}))
        agent = _ok(c.post("agents", json={"name": "echo", "model": "scripted"}))
        _ok(c.post("runs", json={"agent_id": agent["id"], "input": "ping"}))
        deadline = time.time() + 30
        while True:
            listed = _ok(c.get(f"webhooks/{hook['id']}/deliveries"))
            if listed["data"] and listed["data"][0]["status"] == "delivered":
                break
            assert time.time() < deadline, listed
            time.sleep(0.05)
        delivery = listed["data"][0]
        assert [a["succeeded"] for a in delivery["attempts_log"]] == [False, True]
        answers.append(("list_webhook_deliveries", listed))
        one = _ok(c.get(f"webhooks/{hook['id']}/deliveries/{delivery['id']}"))
        answers.append(("get_webhook_delivery", one))
        again = c.post(f"webhooks/{hook['id']}/deliveries/{delivery['id']}/redeliver")
        answers.append(("redeliver_webhook_delivery", _ok(again, 202)))
    for operation, body in answers:
        assert operation in check, f"{operation} answers a bare object"
        check[operation].validate(body)
    documented = httpx.get(gw.url("/schema/openapi.json")).json()["components"]["schemas"]
    for name, body in (("KVEntry", answers[0][1]), ("SearchHit", hits["data"][0])):
        assert set(body) == set(documented[name]["properties"]), name
