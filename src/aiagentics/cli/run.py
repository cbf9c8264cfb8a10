"""`aia run AGENT INPUT`, `aia runs get ID`, `aia traces ID`: run agents and look at runs.

`aia run` shows the live stream: tokens as they come, tool calls as panels, a spinner
while waiting; on a terminal it asks for the outputs of client tools and resumes
the run; `--json` prints every event as one JSON line instead.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click
import httpx
from httpx_sse import connect_sse
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.tree import Tree

from aiagentics.cli.context import CliContext
from aiagentics.cli.serve import load_optional_project

STOP = ("run.requires_action", "run.completed", "run.failed", "run.cancelled")


def _connection(obj: CliContext) -> tuple[str, str]:
    from aiagentics.client import resolve_connection

    conn = resolve_connection(
        load_optional_project(obj.directory), obj.env, base_url=obj.base_url, api_key=obj.api_key
    )
    if not conn.api_key:
        raise click.ClickException(f"no API key: pass --api-key or set {conn.api_key_source}")
    return conn.base_url.rstrip("/") + "/", conn.api_key


def _api_get(obj: CliContext, path: str) -> dict[str, Any]:
    from aiagentics.client import ApiClient, ApiError

    base_url, key = _connection(obj)
    try:
        with ApiClient(base_url.rstrip("/"), key) as client:
            return client.get(path)
    except ApiError as exc:
        raise click.ClickException(str(exc)) from None


def _error_text(response: httpx.Response) -> str:
    response.read()
    try:
        err = response.json()["error"]
        where = f" ({err['param']})" if err.get("param") else ""
        return f"HTTP {response.status_code}: {err['message']}{where}"
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code}: {response.text[:300]}"


def _pretty(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)


class StreamView:
    """Renders run events for a person (Rich) or a program (JSON lines)."""

    def __init__(self, console: Console, as_json: bool) -> None:
        self.console = console
        self.as_json = as_json
        self.mid_line = False
        self.status: Any = None

    def waiting(self, message: str) -> None:
        """Show a spinner until the next event (only on a terminal)."""
        if self.as_json or not self.console.is_terminal:
            return
        self.stop_waiting()
        self.status = self.console.status(message, spinner="dots")
        self.status.start()

    def stop_waiting(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None

    def _end_line(self) -> None:
        if self.mid_line:
            self.console.print()
            self.mid_line = False

    def show(self, event_id: str, event: str, data: dict[str, Any]) -> None:
        """Render one event."""
        self.stop_waiting()
        if self.as_json:
            click.echo(
                json.dumps({"id": event_id, "event": event, "data": data}, ensure_ascii=False)
            )
            return
        if event == "run.created":
            self.console.print(f"[dim]run {data.get('id')} started[/dim]")
            self.waiting("thinking…")
        elif event == "token":
            self.console.print(data.get("delta", ""), end="", markup=False, highlight=False)
            self.mid_line = True
        elif event == "tool.requested":
            self._end_line()
            self.console.print(
                Panel(
                    _pretty(data.get("args")),
                    title=f"tool call: {data.get('tool')}",
                    title_align="left",
                    border_style="cyan",
                )
            )
            self.waiting(f"waiting for {data.get('tool')}…")
        elif event == "tool.completed":
            style = "red" if data.get("is_error") else "green"
            title = f"{data.get('tool')} → {'error' if data.get('is_error') else 'result'} ({data.get('latency_ms', 0):.0f} ms)"
            self.console.print(
                Panel(
                    _pretty(data.get("output")), title=title, title_align="left", border_style=style
                )
            )
            self.waiting("thinking…")
        elif event == "run.completed":
            self._end_line()
            usage = data.get("usage") or {}
            self.console.print(
                f"[dim]completed · {usage.get('input_tokens', 0)} in / {usage.get('output_tokens', 0)} out tokens[/dim]"
            )
        elif event == "run.failed":
            self._end_line()
            error = data.get("error") or {}
            self.console.print(
                f"[red]run failed ({error.get('code')}): {error.get('message')}[/red]"
            )
        elif event == "run.cancelled":
            self._end_line()
            self.console.print("[yellow]run cancelled[/yellow]")
        elif event == "run.requires_action":
            self._end_line()


def _follow(
    client: httpx.Client, view: StreamView, method: str, path: str, body: dict[str, Any]
) -> tuple[str, dict[str, Any], str | None]:
    """Stream one request's events; returns (last event, its data, run id)."""
    last, last_data, run_id = "", {}, None
    with connect_sse(client, method, path, json=body) as source:
        if source.response.status_code != 200:
            raise click.ClickException(_error_text(source.response))
        for sse in source.iter_sse():
            data = json.loads(sse.data) if sse.data else {}
            run_id = data.get("run_id", run_id)
            view.show(sse.id, sse.event, data)
            last, last_data = sse.event, data
            if sse.event in STOP:
                break
    return last, last_data, run_id


def _ask_outputs(console: Console, action: dict[str, Any]) -> list[dict[str, Any]]:
    outputs = []
    for call in action.get("tool_calls") or []:
        console.print(
            Panel(
                _pretty(call.get("arguments")),
                title=f"{call['name']} needs your answer",
                title_align="left",
                border_style="yellow",
            )
        )
        text = click.prompt(f"output of {call['name']}", default="", show_default=False)
        try:
            value: Any = json.loads(text)
        except ValueError:
            value = text
        outputs.append({"tool_call_id": call["id"], "output": value})
    return outputs


@click.command("run")
@click.argument("agent")
@click.argument("input_text", metavar="INPUT")
@click.option("--json", "as_json", is_flag=True, help="Print each event as a JSON line.")
@click.option("--metadata", "metadata", multiple=True, help="KEY=VALUE, repeatable.")
@click.pass_obj
def run_command(
    obj: CliContext, agent: str, input_text: str, as_json: bool, metadata: tuple[str, ...]
) -> None:
    """Start a run of AGENT (a name or agt_ id) on INPUT and show its live stream."""
    base_url, key = _connection(obj)
    body: dict[str, Any] = {"input": input_text, "stream": True}
    body["agent_id" if agent.startswith("agt_") else "agent"] = agent
    if metadata:
        pairs = [m.partition("=") for m in metadata]
        if any(not sep for _, sep, _ in pairs):
            raise click.BadParameter("use KEY=VALUE", param_hint="--metadata")
        body["metadata"] = {k: v for k, _, v in pairs}
    console = Console(highlight=False)
    view = StreamView(console, as_json)
    timeout = httpx.Timeout(30.0, read=None)  # the stream sends keep-alives; no read deadline
    headers = {"Authorization": f"Bearer {key}"}
    try:
        with httpx.Client(base_url=base_url, headers=headers, timeout=timeout) as client:
            last, data, run_id = _follow(client, view, "POST", "runs", body)
            while last == "run.requires_action":
                action = data.get("required_action") or {}
                if as_json or not sys.stdin.isatty():
                    if not as_json:
                        names = ", ".join(c["name"] for c in action.get("tool_calls") or [])
                        console.print(
                            f"[yellow]run {run_id} waits for tool outputs ({names}); "
                            f"POST /v1/runs/{run_id}/submit_tool_outputs to resume[/yellow]"
                        )
                    return
                outputs = _ask_outputs(console, action)
                view.waiting("thinking…")
                last, data, run_id = _follow(
                    client,
                    view,
                    "POST",
                    f"runs/{run_id}/submit_tool_outputs",
                    {"tool_outputs": outputs, "stream": True},
                )
    except httpx.HTTPError as exc:
        view.stop_waiting()
        raise click.ClickException(f"could not reach the gateway at {base_url}: {exc}") from None
    finally:
        view.stop_waiting()
    if last in ("run.failed", "run.cancelled"):
        sys.exit(1)


@click.group("runs")
def runs() -> None:
    """Look at runs."""


@runs.command("get")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print the run object as JSON.")
@click.pass_obj
def get_run(obj: CliContext, run_id: str, as_json: bool) -> None:
    """Show one run: status, agent, usage, output, what it waits for."""
    run = _api_get(obj, f"runs/{run_id}")
    if as_json:
        click.echo(json.dumps(run, indent=2, ensure_ascii=False))
        return
    render_run(Console(highlight=False), run)


def render_run(console: Console, run: dict[str, Any]) -> None:
    """A run as a table, then its output or error."""
    table = Table(show_header=False, box=None)
    usage = run.get("usage") or {}
    rows = [
        ("run", run["id"]),
        ("status", run["status"]),
        ("agent", f"{run.get('agent_id')} (version {run.get('agent_version')})"),
        ("model", str(run.get("model"))),
        ("tokens", f"{usage.get('input_tokens', 0)} in / {usage.get('output_tokens', 0)} out"),
        ("messages", str(len(run.get("messages") or []))),
    ]
    for name, value in rows:
        table.add_row(f"[bold]{name}[/bold]", value)
    console.print(table)
    if run.get("error"):
        console.print(f"[red]{run['error'].get('code')}: {run['error'].get('message')}[/red]")
    if run.get("required_action"):
        for call in run["required_action"].get("tool_calls") or []:
            console.print(
                f"[yellow]waits for {call['name']} ({call['id']})[/yellow] {json.dumps(call.get('arguments'))}"
            )
    if run.get("output") is not None:
        console.print(Panel(run["output"], title="output", title_align="left"))


@click.command("traces")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print the trace as JSON.")
@click.pass_obj
def traces(obj: CliContext, run_id: str, as_json: bool) -> None:
    """Show a run's trace as a tree with timings."""
    trace = _api_get(obj, f"traces/{run_id}")
    if as_json:
        click.echo(json.dumps(trace, indent=2, ensure_ascii=False))
        return
    Console(highlight=False).print(trace_tree(trace))


def _short(value: Any, width: int = 100) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def trace_tree(trace: dict[str, Any]) -> Tree:
    """The trace as a Rich tree: one branch per step with latency, tokens, input and output."""
    duration = trace.get("duration_ms")
    took = f" · {duration:.1f} ms" if isinstance(duration, int | float) else ""
    tree = Tree(f"[bold]{trace['id']}[/bold] run {trace['run_id']} · {trace.get('status')}{took}")
    for n, step in enumerate(trace.get("steps") or [], start=1):
        latency = f"{step.get('latency_ms', 0):.1f} ms"
        if step["type"] == "model":
            tokens = step.get("tokens") or {}
            branch = tree.add(
                f"[cyan]{n}. model[/cyan] {step.get('name')} · {latency} · {tokens.get('input', 0)} in / {tokens.get('output', 0)} out tokens"
            )
            output = step.get("output") or {}
            if output.get("content"):
                branch.add(f"answer: {_short(output['content'])}")
            for call in output.get("tool_calls") or []:
                branch.add(f"calls {call['name']}({_short(call.get('arguments'), 60)})")
        else:
            style = "red" if step.get("is_error") else "green"
            branch = tree.add(f"[{style}]{n}. tool[/{style}] {step.get('name')} · {latency}")
            branch.add(f"input: {_short(step.get('input'))}")
            branch.add(f"output: {_short(step.get('output'))}")
    return tree


__all__ = ["StreamView", "render_run", "trace_tree"]
