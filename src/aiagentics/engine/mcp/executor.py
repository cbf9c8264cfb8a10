"""The `mcp` tool type: one pinned Tool becomes the model's tools; a call is `tools/call`.

`offered(tool)` lists the server's tools (after the Tool's `tools` allow-list) as tool
definitions named `prefix + name`, with the server's descriptions and input schemas; each
carries what the call needs (`mcp_tool`, the server's name, and the pinned Tool). A
server that cannot be listed still offers the allow-listed names (or one tool named
after the Tool), so that the model's call gets the error instead of an unknown tool.

A call's outcome is always a `ToolResult`: the structured content (else the text) of
the result; a tool error (`isError`), a server error, a timeout or a failed start is an
error result the model sees, with a clear message, and the run goes on.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from aiagentics.engine.mcp.servers import McpServers, ServerUnavailable, server_config
from aiagentics.engine.sensitive import reveal
from aiagentics.engine.tools.base import ToolCall, ToolContext, ToolResult

if TYPE_CHECKING:
    from mcp_types import CallToolResult

log = logging.getLogger("aiagentics.mcp")

MCP_TOOL_KEY = "mcp_tool"  # in an offered definition: the server's own name of the tool
SERVER_KEY = "mcp_server"  # the pinned Tool definition the offered tool comes from
_MODEL_NAME = re.compile(r"[^A-Za-z0-9_-]")
_MAX_TEXT = 100_000


def model_name(prefix: str, name: str) -> str:
    """The name a model provider accepts (^[A-Za-z0-9_-]{1,64}$) for `prefix + name`."""
    return _MODEL_NAME.sub("_", prefix + name)[:64]


class McpExecutor:
    """Executor of `mcp` tools, over the gateway's `McpServers`."""

    deferred = False

    def __init__(self, servers: McpServers, sealer: Any = None) -> None:
        self.servers = servers
        self.sealer = sealer  # opens the sealed fields (command, env, url, headers)

    def _config(self, tool: dict[str, Any]) -> Any:
        opened = reveal(self.sealer, tool) if self.sealer is not None else tool
        return server_config(opened)

    async def offered(self, tool: dict[str, Any]) -> list[dict[str, Any]]:
        """The model's tool definitions of one pinned `mcp` Tool."""
        allowed = tool.get("tools")
        prefix = str(tool.get("prefix") or "")
        try:
            connection = await self.servers.connection(self._config(tool))
            listed = await connection.list_tools()
        except Exception as exc:  # the server is down: offer names whose call reports it
            why = str(exc) if isinstance(exc, ServerUnavailable) else type(exc).__name__
            names = list(allowed) if allowed else [str(tool.get("name"))]
            return [self._definition(tool, prefix, n, f"(unavailable: {why})", None) for n in names]
        out = []
        for item in listed:
            if allowed is not None and item.name not in allowed:
                continue
            out.append(
                self._definition(tool, prefix, item.name, item.description, item.input_schema)
            )
        return out

    @staticmethod
    def _definition(
        tool: dict[str, Any], prefix: str, name: str, description: str | None, schema: Any
    ) -> dict[str, Any]:
        parameters = schema if isinstance(schema, dict) else {"type": "object"}
        return {
            "name": model_name(prefix, name),
            "type": "mcp",
            "description": description or str(tool.get("description") or ""),
            "parameters": {**parameters, "type": "object"},
            MCP_TOOL_KEY: name,
            SERVER_KEY: tool,
        }

    async def execute(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        """`tools/call` on the server; every failure is an error result for the model."""
        offered = call.tool or {}
        tool = offered.get(SERVER_KEY) or offered
        name = str(offered.get(MCP_TOOL_KEY) or call.name)
        config = self._config(tool)
        timeout = config.timeout
        connection = await self.servers.connection(config)
        from mcp import MCPError

        try:
            result = await connection.call(name, call.arguments, timeout)
        except ServerUnavailable as exc:
            return ToolResult.error(str(exc))
        except TimeoutError:
            connection.broken()  # its answer would come to nobody: start afresh
            return ToolResult.error(
                f"the MCP server of tool {config.name!r} did not answer {name!r} within {timeout:g} s"
            )
        except MCPError as exc:
            if exc.code == -32000:  # CONNECTION_CLOSED: the server went away
                connection.broken()
                return ToolResult.error(
                    f"the MCP server of tool {config.name!r} closed the connection during"
                    f" {name!r} (it will be restarted on the next call)"
                )
            return ToolResult.error(f"the MCP server refused {name!r}: {exc.message}")
        except Exception as exc:  # the transport broke (the process died, the stream ended)
            log.warning("MCP call %s of tool %r failed: %r", name, config.name, exc)
            connection.broken()
            return ToolResult.error(
                f"the MCP server of tool {config.name!r} failed during {name!r}:"
                f" {type(exc).__name__} (it will be restarted on the next call)"
            )
        return _result(result)


def _result(result: CallToolResult) -> ToolResult:
    texts: list[str] = []
    for block in result.content:
        kind = getattr(block, "type", "")
        if kind == "text":
            texts.append(str(getattr(block, "text", "")))
        elif kind in ("image", "audio"):
            texts.append(f"[{kind} {getattr(block, 'mime_type', '')}]")
        elif kind == "resource_link":
            texts.append(f"[resource {getattr(block, 'uri', '')}]")
        elif kind == "resource":
            inner = getattr(block, "resource", None)
            texts.append(
                str(getattr(inner, "text", None) or f"[resource {getattr(inner, 'uri', '')}]")
            )
    text = "\n".join(texts)[:_MAX_TEXT]
    if result.is_error:
        return ToolResult.error(text or "the MCP tool reported an error")
    if result.structured_content is not None:
        return ToolResult(result.structured_content)
    return ToolResult(text)
