"""`Idempotency-Key` on streaming run creates: a retry follows the first run, never a second."""

from __future__ import annotations

from typing import Any

import pytest
from tests.e2e.conftest import Gateway
from tests.e2e.runs_helpers import create, stream

pytestmark = pytest.mark.e2e

SCRIPT = {"script": [{"content": "hello from the first run"}]}


def _runs(c: Any, agent_id: str) -> list[str]:
    r = c.get("runs", params={"agent_id": agent_id, "limit": 100})
    assert r.status_code == 200, r.text
    return [run["id"] for run in r.json()["data"]]


def test_a_retried_streaming_create_replays_the_same_run(module_gateway: Gateway) -> None:
    with module_gateway.client() as c:
        agent = create(
            c, "agents", {"name": "idem-stream", "model": "scripted", "model_options": SCRIPT}
        )
        body = {"agent_id": agent["id"], "input": "hi", "stream": True}
        key = {"Idempotency-Key": "stream-retry-1"}
        first = stream(c, "POST", "runs", json=body, headers=key)
        run_id = first[0][2]["run_id"]
        assert first[0][1] == "run.created" and first[-1][1] == "run.completed"

        again = stream(c, "POST", "runs", json=body, headers=key)
        assert again == first  # the same events, from the start, of the same run
        assert _runs(c, agent["id"]) == [run_id]

        # A retry that saw part of the stream resumes after its Last-Event-ID.
        tail = stream(c, "POST", "runs", json=body, headers={**key, "Last-Event-ID": first[0][0]})
        assert tail == first[1:]

        other = c.post("runs", json={**body, "input": "other"}, headers=key)
        assert other.status_code == 409, other.text
        assert other.json()["error"]["code"] == "idempotency_key_reused"

        # Another key is another run.
        stream(c, "POST", "runs", json=body, headers={"Idempotency-Key": "stream-retry-2"})
        assert len(_runs(c, agent["id"])) == 2
