"""Builders of compiled resources and remote objects for the pure planner tests."""

from __future__ import annotations

from typing import Any

from aiagentics.compiler.state import CompiledResource, DesiredState, SourceRef

PROJECT = "payments"


def res(kind: str, name: str, body: dict[str, Any], **kw: Any) -> CompiledResource:
    full = {"name": name, **body}
    return CompiledResource(
        kind=kind,
        name=name,
        body=full,
        source=SourceRef(f"{kind.lower()}s/{name}.yaml", 1, 1),
        spec_hash=kw.pop("spec_hash", f"h-{name}-{sorted(full.items())!s:.40}"),
        **kw,
    )


def state(*resources: CompiledResource) -> DesiredState:
    return DesiredState(
        project=PROJECT,
        env=None,
        resources=tuple(resources),
        by_address={r.address: r for r in resources},
    )


def remote_of(
    resource: CompiledResource, rid: str, ids: dict[str, str] | None = None, **meta: Any
) -> dict:
    """The object the API would report after applying `resource` (refs given as ids)."""
    from aiagentics.plan import desired_metadata, map_refs

    ids = ids or {}
    body = map_refs(resource.kind, resource.body, lambda k, n: ids[f"{k}/{n}"])
    metadata = {**desired_metadata(PROJECT, resource, None), **meta}
    return {
        "id": rid,
        "object": resource.kind.lower(),
        "created_at": 1,
        "version": 1,
        **body,
        "metadata": metadata,
    }
