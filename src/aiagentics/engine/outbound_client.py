"""The HTTP client `http` tools call out through (the one place to swap it)."""

from __future__ import annotations

import httpx

from aiagentics.engine.outbound import safe_client
from aiagentics.project import GatewaySettings

# A ceiling only: each call is bounded by its tool's own timeout_seconds.
_CLIENT_TIMEOUT = 600.0


def outbound_client(settings: GatewaySettings, max_bytes: int) -> httpx.AsyncClient:
    """A client that refuses link-local/metadata always and private networks unless allowed."""
    return safe_client(
        allow_private_network=settings.allow_private_network,
        timeout=_CLIENT_TIMEOUT,
        max_bytes=max_bytes,
    )
