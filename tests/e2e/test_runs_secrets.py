"""Secrets echoed back by a model provider or a tool handler never reach an API answer,
an event, a webhook or the database."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from tests.e2e.runs_helpers import RunWorld, create, start_world, stream
from tests.engine.webhooks.webhook_receiver import running_receiver
from tests.fakes.provider_server import Status

pytestmark = pytest.mark.e2e

PROVIDER_KEY = "sk-fake-openai"  # FAKEAI_KEY of the world's gateway
TOOL_SECRET = "tok-7f3a9c1e5b2d4f60"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunWorld]:
    yield from start_world(tmp_path_factory.mktemp("secrets"))


def _stored_bytes(world: RunWorld) -> bytes:
    folder = world.gateway.database.parent
    return b"".join(p.read_bytes() for p in folder.iterdir() if p.name.startswith("gateway.db"))


def test_a_provider_key_echoed_in_an_error_is_scrubbed_everywhere(world: RunWorld) -> None:
    with running_receiver() as receiver, world.client() as client:
        create(
            client,
            "webhooks",
            {"name": "failures", "url": receiver.url, "events": ["run.failed"]},
        )
        agent = create(client, "agents", {"name": "keyed", "model": "fast"})
        world.openai.queue(Status(401, "Incorrect API key provided", echo_key=True))
        events = stream(
            client, "POST", "runs", json={"agent_id": agent["id"], "input": "hi", "stream": True}
        )
        assert PROVIDER_KEY in world.openai.requests[-1]["headers"]["authorization"]
        run_id = events[0][2]["run_id"]
        assert events[-1][1] == "run.failed"
        message = events[-1][2]["error"]["message"]
        # The provider blanks its own key ("***"); the scrubber catches what any other path leaks.
        assert "HTTP 401" in message and ("[REDACTED]" in message or "***" in message)
        assert PROVIDER_KEY not in message

        run = client.get(f"runs/{run_id}")
        assert run.json()["error"]["message"] == message
        for answer in (
            run,
            client.get("runs"),
            client.get(f"runs/{run_id}/events"),
            client.get(f"traces/{run_id}"),
        ):
            assert answer.status_code == 200 and PROVIDER_KEY not in answer.text
        (delivered,) = receiver.wait_for(1)
        assert b"run.failed" in delivered.body and message.encode() in delivered.body
        assert PROVIDER_KEY.encode() not in delivered.body
    assert PROVIDER_KEY.encode() not in _stored_bytes(world)


def test_tool_header_values_echoed_by_a_failing_handler_are_scrubbed(world: RunWorld) -> None:
    with world.client() as client:
        tool = create(
            client,
            "tools",
            {
                "name": f"echoing-{time.monotonic_ns()}",
                "type": "http",
                "handler_url": world.handler.url("/fail_echo"),
                "headers": {"X-Api-Token": TOOL_SECRET},
            },
        )
        agent = create(
            client,
            "agents",
            {
                "name": f"caller-{time.monotonic_ns()}",
                "model": "scripted",
                "tools": [tool["id"]],
                "model_options": {
                    "script": [{"tool_calls": [{"name": tool["name"]}]}, {"content": "done"}]
                },
            },
        )
        events = stream(
            client, "POST", "runs", json={"agent_id": agent["id"], "input": "x", "stream": True}
        )
        assert world.handler.requests[-1]["headers"]["x-api-token"] == TOOL_SECRET
        completed = next(d for _, e, d in events if e == "tool.completed")
        assert completed["is_error"] and "HTTP 500" in completed["output"]["error"]
        assert "[REDACTED]" in completed["output"]["error"]
        run_id = events[0][2]["run_id"]
        for path in (f"runs/{run_id}", f"runs/{run_id}/events", f"traces/{run_id}"):
            answer = client.get(path)
            assert answer.status_code == 200 and TOOL_SECRET not in answer.text, path
        trace = client.get(f"traces/{run_id}").json()
        (tool_step,) = [s for s in trace["steps"] if s["type"] == "tool"]
        assert tool_step["is_error"] and "[REDACTED]" in tool_step["output"]["error"]
        # The model saw the scrubbed error too (the thread is the next model step's input).
        assert all(
            TOOL_SECRET not in str(m) for m in client.get(f"runs/{run_id}").json()["messages"]
        )


def test_short_or_unrelated_values_are_left_alone(world: RunWorld) -> None:
    with world.client() as client:
        agent = create(client, "agents", {"name": "plain", "model": "fast"})
        world.openai.queue(Status(400, "model gpt-fake does not support this option"))
        events = stream(
            client, "POST", "runs", json={"agent_id": agent["id"], "input": "hi", "stream": True}
        )
        assert events[-1][2]["error"]["message"].endswith(
            "answered HTTP 400: model gpt-fake does not support this option"
        )
