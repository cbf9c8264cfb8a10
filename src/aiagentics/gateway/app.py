"""`create_app(settings) -> Litestar`: the gateway. Nothing happens at import time.

The parts come from the composition root (`services.build_services`), built once per app;
handlers receive them as typed dependencies. The route modules are imported inside
`controllers()` so that importing this module stays cheap and free of side effects.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme, Server
from litestar.plugins.pydantic import PydanticPlugin

from aiagentics import __version__
from aiagentics.gateway.auth import provide_auth
from aiagentics.gateway.errors import handle_exception
from aiagentics.gateway.services import (
    DevSource,
    Services,
    build_services,
    provide_definitions,
    provide_keys,
    provide_runs,
    provide_services,
)
from aiagentics.gateway.settings import SETTINGS_ENV, GatewaySettings


def controllers() -> list[Any]:
    """Every route handler and controller of the API (imported when the app is built)."""
    from aiagentics.gateway.console import console_router
    from aiagentics.gateway.routes.agents import AgentController
    from aiagentics.gateway.routes.dev import dev_status
    from aiagentics.gateway.routes.files import FileController
    from aiagentics.gateway.routes.health import health
    from aiagentics.gateway.routes.keys import KeyController
    from aiagentics.gateway.routes.memory import MemoryDataController
    from aiagentics.gateway.routes.memory_stores import MemoryStoreController
    from aiagentics.gateway.routes.metrics import metrics
    from aiagentics.gateway.routes.runs import RunController
    from aiagentics.gateway.routes.threads import ThreadController
    from aiagentics.gateway.routes.tools import ToolController
    from aiagentics.gateway.routes.traces import get_trace
    from aiagentics.gateway.routes.webhook_deliveries import WebhookDeliveryController
    from aiagentics.gateway.routes.webhooks import WebhookController

    return [
        health,
        AgentController,
        ToolController,
        MemoryStoreController,
        WebhookController,
        FileController,
        KeyController,
        dev_status,
        RunController,
        ThreadController,
        get_trace,
        MemoryDataController,
        WebhookDeliveryController,
        console_router(),  # the web console at /console (its own sign-in; no /v1 key)
        metrics,
    ]


def create_app(
    settings: GatewaySettings, services: Services | None = None, dev: DevSource | None = None
) -> Litestar:
    """The gateway app for `settings` (its parts are built here unless given; `dev`: what
    `aia dev` serves)."""
    from aiagentics.gateway.middleware import GatewayMiddleware, allowed_methods, with_allow_header
    from aiagentics.gateway.routes.openapi import TruthfulJsonPlugin

    services = services or build_services(settings, dev)
    app = Litestar(
        route_handlers=controllers(),
        dependencies={
            "services": Provide(provide_services, sync_to_thread=False),
            "definitions": Provide(provide_definitions, sync_to_thread=False),
            "runs": Provide(provide_runs, sync_to_thread=False),
            "keys": Provide(provide_keys, sync_to_thread=False),
            "auth": Provide(provide_auth, sync_to_thread=False),
        },
        exception_handlers={Exception: handle_exception},
        # Strict: `false` is not 0.0 and "5" is not 5 (the documented schema is the contract).
        plugins=[PydanticPlugin(validate_strict=True)],
        on_startup=[services.start],
        on_shutdown=[services.stop],
        openapi_config=OpenAPIConfig(
            title="AI Agentics API",
            version=__version__,
            path="/schema",
            servers=[Server(url="/")],
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="An API key: sk_test_... or sk_live_...",
                    )
                }
            ),
            security=[{"bearer": []}],
            use_handler_docstrings=True,
            render_plugins=[TruthfulJsonPlugin()],
        ),
        request_max_body_size=settings.max_body_bytes,
        debug=False,
        logging_config=None,
    )
    app.state.services = services
    # Outermost layer, so that 404s of unknown routes and 405s also get ids and rate headers.
    app.asgi_handler = GatewayMiddleware(
        with_allow_header(app.asgi_handler, allowed_methods(app)), services
    )
    return app


def create_app_from_env() -> Litestar:
    """uvicorn factory for worker processes: settings come JSON-encoded in the environment."""
    logging.basicConfig(level=logging.INFO)
    return create_app(GatewaySettings.from_env_json(os.environ[SETTINGS_ENV]))
