"""SSE on the wire: keep-alive comments on idle streams; a client that leaves does not stop the run."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.e2e.runs_helpers import create
from tests.fakes.gateway_server import GatewayServer
from tests.fakes.tool_handler import ToolHandlerServer

from aiagentics.gateway.settings import GatewaySettings

pytestmark = pytest.mark.e2e


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[GatewayServer, ToolHandlerServer]]:
    settings = GatewaySettings(
        database=str(tmp_path / "gw.db"), allow_private_network=True, sse_keepalive_seconds=0.2
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
        last = client.get(f"runs/{run['id']}/events").text.strip().split("\n")
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
