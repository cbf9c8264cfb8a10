"""`aia init` and `aia new`: scaffold a project or one resource file; never overwrite."""

from __future__ import annotations

from pathlib import Path

import click

from aiagentics.cli.context import CliContext
from aiagentics.project import CONFIG_FILE, ConfigError, find_root, load_project
from aiagentics.scaffold import (
    NEW_KINDS,
    TOOL_TYPES,
    init_files,
    new_file,
    project_name_for,
    valid_project_name,
    valid_resource_name,
    write_new_files,
)
from aiagentics.spec.kinds import NAME_PATTERN


def _show(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


@click.command("init")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--name", "project_name", default=None, help="Project name (default: the folder's name)."
)
@click.pass_obj
def init(ctx: CliContext, directory: Path | None, project_name: str | None) -> None:
    """Scaffold a working project: config, one agent, one tool, one template, .gitignore."""
    target = directory if directory is not None else ctx.directory
    name = project_name or project_name_for(target)
    if not valid_project_name(name):
        raise click.UsageError(f"invalid project name {name!r}: letters, digits, '-', '_', '.'")
    if (target / CONFIG_FILE).exists():
        click.echo(
            f"error: {target / CONFIG_FILE} exists: this is a project already "
            "(add resources with `aia new`)",
            err=True,
        )
        raise SystemExit(1)
    target.mkdir(parents=True, exist_ok=True)
    result = write_new_files(target, init_files(name))
    for path in result.created:
        click.echo(f"created {_show(path, target)}")
    for path in result.refused:
        click.echo(f"skipped {_show(path, target)}: exists (aia never overwrites)", err=True)
    click.echo(
        f"\nnext: cd {target} && aia validate" if directory is not None else "\nnext: aia validate"
    )


@click.command("new")
@click.argument("kind", type=click.Choice(sorted(NEW_KINDS)))
@click.argument("name")
@click.option(
    "--type",
    "tool_type",
    type=click.Choice(TOOL_TYPES),
    default="client",
    show_default=True,
    help="The tool type (for `aia new tool`).",
)
@click.pass_obj
def new(ctx: CliContext, kind: str, name: str, tool_type: str) -> None:
    """Add one resource file (agents/NAME.yaml, tools/NAME.yaml, ...) from a template."""
    if not valid_resource_name(name):
        click.echo(f"error: invalid name {name!r}: it must match {NAME_PATTERN}", err=True)
        raise SystemExit(1)
    root = find_root(ctx.directory)
    if root is None:
        click.echo(f"error: no {CONFIG_FILE} here or above; run `aia init` first", err=True)
        raise SystemExit(1)
    relative, text = new_file(kind, name, tool_type)
    result = write_new_files(root, {relative: text})
    if result.refused:
        click.echo(f"error: {relative} exists; refusing to overwrite it", err=True)
        raise SystemExit(1)
    click.echo(f"created {relative}")
    try:
        paths = load_project(root).config.project.paths
    except ConfigError:
        return
    folder = relative.split("/", 1)[0]
    if not any(Path(p).parts[:1] == (folder,) for p in paths):
        click.echo(
            f"warning: {folder}/ is not in [project] paths of {CONFIG_FILE}; "
            "add it there so that aia sees this file",
            err=True,
        )
