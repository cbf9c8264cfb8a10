"""Authentication at the HTTP edge: the caller of a request, and the scope checks of routes.

The middleware turns the `Authorization` header into an `AuthContext` (`authenticate`),
looking the key up again on every request (one indexed read, skipped while the read cache
says nothing was written), so a revocation takes effect on the very next request. The
keys themselves (secrets, hashing, scopes, the bootstrap key) are `engine/keys.py`.

Handlers get the caller as `auth: AuthContext` (dependency `auth`, set by the middleware)
and declare what they need with `opt=needs("read" | "run" | "admin")` (checked by that
dependency) or the guard `guards=[require(...)]`.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from aiagentics.engine.keys import KeysService, ScopeName, grants
from aiagentics.gateway.errors import Forbidden, Unauthorized
from aiagentics.gateway.readcache import ReadCache, Token
from aiagentics.storage.base import Scope


class AuthContext(msgspec.Struct, frozen=True):
    """Who is calling: the key and the project/environment it is bound to."""

    key_id: str
    project: str
    environment: str
    scopes: tuple[str, ...]

    @property
    def scope(self) -> Scope:
        """The storage scope every query of this caller is limited to."""
        return Scope(self.project, self.environment)

    def allows(self, needed: str) -> bool:
        """True when the key's scopes cover `needed`."""
        return grants(self.scopes, needed)


async def authenticate(
    keys: KeysService,
    authorization: str | None,
    cache: ReadCache | None = None,
    token: Token | None = None,
) -> AuthContext:
    """The caller of a request from its `Authorization` header; raises Unauthorized.

    With a `cache` (and the request's change `token`), a key seen since the last write to
    the database is not looked up again; a revocation is a write, so it still takes effect
    on the next request, and the expiry is checked every time.
    """
    if not authorization:
        raise Unauthorized(
            "no API key: send `Authorization: Bearer sk_...`", code="missing_api_key"
        )
    scheme, _, secret = authorization.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise Unauthorized("the Authorization header must be `Bearer sk_...`")
    now = time.time()
    cache_key = ("api_key", secret)
    hit = cache.get(cache_key, token) if cache is not None else None
    if hit is not None:
        auth, expires_at = hit
        if expires_at is None or expires_at > now:
            return auth
    record = await keys.lookup(secret)
    if record is None:
        raise Unauthorized("invalid API key")
    if record.revoked_at is not None:
        raise Unauthorized("this API key has been revoked", code="api_key_revoked")
    if record.expires_at is not None and record.expires_at <= now:
        raise Unauthorized("this API key has expired", code="api_key_expired")
    auth = AuthContext(record.id, record.project, record.environment, tuple(record.scopes))
    if cache is not None:
        cache.put(cache_key, (auth, record.expires_at), token)
    return auth


def current_auth(connection: ASGIConnection[Any, Any, Any, Any]) -> AuthContext:
    """The AuthContext the middleware stored for this request."""
    auth = connection.scope.get("state", {}).get("auth")
    if auth is None:
        raise Unauthorized(
            "no API key: send `Authorization: Bearer sk_...`", code="missing_api_key"
        )
    return auth


SCOPE_OPT = "aia_scope"


def needs(scope: ScopeName) -> dict[str, str]:
    """Route `opt` declaring the scope a handler needs: `@get(..., opt=needs("read"))`.

    Checked by the `auth` dependency (no guard: Litestar copies the handler for every guard
    call, which is a measurable cost on the hot read path). Handlers using `needs` must
    ask for `auth`. `require(scope)` is the equivalent guard.
    """
    return {SCOPE_OPT: scope}


def authorize(request: Request[Any, Any, Any]) -> AuthContext:
    """The caller, checked against the route's `needs(...)` scope (403 when it lacks it)."""
    auth = current_auth(request)
    needed = request.route_handler.opt.get(SCOPE_OPT)
    if needed is not None and not auth.allows(needed):
        raise Forbidden(f"this key lacks the `{needed}` scope")
    return auth


def provide_auth(request: Request[Any, Any, Any], services: Any) -> AuthContext:
    """Litestar dependency `auth`: `authorize(request)`.

    It names `services` only so that Litestar resolves the two dependencies one after the
    other: two independent ones are resolved in an anyio task group, which costs more
    than both lookups together. (The hottest read handlers skip injection altogether and
    call `authorize(request)` themselves.)
    """
    return authorize(request)


def require(scope: ScopeName) -> Any:
    """A Litestar guard: the caller's key must allow `scope`."""

    # Async on purpose: Litestar runs sync guards in a worker thread (a costly hop).
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        auth = current_auth(connection)
        if not auth.allows(scope):
            raise Forbidden(f"this key lacks the `{scope}` scope")

    guard.__name__ = f"require_{scope}"
    return guard
