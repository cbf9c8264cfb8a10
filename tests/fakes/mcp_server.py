"""An MCP server built with the `mcp` SDK's MCPServer (FastMCP), for tests and the bench.

Run as `python -m tests.fakes.mcp_server stdio` or `... http PORT` (streamable HTTP on
127.0.0.1:PORT/mcp). Tools: `echo(text)`; `whoami()` (the request's Authorization header
over HTTP, else the `FAKE_MCP_TOKEN` environment variable); `fail()` (a tool error);
`slow(seconds)`; `crash()` (the process exits mid-call).
"""

from __future__ import annotations

import asyncio
import os
import sys

from mcp.server.mcpserver import Context, MCPServer

server = MCPServer("aiagentics-test")


@server.tool()
def echo(text: str) -> str:
    """Answer the text given."""
    return f"echo: {text}"


@server.tool()
def whoami(ctx: Context) -> str:
    """The credential this server was given (to show what the gateway sent)."""
    request = getattr(ctx.request_context, "request", None)
    header = request.headers.get("authorization") if request is not None else None
    return header or os.environ.get("FAKE_MCP_TOKEN", "")


@server.tool()
def fail() -> str:
    """Always fails."""
    raise ValueError("this tool always fails")


@server.tool()
async def slow(seconds: float) -> str:
    """Answer after `seconds`."""
    await asyncio.sleep(seconds)
    return "slept"


@server.tool()
def crash() -> str:
    """The server process dies in the middle of the call."""
    sys.stderr.write("crashing on purpose\n")
    sys.stderr.flush()
    os._exit(3)


def main() -> None:
    if sys.argv[1:2] == ["http"]:
        server.run(
            transport="streamable-http",
            host="127.0.0.1",
            port=int(sys.argv[2]),
            stateless_http=True,
        )
    else:
        server.run()


if __name__ == "__main__":
    main()
