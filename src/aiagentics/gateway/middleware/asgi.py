"""The small ASGI pieces the middleware's steps share: headers read, headers added, errors sent."""

from __future__ import annotations

from typing import Any

import anyio.to_thread

from aiagentics.gateway.errors import ApiError, error_response_bytes

Scope = dict[str, Any]
# Hashing or sealing more than this many bytes goes to a worker thread, off the event loop.
THREAD_BYTES = 64 * 1024

_WANTED = frozenset({b"authorization", b"content-length", b"idempotency-key"})
# Headers whose second copy would make the request mean two things.
_SINGLE = {"authorization": "Authorization", "idempotency-key": "Idempotency-Key"}


def read_headers(scope: Scope) -> tuple[dict[str, str], str | None]:
    """The few request headers the middleware reads (ASGI servers give lower-case names),
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


async def off_loop(size: int, func: Any, *args: Any) -> Any:
    """`func(*args)`, in a worker thread when it handles more than `THREAD_BYTES` bytes."""
    if size > THREAD_BYTES:
        return await anyio.to_thread.run_sync(func, *args)
    return func(*args)


def adding(send: Any, extra: list[tuple[bytes, bytes]]) -> Any:
    """`send` that adds `extra` headers to the response start."""

    async def wrapped(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return wrapped


async def send_error(
    send: Any, err: ApiError, request_id: str, extra: list[tuple[bytes, bytes]]
) -> None:
    """Answer with the error body (and `extra` headers) before any route ran."""
    body = error_response_bytes(err, request_id)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *extra,
        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in err.headers.items()),
    ]
    await send({"type": "http.response.start", "status": err.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
