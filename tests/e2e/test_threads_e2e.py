"""Threads over real HTTP against `aia serve`: a second run on a thread sends the model the
first exchange, a busy thread is refused (also to concurrent requests), long threads are
trimmed by whole runs with the trace saying so, and another scope's thread is a 404."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from tests.e2e.conftest import Gateway
from tests.e2e.runs_helpers import create, scoped_key, stream

pytestmark = pytest.mark.e2e
AIA = str(Path(sys.executable).with_name("aia"))


@pytest.fixture
def gateway(module_gateway: Gateway) -> Gateway:
    """One gateway for the module (every test names its agents and tools apart)."""
    return module_gateway


@pytest.fixture
def client(gateway: Gateway) -> Iterator[httpx.Client]:
    with gateway.client() as c:
        yield c


def run_to_end(client: httpx.Client, body: dict) -> dict:
    """POST a streaming run on a thread and read it to its pause or end; the run object."""
    events = stream(client, "POST", "runs", json={**body, "stream": True})
    run = client.get(f"runs/{events[0][2]['id']}").json()
    assert run["thread_id"] == body.get("thread_id")
    return run


def model_inputs(client: httpx.Client, run_id: str) -> list[list[dict]]:
    trace = client.get(f"traces/{run_id}").json()
    return [s["input"]["messages"] for s in trace["steps"] if s["type"] == "model"]


def test_a_thread_carries_the_conversation(client: httpx.Client, gateway: Gateway) -> None:
    ask = create(client, "tools", {"name": "ask_user", "type": "client"})
    create(
        client,
        "agents",
        {"name": "echo", "model": "scripted", "instructions": "Be brief."},
    )
    create(
        client,
        "agents",
        {
            "name": "asker",
            "model": "scripted",
            "tools": [ask["id"]],
            "model_options": {
                "script": [
                    {"tool_calls": [{"name": "ask_user", "arguments": {"q": "which order?"}}]},
                    {"content": "Refund sent."},
                ]
            },
        },
    )
    thread = create(client, "threads", {"metadata": {"customer": "c1"}})
    assert thread["id"].startswith("thr_") and thread["object"] == "thread"
    assert thread["metadata"] == {"customer": "c1"} and thread["messages"] == []
    tid = thread["id"]

    first = run_to_end(client, {"agent": "echo", "input": "my name is Ada", "thread_id": tid})
    assert first["status"] == "completed" and first["output"] == "my name is Ada"
    second = run_to_end(client, {"agent": "echo", "input": "what is my name?", "thread_id": tid})
    # The second run's model was sent the first exchange after the instructions.
    [sent] = model_inputs(client, second["id"])
    assert sent == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "my name is Ada"},
        {"role": "assistant", "content": "my name is Ada"},
        {"role": "user", "content": "what is my name?"},
    ]
    trace = client.get(f"traces/{second['id']}").json()
    assert trace["thread_id"] == tid
    assert trace["history"] == {"messages": 2, "omitted_messages": 0, "omitted_runs": []}

    # A run that pauses on a client tool holds the thread: another run is refused.
    paused = run_to_end(client, {"agent": "asker", "input": "refund me", "thread_id": tid})
    assert paused["status"] == "requires_action"
    busy = client.post("runs", json={"agent": "echo", "input": "hello?", "thread_id": tid})
    assert busy.status_code == 409, busy.text
    error = busy.json()["error"]
    assert error["code"] == "thread_busy" and error["param"] == "thread_id"
    assert paused["id"] in error["message"]
    assert client.get(f"threads/{tid}").json()["active_run_id"] == paused["id"]
    assert client.delete(f"threads/{tid}").json()["error"]["code"] == "thread_busy"
    call = paused["required_action"]["tool_calls"][0]
    resumed = client.post(
        f"runs/{paused['id']}/submit_tool_outputs",
        json={"tool_outputs": [{"tool_call_id": call["id"], "output": "order 42"}]},
    )
    assert resumed.status_code == 200, resumed.text
    done = stream(client, "GET", f"runs/{paused['id']}/events")
    assert done[-1][1] == "run.completed"

    got = client.get(f"threads/{tid}").json()
    assert got["active_run_id"] is None
    roles = [(m["role"], m["content"]) for m in got["messages"]]
    assert roles == [
        ("user", "my name is Ada"),
        ("assistant", "my name is Ada"),
        ("user", "what is my name?"),
        ("assistant", "what is my name?"),
        ("user", "refund me"),
        ("assistant", None),
        ("tool", "order 42"),
        ("assistant", "Refund sent."),
    ]
    assert got["messages"][5]["tool_calls"][0]["name"] == "ask_user"
    assert {m["run_id"] for m in got["messages"][4:]} == {paused["id"]}
    runs = client.get(f"threads/{tid}/runs").json()
    assert [r["id"] for r in runs["data"]] == [paused["id"], second["id"], first["id"]]
    assert client.get("threads").json()["data"][0]["id"] == tid

    # Trimmed by whole runs, oldest first, and the trace names what was left out.
    short = create(
        client,
        "agents",
        {"name": "short", "model": "scripted", "guardrails": {"max_history_messages": 5}},
    )
    trimmed = run_to_end(client, {"agent_id": short["id"], "input": "again", "thread_id": tid})
    [sent] = model_inputs(client, trimmed["id"])
    assert [m["content"] for m in sent] == ["refund me", None, "order 42", "Refund sent.", "again"]
    history = client.get(f"traces/{trimmed['id']}").json()["history"]
    assert history == {
        "messages": 4,
        "omitted_messages": 4,
        "omitted_runs": [first["id"], second["id"]],
    }

    # Deleted: gone, and a run on it is a 404; its runs stay.
    assert client.delete(f"threads/{tid}").json() == {
        "id": tid,
        "object": "thread",
        "deleted": True,
    }
    assert client.get(f"threads/{tid}").status_code == 404
    gone = client.post("runs", json={"agent": "echo", "input": "hi", "thread_id": tid})
    assert gone.status_code == 404 and gone.json()["error"]["param"] == "thread_id"
    assert client.get(f"runs/{first['id']}").json()["thread_id"] == tid


def test_concurrent_runs_on_one_thread_have_one_winner(
    client: httpx.Client, gateway: Gateway
) -> None:
    ask = create(client, "tools", {"name": "wait_for_me", "type": "client"})
    create(
        client,
        "agents",
        {
            "name": "pauser",
            "model": "scripted",
            "tools": [ask["id"]],
            "model_options": {"script": [{"tool_calls": [{"name": "wait_for_me"}]}]},
        },
    )
    tid = create(client, "threads", {})["id"]

    def start(i: int) -> httpx.Response:
        with gateway.client() as c:
            return c.post("runs", json={"agent": "pauser", "input": f"go {i}", "thread_id": tid})

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(start, range(6)))
    assert sorted(a.status_code for a in answers) == [200] + [409] * 5, [a.text for a in answers]
    [winner] = [a.json() for a in answers if a.status_code == 200]
    assert client.get(f"threads/{tid}/runs").json()["data"][0]["id"] == winner["id"]
    assert len(client.get(f"threads/{tid}/runs").json()["data"]) == 1


def test_unknown_and_foreign_threads_are_404(client: httpx.Client, gateway: Gateway) -> None:
    create(client, "agents", {"name": "echo2", "model": "scripted"})
    for bad in ("thr_" + "x" * 24, "nope"):
        answer = client.post("runs", json={"agent": "echo2", "input": "hi", "thread_id": bad})
        assert answer.status_code == 404, answer.text
        assert answer.json()["error"]["param"] == "thread_id"
        assert client.get(f"threads/{bad}").status_code == 404
    # Another environment's thread is indistinguishable from one that never was.
    live = scoped_key(gateway, "default", "live")
    foreign = client.post("threads", json={}, headers=live).json()["id"]
    create(client, "agents", {"name": "echo3", "model": "scripted"})
    answer = client.post("runs", json={"agent": "echo3", "input": "hi", "thread_id": foreign})
    assert answer.status_code == 404 and answer.json()["error"]["param"] == "thread_id"
    assert client.get(f"threads/{foreign}").status_code == 404
    assert client.get(f"threads/{foreign}/runs").status_code == 404
    assert client.delete(f"threads/{foreign}").status_code == 404
    assert foreign not in [t["id"] for t in client.get("threads").json()["data"]]
    assert client.get(f"threads/{foreign}", headers=live).status_code == 200


def test_session_memory_is_the_thread(client: httpx.Client) -> None:
    mem = create(client, "memory_stores", {"name": "notes", "kv": {"scope": "session"}})

    def agent(name: str, call: dict) -> None:
        script = [{"tool_calls": [call]}, {"content": "done"}]
        create(
            client,
            "agents",
            {
                "name": name,
                "model": "scripted",
                "memory": mem["id"],
                "model_options": {"script": script},
            },
        )

    agent("noter", {"name": "memory_set", "arguments": {"key": "order", "value": 42}})
    agent("recaller", {"name": "memory_get", "arguments": {"key": "order"}})
    first, other = create(client, "threads", {})["id"], create(client, "threads", {})["id"]

    def tool_output(body: dict) -> object:
        run = run_to_end(client, body)
        assert run["status"] == "completed", run
        steps = client.get(f"traces/{run['id']}").json()["steps"]
        return next(s for s in steps if s["type"] == "tool")["output"]

    # No session_id in the metadata: the thread is the session (and wins over metadata).
    saved = tool_output({"agent": "noter", "input": "note it", "thread_id": first})
    assert saved["saved"] is True
    recalled = tool_output(
        {
            "agent": "recaller",
            "input": "recall",
            "thread_id": first,
            "metadata": {"session_id": "x"},
        }
    )
    assert recalled == {"key": "order", "found": True, "value": 42}
    assert (
        tool_output({"agent": "recaller", "input": "recall", "thread_id": other})["found"] is False
    )
    kv = client.get(f"memory_stores/{mem['id']}/kv/order", params={"session_id": first})
    assert kv.status_code == 200 and kv.json()["value"] == 42


def _chat(gateway: Gateway, tmp_path: Path, *args: str, turns: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "AIAGENTICS_API_KEY": gateway.api_key,
        "AIAGENTICS_BASE_URL": gateway.base_url,
    }
    return subprocess.run(
        [AIA, "chat", *args],
        input=turns,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=tmp_path,
    )


def test_aia_chat_keeps_one_thread(client: httpx.Client, gateway: Gateway, tmp_path: Path) -> None:
    create(client, "agents", {"name": "parrot", "model": "scripted"})
    first = _chat(gateway, tmp_path, "parrot", turns="hello there\nsecond turn\n")
    assert first.returncode == 0, first.stderr
    assert "hello there" in first.stdout and "second turn" in first.stdout
    [tid] = re.findall(r"thread (thr_\w+)", first.stdout)
    again = _chat(gateway, tmp_path, "parrot", "--thread", tid, turns="third\n")
    assert again.returncode == 0, again.stderr
    got = client.get(f"threads/{tid}").json()
    assert [m["content"] for m in got["messages"] if m["role"] == "user"] == [
        "hello there",
        "second turn",
        "third",
    ]
    last = client.get(f"threads/{tid}/runs").json()["data"][0]
    assert client.get(f"traces/{last['id']}").json()["history"]["messages"] == 4
    missing = _chat(gateway, tmp_path, "parrot", "--thread", "thr_" + "z" * 24, turns="x\n")
    assert missing.returncode == 1 and "thread" in missing.stderr
