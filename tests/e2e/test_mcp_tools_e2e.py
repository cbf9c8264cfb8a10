"""MCP servers as tools through a real gateway: the published `mcp-server-time` over stdio,
an SDK-built server over streamable HTTP, a server that crashes mid-call, a missing command."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.conftest import Gateway, free_port, start_gateway
from tests.e2e.runs_helpers import create, stream

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
FAKE = [sys.executable, "-m", "tests.fakes.mcp_server"]
ROOT = Path(__file__).resolve().parents[2]
# The fake server is a module of the tests: a server process gets only the environment its
# Tool gives (over a few safe defaults), so the Tool names where the module is.
FAKE_ENV = {"PYTHONPATH": str(ROOT)}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    gw = start_gateway(
        tmp_path_factory.mktemp("mcp"),
        settings={"allow_stdio_tools": True, "allow_private_network": True},
    )
    yield gw
    gw.stop()


@pytest.fixture(scope="module")
def http_server() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [*FAKE, "http", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def run_agent(
    client: httpx.Client, name: str, tool: dict[str, Any], calls: list[dict[str, Any]]
) -> list[tuple[str, str, dict[str, Any]]]:
    """Create the tool and a scripted agent making `calls` (one step each), stream a run."""
    created = create(client, "tools", tool)
    script = [{"tool_calls": [c]} for c in calls] + [{"content": "done"}]
    agent = create(
        client,
        "agents",
        {
            "name": name,
            "model": "scripted",
            "tools": [created["id"]],
            "model_options": {"script": script},
        },
    )
    return stream(
        client, "POST", "runs", json={"agent_id": agent["id"], "input": "time?", "stream": True}
    )


def completed(events: list[tuple[str, str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [data for _, event, data in events if event == "tool.completed"]


def test_the_published_time_server_over_stdio(gateway: Gateway) -> None:
    tool = {
        "name": "clock",
        "type": "mcp",
        "transport": "stdio",
        "command": [str(BIN / "mcp-server-time"), "--local-timezone", "UTC"],
        "env": {"TZ": "UTC"},
        "tools": ["get_current_time"],
        "prefix": "clock_",
        "timeout_seconds": 30,
    }
    call = {"name": "clock_get_current_time", "arguments": {"timezone": "Europe/Paris"}}
    with gateway.client() as client:
        events = run_agent(client, "timekeeper", tool, [call])
        requested = [d for _, e, d in events if e == "tool.requested"]
        assert [(r["tool"], r["type"]) for r in requested] == [("clock_get_current_time", "mcp")]
        (done,) = completed(events)
        assert done["is_error"] is False, done
        assert done["output"]["timezone"] == "Europe/Paris"
        assert done["output"]["datetime"].startswith(time.strftime("%Y-"))
        assert events[-1][1] == "run.completed"
        run_id = events[0][2]["run_id"]
        trace = client.get(f"traces/{run_id}").json()
        steps = [s for s in trace["steps"] if s["type"] == "tool"]
        assert steps and steps[0]["output"]["timezone"] == "Europe/Paris"
        # The model was offered the allow-listed tool only, under its prefixed name.
        model_steps = [s for s in trace["steps"] if s["type"] == "model"]
        assert model_steps[0]["input"]["tools"] == ["clock_get_current_time"]


def test_a_missing_command_and_a_crash_are_tool_errors(gateway: Gateway) -> None:
    missing = {
        "name": "nowhere",
        "type": "mcp",
        "command": ["no-such-mcp-server-command"],
        "tools": ["get_current_time"],
    }
    call = {"name": "get_current_time", "arguments": {}}
    with gateway.client() as client:
        events = run_agent(client, "lost", missing, [call])
        (done,) = completed(events)
        assert done["is_error"] is True
        assert "command was not found" in done["output"]["error"]
        assert events[-1][1] == "run.completed"

        crashing = {"name": "crashy", "type": "mcp", "command": FAKE, "env": FAKE_ENV}
        calls = [
            {"name": "crash", "arguments": {}},
            {"name": "echo", "arguments": {"text": "back"}},
        ]
        events = run_agent(client, "crasher", crashing, calls)
        crash, echo = completed(events)
        assert crash["is_error"] is True and "restarted" in crash["output"]["error"]
        # The next call starts the server again.
        assert echo["is_error"] is False and echo["output"] == {"result": "echo: back"}
        assert events[-1][1] == "run.completed"
    # The server's stderr went to the gateway log.
    assert "crashing on purpose" in gateway.output()


def test_streamable_http_with_a_secret_header(gateway: Gateway, http_server: str) -> None:
    tool = {
        "name": "remote",
        "type": "mcp",
        "transport": "streamable_http",
        "url": http_server,
        "headers": {"Authorization": "Bearer mcp-secret-token"},
        "prefix": "remote_",
    }
    calls = [{"name": "remote_whoami", "arguments": {}}, {"name": "remote_fail", "arguments": {}}]
    with gateway.client() as client:
        events = run_agent(client, "caller", tool, calls)
        whoami, fail = completed(events)
        assert whoami["output"] == {"result": "Bearer mcp-secret-token"}
        assert fail["is_error"] is True and "fail" in fail["output"]["error"]
        got = client.get("tools", params={"limit": 100}).json()["data"]
        (remote,) = [t for t in got if t["name"] == "remote"]
        assert "mcp-secret-token" not in str(remote)


def test_aia_tools_inspect_starts_the_server_and_prints_its_tools(tmp_path: Path) -> None:
    (tmp_path / "tools").mkdir()
    (tmp_path / "aiagentics.toml").write_text('[project]\nname = "p"\n')
    clock = tmp_path / "tools" / "clock.yaml"
    spec = (
        "apiVersion: aiagentics.io/v1\nkind: Tool\nmetadata: {name: clock}\n"
        "spec:\n  type: mcp\n  command: [%s, --local-timezone, UTC]\n  prefix: clock_\n"
    )
    clock.write_text(spec % (BIN / "mcp-server-time"))
    aia = [str(BIN / "aia"), "-C", str(tmp_path), "tools", "inspect", "clock"]
    done = subprocess.run([*aia, "--json"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    offered = {t["name"]: t for t in json.loads(done.stdout)}
    assert set(offered) == {"clock_get_current_time", "clock_convert_time"}
    assert offered["clock_get_current_time"]["parameters"]["required"] == ["timezone"]
    clock.write_text(spec % "no-such-mcp-server-command")
    done = subprocess.run(aia, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "command was not found" in done.stderr
