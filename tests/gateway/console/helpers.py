"""A real gateway on loopback with an agent to look at, for the console's tests."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from tests.fakes.gateway_server import ADMIN_KEY, GatewayServer

from aiagentics.gateway.settings import GatewaySettings

ARGS_SCHEMA = {
    "type": "object",
    "properties": {"order_id": {"type": "string"}, "amount": {"type": "integer"}},
    "required": ["order_id"],
}


@dataclass
class ConsoleWorld:
    """The gateway, its admin API client, and a few objects made through /v1."""

    gateway: GatewayServer
    api: httpx.Client
    agent: dict[str, Any]
    client_agent: dict[str, Any]
    tool: dict[str, Any]

    @property
    def url(self) -> str:
        return self.gateway.url

    def new_key(self, scopes: list[str]) -> dict[str, Any]:
        """A new key of the test environment with these scopes (with its `secret`)."""
        r = self.api.post("/v1/keys", json={"name": "console", "scopes": scopes})
        assert r.status_code == 200, r.text
        return r.json()

    def key(self, scopes: list[str]) -> str:
        """The secret of a new key with these scopes."""
        return str(self.new_key(scopes)["secret"])

    def run(self, agent: dict[str, Any], text: str = "hi") -> dict[str, Any]:
        """A finished (or paused) run of `agent`."""
        r = self.api.post("/v1/runs", json={"agent_id": agent["id"], "input": text})
        assert r.status_code == 200, r.text
        run_id = r.json()["id"]
        deadline = time.monotonic() + 20
        while True:
            run = self.api.get(f"/v1/runs/{run_id}").json()
            if run["status"] not in ("queued", "in_progress") or time.monotonic() > deadline:
                return run
            time.sleep(0.05)


def unique(prefix: str) -> str:
    return f"{prefix}-{time.monotonic_ns() % 10**9}"


def start_console_world(directory: Path) -> ConsoleWorld:
    """Start a gateway and declare: an http-less scripted agent whose answer has markup, and
    an agent that calls a client tool."""
    gateway = GatewayServer(
        # shared: tests write keys of other scopes into the file directly
        GatewaySettings(database=str(directory / "console.db"), shared_database=True)
    ).start()
    api = gateway.client()
    tool = api.post(
        "/v1/tools", json={"name": unique("approve"), "type": "client", "parameters": ARGS_SCHEMA}
    ).json()
    agent = api.post(
        "/v1/agents",
        json={
            "name": unique("support"),
            "model": "scripted",
            "instructions": "Answer <b>briefly</b>.",
            "model_options": {
                "script": [{"content": "<script>window.pwned=1</script> all good & done"}]
            },
        },
    ).json()
    client_agent = api.post(
        "/v1/agents",
        json={
            "name": unique("refunds"),
            "model": "scripted",
            "tools": [tool["id"]],
            "model_options": {
                "script": [
                    {
                        "tool_calls": [
                            {"name": tool["name"], "arguments": {"order_id": "A-1", "amount": 5}}
                        ]
                    },
                    {"content": "Refund approved."},
                ]
            },
        },
    ).json()
    assert "id" in agent and "id" in client_agent, (agent, client_agent)
    return ConsoleWorld(gateway, api, agent, client_agent, tool)


def signed_in(world: ConsoleWorld, secret: str = ADMIN_KEY) -> httpx.Client:
    """A browser-like client holding a console session for `secret`."""
    browser = httpx.Client(base_url=world.url, timeout=30)
    r = browser.post("/console/login", data={"key": secret}, headers={"Origin": world.url})
    assert r.status_code == 303 and r.headers["location"] == "/console/agents", r.text
    return browser


def csrf_of(html: str) -> str:
    """The CSRF nonce a page carries."""
    marker = '<meta name="csrf-token" content="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]
