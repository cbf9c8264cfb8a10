"""`aia`: the entry point; each verb lives in its own module and registers here."""

from __future__ import annotations

import click

from aiagentics import __version__
from aiagentics.cli.context import CliContext


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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


def _register() -> None:
    # Verb modules add themselves to `cli`; imported here so `aia --help` lists them all.
    from aiagentics.cli import commands  # noqa: F401


def main() -> None:
    """Console-script entry point."""
    _register()
    cli()
