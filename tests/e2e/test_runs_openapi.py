"""The documented shapes of runs and traces are the ones the gateway sends.

Real runs in every status the API can show (completed, failed, waiting for a tool
output, cancelled) are checked against the schemas of /schema/openapi.json, and the
events of their streams against the documented event names.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema_rs
import pytest
from httpx_sse import connect_sse
from tests.e2e.runs_helpers import LIMIT_SCHEMA, RunWorld, create, start_world

from aiagentics.wire import PUBLIC_EVENTS

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunWorld]:
    yield from start_world(tmp_path_factory.mktemp("runs-openapi"))


@pytest.fixture(scope="module")
def doc(world: RunWorld) -> dict[str, Any]:
    return httpx.get(world.gateway.url("/schema/openapi.json")).json()  # type: ignore[no-any-return]


def _answer_schema(doc: dict[str, Any], operation_id: str) -> jsonschema_rs.Validator:
    for item in doc["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                schema = op["responses"]["200"]["content"]["application/json"]["schema"]
                assert "$ref" in schema, f"{operation_id} answers a bare object"
                return jsonschema_rs.validator_for({**schema, "components": doc["components"]})
    raise AssertionError(f"no operation {operation_id}")


@pytest.fixture(scope="module")
def runs(world: RunWorld) -> dict[str, dict[str, Any]]:
    """One finished run per status, and the raw events of their streams."""
    with world.client() as client:
        sql = create(
            client,
            "tools",
            {
                "name": "rows",
                "type": "http",
                "handler_url": world.handler.url("/rows"),
                "parameters": LIMIT_SCHEMA,
            },
        )
        ask = create(client, "tools", {"name": "ask", "type": "client"})
        script = [
            {"tool_calls": [{"name": "rows", "arguments": {"limit": 5}}]},
            {"content": "done and dusted"},
        ]
        agents = {
            "completed": {"tools": [sql["id"]], "model_options": {"script": script}},
            "failed": {
                "tools": [sql["id"]],
                "guardrails": {"max_steps": 1},
                "model_options": {"script": script},
            },
            "requires_action": {
                "tools": [ask["id"]],
                "model_options": {"script": [{"tool_calls": [{"name": "ask"}]}]},
            },
        }
        out: dict[str, dict[str, Any]] = {}
        for status, spec in agents.items():
            agent = create(client, "agents", {"name": f"a-{status}", "model": "scripted", **spec})
            body = {"agent_id": agent["id"], "input": "go", "stream": True}
            with connect_sse(client, "POST", "runs", json=body) as source:
                events = [(s.event, json.loads(s.data)) for s in source.iter_sse() if s.id]
            run_id = events[0][1]["run_id"]
            out[status] = {"id": run_id, "events": events}
        second = create(client, "runs", {"agent": "a-requires_action", "input": "never answered"})
        cancelled = client.post(f"runs/{second['id']}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        out["cancelled"] = {"id": second["id"], "events": [], "answer": cancelled.json()}
    return out


def test_every_run_matches_the_documented_run(
    world: RunWorld, doc: dict[str, Any], runs: dict[str, dict[str, Any]]
) -> None:
    run = _answer_schema(doc, "get_run")
    with world.client() as client:
        for status, made in runs.items():
            body = client.get(f"runs/{made['id']}").json()
            assert body["status"] == status
            run.validate(body)
            # Every field the gateway sends is documented, and none is missing.
            documented = doc["components"]["schemas"]["Run"]
            assert set(body) == set(documented["properties"]) == set(documented["required"])
        run.validate(runs["cancelled"]["answer"])
        _answer_schema(doc, "cancel_run").validate(runs["cancelled"]["answer"])
        _answer_schema(doc, "list_runs").validate(client.get("runs").json())
        created = client.post("runs", json={"agent": "a-completed", "input": "json answer"})
        _answer_schema(doc, "create_run").validate(created.json())


def test_every_trace_matches_the_documented_trace(
    world: RunWorld, doc: dict[str, Any], runs: dict[str, dict[str, Any]]
) -> None:
    trace = _answer_schema(doc, "get_trace")
    with world.client() as client:
        for made in runs.values():
            body = client.get(f"traces/{made['id']}").json()
            trace.validate(body)
        steps = client.get(f"traces/{runs['completed']['id']}").json()["steps"]
    assert [s["type"] for s in steps] == ["model", "tool", "model"]


def test_stream_events_have_documented_names(
    doc: dict[str, Any], runs: dict[str, dict[str, Any]]
) -> None:
    for item in doc["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == "run_events":
                schema = op["responses"]["200"]["content"]["text/event-stream"]["schema"]
    assert schema["properties"]["event"]["enum"] == list(PUBLIC_EVENTS)
    seen = {name for made in runs.values() for name, _ in made["events"]}
    assert seen <= set(PUBLIC_EVENTS)
    assert {"run.created", "token", "tool.requested", "tool.completed"} <= seen
    assert {"run.completed", "run.failed", "run.requires_action"} <= seen
    for made in runs.values():
        assert all(data["run_id"] == made["id"] for _, data in made["events"])
