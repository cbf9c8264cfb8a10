"""A run opens sealed fields where they are used: headers in the tool call, instructions for the model."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from tests.engine.runs.conftest import SCOPE, Engine
from tests.fakes.tool_handler import ToolHandlerServer

from aiagentics.engine.sensitive import seal_fields


@pytest.fixture
def handler() -> Iterator[ToolHandlerServer]:
    with ToolHandlerServer() as server:
        yield server


async def test_sealed_fields_are_opened_only_where_used(
    engine: Engine, handler: ToolHandlerServer
) -> None:
    sealer = engine.service.sealer
    tool = await engine.tool("crm", "http", handler_url=handler.url("/echo"))
    res = await engine.store.get("tool", SCOPE, tool)
    data = {**res.data, "headers": {"X-Api-Key": "k3y-value"}}
    await engine.store.update("tool", SCOPE, tool, "crm", seal_fields(sealer, "Tool", data, None))
    agent = await engine.agent(
        tools=[tool],
        instructions="The code word is swordfish.",
        script=[{"tool_calls": [{"name": "crm", "arguments": {}}]}, {"content": "done"}],
    )
    stored = await engine.store.get("agent", SCOPE, agent)
    sealed = seal_fields(sealer, "Agent", dict(stored.data), None, ["instructions"])
    await engine.store.update("agent", SCOPE, agent, stored.name, sealed)

    run = await engine.run(agent, "go")
    assert run.status == "completed", run.state
    assert handler.requests[0]["headers"]["x-api-key"] == "k3y-value"
    assert run.state.messages[0] == {"role": "system", "content": "The code word is swordfish."}
    # The run's pinned copy of the tool keeps the header sealed.
    assert "k3y-value" not in json.dumps(run.agent)
