"""Runs over real HTTP against `aia serve`: streaming, tools, requires_action, cancel, replay, errors."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.runs_helpers import LIMIT_SCHEMA, RunWorld, create, start_world, stream

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunWorld]:
    yield from start_world(tmp_path_factory.mktemp("runs"))


@pytest.fixture
def client(world: RunWorld) -> Iterator[httpx.Client]:
    with world.client() as c:
        yield c


def unique(prefix: str) -> str:
    return f"{prefix}-{time.monotonic_ns() % 10**9}"


def test_the_seed_streaming_example(world: RunWorld, client: httpx.Client) -> None:
    tool = create(
        client,
        "tools",
        {
            "name": unique("sql_query"),
            "type": "http",
            "handler_url": world.handler.url("/rows"),
            "parameters": LIMIT_SCHEMA,
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
                    {"tool_calls": [{"name": tool["name"], "arguments": {"limit": 50}}]},
                    {"content": "7 payments failed today."},
                ]
            },
        },
    )
    events = stream(
        client,
        "POST",
        "runs",
        json={
            "agent_id": agent["id"],
            "input": "Summarize today's failed payments",
            "stream": True,
        },
    )
    names = [e for _, e, _ in events]
    assert names == [
        "run.created",
        "tool.requested",
        "tool.completed",
        *["token"] * 4,
        "run.completed",
    ]
    run_id = events[0][2]["id"]
    assert events[0][2]["status"] == "in_progress" and run_id.startswith("run_")
    assert all(data["run_id"] == run_id for _, _, data in events)
    ids = [int(i) for i, _, _ in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert events[1][2]["tool"] == tool["name"] and events[1][2]["args"] == {"limit": 50}
    assert events[2][2]["output"]["rows"] == 7 and events[2][2]["latency_ms"] > 0
    assert "".join(d["delta"] for _, e, d in events if e == "token") == "7 payments failed today."
    assert (
        events[-1][2]["status"] == "completed"
        and events[-1][2]["output"] == "7 payments failed today."
    )

    run = client.get(f"runs/{run_id}").json()
    assert run["object"] == "run" and run["status"] == "completed"
    assert run["agent_version"] == 1 and run["output"] == "7 payments failed today."
    assert (
        run["usage"]["total_tokens"] == run["usage"]["input_tokens"] + run["usage"]["output_tokens"]
    )
    assert [m["role"] for m in run["messages"]] == ["user", "assistant", "tool", "assistant"]

    trace = client.get(f"traces/{run_id}").json()
    assert trace["run_id"] == run_id and trace["id"].startswith("trc_")
    assert [s["type"] for s in trace["steps"]] == ["model", "tool", "model"]
    for step in trace["steps"]:
        assert {"started_at", "latency_ms", "input", "output", "tokens"} <= set(step)
    assert trace["steps"][1]["output"]["rows"] == 7

    listed = client.get("runs", params={"agent_id": agent["id"]}).json()
    assert listed["object"] == "list" and [r["id"] for r in listed["data"]] == [run_id]


def test_requires_action_round_trip(client: httpx.Client) -> None:
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
                    {"content": "Refund approved."},
                ]
            },
        },
    )
    first = stream(
        client, "POST", "runs", json={"agent": agent["name"], "input": "refund?", "stream": True}
    )
    assert [e for _, e, _ in first] == ["run.created", "tool.requested", "run.requires_action"]
    run_id = first[0][2]["id"]
    action = first[-1][2]["required_action"]
    assert action["type"] == "submit_tool_outputs"
    call_id = action["tool_calls"][0]["id"]
    run = client.get(f"runs/{run_id}").json()
    assert run["status"] == "requires_action" and run["required_action"] == action

    bad = client.post(
        f"runs/{run_id}/submit_tool_outputs",
        json={"tool_outputs": [{"tool_call_id": "call_x", "output": "y"}]},
    )
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "tool_outputs[0].tool_call_id"
    bad = client.post(f"runs/{run_id}/submit_tool_outputs", json={"tool_outputs": "nope"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] is not None

    second = stream(
        client,
        "POST",
        f"runs/{run_id}/submit_tool_outputs",
        json={
            "tool_outputs": [{"tool_call_id": call_id, "output": "approved by Ana"}],
            "stream": True,
        },
    )
    names = [e for _, e, _ in second]
    assert names[0] == "tool.completed" and names[-1] == "run.completed"
    assert int(second[0][0]) > int(first[-1][0])  # the stream continues the same log
    assert second[0][2]["output"] == "approved by Ana"
    assert second[-1][2]["output"] == "Refund approved."
    again = client.post(
        f"runs/{run_id}/submit_tool_outputs",
        json={"tool_outputs": [{"tool_call_id": call_id, "output": "x"}]},
    )
    assert again.status_code == 409


def test_cancel_a_running_run(world: RunWorld, client: httpx.Client) -> None:
    tool = create(
        client,
        "tools",
        {"name": unique("hang"), "type": "http", "handler_url": world.handler.url("/slow?s=30")},
    )
    agent = create(
        client,
        "agents",
        {
            "name": unique("hanger"),
            "model": "scripted",
            "tools": [tool["id"]],
            "model_options": {"script": [{"tool_calls": [{"name": tool["name"]}]}]},
        },
    )
    started = client.post("runs", json={"agent_id": agent["id"], "input": "go"})
    assert started.status_code == 200
    run = started.json()
    assert run["status"] in ("queued", "in_progress")
    deadline = time.monotonic() + 5
    while (
        not any(r["path"] == "/slow" for r in world.handler.requests)
        and time.monotonic() < deadline
    ):
        time.sleep(0.02)
    cancelled = client.post(f"runs/{run['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    replay = stream(client, "GET", f"runs/{run['id']}/events")
    assert replay[-1][1] == "run.cancelled"
    again = client.post(f"runs/{run['id']}/cancel")
    assert again.status_code == 409 and again.json()["error"]["code"] == "run_finished"


def test_guardrail_failure_ends_the_stream(world: RunWorld, client: httpx.Client) -> None:
    tool = create(
        client,
        "tools",
        {"name": unique("rows"), "type": "http", "handler_url": world.handler.url("/rows")},
    )
    step = {"tool_calls": [{"name": tool["name"], "arguments": {}}]}
    agent = create(
        client,
        "agents",
        {
            "name": unique("looper"),
            "model": "scripted",
            "tools": [tool["id"]],
            "guardrails": {"max_steps": 2},
            "model_options": {"script": [step] * 5},
        },
    )
    events = stream(
        client, "POST", "runs", json={"agent_id": agent["id"], "input": "loop", "stream": True}
    )
    assert events[-1][1] == "run.failed"
    assert events[-1][2]["error"]["code"] == "max_steps"
    assert client.get(f"runs/{events[0][2]['id']}").json()["status"] == "failed"


def test_replay_from_last_event_id_and_several_watchers(
    world: RunWorld, client: httpx.Client
) -> None:
    tool = create(
        client,
        "tools",
        {
            "name": unique("slowish"),
            "type": "http",
            "handler_url": world.handler.url("/slow?s=0.5"),
        },
    )
    agent = create(
        client,
        "agents",
        {
            "name": unique("watched"),
            "model": "scripted",
            "tools": [tool["id"]],
            "model_options": {
                "script": [{"tool_calls": [{"name": tool["name"]}]}, {"content": "a b c d"}]
            },
        },
    )
    run = client.post("runs", json={"agent_id": agent["id"], "input": "go"}).json()
    seen: dict[int, list[Any]] = {}

    def watch(n: int) -> None:
        with httpx.Client(
            base_url=world.gateway.base_url + "/", headers=world.gateway.headers, timeout=30
        ) as c:
            seen[n] = stream(c, "GET", f"runs/{run['id']}/events")

    watchers = [threading.Thread(target=watch, args=(n,)) for n in range(3)]
    for w in watchers:
        w.start()
    for w in watchers:
        w.join(20)
    assert len(seen) == 3
    assert seen[0] == seen[1] == seen[2]
    full = seen[0]
    assert [e for _, e, _ in full][-1] == "run.completed"
    middle = full[2][0]
    tail = stream(client, "GET", f"runs/{run['id']}/events", headers={"Last-Event-ID": middle})
    assert tail == full[3:]
    assert stream(client, "GET", f"runs/{run['id']}/events", params={"after": full[-1][0]}) == []


def test_api_errors(world: RunWorld, client: httpx.Client) -> None:
    missing = client.post("runs", json={"agent_id": "agt_doesnotexist000", "input": "x"})
    assert missing.status_code == 404 and missing.json()["error"]["param"] == "agent_id"
    by_name = client.post("runs", json={"agent": "no-such-agent", "input": "x"})
    assert by_name.status_code == 404 and by_name.json()["error"]["param"] == "agent"
    neither = client.post("runs", json={"input": "x"})
    assert neither.status_code == 400 and neither.json()["error"]["param"] == "agent_id"
    unknown_field = client.post("runs", json={"agent": "a", "input": "x", "colour": "red"})
    assert unknown_field.status_code == 400
    no_input = client.post("runs", json={"agent": "a"})
    assert no_input.status_code == 400 and "input" in (no_input.json()["error"]["param"] or "")
    assert client.get("runs/run_doesnotexist000").status_code == 404
    assert client.get("traces/run_doesnotexist000").status_code == 404
    assert client.post("runs/run_doesnotexist000/cancel").status_code == 404
    bad_cursor = client.get("runs", params={"starting_after": "agt_x"})
    assert bad_cursor.status_code == 400
    bad_status = client.get("runs", params={"status": "sleeping"})
    assert bad_status.status_code == 400 and bad_status.json()["error"]["param"] == "status"
    key = client.post("keys", json={"name": "reader", "scopes": ["read"]})
    assert key.status_code == 200, key.text
    reader = {"Authorization": f"Bearer {key.json()['secret']}"}
    forbidden = client.post("runs", json={"agent": "a", "input": "x"}, headers=reader)
    assert forbidden.status_code == 403
    assert client.get("runs", headers=reader).status_code == 200


def test_a_deleted_tool_is_a_clear_error(client: httpx.Client) -> None:
    tool = create(client, "tools", {"name": unique("temp"), "type": "client"})
    agent = create(
        client,
        "agents",
        {"name": unique("orphan"), "model": "scripted", "tools": [tool["id"]]},
    )
    deleted = client.delete(f"tools/{tool['id']}")
    if deleted.status_code != 200:  # the store refuses to delete a referenced tool: also clear
        assert deleted.status_code in (400, 409)
        return
    response = client.post("runs", json={"agent_id": agent["id"], "input": "x"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "tool_missing"


def test_restart_fails_orphans_and_keeps_waiting_runs(tmp_path: Path) -> None:
    worlds = start_world(tmp_path / "gw")
    world = next(worlds)
    with world.client() as client:
        hang = create(
            client,
            "tools",
            {"name": "hang", "type": "http", "handler_url": world.handler.url("/slow?s=60")},
        )
        ask = create(client, "tools", {"name": "ask", "type": "client"})
        busy_agent = create(
            client,
            "agents",
            {
                "name": "busy",
                "model": "scripted",
                "tools": [hang["id"]],
                "model_options": {"script": [{"tool_calls": [{"name": "hang"}]}]},
            },
        )
        ask_agent = create(
            client,
            "agents",
            {
                "name": "asker",
                "model": "scripted",
                "tools": [ask["id"]],
                "model_options": {
                    "script": [{"tool_calls": [{"name": "ask"}]}, {"content": "resumed fine"}]
                },
            },
        )
        busy = client.post("runs", json={"agent_id": busy_agent["id"], "input": "x"}).json()
        waiting = stream(
            client, "POST", "runs", json={"agent_id": ask_agent["id"], "input": "x", "stream": True}
        )
        call_id = waiting[-1][2]["required_action"]["tool_calls"][0]["id"]
        run_id = waiting[0][2]["id"]
    world.gateway.process.kill()  # a crash: no graceful shutdown
    world.gateway.process.wait(10)
    from tests.e2e.conftest import start_gateway

    again = start_gateway(
        world.gateway.root,
        settings={"allow_private_network": True},
        api_key=world.gateway.api_key,
    )
    try:
        with again.client() as client:
            failed = client.get(f"runs/{busy['id']}").json()
            assert failed["status"] == "failed" and failed["error"]["code"] == "gateway_restarted"
            assert stream(client, "GET", f"runs/{busy['id']}/events")[-1][1] == "run.failed"
            assert client.get(f"runs/{run_id}").json()["status"] == "requires_action"
            resumed = stream(
                client,
                "POST",
                f"runs/{run_id}/submit_tool_outputs",
                json={"tool_outputs": [{"tool_call_id": call_id, "output": "ok"}], "stream": True},
            )
            assert resumed[-1][2]["output"] == "resumed fine"
    finally:
        again.stop()
        worlds.close()


def test_concurrent_run_limit_is_a_429_with_retry_after(tmp_path: Path) -> None:
    from tests.e2e.conftest import start_gateway
    from tests.fakes.tool_handler import ToolHandlerServer

    with ToolHandlerServer() as handler:
        gateway = start_gateway(
            tmp_path / "gw", settings={"allow_private_network": True, "max_concurrent_runs": 1}
        )
        try:
            with gateway.client() as client:
                hang = create(
                    client,
                    "tools",
                    {"name": "hang", "type": "http", "handler_url": handler.url("/slow?s=30")},
                )
                agent = create(
                    client,
                    "agents",
                    {
                        "name": "busy",
                        "model": "scripted",
                        "tools": [hang["id"]],
                        "model_options": {"script": [{"tool_calls": [{"name": "hang"}]}]},
                    },
                )
                first = client.post("runs", json={"agent_id": agent["id"], "input": "x"})
                assert first.status_code == 200
                second = client.post("runs", json={"agent_id": agent["id"], "input": "x"})
                assert second.status_code == 429
                assert second.headers["Retry-After"] == "1"
                assert second.json()["error"]["code"] == "too_many_runs"
                assert client.post(f"runs/{first.json()['id']}/cancel").status_code == 200
                assert (
                    client.post("runs", json={"agent_id": agent["id"], "input": "x"}).status_code
                    == 200
                )
        finally:
            gateway.stop()
