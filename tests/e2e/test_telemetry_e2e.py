"""Telemetry against `aia serve`: spans exported over OTLP/HTTP to a real receiver, W3C
trace context in and out, and /metrics parsed with prometheus_client's own parser."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from tests.e2e.conftest import Gateway, start_gateway
from tests.e2e.runs_helpers import LIMIT_SCHEMA, create, stream
from tests.fakes.otlp_receiver import OtlpReceiver
from tests.fakes.tool_handler import ToolHandlerServer

pytestmark = pytest.mark.e2e

SECRET = "s3cr3t-header-value"


class World:
    def __init__(self, gateway: Gateway, receiver: OtlpReceiver, handler: ToolHandlerServer):
        self.gateway, self.receiver, self.handler = gateway, receiver, handler


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with OtlpReceiver() as receiver, ToolHandlerServer() as handler:
        gateway = start_gateway(
            tmp_path_factory.mktemp("otel"),
            settings={"allow_private_network": True},
            env={
                "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
                "OTEL_SERVICE_NAME": "aia-e2e",
                "OTEL_BSP_SCHEDULE_DELAY": "50",  # export within 50 ms, not 5 s
            },
            config_extra="\n[telemetry]\ncapture_content = true\n",
        )
        try:
            yield World(gateway, receiver, handler)
        finally:
            gateway.stop()


@pytest.fixture
def client(world: World) -> Iterator[httpx.Client]:
    with world.gateway.client() as c:
        yield c


def unique(prefix: str) -> str:
    return f"{prefix}-{time.monotonic_ns() % 10**9}"


def of_run(spans: list[dict[str, Any]], run_id: str) -> list[dict[str, Any]]:
    return [s for s in spans if s["attributes"].get("aiagentics.run.id") == run_id]


def test_span_tree_of_a_run_joins_the_callers_trace(world: World, client: httpx.Client) -> None:
    tool = create(
        client,
        "tools",
        {
            "name": unique("rows"),
            "type": "http",
            "handler_url": world.handler.url("/rows"),
            "parameters": LIMIT_SCHEMA,
            "headers": {"X-Api-Key": SECRET},
        },
    )
    agent = create(
        client,
        "agents",
        {
            "name": unique("support"),
            "model": "scripted",
            "tools": [tool["id"]],
            "model_options": {
                "script": [
                    {"tool_calls": [{"name": tool["name"], "arguments": {"limit": 5}}]},
                    {"content": "7 rows."},
                ]
            },
        },
    )
    caller_trace, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    events = stream(
        client,
        "POST",
        "runs",
        json={"agent_id": agent["id"], "input": "count rows", "stream": True},
        headers={"traceparent": f"00-{caller_trace}-{caller_span}-01"},
    )
    run_id = events[0][2]["id"]
    call_id = next(d["id"] for _, e, d in events if e == "tool.requested")
    spans = world.receiver.wait_for(lambda s: len(of_run(s, run_id)) >= 4)
    mine = of_run(spans, run_id)
    assert sorted(s["name"] for s in mine) == sorted(
        [f"invoke_agent {agent['name']}", "chat scripted", "chat scripted",
         f"execute_tool {tool['name']}"]
    )
    root = next(s for s in mine if s["name"].startswith("invoke_agent"))
    # The caller's trace: same trace id, the caller's span as parent.
    assert all(s["trace_id"] == caller_trace for s in mine)
    assert root["parent_span_id"] == caller_span
    children = [s for s in mine if s is not root]
    assert all(s["parent_span_id"] == root["span_id"] for s in children)
    assert all(root["start"] <= s["start"] and s["end"] <= root["end"] for s in children)

    a = root["attributes"]
    assert a["gen_ai.operation.name"] == "invoke_agent"
    assert a["gen_ai.agent.id"] == agent["id"] and a["gen_ai.agent.name"] == agent["name"]
    assert a["gen_ai.agent.version"] == "1"
    assert (a["aiagentics.project"], a["aiagentics.environment"]) == ("default", "test")
    assert a["aiagentics.run.status"] == "completed" and root["status"] != 2
    run = client.get(f"runs/{run_id}").json()
    assert a["gen_ai.usage.input_tokens"] == run["usage"]["input_tokens"]
    assert a["gen_ai.usage.output_tokens"] == run["usage"]["output_tokens"]

    chats = sorted((s for s in children if s["name"] == "chat scripted"), key=lambda s: s["start"])
    assert chats[0]["kind"] == 3  # CLIENT
    c = chats[0]["attributes"]
    assert c["gen_ai.operation.name"] == "chat" and c["gen_ai.request.model"] == "scripted"
    assert c["gen_ai.provider.name"] == "aiagentics.scripted"
    assert c["gen_ai.response.finish_reasons"] == ["tool_calls"] or c[
        "gen_ai.response.finish_reasons"
    ] == ["stop"]
    assert "count rows" in c["gen_ai.input.messages"]  # capture_content = true
    assert "7 rows." in chats[1]["attributes"]["gen_ai.output.messages"]

    span = next(s for s in children if s["name"].startswith("execute_tool"))
    t = span["attributes"]
    assert t["gen_ai.operation.name"] == "execute_tool" and t["gen_ai.tool.name"] == tool["name"]
    assert t["gen_ai.tool.call.id"] == call_id and t["gen_ai.tool.type"] == "function"
    assert t["aiagentics.tool.type"] == "http"
    assert '"rows": 7' in t["gen_ai.tool.call.result"]
    # The http handler was called inside the tool's span.
    sent = [r for r in world.handler.requests if r["json"] == {"limit": 5}][-1]
    assert sent["headers"]["traceparent"] == f"00-{caller_trace}-{span['span_id']}-01"

    assert root["resource"]["service.name"] == "aia-e2e"
    assert root["scope"] == "aiagentics" and root["schema_url"].endswith("/1.37.0")
    exported = repr(spans) + repr(world.receiver.headers)
    assert SECRET not in exported  # tool headers are never exported


def test_pause_and_resume_keep_one_trace(world: World, client: httpx.Client) -> None:
    tool = create(
        client, "tools", {"name": unique("approve"), "type": "client", "parameters": LIMIT_SCHEMA}
    )
    agent = create(
        client,
        "agents",
        {
            "name": unique("approver"),
            "model": "scripted",
            "tools": [tool["id"]],
            "model_options": {
                "script": [
                    {"tool_calls": [{"name": tool["name"], "arguments": {"limit": 3}}]},
                    {"content": "Approved."},
                ]
            },
        },
    )
    first = stream(client, "POST", "runs", json={"agent": agent["name"], "input": "ok?", "stream": True})
    run_id = first[0][2]["id"]
    call_id = first[-1][2]["required_action"]["tool_calls"][0]["id"]
    stream(
        client,
        "POST",
        f"runs/{run_id}/submit_tool_outputs",
        json={"tool_outputs": [{"tool_call_id": call_id, "output": "yes"}], "stream": True},
    )
    spans = world.receiver.wait_for(
        lambda s: sum(x["name"].startswith("invoke_agent") for x in of_run(s, run_id)) == 2
        and len(of_run(s, run_id)) >= 4
    )
    mine = of_run(spans, run_id)
    segments = sorted((s for s in mine if s["name"].startswith("invoke_agent")), key=lambda s: s["start"])
    assert len({s["trace_id"] for s in mine}) == 1
    assert segments[0]["parent_span_id"] is None  # no caller trace: the first segment is the root
    assert segments[1]["parent_span_id"] == segments[0]["span_id"]
    assert segments[0]["attributes"]["aiagentics.run.status"] == "requires_action"
    assert segments[1]["attributes"]["aiagentics.run.status"] == "completed"


def test_a_failed_run_marks_its_span(world: World, client: httpx.Client) -> None:
    tool = create(
        client,
        "tools",
        {"name": unique("rows"), "type": "http", "handler_url": world.handler.url("/rows"),
         "parameters": LIMIT_SCHEMA},
    )
    agent = create(
        client,
        "agents",
        {
            "name": unique("looper"),
            "model": "scripted",
            "tools": [tool["id"]],
            "guardrails": {"max_steps": 1},
            "model_options": {
                "script": [{"tool_calls": [{"name": tool["name"], "arguments": {"limit": 1}}]}] * 3
            },
        },
    )
    events = stream(client, "POST", "runs", json={"agent_id": agent["id"], "input": "go", "stream": True})
    assert events[-1][1] == "run.failed"
    run_id = events[0][2]["id"]
    spans = world.receiver.wait_for(
        lambda s: any(x["name"].startswith("invoke_agent") for x in of_run(s, run_id))
    )
    root = next(s for s in of_run(spans, run_id) if s["name"].startswith("invoke_agent"))
    assert root["status"] == 2  # ERROR
    assert root["attributes"]["error.type"] == "max_steps"


def metric_samples(gateway: Gateway, **kw: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = httpx.get(gateway.origin + "/metrics", timeout=10, **kw)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_metrics_move_when_runs_happen(world: World, client: httpx.Client) -> None:
    agent = create(client, "agents", {"name": unique("echo"), "model": "scripted"})
    before = metric_samples(world.gateway)
    response = client.post("runs", json={"agent_id": agent["id"], "input": "hello metrics"})
    assert response.status_code == 200
    timing = response.headers["server-timing"]
    assert timing.startswith("gateway;dur=") and "first-event;dur=" in timing
    run_id = response.json()["id"]
    deadline = time.monotonic() + 10
    while client.get(f"runs/{run_id}").json()["status"] != "completed":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    for _ in range(3):
        assert client.get(f"agents/{agent['id']}").status_code == 200
    after = metric_samples(world.gateway)

    def moved(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert moved("aiagentics_runs_started_total") == 1
    assert moved("aiagentics_runs_finished_total", status="completed") == 1
    assert moved("aiagentics_run_duration_seconds_count", status="completed") == 1
    assert moved("aiagentics_model_call_duration_seconds_count", model="scripted") == 1
    assert moved("aiagentics_model_tokens_total", model="scripted", type="output") >= 1
    route = "/v1/agents/{id}"  # the template, not the path: one series for every agent
    assert moved("aiagentics_http_requests_total", method="GET", route=route, status="200") == 3
    assert moved("aiagentics_http_request_duration_seconds_count", method="GET", route=route) == 3
    assert moved("aiagentics_http_requests_total", method="POST", route="/v1/runs", status="200") == 1
    # Every answer carries the gateway's time, the metrics page too.
    assert "gateway;dur=" in httpx.get(world.gateway.origin + "/metrics").headers["server-timing"]
