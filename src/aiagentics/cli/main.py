"""`aia`: the entry point; each verb lives in its own module, imported only when it runs."""

from __future__ import annotations

import errno
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

import click

from aiagentics import __version__
from aiagentics.cli._errors import print_error
from aiagentics.cli._globals import attach_globals
from aiagentics.cli.context import CliContext

# verb: (module, attribute, one-line help). The help is here so that `aia --help` (and
# shell completion) list the verbs without importing them; a test keeps it equal to each
# command's own docstring.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": (
        "scaffold_cmds",
        "init",
        "Scaffold a working project: config, one agent, one tool, one template, .gitignore.",
    ),
    "new": (
        "scaffold_cmds",
        "new",
        "Add one resource file (agents/NAME.yaml, tools/NAME.yaml, ...) from a template.",
    ),
    "validate": (
        "validate",
        "validate",
        "Parse, validate, resolve references and render templates; exit 1 on any error.",
    ),
    "schema": ("validate", "schema", "JSON Schema of each kind, for editors' YAML completion."),
    "plan": (
        "plan",
        "plan_cmd",
        "Diff the files against what the API reports: + create, ~ update, - delete, -/+ replace.",
    ),
    "apply": (
        "plan",
        "apply_cmd",
        "Carry out a fresh plan (asks unless --yes), or exactly a saved one.",
    ),
    "export": (
        "export",
        "export_cmd",
        "Write the API's resources as YAML files (agents/, tools/, memory/, webhooks/) and adopt them.",
    ),
    "dev": (
        "dev",
        "dev",
        "Serve the project's files directly, reloading them on every save (Ctrl-C stops).",
    ),
    "serve": (
        "serve",
        "serve",
        "Run the gateway for production on uvicorn; Ctrl-C or SIGTERM shuts it down gracefully.",
    ),
    "run": (
        "run",
        "run_command",
        "Start a run of AGENT (a name or agt_ id) on INPUT and show its live stream.",
    ),
    "chat": ("chat", "chat", "Chat with AGENT (a name or agt_ id) on a thread, a prompt per turn."),
    "runs": ("runs", "runs", "List and show runs, cancel one, answer a paused one."),
    "traces": ("run", "traces", "Show a run's trace as a tree with timings."),
    "keys": ("keys", "keys", "Manage API keys (create, list, revoke, roll)."),
    "tools": (
        "tools",
        "tools",
        "Look at the project's Tools.",
    ),
}


class LazyGroup(click.Group):
    """A group whose verbs are imported on first use (`aia --help` imports none of them)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module = importlib.import_module(f"aiagentics.cli.commands.{entry[0]}")
        command = getattr(module, entry[1])
        assert isinstance(command, click.Command)
        return attach_globals(command)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command; every failure click reports is printed in the one `error:` style."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as exc:
            if exc.ctx is not None:
                click.echo(exc.ctx.get_usage(), err=True)
            command = exc.ctx.command_path if exc.ctx is not None else "aia"
            print_error(exc.format_message(), f"`{command} --help` lists what it accepts")
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            print_error(exc.format_message())
            sys.exit(exc.exit_code)
        except (click.Abort, KeyboardInterrupt, EOFError):
            click.echo(err=True)  # close the terminal's ^C echo
            print_error("aborted")
            sys.exit(1)
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            _quiet_broken_pipe()
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aia")
@click.option(
    "-C", "project_dir", default=".", type=click.Path(file_okay=False), help="Project directory."
)
@click.option("--base-url", envvar="AIAGENTICS_BASE_URL", default=None, help="API base URL.")
@click.option("--api-key", envvar="AIAGENTICS_API_KEY", default=None, help="API key (sk_…).")
@click.option("--env", "env_name", default=None, help="Select [env.NAME] overrides.")
@click.pass_context
def cli(
    ctx: click.Context,
    project_dir: str,
    base_url: str | None,
    api_key: str | None,
    env_name: str | None,
) -> None:
    """Agents as code: validate, plan and apply AI agents; serve and run them."""
    typed = {
        name
        for name in ("base_url", "api_key")
        if ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE
    }
    ctx.obj = CliContext(
        project_dir=project_dir, base_url=base_url, api_key=api_key, env=env_name, typed=typed
    )


def _quiet_broken_pipe() -> None:
    """The reader of stdout went away (`aia plan | head`): stop without a traceback.

    Python would flush stdout again at exit and fail once more, so point it at devnull.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a file descriptor (a test runner)
        pass


def main() -> None:
    """Console-script entry point."""
    try:
        cli()
    except BrokenPipeError:
        _quiet_broken_pipe()
        sys.exit(1)
