"""The gateway's settings: declared in `aiagentics.project` with the `[gateway]` section they derive from."""

from __future__ import annotations

from aiagentics.project import DEFAULT_DATABASE, SETTINGS_ENV, GatewaySettings

__all__ = ["DEFAULT_DATABASE", "SETTINGS_ENV", "GatewaySettings"]
