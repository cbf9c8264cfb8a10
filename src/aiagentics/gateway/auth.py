"""API keys: secrets, hashing, scopes, the per-request `AuthContext`, and the bootstrap key.

A secret is `sk_<environment>_<40 base62 chars>` (~238 bits), so a plain sha256 of it is a
safe stored form (no slow hash needed: it cannot be brute-forced). Every request looks the
key up again (one indexed read), so a revocation takes effect on the very next request.

Handlers get the caller as `auth: AuthContext` (dependency `auth`, set by the middleware)
and declare what they need with `opt=needs("read" | "run" | "admin")` (checked by that
dependency) or the guard `guards=[require(...)]`.
`admin` implies every scope; `run` implies `read`.
"""

from __future__ import annotations

import hashlib
import sys
import time
from typing import Any, Literal

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from aiagentics.gateway.errors import Forbidden, Unauthorized
from aiagentics.gateway.readcache import ReadCache, Token
from aiagentics.ids import new_id, random_token
from aiagentics.storage.base import ApiKeyRecord, Scope, Store

ScopeName = Literal["read", "run", "admin"]
SCOPES: tuple[str, ...] = ("read", "run", "admin")
ENVIRONMENTS: tuple[str, ...] = ("test", "live")


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
        return (
            "admin" in self.scopes
            or needed in self.scopes
            or (needed == "read" and "run" in self.scopes)
        )


def hash_secret(secret: str) -> str:
    """The stored form of a secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret(environment: str) -> str:
    """A fresh `sk_test_...` / `sk_live_...` secret."""
    return f"sk_{environment}_{random_token(40)}"


def secret_hint(secret: str) -> str:
    """What a listing may show of a secret: its start and last four characters."""
    return f"{secret[:8]}...{secret[-4:]}"


def make_key(
    *,
    project: str,
    environment: str,
    name: str,
    scopes: list[str],
    secret: str | None = None,
    expires_at: int | None = None,
    metadata: dict[str, str] | None = None,
) -> tuple[ApiKeyRecord, str]:
    """A new key record and its secret (the secret is never stored)."""
    secret = secret or new_secret(environment)
    record = ApiKeyRecord(
        id=new_id("key"),
        project=project,
        environment=environment,
        name=name,
        scopes=list(scopes),
        secret_hash=hash_secret(secret),
        hint=secret_hint(secret),
        created_at=int(time.time()),
        expires_at=expires_at,
        metadata=dict(metadata or {}),
    )
    return record, secret


async def authenticate(
    store: Store,
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
    record = await store.key_by_hash(hash_secret(secret))
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


async def bootstrap_admin_key(
    store: Store, project: str, environment: str, env_key: str | None, *, announce: bool = True
) -> str | None:
    """Make sure the default project has an admin key.

    `env_key` (AIAGENTICS_API_KEY) becomes an admin key when set. Otherwise, when the
    scope has no usable admin key, one is created and its secret printed once to stderr.
    Returns the secret when one was created (None otherwise).
    """
    scope = Scope(project, environment)
    if env_key:
        if await store.key_by_hash(hash_secret(env_key)) is None:
            record, _ = make_key(
                project=project,
                environment=environment,
                name="bootstrap (AIAGENTICS_API_KEY)",
                scopes=["admin"],
                secret=env_key,
            )
            try:
                await store.create_key(record)
            except Exception:  # another worker inserted it first (unique secret_hash)
                if await store.key_by_hash(hash_secret(env_key)) is None:
                    raise
        return None
    if await store.count_active_admin_keys(scope, int(time.time())):
        return None
    record, secret = make_key(
        project=project, environment=environment, name="bootstrap", scopes=["admin"]
    )
    await store.create_key(record)
    if announce:
        print(
            f"aia: created an admin API key for project {project!r} ({environment}); "
            f"it is shown only once:\n{secret}",
            file=sys.stderr,
            flush=True,
        )
    return secret
