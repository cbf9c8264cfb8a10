"""The ASGI layer in front of every route: request id, body limit, auth, rate limit, idempotency.

One pure-ASGI middleware (cheaper than a Litestar middleware stack) that
  1. gives the request an id (`scope["state"]["request_id"]`, header X-Request-Id),
  2. refuses a Content-Length above the route's limit (413),
  3. authenticates /v1/* except /v1/health (`scope["state"]["auth"]`, else 401), after
     validating the read cache with the database's change token
     (`scope["state"]["cache_token"]`, see readcache.py); a request with more than one
     `Authorization` (or `Idempotency-Key`) header is refused (400), not guessed at,
  4. spends a token of the caller's bucket (429 with Retry-After when empty),
  5. for a POST with `Idempotency-Key`: replays the stored response of the same API key,
     Idempotency-Key and body, refuses another body (409), and stores the new response.
     Records belong to the API key that made them (another key's same Idempotency-Key is
     a request of its own). Only verdicts on the request are stored: not 401/403 (about
     the caller), 408/429 (about timing) or 5xx (the request may not have run), so a
     retry of those runs again. A stored body is sealed (it may hold a new key's secret)
     and the request body is kept only as a keyed fingerprint. A streamed
     response is stored when it starts if its handler named where to replay it from
     (`scope["state"][STREAM_REPLAY]`, e.g. "/v1/runs/run_x/events"): a retry then follows
     that stream from the start (or from its Last-Event-ID) instead of creating anew,
  6. adds X-Request-Id and X-RateLimit-Limit/-Remaining/-Reset to every response.
Scope checks per route happen in the `auth` dependency (`auth.needs`) or a guard
(`auth.require`), not here: routing has not happened yet.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from typing import Any

import anyio.to_thread

from aiagentics.gateway.auth import authenticate
from aiagentics.gateway.errors import (
    ApiError,
    Conflict,
    InvalidRequest,
    PayloadTooLarge,
    RateLimited,
    ServerError,
    error_response_bytes,
)
from aiagentics.gateway.services import Services
from aiagentics.storage.base import StoredResponse

log = logging.getLogger("aiagentics.gateway")

Scope = dict[str, Any]
PUBLIC_PATHS = frozenset({"/v1/health"})
UPLOAD_PATHS = frozenset({"/v1/files"})
MULTIPART_OVERHEAD = 1_000_000
MAX_IDEMPOTENCY_KEY = 255
# Set by a streaming handler: the GET path (with query) that replays what it streams.
STREAM_REPLAY = "idempotent_stream_replay"
_REPLAY_HEADER = "aia-idempotent-replay"
# Statuses that say nothing about what the request did: about the caller (401, 403) or
# about timing (408, 429). Like 5xx they are answered but never stored.
_NOT_STORED = frozenset({401, 403, 408, 429})
# Hashing or sealing more than this many bytes goes to a worker thread, off the event loop.
_THREAD_BYTES = 64 * 1024


class GatewayMiddleware:
    """Wraps the Litestar app; see the module docstring."""

    def __init__(self, app: Any, services: Services) -> None:
        self.app = app
        self.services = services

    def body_limit(self, path: str, method: str) -> int:
        """The largest body this route accepts."""
        settings = self.services.settings
        if method == "POST" and path in UPLOAD_PATHS:
            return settings.max_file_bytes + MULTIPART_OVERHEAD
        return settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = "req_" + os.urandom(12).hex()  # cheaper than base62; still unguessable
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        path: str = scope["path"]
        method: str = scope["method"]
        headers, repeated = _headers(scope)
        extra: list[tuple[bytes, bytes]] = [(b"x-request-id", request_id.encode())]

        try:
            who = f"ip:{(scope.get('client') or ('?', 0))[0]}"
            auth = None
            auth_error: ApiError | None = None
            if repeated is not None:
                # Two proxies or libraries disagree about which one counts: refuse both.
                auth_error = InvalidRequest(
                    f"the request has more than one `{repeated}` header; send exactly one",
                    param=repeated,
                    code="duplicate_header",
                )
            elif path.startswith("/v1/") and path not in PUBLIC_PATHS:
                try:
                    # One cheap "did the database change?" check per request validates
                    # every read cached since the last write (see readcache.py).
                    cache = self.services.read_cache
                    token = cache.begin(await self.services.storage.change_token())
                    state["cache_token"] = token
                    auth = await authenticate(
                        self.services.store, headers.get("authorization"), cache, token
                    )
                except ApiError as err:
                    auth_error = err
                except Exception as exc:  # the store failing must still get our error shape
                    log.exception("authentication of request %s failed", request_id)
                    raise ServerError("internal server error") from exc
                else:
                    state["auth"] = auth
                    who = auth.key_id
            decision = self.services.rate_limiter.take(who)
            extra += [
                (b"x-ratelimit-limit", str(decision.limit).encode()),
                (b"x-ratelimit-remaining", str(decision.remaining).encode()),
                (b"x-ratelimit-reset", str(decision.reset_seconds).encode()),
            ]
            if not decision.allowed:
                raise RateLimited(
                    f"too many requests: retry after {decision.retry_after} s",
                    retry_after=decision.retry_after,
                )
            if auth_error is not None:
                raise auth_error
            length = headers.get("content-length")
            limit = self.body_limit(path, method)
            if length is not None and length.isdigit() and int(length) > limit:
                raise PayloadTooLarge(
                    f"request body of {length} bytes is over the limit of {limit} bytes"
                )
        except ApiError as err:
            await _send_error(send, err, request_id, extra)
            return

        idem_key = headers.get("idempotency-key")
        if method == "POST" and idem_key is not None and auth is not None:
            # The key id alone: ids are unique, and each key is bound to one project.
            await self._idempotent(scope, receive, send, extra, idem_key, auth.key_id)
            return
        await self.app(
            scope, _limited(receive, self.body_limit(path, method)), _adding(send, extra)
        )

    async def _idempotent(
        self,
        scope: Scope,
        receive: Any,
        send: Any,
        extra: list[tuple[bytes, bytes]],
        key: str,
        owner: str,
    ) -> None:
        request_id = scope["state"]["request_id"]
        if not key or len(key) > MAX_IDEMPOTENCY_KEY:
            err = InvalidRequest(
                f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters",
                param="Idempotency-Key",
            )
            await _send_error(send, err, request_id, extra)
            return
        limit = self.body_limit(scope["path"], scope["method"])
        body, complete = await _read_body(receive, limit)
        if not complete:
            await _send_error(send, PayloadTooLarge("request body too large"), request_id, extra)
            return
        sealer = self.services.sealer
        target_line = f"{scope['method']} {scope['path']}?".encode() + scope.get(
            "query_string", b""
        )
        body_hash = await _off_loop(len(body), sealer.fingerprint, target_line, body)
        store = self.services.store
        now = int(time.time())
        if secrets.randbelow(500) == 0:  # now and then, forget records past their TTL
            await store.idempotency_purge(now - self.services.settings.idempotency_ttl_seconds)
        stored = await store.idempotency_begin(owner, key, body_hash, now)
        if stored is not None:
            await self._answer_stored(scope, receive, send, extra, stored, body_hash)
            return

        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        captured: dict[str, Any] = {
            "status": None,
            "headers": [],
            "body": bytearray(),
            "stream": False,
        }

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = [
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in message.get("headers", [])
                    if k.lower() not in _VOLATILE
                ]
                captured["stream"] = any(
                    k.lower() == b"content-type" and v.startswith(b"text/event-stream")
                    for k, v in message.get("headers", [])
                )
                target = scope["state"].get(STREAM_REPLAY)
                if captured["stream"] and target and message["status"] < 300:
                    # Stored now, not at the end: a client that lost the stream retries
                    # while it may still run, and must get that same run back.
                    await store.idempotency_finish(
                        owner,
                        key,
                        message["status"],
                        [*captured["headers"], (_REPLAY_HEADER, target)],
                        sealer.seal_bytes(b""),
                    )
            elif message["type"] == "http.response.body" and not captured["stream"]:
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, replay, _adding(capture, extra))
        except BaseException:
            await store.idempotency_abandon(owner, key)
            raise
        status = captured["status"]
        if status is None or status >= 500 or status in _NOT_STORED or captured["stream"]:
            await store.idempotency_abandon(owner, key)
        else:
            data = bytes(captured["body"])
            sealed = await _off_loop(len(data), sealer.seal_bytes, data)
            await store.idempotency_finish(owner, key, status, captured["headers"], sealed)

    async def _answer_stored(
        self,
        scope: Scope,
        receive: Any,
        send: Any,
        extra: list[tuple[bytes, bytes]],
        stored: StoredResponse,
        body_hash: str,
    ) -> None:
        """Answer a POST whose Idempotency-Key has a record: replay, or say why not (409)."""
        body = b""
        if stored.status is not None:
            # Opened first: under another sealing key the fingerprint differs as well, and
            # "another request body" would be the wrong reason.
            try:
                body = await _off_loop(
                    len(stored.body), self.services.sealer.unseal_bytes, stored.body
                )
            except ValueError:
                err = Conflict(
                    "the response stored under this Idempotency-Key cannot be read"
                    " (the gateway's secret key changed); use a new Idempotency-Key",
                    param="Idempotency-Key",
                    code="idempotency_key_unreadable",
                )
                await _send_error(send, err, scope["state"]["request_id"], extra)
                return
        if stored.body_hash != body_hash:
            err = Conflict(
                "this Idempotency-Key was used with another request body",
                param="Idempotency-Key",
                code="idempotency_key_reused",
            )
        elif stored.status is None:
            err = Conflict(
                "a request with this Idempotency-Key is still being processed",
                param="Idempotency-Key",
                code="idempotency_key_in_use",
            )
        elif any(k == _REPLAY_HEADER for k, _ in stored.headers):
            target = dict(stored.headers)[_REPLAY_HEADER]
            await self._replay_stream(scope, receive, send, extra, target)
            return
        else:
            replay_headers = [
                (k.encode("latin-1"), v.encode("latin-1")) for k, v in stored.headers
            ] + [*extra, (b"idempotent-replayed", b"true")]
            await send(
                {"type": "http.response.start", "status": stored.status, "headers": replay_headers}
            )
            await send({"type": "http.response.body", "body": body})
            return
        await _send_error(send, err, scope["state"]["request_id"], extra)

    async def _replay_stream(
        self, scope: Scope, receive: Any, send: Any, extra: list[tuple[bytes, bytes]], target: str
    ) -> None:
        """Answer a retried streaming POST with a GET of the stream it started (auth kept)."""
        path, _, query = target.partition("?")
        headers = [
            (k, v)
            for k, v in scope.get("headers", ())
            if k.lower() not in (b"content-length", b"content-type", b"transfer-encoding")
        ]
        inner = {
            **scope,
            "method": "GET",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "headers": headers,
        }
        sent = False

        async def empty() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": b"", "more_body": False}
            return await receive()

        replayed = [*extra, (b"idempotent-replayed", b"true")]
        await self.app(inner, empty, _adding(send, replayed))


_VOLATILE = frozenset(
    {b"x-request-id", b"x-ratelimit-limit", b"x-ratelimit-remaining", b"x-ratelimit-reset", b"date"}
)


_WANTED = frozenset({b"authorization", b"content-length", b"idempotency-key"})
# Headers whose second copy would make the request mean two things.
_SINGLE = {"authorization": "Authorization", "idempotency-key": "Idempotency-Key"}


def _headers(scope: Scope) -> tuple[dict[str, str], str | None]:
    """The few request headers this layer reads (ASGI servers give lower-case names),
    and the name of a header of `_SINGLE` the request repeats (None when none is)."""
    found: dict[str, str] = {}
    repeated: str | None = None
    for k, v in scope.get("headers", ()):
        if k not in _WANTED:
            k = k.lower()
            if k not in _WANTED:
                continue
        name = k.decode("latin-1")
        if name in found and name in _SINGLE and repeated is None:
            repeated = _SINGLE[name]
        found[name] = v.decode("latin-1")
    return found, repeated


async def _off_loop(size: int, func: Any, *args: Any) -> Any:
    """`func(*args)`, in a worker thread when it handles more than `_THREAD_BYTES` bytes."""
    if size > _THREAD_BYTES:
        return await anyio.to_thread.run_sync(func, *args)
    return func(*args)


def _adding(send: Any, extra: list[tuple[bytes, bytes]]) -> Any:
    async def wrapped(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return wrapped


def _limited(receive: Any, limit: int) -> Any:
    """`receive` that raises 413 once more than `limit` body bytes arrived (chunked bodies too)."""
    seen = 0

    async def wrapped() -> dict[str, Any]:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise PayloadTooLarge(f"request body is over the limit of {limit} bytes")
        return message

    return wrapped


async def _read_body(receive: Any, limit: int) -> tuple[bytes, bool]:
    chunks = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return bytes(chunks), False
        chunks += message.get("body", b"")
        if len(chunks) > limit:
            return b"", False
        if not message.get("more_body", False):
            return bytes(chunks), True


async def _send_error(
    send: Any, err: ApiError, request_id: str, extra: list[tuple[bytes, bytes]]
) -> None:
    body = error_response_bytes(err, request_id)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *extra,
        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in err.headers.items()),
    ]
    await send({"type": "http.response.start", "status": err.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


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
