"""The human view of API keys."""

from __future__ import annotations

import time
from typing import Any

from rich.table import Table


def _when(ts: int | None) -> str:
    return "-" if ts is None else time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


def keys_table(items: list[dict[str, Any]]) -> Table:
    """One row per key: id, name, scopes, hint and its dates (UTC)."""
    table = Table("id", "name", "scopes", "hint", "created", "expires", "revoked")
    for k in items:
        table.add_row(
            k["id"],
            k["name"],
            ",".join(k["scopes"]),
            k["hint"],
            _when(k["created_at"]),
            _when(k["expires_at"]),
            _when(k["revoked_at"]),
        )
    return table
