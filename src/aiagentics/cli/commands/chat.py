"""`aia chat AGENT`: a conversation in the terminal, on one thread.

Each prompt starts a run of AGENT on the thread (so the model sees the turns before it),
its tokens stream as `aia run` shows them, and client tools are asked for at the prompt.
`--thread thr_…` continues an earlier conversation; without it a new thread is made and
its id printed. An empty line, Ctrl-D or Ctrl-C ends the chat. With stdin not a terminal,
each line read is a turn (a run that waits for client tool outputs then ends the chat).
"""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.console import Console

from aiagentics.cli._session import EXIT_FAILED, api_errors, connect_optional_project
from aiagentics.cli.commands.run import _ask_outputs, _show
from aiagentics.cli.context import CliContext
from aiagentics.cli.views.runs import StreamView
from aiagentics.wire.events import RUN_REQUIRES_ACTION


def _next_turn(console: Console) -> str | None:
    """The next prompt, or None when the person is done."""
    try:
        text = click.prompt("you", prompt_suffix="> ", default="", show_default=False)
    except (click.Abort, EOFError):
        console.print()
        return None
    return text if text.strip() else None


@click.command("chat")
@click.argument("agent")
@click.option("--thread", "thread_id", metavar="THREAD_ID", help="Continue this thread.")
@click.option("--metadata", "metadata", multiple=True, help="KEY=VALUE for every run, repeatable.")
@click.pass_obj
def chat(obj: CliContext, agent: str, thread_id: str | None, metadata: tuple[str, ...]) -> None:
    """Chat with AGENT (a name or agt_ id) on a thread, a prompt per turn."""
    pairs = [m.partition("=") for m in metadata]
    if any(not sep for _, sep, _ in pairs):
        raise click.BadParameter("use KEY=VALUE", param_hint="--metadata")
    console = Console(highlight=False)
    view = StreamView(console, as_json=False)
    failed = False
    with api_errors(), connect_optional_project(obj) as client:
        if thread_id is None:
            thread_id = str(client.create("threads", {})["id"])
            console.print(f"[dim]thread {thread_id} (continue it with --thread {thread_id})[/dim]")
        else:
            client.get(f"threads/{thread_id}")  # an unknown thread fails before the first prompt
        while (text := _next_turn(console)) is not None:
            body: dict[str, Any] = {"input": text, "thread_id": thread_id}
            body["agent_id" if agent.startswith("agt_") else "agent"] = agent
            if pairs:
                body["metadata"] = {k: v for k, _, v in pairs}
            try:
                stream = client.stream_run(body)
                last = _show(stream, view)
                while last is not None and last.event == RUN_REQUIRES_ACTION:
                    action = last.data.get("required_action") or {}
                    if not sys.stdin.isatty():
                        view.waits_for_outputs(stream.run_id, action)
                        return
                    outputs = _ask_outputs(view, action)
                    view.waiting("thinking…")
                    stream = client.stream_tool_outputs(str(stream.run_id), outputs)
                    last = _show(stream, view)
            finally:
                view.stop_waiting()
            failed = last is None or last.event != "run.completed"
    if failed:
        sys.exit(EXIT_FAILED)
