"""GET /v1/health: liveness without a key."""

from __future__ import annotations

import msgspec
from litestar import get

from aiagentics import __version__


class Health(msgspec.Struct):
    """The health document."""

    status: str
    version: str


@get("/v1/health", security=[{}], tags=["health"], sync_to_thread=False, summary="Health check")
def health() -> Health:
    """Liveness of the gateway; needs no API key."""
    return Health(status="ok", version=__version__)
