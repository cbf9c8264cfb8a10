"""`aia keys create|list|revoke|roll`: manage API keys through the gateway (needs an admin key)."""

from __future__ import annotations

import json
import time
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from aiagentics.cli.context import CliContext
from aiagentics.cli.serve import load_optional_project


def _client(obj: CliContext) -> Any:
    from aiagentics.client import ApiClient, resolve_connection

    conn = resolve_connection(
        load_optional_project(obj.directory), obj.env, base_url=obj.base_url, api_key=obj.api_key
    )
    if not conn.api_key:
        raise click.ClickException(f"no API key: pass --api-key or set {conn.api_key_source}")
    return ApiClient(conn.base_url, conn.api_key)


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    from aiagentics.client import ApiError

    try:
        return fn(*args, **kwargs)
    except ApiError as exc:
        raise click.ClickException(str(exc)) from None


def _when(ts: int | None) -> str:
    return "-" if ts is None else time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


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
    with _client(obj) as client:
        key = _call(client.create, "keys", body)
    if as_json:
        click.echo(json.dumps(key, indent=2))
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
    with _client(obj) as client:
        items = _call(client.list_all, "keys")
    if as_json:
        click.echo(json.dumps(items, indent=2))
        return
    table = Table("id", "name", "scopes", "hint", "created", "expires", "revoked")
    for k in items:
        table.add_row(
            k["id"],
            k["name"],
            ",".join(k["scopes"]),
            k["hint"],
            _when(k["created_at"]),
            _when(k["expires_at"]),
            _when(k["revoked_at"]),
        )
    Console(width=160).print(table)


@keys.command("revoke")
@click.argument("key_id")
@click.pass_obj
def revoke(obj: CliContext, key_id: str) -> None:
    """Revoke a key (effective on its next request)."""
    with _client(obj) as client:
        _call(client.delete, f"keys/{key_id}")
    click.echo(f"revoked {key_id}")


@keys.command("roll")
@click.argument("key_id")
@click.option(
    "--overlap", type=click.IntRange(0), default=3600, help="Seconds the old secret stays valid."
)
@click.pass_obj
def roll(obj: CliContext, key_id: str, overlap: int) -> None:
    """Replace a key's secret; the old one keeps working for --overlap seconds."""
    with _client(obj) as client:
        key = _call(client.create, f"keys/{key_id}/roll", {"expires_in_seconds": overlap})
    click.echo(f"rolled {key_id} -> {key['id']}; the old secret expires in {overlap} s", err=True)
    click.echo(key["secret"])
