"""`aia dev` end to end: files on disk served by the real gateway, reloaded on save."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.e2e.dev_helpers import (
    CLIENT_TOOL,
    DevServer,
    agent_yaml,
    agents_by_name,
    start_dev,
    wait_for,
    write_project,
)

from aiagentics.gateway.reload.watch import CATCH_UP_SECONDS

pytestmark = pytest.mark.e2e


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[DevServer]:
    root = tmp_path / "project"
    write_project(root)
    server = start_dev(root)
    yield server
    server.stop()


def _instructions(client: httpx.Client, name: str = "helper") -> str | None:
    agent = agents_by_name(client).get(name)
    return agent["instructions"] if agent else None


def test_serves_declared_resources_and_prints_how_to_use_them(dev: DevServer) -> None:
    with dev.client() as c:
        agents = agents_by_name(c)
    assert agents["helper"]["instructions"] == "You help Acme customers. Be brief."
    assert agents["helper"]["id"].startswith("agt_")
    out = dev.output()
    assert dev.origin + "/v1" in out
    assert "curl -N" in out and '"agent": "helper"' in out
    status = httpx.get(dev.origin + "/v1/dev/status", headers=dev.headers).json()
    assert status["ok"] is True and status["summary"]["create"] == 1
    # The watcher's catch-up look, once it is up, finds nothing new: no second load.
    time.sleep(CATCH_UP_SECONDS * 3)
    status = httpx.get(dev.origin + "/v1/dev/status", headers=dev.headers).json()
    assert (status["trigger"], status["summary"]["create"]) == (["start"], 1)


def test_an_invalid_file_at_start_is_reported_once(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write_project(root)
    (root / "agents" / "broken.yaml").write_text(agent_yaml(name="broken") + "  temprature: 3\n")
    server = start_dev(root)
    try:
        wait_for(lambda: "watching for changes" in server.output())
        time.sleep(CATCH_UP_SECONDS * 3)
        out = server.output()
        status = httpx.get(server.origin + "/v1/dev/status", headers=server.headers).json()
    finally:
        server.stop()
    assert out.count("error: unknown field 'temprature'") == 1, out
    assert status["trigger"] == ["start"] and not status["ok"]


def test_edit_is_served_without_restart_and_ids_stay(dev: DevServer) -> None:
    with dev.client() as c:
        before = agents_by_name(c)["helper"]
        (dev.root / "agents" / "helper.yaml").write_text(agent_yaml(instructions="Be warm."))
        wait_for(lambda: _instructions(c) == "You help Acme customers. Be warm.")
        after = agents_by_name(c)["helper"]
    assert after["id"] == before["id"]
    assert after["version"] == before["version"] + 1
    assert "reloaded in" in wait_for(lambda: "reloaded in" in dev.output() and dev.output())


def test_ids_survive_a_restart(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write_project(root)
    first = start_dev(root)
    try:
        with first.client() as c:
            ids = {n: a["id"] for n, a in agents_by_name(c).items()}
    finally:
        assert first.stop() == 0
    second = start_dev(root)
    try:
        with second.client() as c:
            assert {n: a["id"] for n, a in agents_by_name(c).items()} == ids
            assert agents_by_name(c)["helper"]["version"] == 1  # nothing changed: no new version
    finally:
        second.stop()


def test_invalid_edit_keeps_the_last_good_state(dev: DevServer) -> None:
    path = dev.root / "agents" / "helper.yaml"
    good = path.read_text()
    path.write_text(good.replace("model: scripted", "model: scripted\n  temprature: 3"))
    status = wait_for(
        lambda: (
            (s := httpx.get(dev.origin + "/v1/dev/status", headers=dev.headers).json())
            and not s["ok"]
            and s
        )
    )
    diag = status["diagnostics"][0]
    assert diag["file"] == "agents/helper.yaml"
    assert (diag["line"], diag["column"]) == (8, 3)
    assert "temprature" in diag["message"]
    with dev.client() as c:
        assert _instructions(c) == "You help Acme customers. Be brief."
    out = wait_for(lambda: "still serving the last good state" in dev.output() and dev.output())
    assert "agents/helper.yaml:8:3: error:" in out
    path.write_text(agent_yaml(instructions="Fixed."))
    with dev.client() as c:
        wait_for(lambda: _instructions(c) == "You help Acme customers. Fixed.")


def test_add_and_remove_resources(dev: DevServer) -> None:
    tools = dev.root / "tools"
    (tools / "ask.yaml").write_text(CLIENT_TOOL.format(name="ask"))
    with dev.client() as c:
        tool = wait_for(lambda: {t["name"]: t for t in c.get("tools").json()["data"]}.get("ask"))
        assert tool["type"] == "client"
        (tools / "ask.yaml").unlink()
        wait_for(lambda: c.get("tools").json()["data"] == [])
        assert c.get(f"tools/{tool['id']}").status_code == 404


def test_declared_resources_refuse_api_changes(dev: DevServer) -> None:
    with dev.client() as c:
        agent = agents_by_name(c)["helper"]
        for response in (
            c.post(f"agents/{agent['id']}", json={"description": "changed by hand"}),
            c.delete(f"agents/{agent['id']}"),
        ):
            assert response.status_code == 409
            error = response.json()["error"]
            assert "agents/helper.yaml" in error["message"]
        # Resources created through the API live beside the declared ones.
        made = c.post("tools", json={"name": "by_api", "type": "client"})
        assert made.status_code == 200, made.text
        assert c.post(f"tools/{made.json()['id']}", json={"description": "ok"}).status_code == 200


def test_editor_saves_bursts_and_swap_files(dev: DevServer) -> None:
    path = dev.root / "agents" / "helper.yaml"
    # Swap and backup files of editors are ignored.
    (dev.root / "agents" / ".helper.yaml.swp").write_bytes(b"\x00garbage")
    (dev.root / "agents" / "helper.yaml~").write_text("not: [yaml")
    # An atomic save: write a temporary file, then rename it over the original.
    tmp = dev.root / "agents" / ".helper.yaml.tmp"
    tmp.write_text(agent_yaml(instructions="Atomic."))
    os.replace(tmp, path)
    with dev.client() as c:
        wait_for(lambda: _instructions(c) == "You help Acme customers. Atomic.")
        # A burst of 100 saves ends with the last one served.
        for i in range(100):
            path.write_text(agent_yaml(instructions=f"Burst {i}."))
        wait_for(lambda: _instructions(c) == "You help Acme customers. Burst 99.")
        # A half-written file is a diagnostic, never a crash; the next save recovers.
        path.write_text(agent_yaml(instructions="Half")[:60])
        wait_for(
            lambda: not httpx.get(dev.origin + "/v1/dev/status", headers=dev.headers).json()["ok"]
        )
        path.write_text(agent_yaml(instructions="Whole."))
        wait_for(lambda: _instructions(c) == "You help Acme customers. Whole.")
        # Renaming a file keeps the resource (its name lives in metadata, not the file name).
        before = agents_by_name(c)["helper"]["id"]
        os.replace(path, dev.root / "agents" / "renamed.yaml")
        wait_for(
            lambda: (
                httpx.get(dev.origin + "/v1/dev/status", headers=dev.headers).json()["trigger"]
                and agents_by_name(c)["helper"]["metadata"]["aia.source"] == "agents/renamed.yaml"
            )
        )
        assert agents_by_name(c)["helper"]["id"] == before
        # A spec folder removed entirely: its resources go, the server stays up.
        for f in (dev.root / "agents").iterdir():
            f.unlink()
        (dev.root / "agents").rmdir()
        wait_for(lambda: agents_by_name(c) == {})
        # ... and when it comes back, it is watched again.
        (dev.root / "agents").mkdir()
        (dev.root / "agents" / "helper.yaml").write_text(agent_yaml(instructions="Back."))
        wait_for(lambda: _instructions(c) == "You help Acme customers. Back.")
        (dev.root / "agents" / "helper.yaml").write_text(agent_yaml(instructions="Again."))
        wait_for(lambda: _instructions(c) == "You help Acme customers. Again.")
    assert dev.process.poll() is None


def test_paused_run_resumes_on_the_version_it_started_with(dev: DevServer) -> None:
    (dev.root / "tools" / "ask.yaml").write_text(CLIENT_TOOL.format(name="ask"))
    script = (
        "      - tool_calls: [{name: ask, arguments: {question: size?}}]\n"
        '      - content: "version one"'
    )
    path = dev.root / "agents" / "helper.yaml"
    path.write_text(agent_yaml(tools="ask", script=script))
    with dev.client() as c:
        wait_for(lambda: (a := agents_by_name(c).get("helper")) and a["tools"] and a)
        run = c.post("runs", json={"agent": "helper", "input": "hi", "stream": False}).json()
        run = wait_for(
            lambda: (r := c.get(f"runs/{run['id']}").json())["status"] == "requires_action" and r
        )
        pinned = run["agent_version"]
        # Saved as editors do (write aside, rename): a reload never sees the file half-written.
        aside = path.with_suffix(".yaml.tmp")
        aside.write_text(
            agent_yaml(tools="ask", script=script.replace("version one", "version two"))
        )
        os.replace(aside, path)
        wait_for(lambda: agents_by_name(c)["helper"]["version"] > pinned)
        call = run["required_action"]["tool_calls"][0]
        resumed = c.post(
            f"runs/{run['id']}/submit_tool_outputs",
            json={"tool_outputs": [{"tool_call_id": call["id"], "output": "large"}]},
        )
        assert resumed.status_code == 200, resumed.text
        done = wait_for(
            lambda: (r := c.get(f"runs/{run['id']}").json())["status"] == "completed" and r
        )
    assert done["output"] == "version one"
    assert done["agent_version"] == pinned
