"""SSE on the wire: keep-alive comments on idle streams; a client that leaves does not stop the run."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.runs_helpers import create, stream
from tests.fakes.gateway_server import GatewayServer
from tests.fakes.tool_handler import ToolHandlerServer

from aiagentics.gateway.settings import GatewaySettings

pytestmark = pytest.mark.e2e


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[GatewayServer, ToolHandlerServer]]:
    settings = GatewaySettings(
        database=str(tmp_path / "gw.db"),
        allow_private_network=True,
        sse_keepalive_seconds=0.2,
        workers=2,  # some tests start a second worker on the same database
    )
    with ToolHandlerServer() as handler, GatewayServer(settings) as server:
        yield server, handler


def test_idle_stream_gets_keep_alive_comments(
    served: tuple[GatewayServer, ToolHandlerServer],
) -> None:
    server, _ = served
    with httpx.Client(base_url=server.url + "/v1/", headers=server.headers, timeout=10) as client:
        ask = create(client, "tools", {"name": "ask", "type": "client"})
        agent = create(
            client,
            "agents",
            {
                "name": "asker",
                "model": "scripted",
                "tools": [ask["id"]],
                "model_options": {"script": [{"tool_calls": [{"name": "ask"}]}]},
            },
        )
        run = client.post("runs", json={"agent_id": agent["id"], "input": "x"}).json()
        deadline = time.monotonic() + 5
        while client.get(f"runs/{run['id']}").json()["status"] != "requires_action":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        # (`until=requires_action`: the stream ends at the pause, as a POST's does.)
        last = (
            client.get(f"runs/{run['id']}/events", params={"until": "requires_action"})
            .text.strip()
            .split("\n")
        )
        last_id = (
            next(line for line in reversed(last) if line.startswith("id:")).split(":", 1)[1].strip()
        )
        lines: list[str] = []
        started = time.monotonic()
        with client.stream(
            "GET", f"runs/{run['id']}/events", headers={"Last-Event-ID": last_id}
        ) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            for line in response.iter_lines():
                lines.append(line)
                if sum(1 for x in lines if x.startswith(":")) >= 2:
                    break
        assert time.monotonic() - started < 3
        assert [x for x in lines if x] == [
            ": keep-alive",
            ": keep-alive",
        ]  # comments only: no events


def test_a_disconnecting_client_does_not_stop_the_run(
    served: tuple[GatewayServer, ToolHandlerServer],
) -> None:
    server, handler = served
    with httpx.Client(base_url=server.url + "/v1/", headers=server.headers, timeout=10) as client:
        slow = create(
            client,
            "tools",
            {"name": "slow", "type": "http", "handler_url": handler.url("/slow?s=0.5")},
        )
        agent = create(
            client,
            "agents",
            {
                "name": "patient",
                "model": "scripted",
                "tools": [slow["id"]],
                "model_options": {
                    "script": [{"tool_calls": [{"name": "slow"}]}, {"content": "finished anyway"}]
                },
            },
        )
        with client.stream(
            "POST", "runs", json={"agent_id": agent["id"], "input": "x", "stream": True}
        ) as response:
            for line in response.iter_lines():
                if line.startswith("data:"):
                    run_id = line.split('"run_id":"', 1)[1].split('"', 1)[0]
                    break  # leave after the first event
        deadline = time.monotonic() + 10
        while (run := client.get(f"runs/{run_id}").json())["status"] == "in_progress":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert run["status"] == "completed" and run["output"] == "finished anyway"


def _paused_run(
    client: httpx.Client, headers: dict[str, str] | None = None
) -> tuple[str, str, list[Any]]:
    """A run of a `client` tool, waiting in requires_action: (run id, tool call id, events)."""
    ask = create(client, "tools", {"name": f"ask-{time.monotonic_ns()}", "type": "client"})
    script = [{"tool_calls": [{"name": ask["name"], "arguments": {}}]}, {"content": "all done"}]
    agent = create(
        client,
        "agents",
        {
            "name": f"pauser-{time.monotonic_ns()}",
            "model": "scripted",
            "tools": [ask["id"]],
            "model_options": {"script": script},
        },
    )
    body = {"agent_id": agent["id"], "input": "x", "stream": True}
    first = stream(client, "POST", "runs", json=body, headers=headers or {})
    # The stream of a POST still ends at the pause.
    assert [e for _, e, _ in first] == ["run.created", "tool.requested", "run.requires_action"]
    return first[0][2]["run_id"], first[-1][2]["required_action"]["tool_calls"][0]["id"], first


def _submit(client: httpx.Client, run_id: str, call_id: str) -> None:
    body = {"tool_outputs": [{"tool_call_id": call_id, "output": "yes"}]}
    r = client.post(f"runs/{run_id}/submit_tool_outputs", json=body)
    assert r.status_code == 200, r.text


def _wait_status(client: httpx.Client, run_id: str, status: str) -> None:
    deadline = time.monotonic() + 10
    while client.get(f"runs/{run_id}").json()["status"] != status:
        assert time.monotonic() < deadline
        time.sleep(0.02)


FULL = [
    "run.created",
    "tool.requested",
    "run.requires_action",
    "tool.completed",
    "token",
    "token",
    "run.completed",
]


def test_replay_of_a_paused_and_resumed_run_goes_to_its_end_with_dense_ids(
    served: tuple[GatewayServer, ToolHandlerServer],
) -> None:
    server, _ = served
    with httpx.Client(base_url=server.url + "/v1/", headers=server.headers, timeout=10) as client:
        key = {"Idempotency-Key": f"paused-{time.monotonic_ns()}"}
        run_id, call_id, first = _paused_run(client, key)
        _submit(client, run_id, call_id)
        _wait_status(client, run_id, "completed")
        events = stream(client, "GET", f"runs/{run_id}/events")
        assert [e for _, e, _ in events] == FULL
        # Internal records (model steps) take no id: 1, 2, 3, ...
        assert [int(i) for i, _, _ in events] == list(range(1, len(events) + 1))
        assert events[-1][2]["output"] == "all done"
        # From any point, the rest to the end; the trace still has both model steps.
        tail = stream(client, "GET", f"runs/{run_id}/events", headers={"Last-Event-ID": "2"})
        assert tail == events[2:]
        assert stream(client, "GET", f"runs/{run_id}/events", params={"after": 3}) == events[3:]
        paused = stream(client, "GET", f"runs/{run_id}/events", params={"until": "requires_action"})
        assert paused == events[:3] == first
        steps = client.get(f"traces/{run_id}").json()["steps"]
        assert [s["type"] for s in steps] == ["model", "tool", "model"]
        # A retried streaming POST replays what that POST streamed: up to the pause.
        body = client.get(f"runs/{run_id}").json()
        retried = stream(
            client,
            "POST",
            "runs",
            json={"agent_id": body["agent_id"], "input": "x", "stream": True},
            headers=key,
        )
        assert retried == first


@pytest.mark.parametrize("where", ["same worker", "another worker"])
def test_a_live_follower_stays_through_a_pause_and_sees_the_resume(
    served: tuple[GatewayServer, ToolHandlerServer], where: str
) -> None:
    server, _ = served
    other = GatewayServer(server.settings)  # a second worker on the same database
    follower = server if where == "same worker" else other
    with (
        other,
        httpx.Client(base_url=server.url + "/v1/", headers=server.headers, timeout=10) as client,
        httpx.Client(base_url=follower.url + "/v1/", headers=server.headers, timeout=10) as watch,
    ):
        run_id, call_id, _ = _paused_run(client)
        lines: list[str] = []
        with watch.stream("GET", f"runs/{run_id}/events") as response:
            for line in response.iter_lines():
                lines.append(line)
                if line == ": keep-alive" and lines.count(line) == 2:
                    _submit(client, run_id, call_id)  # resumed by the first worker
        events = [x.split(":", 1)[1].strip() for x in lines if x.startswith("event:")]
        ids = [int(x.split(":", 1)[1]) for x in lines if x.startswith("id:")]
        assert events == FULL and ids == list(range(1, len(FULL) + 1))
        pause = lines.index("event: run.requires_action")
        resume = lines.index("event: tool.completed")
        assert lines[pause:resume].count(": keep-alive") >= 2
