"""Each real provider behind the gateway, against a fake server speaking its wire format."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from tests.e2e.runs_helpers import LIMIT_SCHEMA, RunWorld, create, start_world, stream
from tests.fakes.provider_server import FakeProviderServer, Status, Turn

pytestmark = pytest.mark.e2e

MODELS = {"openai": "fast", "anthropic": "fakeclaude/claude-fake"}  # an alias, and provider/model


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunWorld]:
    yield from start_world(tmp_path_factory.mktemp("providers"))


@pytest.fixture(params=["openai", "anthropic"])
def flavor(request: pytest.FixtureRequest) -> str:
    return request.param


def fake_of(world: RunWorld, flavor: str) -> FakeProviderServer:
    fake = world.openai if flavor == "openai" else world.anthropic
    fake.replies.clear()
    fake.requests.clear()
    return fake


def agent_for(client: httpx.Client, world: RunWorld, flavor: str) -> tuple[dict, dict]:
    suffix = f"{flavor}-{time.monotonic_ns() % 10**9}"
    tool = create(
        client,
        "tools",
        {
            "name": f"sql-{suffix}",
            "type": "http",
            "handler_url": world.handler.url("/rows"),
            "parameters": LIMIT_SCHEMA,
        },
    )
    agent = create(
        client,
        "agents",
        {
            "name": f"agent-{suffix}",
            "model": MODELS[flavor],
            "instructions": "Answer briefly.",
            "tools": [tool["id"]],
        },
    )
    return agent, tool


def test_tool_call_then_answer(world: RunWorld, flavor: str) -> None:
    fake = fake_of(world, flavor)
    with world.client() as client:
        agent, tool = agent_for(client, world, flavor)
        fake.queue(
            Turn(tool_calls=[(tool["name"], {"limit": 5})], input_tokens=40, output_tokens=12),
            Turn(text="Seven payments failed today.", input_tokens=60, output_tokens=6),
        )
        events = stream(
            client,
            "POST",
            "runs",
            json={"agent_id": agent["id"], "input": "How many failed?", "stream": True},
        )
        names = [e for _, e, _ in events]
        assert names[:3] == ["run.created", "tool.requested", "tool.completed"]
        assert names[-1] == "run.completed" and names.count("token") >= 2
        assert events[1][2]["args"] == {"limit": 5}
        assert events[-1][2]["output"] == "Seven payments failed today."
        run = client.get(f"runs/{events[0][2]['id']}").json()
        assert run["usage"] == {"input_tokens": 100, "output_tokens": 18, "total_tokens": 118}
    first, second = fake.requests[0]["json"], fake.requests[1]["json"]
    assert first["model"] == ("gpt-fake" if flavor == "openai" else "claude-fake")
    if flavor == "openai":
        assert fake.requests[0]["headers"]["authorization"] == "Bearer sk-fake-openai"
        assert first["messages"][0] == {"role": "system", "content": "Answer briefly."}
        tool_turn = second["messages"][-1]
        assert tool_turn["role"] == "tool" and json.loads(tool_turn["content"])["rows"] == 7
    else:
        assert fake.requests[0]["headers"]["x-api-key"] == "sk-fake-claude"
        assert first["system"] == "Answer briefly."
        result = second["messages"][-1]["content"][0]
        assert result["type"] == "tool_result" and json.loads(result["content"])["rows"] == 7


def test_rate_limit_is_retried(world: RunWorld, flavor: str) -> None:
    fake = fake_of(world, flavor)
    with world.client() as client:
        agent, _ = agent_for(client, world, flavor)
        fake.queue(Status(429, "slow down", retry_after="0"), Turn(text="after the wait"))
        events = stream(
            client, "POST", "runs", json={"agent_id": agent["id"], "input": "x", "stream": True}
        )
        assert events[-1][1] == "run.completed" and events[-1][2]["output"] == "after the wait"
    assert len(fake.requests) == 2


def test_dropped_stream_fails_the_run_cleanly(world: RunWorld, flavor: str) -> None:
    fake = fake_of(world, flavor)
    with world.client() as client:
        agent, _ = agent_for(client, world, flavor)
        fake.queue(Turn(text="one two three four five six seven eight nine ten", drop_after=5))
        started = time.monotonic()
        events = stream(
            client, "POST", "runs", json={"agent_id": agent["id"], "input": "x", "stream": True}
        )
        assert time.monotonic() - started < 10
        assert events[-1][1] == "run.failed"
        assert events[-1][2]["error"]["code"] == "provider_unavailable"
        assert "token" in [e for _, e, _ in events]  # it had started streaming
        run = client.get(f"runs/{events[0][2]['id']}").json()
        assert run["status"] == "failed"


def test_malformed_arguments_from_the_model_go_back_to_it(world: RunWorld, flavor: str) -> None:
    fake = fake_of(world, flavor)
    with world.client() as client:
        agent, tool = agent_for(client, world, flavor)
        handled = len(world.handler.requests)
        fake.queue(
            Turn(tool_calls=[(tool["name"], {})], raw_arguments='{"limit": 5'),
            Turn(text="I could not query."),
        )
        events = stream(
            client, "POST", "runs", json={"agent_id": agent["id"], "input": "x", "stream": True}
        )
        completed = next(d for _, e, d in events if e == "tool.completed")
        assert completed["is_error"] and "not valid JSON" in completed["output"]["error"]
        assert events[-1][2]["output"] == "I could not query."
    assert len(world.handler.requests) == handled  # the handler was never called


def test_cancel_stops_the_model_stream(world: RunWorld, flavor: str) -> None:
    fake = fake_of(world, flavor)
    with world.client() as client:
        agent, _ = agent_for(client, world, flavor)
        fake.queue(Turn(text="one two three four five six seven eight", stall_after=4))
        run = client.post("runs", json={"agent_id": agent["id"], "input": "x"}).json()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if fake.requests:
                break
            time.sleep(0.05)
        time.sleep(0.2)  # let the first tokens arrive; the fake then goes silent
        started = time.monotonic()
        cancelled = client.post(f"runs/{run['id']}/cancel")
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        assert time.monotonic() - started < 5
        events = stream(client, "GET", f"runs/{run['id']}/events")
        names = [e for _, e, _ in events]
        assert names[-1] == "run.cancelled" and "token" in names


def test_model_calls_share_one_connection(world: RunWorld, flavor: str) -> None:
    fake = fake_of(world, flavor)
    with world.client() as client:
        agent, tool = agent_for(client, world, flavor)
        opened = fake.connections
        runs = 4
        for _ in range(runs):  # two model calls each: a tool call, then the answer
            fake.queue(Turn(tool_calls=[(tool["name"], {"limit": 1})]), Turn(text="done"))
            events = stream(
                client, "POST", "runs", json={"agent_id": agent["id"], "input": "x", "stream": True}
            )
            assert events[-1][1] == "run.completed"
    assert len(fake.requests) == 2 * runs
    assert fake.connections - opened <= 1  # one, or none when an earlier call's is still pooled


def test_a_public_provider_without_its_key_fails_the_run_before_calling_it(
    gateway_factory: Callable[..., Any],
) -> None:
    gw = gateway_factory(env={"OPENAI_API_KEY": ""})  # empty counts as not set
    with gw.client() as client:
        agent = create(client, "agents", {"name": "keyless", "model": "openai/gpt-4.1"})
        events = stream(
            client, "POST", "runs", json={"agent_id": agent["id"], "input": "x", "stream": True}
        )
    assert events[-1][1] == "run.failed"
    error = events[-1][2]["error"]
    assert error["code"] == "missing_api_key"
    assert error["message"].startswith("model provider 'openai' at https://api.openai.com/v1: ")
    assert "OPENAI_API_KEY is not set" in error["message"]
    assert "ConnectError" not in error["message"]
