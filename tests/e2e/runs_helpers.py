"""Shared pieces of the run e2e tests: a gateway wired to fake providers and a tool handler."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import connect_sse
from tests.e2e.conftest import SHARED, Gateway, start_gateway
from tests.fakes.provider_server import FakeProviderServer
from tests.fakes.tool_handler import ToolHandlerServer

from aiagentics.engine.keys import make_key
from aiagentics.storage.sqlite.db import Database
from aiagentics.storage.sqlite.definitions import SQLiteStore

LIMIT_SCHEMA = {
    "type": "object",
    "properties": {"limit": {"type": "integer"}},
    "required": ["limit"],
}


@dataclass
class RunWorld:
    """A gateway plus what it talks to."""

    gateway: Gateway
    handler: ToolHandlerServer
    openai: FakeProviderServer
    anthropic: FakeProviderServer

    def client(self) -> httpx.Client:
        return self.gateway.client()


def provider_config(openai: FakeProviderServer, anthropic: FakeProviderServer) -> str:
    """[models]/[providers] tables pointing at the fakes."""
    return (
        "\n[models]\n"
        'fast = "fakeai/gpt-fake"\n'
        "\n[providers.fakeai]\n"
        f'base_url = "{openai.base_url}"\n'
        'api_key_env = "FAKEAI_KEY"\n'
        "\n[providers.fakeclaude]\n"
        f'base_url = "http://127.0.0.1:{anthropic.port}"\n'
        'api_key_env = "FAKECLAUDE_KEY"\n'
        'api = "anthropic"\n'
    )


def start_world(directory: Path) -> Iterator[RunWorld]:
    """Start the fakes, the handler and a gateway allowed to call loopback."""
    with (
        ToolHandlerServer() as handler,
        FakeProviderServer("openai") as openai,
        FakeProviderServer("anthropic") as anthropic,
    ):
        gateway = start_gateway(
            directory,
            settings={"allow_private_network": True, **SHARED},
            env={"FAKEAI_KEY": "sk-fake-openai", "FAKECLAUDE_KEY": "sk-fake-claude"},
            config_extra=provider_config(openai, anthropic),
        )
        try:
            yield RunWorld(gateway, handler, openai, anthropic)
        finally:
            gateway.stop()


def create(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST a resource and return it (asserting success)."""
    response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def stream(
    client: httpx.Client, method: str, path: str, **kwargs: Any
) -> list[tuple[str, str, dict[str, Any]]]:
    """Read an SSE response to its end: [(id, event, data)]."""
    out = []
    with connect_sse(client, method, path, **kwargs) as source:
        assert source.response.status_code == 200, source.response.read()
        for sse in source.iter_sse():
            out.append((sse.id, sse.event, json.loads(sse.data)))
    return out


def scoped_key(gateway: Gateway, project: str, environment: str) -> dict[str, str]:
    """Headers of a new admin key of another project or environment (keys only ever make
    keys of their own scope, so it is written into the gateway's database directly)."""
    record, secret = make_key(project=project, environment=environment, name="x", scopes=["admin"])
    db = Database(gateway.database)
    try:
        asyncio.run(SQLiteStore(db).create_key(record))
    finally:
        db.close()
    return {"Authorization": f"Bearer {secret}"}
