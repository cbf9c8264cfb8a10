"""`aia`: the entry point; each verb lives in its own module, imported only when it runs."""

from __future__ import annotations

import importlib

import click

from aiagentics import __version__
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
    "runs": ("run", "runs", "Look at runs."),
    "traces": ("run", "traces", "Show a run's trace as a tree with timings."),
    "keys": ("keys", "keys", "Manage API keys (create, list, revoke, roll)."),
    "tools": (
        "tools",
        "tools",
        "Look at the project's Tools (inspect: an MCP Tool's offered tools).",
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
        return command

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
    ctx.obj = CliContext(project_dir=project_dir, base_url=base_url, api_key=api_key, env=env_name)


def main() -> None:
    """Console-script entry point."""
    cli()
