"""Idempotency-Key on POST: a retry gets the first answer back, not a second effect.

Replays the stored response of the same API key, Idempotency-Key and body, refuses another
body (409), and stores the new response. Records belong to the API key that made them
(another key's same Idempotency-Key is a request of its own). Only verdicts on the request
are stored: not 401/403 (about the caller), 408/429 (about timing) or 5xx (the request may
not have run), so a retry of those runs again. A stored body is sealed (it may hold a new
key's secret) and the request body is kept only as a keyed fingerprint. A streamed
response is stored when it starts if its handler named where to replay it from
(`scope["state"][STREAM_REPLAY]`, e.g. "/v1/runs/run_x/events"): a retry then follows that
stream from the start (or from its Last-Event-ID) instead of creating anew.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from aiagentics.gateway.errors import Conflict, InvalidRequest, PayloadTooLarge
from aiagentics.gateway.middleware.asgi import Scope, adding, off_loop, send_error
from aiagentics.gateway.middleware.limits import body_limit, read_body
from aiagentics.gateway.services import Services
from aiagentics.storage.base import StoredResponse

MAX_IDEMPOTENCY_KEY = 255
# Set by a streaming handler: the GET path (with query) that replays what it streams.
STREAM_REPLAY = "idempotent_stream_replay"
_REPLAY_HEADER = "aia-idempotent-replay"
# Statuses that say nothing about what the request did: about the caller (401, 403) or
# about timing (408, 429). Like 5xx they are answered but never stored.
_NOT_STORED = frozenset({401, 403, 408, 429})


def _storable(status: int | None) -> bool:
    """Whether a response with this status is remembered under its Idempotency-Key."""
    return status is not None and status < 500 and status not in _NOT_STORED


_VOLATILE = frozenset(
    {b"x-request-id", b"x-ratelimit-limit", b"x-ratelimit-remaining", b"x-ratelimit-reset", b"date"}
)


class Idempotency:
    """The idempotent path of a POST with an Idempotency-Key (its caller authenticated)."""

    def __init__(self, app: Any, services: Services) -> None:
        self.app = app
        self.services = services

    async def __call__(
        self,
        scope: Scope,
        receive: Any,
        send: Any,
        extra: list[tuple[bytes, bytes]],
        key: str,
        owner: str,
    ) -> None:
        """Run the request once per (owner, key): replay, refuse (409) or run and store."""
        request_id = scope["state"]["request_id"]
        if not key or len(key) > MAX_IDEMPOTENCY_KEY:
            err = InvalidRequest(
                f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters",
                param="Idempotency-Key",
            )
            await send_error(send, err, request_id, extra)
            return
        limit = body_limit(self.services.settings, scope["path"], scope["method"])
        body, complete = await read_body(receive, limit)
        if not complete:
            await send_error(send, PayloadTooLarge("request body too large"), request_id, extra)
            return
        sealer = self.services.sealer
        target_line = f"{scope['method']} {scope['path']}?".encode() + scope.get(
            "query_string", b""
        )
        body_hash = await off_loop(len(body), sealer.fingerprint, target_line, body)
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
            "finished": False,
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
                status = captured["status"]
                if not message.get("more_body") and _storable(status):
                    # Stored before the client has its answer: a retry that follows at
                    # once, on any instance, then gets the replay, never "in use".
                    await finish(status)
            await send(message)

        async def finish(status: int) -> None:
            data = bytes(captured["body"])
            sealed = await off_loop(len(data), sealer.seal_bytes, data)
            await store.idempotency_finish(owner, key, status, captured["headers"], sealed)
            captured["finished"] = True

        try:
            await self.app(scope, replay, adding(capture, extra))
        except BaseException:
            await store.idempotency_abandon(owner, key)
            raise
        status = captured["status"]
        if captured["finished"]:
            return
        if not _storable(status) or captured["stream"]:
            await store.idempotency_abandon(owner, key)
        else:
            await finish(status)

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
                body = await off_loop(
                    len(stored.body), self.services.sealer.unseal_bytes, stored.body
                )
            except ValueError:
                err = Conflict(
                    "the response stored under this Idempotency-Key cannot be read"
                    " (the gateway's secret key changed); use a new Idempotency-Key",
                    param="Idempotency-Key",
                    code="idempotency_key_unreadable",
                )
                await send_error(send, err, scope["state"]["request_id"], extra)
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
        await send_error(send, err, scope["state"]["request_id"], extra)

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
        await self.app(inner, empty, adding(send, replayed))
