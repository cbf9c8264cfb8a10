"""`aia tools inspect NAME`: start a project's `mcp` Tool and show the tools it offers."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import click
from rich.console import Console

from aiagentics.cli.commands.validate import compile_for_cli
from aiagentics.cli.context import CliContext
from aiagentics.cli.views.diagnostics import render_diagnostics


@click.group("tools")
def tools() -> None:
    """Look at the project's Tools."""


@tools.command("inspect")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="The offered tools as JSON.")
@click.pass_obj
def inspect(ctx: CliContext, name: str, as_json: bool) -> None:
    """Start the MCP server of Tool NAME (from the files) and print the tools it offers."""
    result, root = compile_for_cli(ctx)
    if result.state is None:
        render_diagnostics(result.diagnostics, Console(stderr=True), root)
        raise click.ClickException("the project has errors; see above")
    resource = result.state.by_address.get(f"Tool/{name}")
    if resource is None:
        raise click.ClickException(f"no Tool named {name!r} in the project")
    if resource.body.get("type") != "mcp":
        raise click.ClickException(f"Tool {name!r} is of type {resource.body.get('type')}, not mcp")
    try:
        offered = asyncio.run(_offered(resource.body))
    except Exception as exc:  # ServerUnavailable, or a listing that failed
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(offered, indent=2))
        return
    out = Console(highlight=False, soft_wrap=True)
    out.print(f"Tool {name}: {len(offered)} tool(s) offered to the model")
    for tool in offered:
        out.print(f"\n[bold]{tool['name']}[/bold]  {tool['description']}")
        out.print(json.dumps(tool["parameters"], indent=2), markup=False)


async def _offered(body: dict[str, Any]) -> list[dict[str, Any]]:
    from aiagentics.engine.mcp import McpServers, server_config
    from aiagentics.engine.mcp.executor import model_name

    # The failure is the command's error message: not printed a second time by the log.
    logging.getLogger("aiagentics.mcp").setLevel(logging.ERROR)
    # This machine's own command line: loopback and private servers are the user's own.
    servers = McpServers(allow_private_network=True)
    try:
        connection = await servers.connection(server_config({**body, "id": body["name"]}))
        listed = await connection.list_tools()
    finally:
        await servers.stop()
    allowed = body.get("tools")
    prefix = str(body.get("prefix") or "")
    return [
        {
            "name": model_name(prefix, t.name),
            "mcp_tool": t.name,
            "description": t.description or "",
            "parameters": t.input_schema,
        }
        for t in listed
        if allowed is None or t.name in allowed
    ]
