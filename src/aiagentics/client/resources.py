"""Resource collections of the /v1 API, by kind."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiagentics.kinds import TABLE

if TYPE_CHECKING:
    from aiagentics.client._client import ApiClient

# Kind (as in the YAML files) -> collection path under /v1.
KIND_PATHS: dict[str, str] = {k.spec_kind: k.path for k in TABLE}  # in apply order


def read_resources(
    client: ApiClient, kinds: tuple[str, ...] | None = None
) -> dict[str, list[dict]]:
    """Every object of each kind the key can see: one paginated list per kind (limit=100)."""
    return {kind: client.list_all(KIND_PATHS[kind]) for kind in kinds or tuple(KIND_PATHS)}
