"""Scopes and bounds at the edge: other projects' and environments' objects are answered
exactly like objects that do not exist; out-of-range integers are a 400 with `param`;
each environment has its own limit of concurrent runs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.e2e.conftest import SHARED, Gateway, start_gateway
from tests.e2e.runs_helpers import create, scoped_key, stream
from tests.fakes.tool_handler import ToolHandlerServer

pytestmark = pytest.mark.e2e

HUGE = "417009711895360700416"  # past 64 bits


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, ToolHandlerServer]]:
    with ToolHandlerServer() as handler:
        gateway = start_gateway(
            tmp_path_factory.mktemp("scoping"), settings={"allow_private_network": True, **SHARED}
        )
        try:
            yield gateway, handler
        finally:
            gateway.stop()


def _shape(response: httpx.Response, hidden: str, stand_in: str) -> tuple[Any, ...]:
    """What a caller learns from an error answer (the id it asked about made uniform)."""
    err = response.json()["error"]
    message = err["message"].replace(hidden, "ID").replace(stand_in, "ID")
    return response.status_code, err["type"], err["code"], err["param"], message


@pytest.fixture(scope="module")
def objects(served: tuple[Gateway, ToolHandlerServer]) -> dict[str, Any]:
    """One object of each kind in the `test` environment, and a paused run."""
    gateway, handler = served
    with gateway.client() as c:
        ask = create(c, "tools", {"name": "ask", "type": "client"})
        agent = create(
            c,
            "agents",
            {
                "name": "asker",
                "model": "scripted",
                "tools": [ask["id"]],
                "model_options": {"script": [{"tool_calls": [{"name": "ask"}]}]},
            },
        )
        create(c, f"agents/{agent['id']}", {"description": "a second version"})
        paused = stream(
            c, "POST", "runs", json={"agent_id": agent["id"], "input": "x", "stream": True}
        )
        assert paused[-1][1] == "run.requires_action"
        memory = create(c, "memory_stores", {"name": "notes", "kv": {"scope": "project"}})
        assert c.put(f"memory_stores/{memory['id']}/kv/k1", json={"value": 1}).status_code == 200
        file = c.post("files", files={"file": ("kb.txt", b"refunds", "text/plain")})
        assert file.status_code == 200, file.text
        hook = create(
            c, "webhooks", {"name": "h", "url": handler.url("/hook"), "events": ["run.completed"]}
        )
        key = create(c, "keys", {"name": "k", "scopes": ["read"]})
    return {
        "agents": agent,
        "tools": ask,
        "memory_stores": memory,
        "files": file.json(),
        "webhooks": hook,
        "keys": key,
        "run": paused[0][2],
        "call_id": paused[-1][2]["required_action"]["tool_calls"][0]["id"],
    }


@pytest.mark.parametrize("scope", [("default", "live"), ("other", "test")])
def test_other_scopes_objects_are_answered_like_missing_ones(
    served: tuple[Gateway, ToolHandlerServer], objects: dict[str, Any], scope: tuple[str, str]
) -> None:
    gateway, _ = served
    headers = scoped_key(gateway, *scope)
    with httpx.Client(base_url=gateway.base_url + "/", headers=headers, timeout=30) as c:
        # Every list with a cursor: the other scope's id is a 400, as an id that never was.
        for path in ("agents", "tools", "memory_stores", "files", "webhooks", "keys"):
            real = objects[path]["id"]
            unknown = real.split("_", 1)[0] + "_doesnotexist0000000000"
            theirs = c.get(path, params={"starting_after": real})
            never = c.get(path, params={"starting_after": unknown})
            assert theirs.status_code == 400, (path, theirs.text)
            assert _shape(theirs, real, unknown) == _shape(never, real, unknown), path
            assert theirs.json()["error"]["param"] == "starting_after"
        run_id = objects["run"]["id"]
        unknown_run = "run_doesnotexist0000000000"
        theirs = c.get("runs", params={"starting_after": run_id})
        never = c.get("runs", params={"starting_after": unknown_run})
        assert theirs.status_code == 400 and theirs.json()["error"]["param"] == "starting_after"
        assert _shape(theirs, run_id, unknown_run) == _shape(never, run_id, unknown_run)

        # Every :id route of runs, traces, events, versions, KV and deliveries: a 404 alike.
        outputs = {"tool_outputs": [{"tool_call_id": objects["call_id"], "output": "x"}]}
        agent_id, unknown_agent = objects["agents"]["id"], "agt_doesnotexist0000000000"
        mem_id, unknown_mem = objects["memory_stores"]["id"], "mem_doesnotexist0000000000"
        hook_id, unknown_hook = objects["webhooks"]["id"], "whk_doesnotexist0000000000"
        for method, template, body, real, unknown in (
            ("GET", "runs/{}", None, run_id, unknown_run),
            ("GET", "runs/{}/events", None, run_id, unknown_run),
            ("GET", "traces/{}", None, run_id, unknown_run),
            ("POST", "runs/{}/cancel", None, run_id, unknown_run),
            ("POST", "runs/{}/submit_tool_outputs", outputs, run_id, unknown_run),
            ("GET", "agents/{}/versions", None, agent_id, unknown_agent),
            ("GET", "memory_stores/{}/kv", None, mem_id, unknown_mem),
            ("GET", "memory_stores/{}/kv/k1", None, mem_id, unknown_mem),
            ("GET", "webhooks/{}/deliveries", None, hook_id, unknown_hook),
        ):
            theirs = c.request(method, template.format(real), json=body)
            never = c.request(method, template.format(unknown), json=body)
            assert theirs.status_code == 404, (template, theirs.text)
            assert _shape(theirs, real, unknown) == _shape(never, real, unknown), template
    # Nothing happened to the paused run.
    with gateway.client() as c:
        assert c.get(f"runs/{run_id}").json()["status"] == "requires_action"


@pytest.mark.parametrize("value", [HUGE, "-1", "abc", "9223372036854775808"])
def test_out_of_range_integers_are_a_400_with_param(
    served: tuple[Gateway, ToolHandlerServer], objects: dict[str, Any], value: str
) -> None:
    gateway, _ = served
    agent_id, run_id = objects["agents"]["id"], objects["run"]["id"]
    with gateway.client() as c:
        versions = c.get(f"agents/{agent_id}/versions", params={"starting_after": value})
        assert versions.status_code == 400, versions.text
        assert versions.json()["error"]["param"] == "starting_after"
        after = c.get(f"runs/{run_id}/events", params={"after": value})
        assert after.status_code == 400, after.text
        assert after.headers["content-type"].startswith("application/json")
        assert after.json()["error"]["param"] == "after"
        last = c.get(f"runs/{run_id}/events", headers={"Last-Event-ID": value})
        assert last.status_code == 400, last.text
        assert last.json()["error"]["param"] == "Last-Event-ID"
    # The largest 64-bit value is a valid (empty) position.
    with gateway.client() as c:
        top = c.get(f"agents/{agent_id}/versions", params={"starting_after": 2**63 - 1})
        assert top.status_code == 200 and len(top.json()["data"]) == 2


def test_each_environment_has_its_own_concurrent_run_limit(tmp_path: Any) -> None:
    with ToolHandlerServer() as handler:
        gateway = start_gateway(
            tmp_path / "gw", settings={"allow_private_network": True, "max_concurrent_runs": 1, **SHARED}
        )
        live = scoped_key(gateway, "default", "live")
        try:
            clients = (
                gateway.client(),
                httpx.Client(base_url=gateway.base_url + "/", headers=live, timeout=30),
            )
            runs = []
            for c in clients:
                hang = create(
                    c,
                    "tools",
                    {"name": "hang", "type": "http", "handler_url": handler.url("/slow?s=30")},
                )
                agent = create(
                    c,
                    "agents",
                    {
                        "name": "busy",
                        "model": "scripted",
                        "tools": [hang["id"]],
                        "model_options": {"script": [{"tool_calls": [{"name": "hang"}]}]},
                    },
                )
                # `test` is at its limit when `live` starts: live has its own.
                first = c.post("runs", json={"agent_id": agent["id"], "input": "x"})
                assert first.status_code == 200, first.text
                runs.append((c, first.json()["id"]))
                second = c.post("runs", json={"agent_id": agent["id"], "input": "x"})
                assert (
                    second.status_code == 429 and second.json()["error"]["code"] == "too_many_runs"
                )
            for c, run_id in runs:
                assert c.get(f"runs/{run_id}").json()["status"] == "in_progress"
                assert c.post(f"runs/{run_id}/cancel").status_code == 200
                c.close()
        finally:
            gateway.stop()
