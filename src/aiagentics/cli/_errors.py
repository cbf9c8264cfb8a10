"""The one way `aia` reports a failure: `error: MESSAGE` on stderr, then `hint: …` lines.

Messages are printed as plain text (never parsed as markup), so `[providers.local]`
in a message stays on screen. Only click is imported: the entry point uses this too.
"""

from __future__ import annotations

import click


def print_error(message: str, hint: str | None = None) -> None:
    """`error: MESSAGE` (red when stderr is a terminal) and, if given, `hint: HINT`."""
    click.echo(click.style("error:", fg="red", bold=True) + " " + message, err=True)
    if hint:
        click.echo(click.style("hint:", fg="cyan") + " " + hint, err=True)


def hint_for(exc: BaseException) -> str | None:
    """What to try next for a client failure the user can act on."""
    from aiagentics.client import ApiConnectionError

    if isinstance(exc, ApiConnectionError):
        return (
            "is the gateway running (`aia serve`, or `aia dev` in the project)? "
            "Pass --base-url or set AIAGENTICS_BASE_URL to reach another one"
        )
    status = getattr(exc, "status", None)
    if status == 401:
        return "pass --api-key or set AIAGENTICS_API_KEY to a key of this gateway"
    return None
