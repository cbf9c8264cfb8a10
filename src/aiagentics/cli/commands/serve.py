"""`aia serve`: the gateway on uvicorn (no reload; resources come through the API)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import click

from aiagentics.cli._session import load_optional_project
from aiagentics.cli.context import CliContext


@click.command("serve")
@click.option(
    "--host", default=None, help="Interface to bind (default: [gateway] host, 127.0.0.1)."
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Port (default: [gateway] port, 8787).",
)
@click.option(
    "--workers", type=click.IntRange(1, 64), default=None, help="Worker processes (default 1)."
)
@click.option(
    "--database",
    default=None,
    help="SQLite file or postgresql:// URL (default: AIAGENTICS_DATABASE_URL, else [gateway]"
    " database, else .aiagentics/gateway.db under the project root).",
)
@click.option("--access-log/--no-access-log", default=False, help="Log every request.")
@click.pass_obj
def serve(
    obj: CliContext,
    host: str | None,
    port: int | None,
    workers: int | None,
    database: str | None,
    access_log: bool,
) -> None:
    """Run the gateway for production on uvicorn; Ctrl-C or SIGTERM shuts it down gracefully."""
    import uvicorn

    from aiagentics.gateway.server import quiet_client_logs, server_stack
    from aiagentics.gateway.services import prepare_database
    from aiagentics.gateway.settings import SETTINGS_ENV, GatewaySettings
    from aiagentics.project import resolve_database
    from aiagentics.storage.base import DatabaseUnavailable

    project = load_optional_project(obj.directory)
    settings = GatewaySettings.from_project(project, root=obj.directory).replace(
        host=host,
        port=port,
        workers=workers,
        database=resolve_database(database, Path.cwd()) if database else None,
        bootstrap_api_key=obj.api_key or None,
    )
    from aiagentics.telemetry import TelemetryUnavailable, check_telemetry

    try:
        check_telemetry(settings.telemetry)
    except TelemetryUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    quiet_client_logs()
    try:
        prepare_database(settings)
    except DatabaseUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    except (OSError, ValueError) as exc:
        raise click.ClickException(
            f"cannot open the database {settings.database_label}: {exc}"
        ) from None
    # Workers (and the single in-process app) rebuild the settings from this variable.
    os.environ[SETTINGS_ENV] = settings.to_env_json()
    loop, http = server_stack()
    click.echo(
        f"aia: serving the gateway on http://{settings.host}:{settings.port}/v1 "
        f"(database {settings.database_label}, {settings.workers} worker(s), "
        f"{loop} event loop, {http} HTTP parser)",
        err=True,
    )
    uvicorn.run(
        "aiagentics.gateway.app:create_app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        timeout_graceful_shutdown=settings.graceful_shutdown_seconds,
        access_log=access_log,
        log_level="info",
        lifespan="on",
        loop=loop,
        http=http,
    )
