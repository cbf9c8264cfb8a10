"""GET /metrics: the gateway's Prometheus metrics (aiagentics.telemetry.metrics).

Public by default, like a scrape target on an internal port; with `[telemetry]
metrics_require_key = true` it takes a key with the `read` scope (the middleware
authenticates it, see middleware/caller.py). 404 when `metrics = false`.
"""

# No `from __future__ import annotations`: Litestar reads these annotations at runtime.

from typing import Any

from litestar import Request, get
from litestar.response import Response

from aiagentics.gateway.errors import Forbidden, NotFound
from aiagentics.gateway.services import Services
from aiagentics.telemetry.metrics import CONTENT_TYPE


@get("/metrics", include_in_schema=False)
async def metrics(request: Request[Any, Any, Any], services: Services) -> Response[bytes]:
    """The metrics in the Prometheus text format."""
    registry = services.telemetry.metrics
    if registry is None:
        raise NotFound("metrics are turned off ([telemetry] metrics = false)")
    if services.settings.telemetry.metrics_require_key:
        auth = request.scope.get("state", {}).get("auth")
        if auth is None or not auth.allows("read"):
            raise Forbidden("this key lacks the `read` scope")
    return Response(registry.exposition(), media_type=CONTENT_TYPE)
