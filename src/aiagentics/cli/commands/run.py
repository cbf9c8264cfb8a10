"""`aia run AGENT INPUT` and `aia traces ID`: run agents and look at their traces.

`aia run` shows the live stream: tokens as they come, tool calls as panels, a spinner
while waiting; on a terminal it asks for the outputs of client tools and resumes
the run; `--json` prints every event as one JSON line instead. A dropped
connection is resumed from the last event seen, so no event is lost or repeated.
"""

from __future__ import annotations

import json
import sys
import uuid
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from aiagentics.cli._session import EXIT_FAILED, api_errors, connect_optional_project
from aiagentics.cli.context import CliContext
from aiagentics.cli.views.json import echo_json
from aiagentics.cli.views.runs import StreamView, trace_tree
from aiagentics.wire.events import RUN_CANCELLED, RUN_FAILED, RUN_REQUIRES_ACTION, RunEvent

if TYPE_CHECKING:
    from aiagentics.client import ApiClient, RunStream


def _show(stream: RunStream, view: StreamView) -> RunEvent | None:
    """Render every event of a stream; returns its last one."""
    last = None
    for event in stream:
        view.show(event)
        last = event
    return last


def _ask_outputs(view: StreamView, action: dict[str, Any]) -> list[dict[str, Any]]:
    outputs = []
    for call in action.get("tool_calls") or []:
        view.needs_answer(call)
        text = click.prompt(f"output of {call['name']}", default="", show_default=False)
        try:
            value: Any = json.loads(text)
        except ValueError:
            value = text
        outputs.append({"tool_call_id": call["id"], "output": value})
    return outputs


EXIT_PAUSED = 3  # documented: the run waits for client tool outputs nobody here can give


def follow(client: ApiClient, stream: RunStream, view: StreamView) -> None:
    """Show a run to its end, answering pauses on a terminal; exits 3 on a pause nobody can
    answer here and 1 on a failed or cancelled run."""
    try:
        last = _show(stream, view)
        while last is not None and last.event == RUN_REQUIRES_ACTION:
            action = last.data.get("required_action") or {}
            if view.as_json or not sys.stdin.isatty():
                view.waits_for_outputs(stream.run_id, action)
                sys.exit(EXIT_PAUSED)
            outputs = _ask_outputs(view, action)
            view.waiting("thinking…")
            stream = client.stream_tool_outputs(str(stream.run_id), outputs)
            last = _show(stream, view)
    finally:
        view.stop_waiting()
    if last is not None and last.event in (RUN_FAILED, RUN_CANCELLED):
        sys.exit(EXIT_FAILED)


@click.command("run")
@click.argument("agent")
@click.argument("input_text", metavar="INPUT")
@click.option("--json", "as_json", is_flag=True, help="Print each event as a JSON line.")
@click.option("--metadata", "metadata", multiple=True, help="KEY=VALUE, repeatable.")
@click.option(
    "--no-wait",
    "--detach",
    "no_wait",
    is_flag=True,
    help="Start the run, print its id and return at once (`aia runs get ID` later).",
)
@click.pass_obj
def run_command(
    obj: CliContext,
    agent: str,
    input_text: str,
    as_json: bool,
    metadata: tuple[str, ...],
    no_wait: bool,
) -> None:
    """Start a run of AGENT (a name or agt_ id) on INPUT and show its live stream."""
    body: dict[str, Any] = {"input": input_text}
    body["agent_id" if agent.startswith("agt_") else "agent"] = agent
    if metadata:
        pairs = [m.partition("=") for m in metadata]
        if any(not sep for _, sep, _ in pairs):
            raise click.BadParameter("use KEY=VALUE", param_hint="--metadata")
        body["metadata"] = {k: v for k, _, v in pairs}
    view = StreamView(Console(highlight=False, markup=False), as_json)
    with api_errors(), connect_optional_project(obj) as client:
        if no_wait:
            run = client.create("runs", body, idempotency_key=str(uuid.uuid4()))
            if as_json:
                echo_json(run)
            else:
                click.echo(run["id"])
            return
        follow(client, client.stream_run(body), view)


@click.command("traces")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print the trace as JSON.")
@click.pass_obj
def traces(obj: CliContext, run_id: str, as_json: bool) -> None:
    """Show a run's trace as a tree with timings."""
    with api_errors(), connect_optional_project(obj) as client:
        if as_json:
            echo_json(client.get(f"traces/{run_id}"))
            return
        trace = client.get_trace(run_id)
    Console(highlight=False, markup=False).print(trace_tree(trace))
