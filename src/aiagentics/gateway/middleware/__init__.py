"""The ASGI layer in front of every route: request id, auth, rate limit, body limit, idempotency.

One pure-ASGI middleware (cheaper than a Litestar middleware stack), its steps one module each:
  1. gives the request an id (`scope["state"]["request_id"]`, header X-Request-Id),
  2. authenticates /v1/* except /v1/health (`caller.py`: `scope["state"]["auth"]`, else
     401), after validating the read cache with the database's change token
     (`scope["state"]["cache_token"]`, see readcache.py); a request with more than one
     `Authorization` (or `Idempotency-Key`) header is refused (400), not guessed at,
  3. spends a token of the caller's bucket (`rate.py`: 429 with Retry-After when empty),
  4. refuses a Content-Length above the route's limit, and a body that grows past it
     (`limits.py`: 413),
  5. for a POST with `Idempotency-Key`: replays, refuses or stores (`idempotency.py`),
  6. adds X-Request-Id and X-RateLimit-Limit/-Remaining/-Reset to every response,
  7. adds `Server-Timing` (`observe.py`: the gateway's time until the answer started, and for
     run creation the time to the run's first event) and counts the request in /metrics.
Scope checks per route happen in the `auth` dependency (`auth.needs`) or a guard
(`auth.require`), not here: routing has not happened yet. `allow.py` fixes the `Allow`
header of OPTIONS answers.
"""

from __future__ import annotations

import os
import time
from typing import Any

from aiagentics.gateway.errors import ApiError, RateLimited
from aiagentics.gateway.middleware.allow import allowed_methods, with_allow_header
from aiagentics.gateway.middleware.asgi import Scope, adding, read_headers, send_error
from aiagentics.gateway.middleware.caller import PUBLIC_PATHS, identify
from aiagentics.gateway.middleware.idempotency import STREAM_REPLAY, Idempotency
from aiagentics.gateway.middleware.limits import (
    MULTIPART_OVERHEAD,
    body_limit,
    check_length,
    limited,
)
from aiagentics.gateway.middleware.observe import FIRST_EVENT, observing, route_of
from aiagentics.gateway.middleware.rate import spend
from aiagentics.gateway.services import Services

__all__ = [
    "FIRST_EVENT",
    "MULTIPART_OVERHEAD",
    "PUBLIC_PATHS",
    "STREAM_REPLAY",
    "GatewayMiddleware",
    "allowed_methods",
    "with_allow_header",
]


class GatewayMiddleware:
    """Wraps the Litestar app; see the module docstring."""

    def __init__(self, app: Any, services: Services) -> None:
        self.app = app
        self.services = services
        self.idempotency = Idempotency(app, services)

    def body_limit(self, path: str, method: str) -> int:
        """The largest body this route accepts."""
        return body_limit(self.services.settings, path, method)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]  # what a request that raises before answering counts as
        try:
            await self._serve(scope, receive, observing(send, scope, started, status))
        finally:
            metrics = self.services.telemetry.metrics
            if metrics is not None:
                route = route_of(scope)
                method = scope["method"]
                metrics.http_requests.labels(method, route, str(status[0])).inc()
                metrics.http_duration.labels(method, route).observe(time.perf_counter() - started)

    async def _serve(self, scope: Scope, receive: Any, send: Any) -> None:
        request_id = "req_" + os.urandom(12).hex()  # cheaper than base62; still unguessable
        scope.setdefault("state", {})["request_id"] = request_id
        path: str = scope["path"]
        method: str = scope["method"]
        headers, repeated = read_headers(scope)
        extra: list[tuple[bytes, bytes]] = [(b"x-request-id", request_id.encode())]
        limit = self.body_limit(path, method)
        try:
            caller = await identify(self.services, scope, headers, repeated)
            spend(self.services.rate_limiter, caller.who, extra)
            if caller.error is not None:
                raise caller.error
            check_length(headers.get("content-length"), limit)
        except ApiError as err:
            metrics = self.services.telemetry.metrics
            if metrics is not None and isinstance(err, RateLimited):
                metrics.rate_limited.inc()
            await send_error(send, err, request_id, extra)
            return

        idem_key = headers.get("idempotency-key")
        if method == "POST" and idem_key is not None and caller.auth is not None:
            # The key id alone: ids are unique, and each key is bound to one project.
            await self.idempotency(scope, receive, send, extra, idem_key, caller.auth.key_id)
            return
        await self.app(scope, limited(receive, limit), adding(send, extra))
