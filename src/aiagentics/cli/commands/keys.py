"""`aia keys create|list|revoke|roll`: manage API keys through the gateway (needs an admin key)."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console

from aiagentics.cli._session import api_errors, connect_optional_project
from aiagentics.cli.context import CliContext
from aiagentics.cli.views.json import echo_json
from aiagentics.cli.views.keys import keys_table


@click.group("keys")
def keys() -> None:
    """Manage API keys (create, list, revoke, roll)."""


@keys.command("create")
@click.option("--name", default="", help="A label for the key.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(["read", "run", "admin"]),
    help="Repeat for several (default: read and run).",
)
@click.option("--expires-in", type=click.IntRange(1), default=None, help="Lifetime in seconds.")
@click.option("--json", "as_json", is_flag=True, help="Print the key object as JSON.")
@click.pass_obj
def create(
    obj: CliContext, name: str, scopes: tuple[str, ...], expires_in: int | None, as_json: bool
) -> None:
    """Create a key; its secret is printed once."""
    body: dict[str, Any] = {"name": name}
    if scopes:
        body["scopes"] = list(scopes)
    if expires_in:
        body["expires_in_seconds"] = expires_in
    with api_errors(), connect_optional_project(obj) as client:
        key = client.create("keys", body)
    if as_json:
        echo_json(key, ensure_ascii=True)
        return
    click.echo(
        f"created {key['id']} ({', '.join(key['scopes'])}; {key['project']}/{key['environment']})",
        err=True,
    )
    click.echo("secret (shown only now):", err=True)
    click.echo(key["secret"])


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the keys as JSON.")
@click.pass_obj
def list_keys(obj: CliContext, as_json: bool) -> None:
    """List the keys of the caller's project and environment."""
    with api_errors(), connect_optional_project(obj) as client:
        items = client.list_all("keys")
    if as_json:
        echo_json(items, ensure_ascii=True)
        return
    Console(width=160).print(keys_table(items))


@keys.command("revoke")
@click.argument("key_id")
@click.pass_obj
def revoke(obj: CliContext, key_id: str) -> None:
    """Revoke a key (effective on its next request)."""
    with api_errors(), connect_optional_project(obj) as client:
        client.delete(f"keys/{key_id}")
    click.echo(f"revoked {key_id}")


@keys.command("roll")
@click.argument("key_id")
@click.option(
    "--overlap", type=click.IntRange(0), default=3600, help="Seconds the old secret stays valid."
)
@click.pass_obj
def roll(obj: CliContext, key_id: str, overlap: int) -> None:
    """Replace a key's secret; the old one keeps working for --overlap seconds."""
    with api_errors(), connect_optional_project(obj) as client:
        key = client.create(f"keys/{key_id}/roll", {"expires_in_seconds": overlap})
    click.echo(f"rolled {key_id} -> {key['id']}; the old secret expires in {overlap} s", err=True)
    click.echo(key["secret"])
