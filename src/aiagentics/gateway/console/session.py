"""The console's sign-in: a sealed session cookie bound to an API key, CSRF checks, one-time links.

The browser never holds the key. Signing in (a pasted key, or the one-time link `aia dev`
prints) seals `{key id, project, environment, csrf nonce, expiry}` with the gateway's
sealing key into an HttpOnly, SameSite=Strict cookie; every request opens it and reads
the key again by id, so a revoked or expired key ends the session on the next request
and the scopes are always the key's current ones. A sealed cookie (rather than a table of
sessions) works unchanged with several `aia serve` workers and across restarts.

Requests that change something (POST) must come from our own origin (`Origin` header)
and carry the session's CSRF nonce (header `X-CSRF-Token` or form field `csrf`).
"""

from __future__ import annotations

import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from litestar import Request
from litestar.datastructures import Cookie

from aiagentics.engine.keys import KeysService
from aiagentics.engine.sealing import Sealer
from aiagentics.gateway.auth import AuthContext
from aiagentics.gateway.errors import Forbidden, Unauthorized
from aiagentics.storage.base import Scope

COOKIE = "aia_console"
CSRF_HEADER = "x-csrf-token"
SESSION_SECONDS = 12 * 3600
LINK_SECONDS = 24 * 3600
# Marks the sealed text as a console session, so no other sealed value passes for one.
_PURPOSE = "aia.console.session"


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in console: the key's current grants and the session's CSRF nonce."""

    auth: AuthContext
    csrf: str


@dataclass
class LinkTokens:
    """One-time sign-in tokens (for `aia dev`): token -> (API key secret, expiry).

    Kept in the process's memory: `aia dev` is one process, and a link that outlived a
    restart should not work anyway.
    """

    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)

    def issue(self, secret: str, ttl: float = LINK_SECONDS) -> str:
        """A new token signing in with `secret`, good for one use."""
        token = secrets.token_urlsafe(32)
        self.tokens[token] = (secret, time.time() + ttl)
        return token

    def redeem(self, token: str) -> str | None:
        """The secret of a valid token (which stops working now), else None."""
        entry = self.tokens.pop(token, None)
        if entry is None or entry[1] < time.time():
            return None
        return entry[0]


def link_tokens(state: Any) -> LinkTokens:
    """The app's one-time sign-in tokens (created on first use)."""
    tokens = getattr(state, "console_links", None)
    if tokens is None:
        tokens = LinkTokens()
        state.console_links = tokens
    return tokens


def seal_session(sealer: Sealer, auth: AuthContext, now: float | None = None) -> tuple[str, str]:
    """The cookie value of a new session for `auth`, and its CSRF nonce."""
    csrf = secrets.token_urlsafe(24)
    body = {
        "p": _PURPOSE,
        "k": auth.key_id,
        "proj": auth.project,
        "env": auth.environment,
        "c": csrf,
        "x": int((now or time.time()) + SESSION_SECONDS),
    }
    return sealer.seal(json.dumps(body, separators=(",", ":"))), csrf


def session_cookie(value: str, *, secure: bool) -> Cookie:
    """The session cookie: HttpOnly, SameSite=Strict, limited to /console."""
    return Cookie(
        key=COOKIE,
        value=value,
        path="/console",
        httponly=True,
        samesite="strict",
        secure=secure,
        max_age=SESSION_SECONDS,
    )


def cleared_cookie(*, secure: bool) -> Cookie:
    """The cookie that signs the browser out."""
    return Cookie(
        key=COOKIE,
        value="",
        path="/console",
        httponly=True,
        samesite="strict",
        secure=secure,
        max_age=0,
    )


def _opened(sealer: Sealer, value: str) -> dict[str, Any] | None:
    try:
        body = json.loads(sealer.unseal(value))
    except (ValueError, UnicodeError):
        return None
    if not isinstance(body, dict) or body.get("p") != _PURPOSE:
        return None
    if not isinstance(body.get("x"), int) or body["x"] < time.time():
        return None
    return body


async def current_session(
    request: Request[Any, Any, Any], sealer: Sealer, keys: KeysService
) -> Session | None:
    """The session of this request (its key read again, so revocation applies), or None."""
    value = request.cookies.get(COOKIE)
    if not value or len(value) > 4096:
        return None
    body = _opened(sealer, value)
    if body is None:
        return None
    scope = Scope(str(body["proj"]), str(body["env"]))
    try:
        record = await keys.get(scope, str(body["k"]))
    except Exception:  # NotFound: the key was deleted
        return None
    if not record.active(time.time()):
        return None
    auth = AuthContext(record.id, record.project, record.environment, tuple(record.scopes))
    if not auth.allows("read"):  # every page reads
        return None
    return Session(auth, str(body["c"]))


async def auth_for_secret(keys: KeysService, secret: str) -> AuthContext:
    """The grants of a pasted key; Unauthorized for an unknown, revoked or expired one."""
    record = await keys.lookup(secret.strip()) if secret.strip() else None
    if record is None or not record.active(time.time()):
        raise Unauthorized("this API key is not valid (unknown, revoked or expired)")
    return AuthContext(record.id, record.project, record.environment, tuple(record.scopes))


def own_origin(request: Request[Any, Any, Any]) -> str:
    """`scheme://host[:port]` of this gateway as the browser addressed it."""
    host = request.headers.get("host", "")
    return f"{request.url.scheme}://{host}"


def check_origin(request: Request[Any, Any, Any]) -> None:
    """Refuse a state-changing request sent from another origin (or without an Origin)."""
    origin = request.headers.get("origin")
    if origin is None or origin != own_origin(request):
        raise Forbidden(
            "this console request must come from the console's own origin", code="bad_origin"
        )


def check_csrf(request: Request[Any, Any, Any], session: Session, sent: str | None) -> None:
    """The request's origin and CSRF nonce (header, or `sent` from a form) must match."""
    check_origin(request)
    token = request.headers.get(CSRF_HEADER) or sent or ""
    if not hmac.compare_digest(token.encode(), session.csrf.encode()):
        raise Forbidden("missing or wrong CSRF token", code="bad_csrf_token")
