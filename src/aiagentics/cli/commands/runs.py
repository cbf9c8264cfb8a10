"""`aia runs list|get|cancel|submit`: look at runs, stop one, answer a paused one."""

from __future__ import annotations

import json
import time
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from aiagentics.cli._session import api_errors, connect_optional_project
from aiagentics.cli.commands.run import follow
from aiagentics.cli.context import CliContext
from aiagentics.cli.views.json import echo_json
from aiagentics.cli.views.runs import StreamView, render_run
from aiagentics.wire.runs import RUN_STATUSES


@click.group("runs")
def runs() -> None:
    """List and show runs, cancel one, answer a paused one."""


@runs.command("list")
@click.option("--agent-id", default=None, help="Only the runs of this agt_ id.")
@click.option("--status", type=click.Choice(RUN_STATUSES), default=None, help="Only this status.")
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
@click.pass_obj
def list_runs(
    obj: CliContext, agent_id: str | None, status: str | None, limit: int, as_json: bool
) -> None:
    """List runs, newest first: id, agent, status, tokens, when."""
    params: dict[str, Any] = {"limit": limit}
    if agent_id:
        params["agent_id"] = agent_id
    if status:
        params["status"] = status
    with api_errors(), connect_optional_project(obj) as client:
        items = client.get("runs", params)["data"]
    if as_json:
        echo_json(items)
        return
    table = Table("id", "agent", "status", "tokens", "created (UTC)", box=None)
    for run in items:
        usage = run.get("usage") or {}
        table.add_row(
            Text(run["id"]),
            Text(f"{run['agent_id']} v{run['agent_version']}"),
            Text(run["status"]),
            Text(f"{usage.get('input_tokens', 0)}/{usage.get('output_tokens', 0)}"),
            Text(time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(run["created_at"]))),
        )
    Console(highlight=False, markup=False, width=160).print(table)
    if not items:
        click.echo("no runs", err=True)


@runs.command("get")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print the run object as JSON.")
@click.pass_obj
def get_run(obj: CliContext, run_id: str, as_json: bool) -> None:
    """Show one run: status, agent, usage, output, what it waits for."""
    with api_errors(), connect_optional_project(obj) as client:
        # JSON shows the object as the gateway sent it, fields this client does not know included.
        if as_json:
            echo_json(client.get(f"runs/{run_id}"))
            return
        run = client.get_run(run_id)
    render_run(Console(highlight=False, markup=False), run)


@runs.command("cancel")
@click.argument("run_id")
@click.pass_obj
def cancel_run(obj: CliContext, run_id: str) -> None:
    """Stop an in-flight or paused run; its pending tool calls are aborted."""
    with api_errors(), connect_optional_project(obj) as client:
        run = client.create(f"runs/{run_id}/cancel", {})
    click.echo(f"{run['id']}: {run['status']}")


@runs.command("submit")
@click.argument("run_id")
@click.option(
    "--output",
    "outputs",
    multiple=True,
    required=True,
    metavar="CALL_ID=VALUE",
    help="The output of one tool call (JSON, else text); repeat for each call.",
)
@click.option("--json", "as_json", is_flag=True, help="Print each event as a JSON line.")
@click.pass_obj
def submit(obj: CliContext, run_id: str, outputs: tuple[str, ...], as_json: bool) -> None:
    """Answer a paused run's tool calls and show it going on, as `aia run` does."""
    body = []
    for item in outputs:
        call_id, sep, text = item.partition("=")
        if not sep or not call_id:
            raise click.BadParameter(f"{item!r}: use CALL_ID=VALUE", param_hint="--output")
        try:
            value: Any = json.loads(text)
        except ValueError:
            value = text
        body.append({"tool_call_id": call_id, "output": value})
    view = StreamView(Console(highlight=False, markup=False), as_json)
    with api_errors(), connect_optional_project(obj) as client:
        follow(client, client.stream_tool_outputs(run_id, body), view)
