"""The `mcp` executor and its servers, against real server processes (the SDK's MCPServer)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from aiagentics.engine.mcp import McpExecutor, McpServers
from aiagentics.engine.tools.base import ToolCall, ToolRegistry, check_arguments

ROOT = Path(__file__).resolve().parents[3]
FAKE = {
    "id": "tool_fake00000001",
    "name": "fake",
    "type": "mcp",
    "command": [sys.executable, "-m", "tests.fakes.mcp_server"],
    "env": {"PYTHONPATH": str(ROOT), "FAKE_MCP_TOKEN": "tok-1"},
    "prefix": "f_",
    "timeout_seconds": 10,
}


async def call(executor: McpExecutor, offered: list[dict[str, Any]], name: str, **args: Any):
    (tool,) = [t for t in offered if t["name"] == name]
    import json

    c = ToolCall("call_1", name, json.dumps(args), tool)
    assert check_arguments(c) is None
    return await executor.execute(c, None)  # type: ignore[arg-type]


async def test_offered_tools_follow_the_allow_list_and_prefix() -> None:
    servers = McpServers()
    registry = ToolRegistry()
    registry.register("mcp", McpExecutor(servers))
    try:
        offered = await registry.offered([{**FAKE, "tools": ["echo", "slow"]}])
        assert [t["name"] for t in offered] == ["f_echo", "f_slow"]
        echo = offered[0]
        assert echo["description"] == "Answer the text given."
        assert echo["parameters"]["required"] == ["text"]
        assert echo["mcp_tool"] == "echo"
    finally:
        await servers.stop()
    assert servers.running() == []


async def test_a_server_is_kept_then_restarted_on_a_changed_definition() -> None:
    servers = McpServers()
    executor = McpExecutor(servers)
    try:
        offered = await executor.offered(FAKE)
        assert (await call(executor, offered, "f_whoami")).output == {"result": "tok-1"}
        first = await servers.connection(executor._config(FAKE))
        assert first.starts == 1
        await call(executor, offered, "f_echo", text="again")
        assert first.starts == 1  # the same process answered
        changed = {**FAKE, "env": {**FAKE["env"], "FAKE_MCP_TOKEN": "tok-2"}}
        offered = await executor.offered(changed)
        assert not first.running  # the old definition's server was stopped
        assert (await call(executor, offered, "f_whoami")).output == {"result": "tok-2"}
    finally:
        await servers.stop()


async def test_a_timeout_is_a_tool_error_and_the_server_comes_back() -> None:
    servers = McpServers()
    executor = McpExecutor(servers)
    tool = {**FAKE, "timeout_seconds": 1}
    try:
        offered = await executor.offered(tool)
        result = await call(executor, offered, "f_slow", seconds=5)
        assert result.is_error and "did not answer 'slow' within 1 s" in result.output["error"]
        assert (await call(executor, offered, "f_echo", text="x")).output == {"result": "echo: x"}
    finally:
        await servers.stop()


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/mcp", "http://169.254.169.254/mcp"])
async def test_streamable_http_goes_through_the_outbound_guard(url: str) -> None:
    servers = McpServers(allow_private_network=False)
    executor = McpExecutor(servers)
    tool = {"id": "tool_remote000001", "name": "remote", "type": "mcp",
            "transport": "streamable_http", "url": url, "tools": ["echo"]}  # fmt: skip
    offered = await executor.offered(tool)
    assert "unavailable" in offered[0]["description"]
    result = await call(executor, offered, "echo", text="x")
    assert result.is_error and "refused" in result.output["error"]
    await servers.stop()
