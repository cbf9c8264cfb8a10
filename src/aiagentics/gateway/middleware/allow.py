"""The `Allow` header of OPTIONS answers: every method of the route."""

from __future__ import annotations

from typing import Any

from aiagentics.gateway.middleware.asgi import Scope


def allowed_methods(app: Any) -> dict[str, str]:
    """`Allow` header value of every route, by its path template (`/v1/agents/{id}`)."""
    from litestar.routes import HTTPRoute

    return {
        route.path_format: ", ".join(sorted(route.methods))
        for route in app.routes
        if isinstance(route, HTTPRoute)
    }


def with_allow_header(app: Any, allowed: dict[str, str]) -> Any:
    """ASGI wrapper: the answer to OPTIONS lists every method of the route in `Allow`.

    Litestar 2 builds the automatic OPTIONS handler of a path before all of the path's
    handlers are merged into one route, so it advertises only some methods (its 405s,
    built from the routing table, are right).
    """

    async def wrapped(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "OPTIONS":
            await app(scope, receive, send)
            return

        async def sending(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and message["status"] == 204:
                methods = allowed.get(scope.get("path_template", ""))
                if methods:
                    headers = [
                        (k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"
                    ]
                    message = {**message, "headers": [*headers, (b"allow", methods.encode())]}
            await send(message)

        await app(scope, receive, sending)

    return wrapped
