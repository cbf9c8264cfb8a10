"""A run's stream survives dropped connections: through a proxy that cuts them mid-stream,
the client and `aia run` get every event once, in order, as the run's log has them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from httpx_sse import connect_sse
from tests.e2e.runs_helpers import RunWorld, create, start_world
from tests.fakes.cutting_proxy import CuttingProxy

from aiagentics.client import ApiClient, ApiConnectionError

pytestmark = pytest.mark.e2e
AIA = str(Path(sys.executable).with_name("aia"))
WORDS = " ".join(f"word{n}" for n in range(1, 31))
# Cut 1 falls inside the response head of the POST (no event seen: the POST is sent again
# with its Idempotency-Key and replays); cuts 2 and 3 fall between or inside events
# (resumed with GET .../events and Last-Event-ID), while the tool still runs and after.
CUTS: list[int | None] = [60, 900, 1400]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunWorld]:
    yield from start_world(tmp_path_factory.mktemp("resume"))


@pytest.fixture(scope="module")
def agent(world: RunWorld) -> str:
    with world.client() as client:
        wait = create(
            client,
            "tools",
            {"name": "wait", "type": "http", "handler_url": world.handler.url("/slow?s=1")},
        )
        script = [{"tool_calls": [{"name": "wait", "arguments": {}}]}, {"content": WORDS}]
        create(
            client,
            "agents",
            {
                "name": "slowpoke",
                "model": "scripted",
                "tools": [wait["id"]],
                "model_options": {"script": script},
            },
        )
    return "slowpoke"


def logged(world: RunWorld, run_id: str) -> list[tuple[str, str, dict]]:
    """The run's whole log, read straight from the gateway."""
    with world.client() as client, connect_sse(client, "GET", f"runs/{run_id}/events") as source:
        return [(s.id, s.event, json.loads(s.data)) for s in source.iter_sse() if s.id]


def test_the_client_resumes_a_cut_stream(world: RunWorld, agent: str) -> None:
    proxy = CuttingProxy(world.gateway.port, CUTS)
    with proxy, ApiClient(proxy.base_url, world.gateway.api_key, backoff_base=0.05) as client:
        stream = client.stream_run({"agent": agent, "input": "go"})
        events = list(stream)
    assert proxy.cut == 3 and stream.reconnects == 3
    got = [(e.id, e.event, e.data) for e in events]
    assert got == logged(world, str(stream.run_id))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[-1].event == "run.completed" and events[-1].data["output"] == WORDS
    assert len([e for e in events if e.event == "token"]) == 30
    heads = [h.decode(errors="replace") for h in proxy.heads]
    # No event had arrived: the same POST again, with the same Idempotency-Key.
    assert heads[0].startswith("POST /v1/runs ") and heads[1].startswith("POST /v1/runs ")
    keys = [re.search(r"(?im)^idempotency-key: (\S+)", h) for h in heads[:2]]
    assert keys[0] and keys[1] and keys[0].group(1) == keys[1].group(1)
    # Then from the last event seen.
    for head in heads[2:]:
        assert head.startswith(f"GET /v1/runs/{stream.run_id}/events?until=requires_action ")
        assert int(re.search(r"(?im)^last-event-id: (\d+)", head).group(1)) > 0  # type: ignore[union-attr]


def test_aia_run_resumes_a_cut_stream(world: RunWorld, agent: str, tmp_path: Path) -> None:
    with CuttingProxy(world.gateway.port, CUTS) as proxy:
        result = subprocess.run(
            [AIA, "run", agent, "go", "--json"],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
            cwd=tmp_path,
            env={
                **os.environ,
                "AIAGENTICS_API_KEY": world.gateway.api_key,
                "AIAGENTICS_BASE_URL": proxy.base_url,
            },
        )
    assert result.returncode == 0, result.stderr
    assert proxy.cut == 3
    events = [json.loads(line) for line in result.stdout.splitlines()]
    run_id = events[0]["data"]["run_id"]
    assert [(e["id"], e["event"], e["data"]) for e in events] == logged(world, run_id)
    assert [e["id"] for e in events] == [str(n) for n in range(1, len(events) + 1)]
    assert events[-1]["event"] == "run.completed"


def test_a_stream_that_never_answers_is_an_error(world: RunWorld, agent: str) -> None:
    proxy = CuttingProxy(world.gateway.port, [100] * 10)  # every connection cut in its head
    with proxy, ApiClient(proxy.base_url, world.gateway.api_key, backoff_base=0.01) as client:
        stream = client.stream_run({"agent": agent, "input": "go"})
        # No connection ever got as far as a response: as for any call, the API is unreachable.
        with pytest.raises(ApiConnectionError, match=r"cannot reach the API at .*disconnected"):
            list(stream)
    assert proxy.cut == client.max_attempts
