"""Views of runs: the live stream, a run, its trace (Rich for people, JSON lines for programs)."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.console import Console
from rich.panel import Panel
from rich.status import Status
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from aiagentics.cli.views.json import to_json
from aiagentics.wire.events import (
    RUN_CANCELLED,
    RUN_COMPLETED,
    RUN_CREATED,
    RUN_FAILED,
    RUN_REQUIRES_ACTION,
    TOKEN,
    TOOL_COMPLETED,
    TOOL_REQUESTED,
    RunEvent,
)
from aiagentics.wire.runs import Run
from aiagentics.wire.traces import ModelStep, Trace


def pretty(value: Any) -> str:
    """Text as is; anything else as indented JSON."""
    return value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)


class StreamView:
    """Renders run events for a person (Rich) or a program (JSON lines)."""

    def __init__(self, console: Console, as_json: bool) -> None:
        self.console = console
        self.as_json = as_json
        self.mid_line = False
        self.status: Status | None = None

    def waiting(self, message: str) -> None:
        """Show a spinner until the next event (only on a terminal)."""
        if self.as_json or not self.console.is_terminal:
            return
        self.stop_waiting()
        self.status = self.console.status(message, spinner="dots")
        self.status.start()

    def stop_waiting(self) -> None:
        """Remove the spinner, if any."""
        if self.status is not None:
            self.status.stop()
            self.status = None

    def _end_line(self) -> None:
        if self.mid_line:
            self.console.print()
            self.mid_line = False

    def show(self, event: RunEvent) -> None:
        """Render one event."""
        self.stop_waiting()
        if self.as_json:
            click.echo(to_json(event, indent=None))
            return
        data = event.data
        name = event.event
        if name == RUN_CREATED:
            self.console.print(Text(f"run {data.get('id')} started", style="dim"))
            self.waiting("thinking…")
        elif name == TOKEN:
            self.console.print(data.get("delta", ""), end="", markup=False, highlight=False)
            self.mid_line = True
        elif name == TOOL_REQUESTED:
            self._end_line()
            self.console.print(
                Panel(
                    Text(pretty(data.get("args"))),
                    title=Text(f"tool call: {data.get('tool')}"),
                    title_align="left",
                    border_style="cyan",
                )
            )
            self.waiting(f"waiting for {data.get('tool')}…")
        elif name == TOOL_COMPLETED:
            failed = bool(data.get("is_error"))
            took = f"{data.get('latency_ms', 0):.0f} ms"
            title = f"{data.get('tool')} → {'error' if failed else 'result'} ({took})"
            self.console.print(
                Panel(
                    Text(pretty(data.get("output"))),
                    title=Text(title),
                    title_align="left",
                    border_style="red" if failed else "green",
                )
            )
            self.waiting("thinking…")
        elif name == RUN_COMPLETED:
            self._end_line()
            usage = data.get("usage") or {}
            self.console.print(
                Text(
                    f"completed · {usage.get('input_tokens', 0)} in / "
                    f"{usage.get('output_tokens', 0)} out tokens",
                    style="dim",
                )
            )
        elif name == RUN_FAILED:
            self._end_line()
            error = data.get("error") or {}
            self.console.print(
                Text(f"run failed ({error.get('code')}): {error.get('message')}", style="red")
            )
        elif name == RUN_CANCELLED:
            self._end_line()
            self.console.print(Text("run cancelled", style="yellow"))
        elif name == RUN_REQUIRES_ACTION:
            self._end_line()

    def needs_answer(self, call: dict[str, Any]) -> None:
        """A client tool call the person is asked to answer."""
        self.console.print(
            Panel(
                Text(pretty(call.get("arguments"))),
                title=Text(f"{call['name']} needs your answer"),
                title_align="left",
                border_style="yellow",
            )
        )

    def waits_for_outputs(self, run_id: str | None, action: dict[str, Any]) -> None:
        """How to resume a paused run when nobody can be asked here (on stderr, also under
        --json, whose stdout carries only events)."""
        calls = action.get("tool_calls") or []
        names = ", ".join(c["name"] for c in calls)
        outputs = " ".join(f"--output {c['id']}=VALUE" for c in calls)
        err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)
        err.print(Text(f"run {run_id} waits for tool outputs ({names})", style="yellow"))
        err.print(f"hint: resume it with `aia runs submit {run_id} {outputs}`")


def render_run(console: Console, run: Run) -> None:
    """A run as a table, then its output or error."""
    table = Table(show_header=False, box=None)
    usage = run.usage
    rows = [
        ("run", run.id),
        ("status", run.status),
        ("agent", f"{run.agent_id} (version {run.agent_version})"),
        ("model", str(run.model)),
        ("tokens", f"{usage.get('input_tokens', 0)} in / {usage.get('output_tokens', 0)} out"),
        ("messages", str(len(run.messages))),
    ]
    for name, value in rows:
        table.add_row(Text(name, style="bold"), Text(value))
    console.print(table)
    if run.error:
        console.print(Text(f"{run.error.get('code')}: {run.error.get('message')}", style="red"))
    if run.required_action:
        for call in run.required_action.get("tool_calls") or []:
            line = Text(f"waits for {call['name']} ({call['id']})", style="yellow")
            console.print(line.append(f" {json.dumps(call.get('arguments'))}", style=""))
    if run.output is not None:
        console.print(Panel(Text(pretty(run.output)), title="output", title_align="left"))


def _short(value: Any, width: int = 100) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def trace_tree(trace: Trace) -> Tree:
    """The trace as a Rich tree: one branch per step with latency, tokens, input and output."""
    duration = trace.duration_ms
    took = f" · {duration:.1f} ms" if duration is not None else ""
    tree = Tree(Text(trace.id, style="bold").append(f" run {trace.run_id} · {trace.status}{took}"))
    for n, step in enumerate(trace.steps, start=1):
        latency = f"{step.latency_ms:.1f} ms"
        if isinstance(step, ModelStep):
            tokens = step.tokens or {}
            branch = tree.add(
                Text(f"{n}. model", style="cyan").append(
                    f" {step.name} · {latency} · "
                    f"{tokens.get('input', 0)} in / {tokens.get('output', 0)} out tokens"
                )
            )
            output = step.output if isinstance(step.output, dict) else {}
            if output.get("content"):
                branch.add(Text(f"answer: {_short(output['content'])}"))
            for call in output.get("tool_calls") or []:
                branch.add(Text(f"calls {call['name']}({_short(call.get('arguments'), 60)})"))
        else:
            style = "red" if step.is_error else "green"
            branch = tree.add(Text(f"{n}. tool", style=style).append(f" {step.name} · {latency}"))
            branch.add(Text(f"input: {_short(step.input)}"))
            branch.add(Text(f"output: {_short(step.output)}"))
    return tree
