"""The gateway's composition root: every part, typed, built once from the settings.

`build_services(settings)` opens the database and constructs the parts, wiring them to
each other (the run engine's tools and listeners, the definitions' after-delete hooks);
nothing is started. `create_app` keeps the result in `app.state.services` and hands its
parts to handlers as typed dependencies (`definitions`, `runs`, ...). `Services.start()`
migrates the storage (off the loop), bootstraps the admin key and starts the components
in order, then tunes the interpreter for a responsive loop (once per process);
`stop()` stops them in reverse order and closes the storage.
"""

from __future__ import annotations

import gc
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from litestar import Request

from aiagentics.engine.definitions import Definitions
from aiagentics.engine.documents.files import Files
from aiagentics.engine.keys import KeysService
from aiagentics.engine.memory.service import MemoryService
from aiagentics.engine.runs.service import RunService
from aiagentics.engine.sealing import Sealer
from aiagentics.engine.webhooks.service import WebhookService
from aiagentics.gateway.ratelimit import RateLimiter
from aiagentics.gateway.readcache import ReadCache
from aiagentics.gateway.settings import GatewaySettings
from aiagentics.project import TelemetrySection
from aiagentics.storage.base import DatabaseUnavailable, Scope, Storage, Store
from aiagentics.storage.sqlite.db import Database
from aiagentics.telemetry import Telemetry, build_telemetry

if TYPE_CHECKING:
    from aiagentics.gateway.reload.reloader import Listener
    from aiagentics.storage.postgres.db import PgDatabase

log = logging.getLogger("aiagentics.gateway")


class Component(Protocol):
    """Something with a lifecycle inside the gateway."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class ReloadStatus(Protocol):
    """One reload's outcome as `GET /v1/dev/status` shows it."""

    def as_json(self) -> dict[str, Any]: ...


class Reloader(Component, Protocol):
    """The `aia dev` reloader as the gateway sees it: a component with a last outcome."""

    @property
    def last(self) -> ReloadStatus | None: ...


@dataclass(frozen=True, slots=True)
class DevSource:
    """What `aia dev` serves: the project at `root`, reloaded on every save."""

    root: Path
    env: str | None = None
    on_reload: Listener | None = None


@dataclass
class Services:
    """The gateway's parts, shared by every handler of one app."""

    settings: GatewaySettings
    # The backend's own handle: a SQLite `Database` or a `PgDatabase` pool. Typed loosely because
    # Litestar evaluates this class's annotations at run time, where psycopg may be absent.
    db: Any
    storage: Storage
    store: Store
    sealer: Sealer
    rate_limiter: RateLimiter
    definitions: Definitions
    keys: KeysService
    runs: RunService
    memory: MemoryService
    webhooks: WebhookService
    files: Files
    # Spans and metrics; the run engine holds the same object.
    telemetry: Telemetry = field(default_factory=Telemetry)
    # Encoded reads valid until the next database write (aiagentics.gateway.readcache).
    read_cache: ReadCache = field(default_factory=ReadCache)
    # Started in order, stopped in reverse order.
    components: list[Component] = field(default_factory=list)
    dev: Reloader | None = None  # under `aia dev`
    started: bool = False

    @property
    def files_index(self) -> MemoryService:
        """What indexes uploaded files for retrieval (told of uploads and deletions)."""
        return self.memory

    async def start(self) -> None:
        """Migrate, bootstrap the admin key, start every component (idempotent)."""
        if self.started:
            return
        await self.storage.migrate()
        await bootstrap_admin_key(self.keys, self.settings)
        for component in self.components:
            await component.start()
        _tune_runtime_once()
        self.started = True

    async def stop(self) -> None:
        """Stop components in reverse order, then close the database."""
        for component in reversed(self.components):
            try:
                await component.stop()
            except Exception:  # one broken component must not keep the others running
                log.exception("stopping %r failed", component)
        await self.storage.close()
        self.started = False


_tuned = False
# How long a thread running Python code may keep the GIL while another waits (CPython's
# default is 5 ms). The loop thread gives the GIL up at every socket and SQLite hop, and
# each time waits up to this long to get it back from a busy worker (an upload being
# chunked): a request of some fifteen hops then took 80 ms instead of 1.
SWITCH_INTERVAL = 0.001


def _tune_runtime_once() -> None:
    """Shorten the GIL's switch interval and hide the startup objects from the collector.

    Modules, the app and its handlers live as long as the process. Out of the collector's
    sight, a full collection triggered by a request's allocations (an upload's chunks)
    walks only young objects instead of holding the GIL, and so the event loop, for tens
    of milliseconds. Once per process: later starts (tests) would only freeze garbage.
    """
    global _tuned
    if not _tuned:
        _tuned = True
        sys.setswitchinterval(SWITCH_INTERVAL)
        gc.freeze()


def build_services(settings: GatewaySettings, dev: DevSource | None = None) -> Services:
    """Open the database and construct every part (nothing is started yet)."""
    from aiagentics.engine.mcp import McpExecutor, McpServers
    from aiagentics.engine.memory.tools import install_tools
    from aiagentics.engine.statedir import prepare_state_dir

    prepare_state_dir(settings)  # private modes before the database file is opened
    db, storage, store = open_storage(settings)
    sealer = Sealer.from_settings(settings)
    definitions = Definitions(
        store,
        sealer,
        default_model=settings.default_model,
        allow_private_network=settings.allow_private_network,
        allow_stdio_tools=settings.allow_stdio_tools is True,
    )
    telemetry = build_telemetry(settings.telemetry)
    runs = RunService(
        settings, storage, known_secrets=[sealer.key_text], sealer=sealer, telemetry=telemetry
    )
    mcp_servers = McpServers(allow_private_network=settings.allow_private_network)
    runs.tools.register("mcp", McpExecutor(mcp_servers, sealer))
    definitions.after_delete("tool", lambda _scope, res: mcp_servers.forget(res.id))
    memory = MemoryService(settings, store, storage.scratchpads, storage.chunks)
    install_tools(memory, runs)
    definitions.after_delete("memory_store", memory.memory_deleted)
    webhooks = WebhookService(settings, store, sealer, storage.outbox)
    runs.add_listener(webhooks.on_run_event)
    webhooks.dispatcher.on_outcome = telemetry.webhook_outcome
    services = Services(
        settings=settings,
        keys=KeysService(storage.keys),
        db=db,
        storage=storage,
        store=store,
        sealer=sealer,
        rate_limiter=RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst),
        definitions=definitions,
        runs=runs,
        memory=memory,
        webhooks=webhooks,
        files=Files(store, settings.files_dir, settings.max_file_bytes, memory),
        telemetry=telemetry,
        read_cache=ReadCache(settings.read_cache_entries),
        # MCP servers after the runs: stopped once no run can call them any more.
        components=[mcp_servers, runs, memory, webhooks],
    )
    if dev is not None:
        from aiagentics.gateway.reload import DevReloader

        reloader = DevReloader(services, dev.root, env=dev.env, on_reload=dev.on_reload)
        services.dev = reloader
        services.components.append(reloader)
    return services


def open_storage(settings: GatewaySettings) -> tuple[Database | PgDatabase, Storage, Store]:
    """The storage backend the settings select: PostgreSQL for a postgresql:// URL (the
    `postgres` extra), else the SQLite file; (its handle, the root, the one object serving
    definitions, keys and idempotency). Nothing is connected yet."""
    if settings.is_postgres:
        try:
            from aiagentics.storage.postgres.storage import PgStorage
        except ImportError:
            raise DatabaseUnavailable(
                f"the database {settings.database_label} is PostgreSQL, which needs the"
                " postgres extra: pip install 'aiagentics[postgres]'"
            ) from None
        pg = PgStorage.open(settings.database)
        return pg.db, pg, pg.definitions
    from aiagentics.storage.sqlite.storage import SQLiteStorage

    # One worker process is the file's only writer: its change token needs no thread hop.
    sole = settings.workers == 1 and not settings.shared_database
    db = Database(settings.database_path, sole_writer=sole)
    storage = SQLiteStorage(db)
    return db, storage, storage.definitions


def provide_services(request: Request[Any, Any, Any]) -> Services:
    """Litestar dependency `services`."""
    return request.app.state.services


# The part dependencies name `auth` only so that Litestar resolves them after it, one at a
# time: dependencies of the same depth are resolved in an anyio task group, which costs an
# event-loop turn per request, more than the lookups themselves (see auth.provide_auth).


def provide_definitions(request: Request[Any, Any, Any], auth: Any) -> Definitions:
    """Litestar dependency `definitions`."""
    return request.app.state.services.definitions


def provide_keys(request: Request[Any, Any, Any], auth: Any) -> KeysService:
    """Litestar dependency `keys`."""
    return request.app.state.services.keys


def provide_runs(request: Request[Any, Any, Any], auth: Any) -> RunService:
    """Litestar dependency `runs`."""
    return request.app.state.services.runs


async def bootstrap_admin_key(keys: KeysService, settings: GatewaySettings) -> str | None:
    """Make sure the default project has an admin key (see `KeysService.bootstrap_admin`);
    a generated secret is printed once to stderr, and returned."""
    scope = Scope(settings.default_project, settings.default_environment)
    secret = await keys.bootstrap_admin(scope, settings.bootstrap_api_key)
    if secret is not None:
        print(
            f"aia: created an admin API key for project {scope.project!r} "
            f"({scope.environment}); it is shown only once:\n{secret}",
            file=sys.stderr,
            flush=True,
        )
    return secret


def prepare_database(settings: GatewaySettings) -> str | None:
    """Migrate and bootstrap the admin key once, before any worker starts.

    Run by `aia serve` in the parent process so that, with several workers, the
    generated key is created and printed exactly once. Returns that secret, if any.
    """
    import asyncio

    async def prepare() -> str | None:
        # No exporter thread nor registry in the parent: it serves nothing.
        quiet = TelemetrySection(enabled=False, metrics=False)
        services = build_services(settings.model_copy(update={"telemetry": quiet}))
        try:
            await services.storage.migrate()
            return await bootstrap_admin_key(services.keys, settings)
        finally:
            await services.storage.close()

    return asyncio.run(prepare())
