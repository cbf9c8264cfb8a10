"""Request body limits: by Content-Length before routing, and on the bytes as they arrive."""

from __future__ import annotations

from typing import Any

from aiagentics.gateway.errors import PayloadTooLarge
from aiagentics.gateway.settings import GatewaySettings

UPLOAD_PATHS = frozenset({"/v1/files"})
# Room for the multipart framing and form fields around an upload's file part.
MULTIPART_OVERHEAD = 1_000_000


def body_limit(settings: GatewaySettings, path: str, method: str) -> int:
    """The largest body this route accepts."""
    if method == "POST" and path in UPLOAD_PATHS:
        return settings.max_file_bytes + MULTIPART_OVERHEAD
    return settings.max_body_bytes


def check_length(length: str | None, limit: int) -> None:
    """413 for a declared Content-Length above the limit."""
    if length is not None and length.isdigit() and int(length) > limit:
        raise PayloadTooLarge(f"request body of {length} bytes is over the limit of {limit} bytes")


def limited(receive: Any, limit: int) -> Any:
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


async def read_body(receive: Any, limit: int) -> tuple[bytes, bool]:
    """The whole body and True, or False when the client left or it is over `limit`."""
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
