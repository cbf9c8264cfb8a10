"""The global options (`-C`, `--env`, `--base-url`, `--api-key`), accepted before or after a verb.

`aia -C ../other plan` and `aia plan -C ../other` mean the same: every verb gets a copy
of the options, and a value typed after the verb replaces the one before it. Only
click is imported here, so `aia --help` and shell completion stay fast.
"""

from __future__ import annotations

from typing import Any

import click

from aiagentics.cli.context import CliContext

# (parameter decls, CliContext attribute, help); the group declares the same options.
GLOBAL_OPTIONS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("-C",), "project_dir", "Project directory."),
    (("--env",), "env", "Select [env.NAME] overrides."),
    (("--base-url",), "base_url", "API base URL."),
    (("--api-key",), "api_key", "API key (sk_…)."),
)
_MARK = "_aia_globals"


def _setter(attribute: str) -> Any:
    def set_global(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
        if value is None or ctx.resilient_parsing:
            return
        obj = ctx.find_object(CliContext)
        if obj is None:  # a verb invoked on its own, as in some tests
            obj = ctx.ensure_object(CliContext)
        setattr(obj, attribute, value)
        if attribute in ("base_url", "api_key"):
            obj.typed.add(attribute)

    return set_global


def attach_globals(command: click.Command) -> click.Command:
    """Give `command` (and, for a group, every verb under it) the global options, once."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            attach_globals(sub)
        return command
    if getattr(command, _MARK, False):
        return command
    names = {opt for p in command.params for opt in getattr(p, "opts", ())}
    for decls, attribute, help_text in GLOBAL_OPTIONS:
        if names.intersection(decls):
            continue  # the verb has its own meaning for this flag
        command.params.append(
            click.Option(
                (*decls, attribute + "_global"),
                default=None,
                expose_value=False,
                callback=_setter(attribute),
                help=help_text + " (global option)",
                type=click.Path(file_okay=False) if attribute == "project_dir" else None,
            )
        )
    setattr(command, _MARK, True)
    return command
