"""`Services`: everything a handler needs, built once per app by `build_services(settings)`.

Kept in `app.state.services`; handlers ask for it with the dependency `services`.
Components add a field here (with a None default) and one construction line in
`build_services`, marked below. A component with `start()`/`stop()` coroutines appends
itself to `services.components`: `Services.start()` migrates the storage (off the loop),
bootstraps the admin key, then starts components in order; `stop()` stops them in
reverse order and closes the storage.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from litestar import Request

from aiagentics.gateway.readcache import ReadCache
from aiagentics.gateway.settings import GatewaySettings
from aiagentics.storage.base import Storage, Store
from aiagentics.storage.sqlite.db import Database

log = logging.getLogger("aiagentics.gateway")


class Component(Protocol):
    """Something with a lifecycle inside the gateway."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class Services:
    """The gateway's parts, shared by every handler of one app."""

    settings: GatewaySettings
    db: Database
    storage: Storage
    store: Store
    sealer: Any  # aiagentics.engine.sealing.Sealer (seal/unseal webhook secrets)
    rate_limiter: Any  # aiagentics.gateway.ratelimit.RateLimiter
    components: list[Component] = field(default_factory=list)
    # Encoded reads valid until the next database write (aiagentics.gateway.readcache).
    read_cache: ReadCache = field(default_factory=ReadCache)
    # -- fields other components add (C: runs; E: webhooks, memory, files_index, outbound) --
    runs: Any = None
    webhooks: Any = None
    memory: Any = None
    files_index: Any = None
    outbound: Any = None
    dev: Any = None  # aiagentics.gateway.reload.DevReloader under `aia dev`
    started: bool = False

    async def start(self) -> None:
        """Migrate, bootstrap the admin key, start every component (idempotent)."""
        if self.started:
            return
        from aiagentics.gateway.auth import bootstrap_admin_key

        await self.storage.migrate()
        await bootstrap_admin_key(
            self.store,
            self.settings.default_project,
            self.settings.default_environment,
            self.settings.bootstrap_api_key,
        )
        for component in self.components:
            await component.start()
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


def build_services(settings: GatewaySettings) -> Services:
    """Open the database and construct every component (nothing is started yet)."""
    from aiagentics.engine.sealing import Sealer
    from aiagentics.gateway.ratelimit import RateLimiter
    from aiagentics.gateway.statedir import prepare_state_dir
    from aiagentics.storage.sqlite.storage import SQLiteStorage

    prepare_state_dir(settings)  # private modes before the database file is opened
    db = Database(settings.database_path)
    storage = SQLiteStorage(db)
    services = Services(
        settings=settings,
        db=db,
        storage=storage,
        store=storage.definitions,
        sealer=Sealer.from_settings(settings),
        rate_limiter=RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst),
        read_cache=ReadCache(settings.read_cache_entries),
    )
    # -- components: one line each (construct, set the field, append to components) --
    from aiagentics.engine.runs.service import RunService

    services.runs = RunService(
        settings,
        storage,
        known_secrets=[services.sealer.key_text],
        sealer=services.sealer,
    )
    services.components.append(services.runs)
    from aiagentics.engine.memory.service import install_memory
    from aiagentics.engine.webhooks.service import install_webhooks

    install_memory(services)
    install_webhooks(services)
    return services


def provide_services(request: Request[Any, Any, Any]) -> Services:
    """Litestar dependency `services`."""
    return request.app.state.services


def prepare_database(settings: GatewaySettings) -> str | None:
    """Migrate and bootstrap the admin key once, before any worker starts.

    Run by `aia serve` in the parent process so that, with several workers, the
    generated key is created and printed exactly once. Returns that secret, if any.
    """
    import asyncio

    from aiagentics.gateway.auth import bootstrap_admin_key

    async def prepare() -> str | None:
        services = build_services(settings)
        try:
            await services.storage.migrate()
            return await bootstrap_admin_key(
                services.store,
                settings.default_project,
                settings.default_environment,
                settings.bootstrap_api_key,
            )
        finally:
            await services.storage.close()

    return asyncio.run(prepare())
