"""How every command reaches the API: the connection, the client, and what a failure prints.

The base URL and key resolve in one order for every command (see
`aiagentics.client.resolve_connection`): a global flag typed on the command line,
then the `--env` section, then the environment, then `[api]` of aiagentics.toml.
Every client error ends the command the same way: `error: MESSAGE` on stderr (and
the error object on stdout under `--json`), exit code 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.text import Text

from aiagentics.cli._errors import hint_for, print_error
from aiagentics.cli.context import CliContext
from aiagentics.project import ConfigError, Project, find_root, load_project

if TYPE_CHECKING:
    from aiagentics.client import ApiClient, Connection

T = TypeVar("T")
EXIT_FAILED = 1


class Failed(Exception):
    """A CLI failure already explained to the user: exit 1."""


def console_for(err: bool = False) -> Console:
    """A Rich console; plain (no colour) when not a terminal so logs and tests stay readable."""
    return Console(stderr=err, highlight=False, soft_wrap=True, markup=False)


def fail(message: str, console: Console | None = None, hint: str | None = None) -> NoReturn:
    """Print `error: MESSAGE` (stderr unless a console is given) and stop the command."""
    if console is None or console.stderr:
        print_error(message, hint)
    else:  # a pipeline reads this console (stdout under --json)
        console.print(Text(f"error: {message}", style="bold red"))
    raise Failed(message)


def load_optional_project(directory: Path) -> Project | None:
    """The project at or above `directory`, None when there is none; a broken one is an error."""
    if find_root(directory) is None:
        return None
    try:
        return load_project(directory)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _typed_flag(obj: CliContext, name: str) -> str | None:
    """A global option's value only when typed on the command line (before or after the verb):
    the values click read from the environment are resolved by `resolve_connection`, in
    their documented place."""
    value: str | None = getattr(obj, name)
    return value if name in obj.typed else None


def connection(obj: CliContext, project: Project | None) -> Connection:
    """The API endpoint and key of this command."""
    from aiagentics.client import resolve_connection

    return resolve_connection(
        project,
        obj.env,
        base_url=_typed_flag(obj, "base_url"),
        api_key=_typed_flag(obj, "api_key"),
    )


def connect(
    obj: CliContext, project: Project | None = None, *, err: Console | None = None
) -> ApiClient:
    """A client of the API for this command; without a key the command stops here."""
    from aiagentics.client import ApiClient

    conn = connection(obj, project)
    if not conn.api_key:
        fail(f"no API key: pass --api-key or set {conn.api_key_source}", err)
    return ApiClient(conn.base_url, conn.api_key)


def connect_optional_project(obj: CliContext) -> ApiClient:
    """`connect` for commands that work with or without a project directory."""
    return connect(obj, load_optional_project(obj.directory))


def report_api_error(exc: Exception, json_errors: bool = False) -> NoReturn:
    """The one way a client error ends a command."""
    from aiagentics.client import ApiError

    if json_errors and isinstance(exc, ApiError):
        click.echo(json.dumps({"format_version": "1", "error": exc.to_dict()}, indent=2))
    print_error(str(exc), hint_for(exc))
    sys.exit(EXIT_FAILED)


@contextmanager
def api_errors(json_errors: bool = False) -> Iterator[None]:
    """Map failures inside the block to exit 1 with a clear message."""
    from aiagentics.client import ApiError

    try:
        yield
    except Failed:
        sys.exit(EXIT_FAILED)
    except ApiError as exc:
        report_api_error(exc, json_errors)


def run_guarded(fn: Callable[..., T], *args: Any, json_errors: bool = False, **kwargs: Any) -> T:
    """Call `fn` inside `api_errors`."""
    with api_errors(json_errors):
        return fn(*args, **kwargs)
    raise AssertionError("unreachable")  # pragma: no cover (api_errors exits or re-raises)
