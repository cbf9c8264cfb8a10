"""`aia run`, `aia runs get`, `aia traces` against a real gateway."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.e2e.runs_helpers import LIMIT_SCHEMA, RunWorld, create, start_world

pytestmark = pytest.mark.e2e
AIA = str(Path(sys.executable).with_name("aia"))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunWorld]:
    yield from start_world(tmp_path_factory.mktemp("cli"))


@pytest.fixture(scope="module")
def agents(world: RunWorld) -> dict[str, str]:
    with world.client() as client:
        sql = create(
            client,
            "tools",
            {
                "name": "sql_query",
                "type": "http",
                "handler_url": world.handler.url("/rows"),
                "parameters": LIMIT_SCHEMA,
            },
        )
        ask = create(client, "tools", {"name": "ask_human", "type": "client"})
        script = [
            {"tool_calls": [{"name": "sql_query", "arguments": {"limit": 50}}]},
            {"content": "7 payments failed today."},
        ]
        support = create(
            client,
            "agents",
            {
                "name": "support",
                "model": "scripted",
                "tools": [sql["id"]],
                "model_options": {"script": script},
            },
        )
        asker = create(
            client,
            "agents",
            {
                "name": "asker",
                "model": "scripted",
                "tools": [ask["id"]],
                "model_options": {"script": [{"tool_calls": [{"name": "ask_human"}]}]},
            },
        )
        looper = create(
            client,
            "agents",
            {
                "name": "looper",
                "model": "scripted",
                "tools": [sql["id"]],
                "guardrails": {"max_steps": 1},
                "model_options": {"script": script},
            },
        )
    return {"support": support["id"], "asker": asker["id"], "looper": looper["id"]}


def aia(world: RunWorld, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AIAGENTICS_API_KEY": world.gateway.api_key,
        "AIAGENTICS_BASE_URL": world.gateway.base_url,
    }
    return subprocess.run(
        [AIA, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
    )


def test_run_json_lines(world: RunWorld, agents: dict[str, str], tmp_path: Path) -> None:
    result = aia(
        world, "run", "support", "Summarize today's failed payments", "--json", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["event"] for e in events] == [
        "run.created",
        "tool.requested",
        "tool.completed",
        *["token"] * 4,
        "run.completed",
    ]
    assert events[-1]["data"]["output"] == "7 payments failed today."
    run_id = events[0]["data"]["run_id"]

    shown = aia(world, "runs", "get", run_id, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "completed" in shown.stdout and "7 payments failed today." in shown.stdout
    as_json = json.loads(aia(world, "runs", "get", run_id, "--json", cwd=tmp_path).stdout)
    assert as_json["id"] == run_id and as_json["status"] == "completed"

    tree = aia(world, "traces", run_id, cwd=tmp_path)
    assert tree.returncode == 0, tree.stderr
    lines = tree.stdout.splitlines()
    assert "trc_" in lines[0] and run_id in lines[0]
    assert any("1. model" in line and "ms" in line for line in lines)
    assert any("2. tool" in line and "sql_query" in line for line in lines)
    assert any('input: {"limit": 50}' in line for line in lines)


def test_run_human_view(world: RunWorld, agents: dict[str, str], tmp_path: Path) -> None:
    result = aia(world, "run", agents["support"], "Summarize", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "tool call: sql_query" in out and '"limit": 50' in out
    assert "7 payments failed today." in out
    assert "completed" in out


def test_client_tool_without_a_terminal_says_how_to_resume(
    world: RunWorld, agents: dict[str, str], tmp_path: Path
) -> None:
    result = aia(world, "run", "asker", "hello", cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert "waits for tool outputs (ask_human)" in result.stderr
    assert "aia runs submit run_" in result.stderr


def test_failures_exit_1(world: RunWorld, agents: dict[str, str], tmp_path: Path) -> None:
    failed = aia(world, "run", "looper", "x", cwd=tmp_path)
    assert failed.returncode == 1
    assert "run failed (max_steps)" in failed.stdout
    missing = aia(world, "run", "no-such-agent", "x", cwd=tmp_path)
    assert missing.returncode == 1
    assert "no agent 'no-such-agent'" in missing.stderr
    assert "Traceback" not in missing.stderr
    unknown_run = aia(world, "runs", "get", "run_doesnotexist000", cwd=tmp_path)
    assert unknown_run.returncode == 1 and "Traceback" not in unknown_run.stderr


def test_terminal_prompts_for_client_tool_outputs(
    world: RunWorld, agents: dict[str, str], tmp_path: Path
) -> None:
    import pty
    import select
    import time

    env = {
        **os.environ,
        "AIAGENTICS_API_KEY": world.gateway.api_key,
        "AIAGENTICS_BASE_URL": world.gateway.base_url,
    }
    pid, fd = pty.fork()
    if pid == 0:  # the child: `aia` on a terminal
        os.chdir(tmp_path)
        os.execve(AIA, [AIA, "run", "asker", "echo me back"], env)
    seen = b""
    answered = False
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if not answered and b"output of ask_human" in seen:
                os.write(fd, b'{"approved": true}\r')
                answered = True
    finally:
        _, status = os.waitpid(pid, 0)
    text = seen.decode(errors="replace")
    assert answered, text
    assert "echo me back" in text.split("output of ask_human", 1)[1]
    assert os.waitstatus_to_exitcode(status) == 0
