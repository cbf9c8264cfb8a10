"""MCP servers as tools: `type: mcp` Tools connect to an MCP server and offer its tools.

`McpServers` keeps one connection per Tool definition (stdio servers are processes it
starts on first use, keeps, restarts after they die and stops on shutdown, on a changed
definition or on delete); `McpExecutor` is the executor of the `mcp` tool type: it turns
one pinned Tool into the model's tool definitions (`tools/list`) and runs calls
(`tools/call`). The protocol is the official `mcp` SDK's.
"""

from __future__ import annotations

from aiagentics.engine.mcp.executor import McpExecutor
from aiagentics.engine.mcp.servers import McpServers, ServerUnavailable, server_config

__all__ = ["McpExecutor", "McpServers", "ServerUnavailable", "server_config"]
