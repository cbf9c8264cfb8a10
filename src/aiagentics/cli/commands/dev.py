"""`aia dev`: the gateway on embedded defaults, serving the project's files with hot reload."""

from __future__ import annotations

import contextlib
import shlex
from collections import Counter
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from aiagentics.cli.context import CliContext
from aiagentics.cli.views.diagnostics import render_diagnostics, summary
from aiagentics.plan import ActionType
from aiagentics.project import ConfigError, load_project

DEV_DATABASE = ".aiagentics/dev.db"
_STYLE = {ActionType.CREATE: "green", ActionType.UPDATE: "yellow", ActionType.DELETE: "red"}


@click.command("dev")
@click.option("--host", default=None, help="Interface to bind (default: [gateway] host).")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=None, help="Port (default: [gateway] port)."
)
@click.pass_obj
def dev(obj: CliContext, host: str | None, port: int | None) -> None:
    """Serve the project's files directly, reloading them on every save (Ctrl-C stops)."""
    import uvicorn

    from aiagentics.engine.keys import new_secret
    from aiagentics.gateway.app import create_app
    from aiagentics.gateway.console import console_link
    from aiagentics.gateway.services import DevSource
    from aiagentics.gateway.settings import GatewaySettings

    try:
        project = load_project(obj.directory)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    # The key of this session: the one given, else a fresh one shown once below.
    key = obj.api_key or new_secret("test")
    settings = GatewaySettings.from_project(project).replace(
        host=host,
        port=port,
        database=str(project.root / DEV_DATABASE),
        allow_private_network=True,
        # A local command per stdio MCP tool is the point of a dev loop; off only if asked.
        allow_stdio_tools=project.config.gateway.allow_stdio_tools is not False,
        default_project=project.name,
        default_environment="test",
        bootstrap_api_key=key,
    )
    # markup=False: file names and messages such as `[providers.local]` print as they are
    out = Console(highlight=False, soft_wrap=True, markup=False)
    view = DevView(out, project.root, settings.host, settings.port, key, shown=obj.api_key is None)
    app = create_app(settings, dev=DevSource(project.root, obj.env, view.on_reload))
    view.console_url = console_link(app, key, view.origin)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=settings.graceful_shutdown_seconds,
    )
    # uvicorn re-raises the Ctrl-C it handled, after its graceful shutdown.
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run()
    out.print("aia dev: stopped")


class DevView:
    """What `aia dev` prints: the banner once, then one short block per reload."""

    def __init__(
        self, out: Console, root: Path, host: str, port: int, key: str, *, shown: bool
    ) -> None:
        self.out, self.root, self.key, self.shown = out, root, key, shown
        # A wildcard bind is reached at loopback (the printed links must open as they are).
        browse = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        self.origin = f"http://{browse}:{port}"
        self.base_url = f"http://{host}:{port}/v1"
        self.console_url: str | None = None  # the one-time console sign-in link
        self.started = False

    def on_reload(self, outcome: object) -> None:
        from aiagentics.gateway.reload import ReloadOutcome

        assert isinstance(outcome, ReloadOutcome)
        if not self.started:
            self.started = True
            self._banner(outcome)
            return
        if not outcome.ok:
            self.out.print(
                Text("reload failed; still serving the last good state", style="bold red")
            )
        elif outcome.plan is not None and outcome.plan.changes:
            self.out.print(Text(f"reloaded in {outcome.duration_ms:.0f} ms:", style="bold"))
        elif outcome.plan is not None:
            return  # a save that changed nothing served
        self._details(outcome)

    def _details(self, outcome: object) -> None:
        from aiagentics.gateway.reload import ReloadOutcome

        assert isinstance(outcome, ReloadOutcome)
        if outcome.diagnostics:
            render_diagnostics(outcome.diagnostics, self.out, self.root)
            errors = sum(1 for d in outcome.diagnostics if d.is_error)
            self.out.print(summary(errors, len(outcome.diagnostics) - errors))
        if outcome.error:
            self.out.print(Text(f"error: {outcome.error}", style="red"))
        if outcome.plan is not None and outcome.plan.changes:
            for action in outcome.plan.changes:
                fields = ", ".join(c.path for c in action.changes)
                line = f"  {action.type.symbol} {action.address}"
                self.out.print(
                    Text(
                        line + (f" ({fields})" if fields else ""), style=_STYLE.get(action.type, "")
                    )
                )
            self.out.print(f"  {outcome.plan.summary.line()}")
        for address, secret in outcome.secrets.items():
            self.out.print(Text(f"  {address}: signing secret: {secret}", style="bold"))
            self.out.print(
                "    store it now: it will not be shown again (rotate_secret makes a new one)"
            )

    def _banner(self, outcome: object) -> None:
        from aiagentics.gateway.reload import ReloadOutcome

        assert isinstance(outcome, ReloadOutcome)
        out = self.out
        out.print(Text(f"aia dev: serving {self.root} at {self.base_url}", style="bold"))
        if self.shown:
            out.print(f"  API key (this session, shown once): {self.key}")
        else:
            out.print("  API key: the one in AIAGENTICS_API_KEY / --api-key")
        if self.console_url:
            out.print(f"  console (this link signs in once): {self.console_url}", soft_wrap=True)
        actions = outcome.plan.actions if outcome.plan else ()
        agents = [a.name for a in actions if a.kind == "Agent"]
        if actions:
            counts = Counter(a.kind for a in actions if a.type is not ActionType.DELETE)
            served = ", ".join(f"{n} {k.lower()}{'s' if n > 1 else ''}" for k, n in counts.items())
            out.print(f"  serving {served} from the files")
        if agents:
            body = shlex.quote(f'{{"agent": "{agents[0]}", "input": "Hello", "stream": true}}')
            key = self.key if self.shown else "$AIAGENTICS_API_KEY"
            out.print("  try:")
            out.print(
                f'    curl -N {self.base_url}/runs -H "Authorization: Bearer {key}" '
                f"-H 'Content-Type: application/json' -d {body}",
                soft_wrap=True,
            )
        if not outcome.ok:
            out.print(Text("the files do not validate; serving what the store held", style="red"))
        self._details(outcome)
        out.print("  watching for changes; Ctrl-C stops")
