"""A reload's apply: plan the files against the gateway's own store, and carry the plan out
with the apply engine through `LocalTarget`, as `aia apply` would through the API."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from aiagentics import kinds
from aiagentics.apply.engine import ApplyResult, ApplyRun
from aiagentics.compiler.state import DesiredState
from aiagentics.engine.definitions import DEV_SOURCE_KEY, public_metadata, render
from aiagentics.gateway.reload.local_target import LocalTarget
from aiagentics.gateway.services import Services
from aiagentics.plan import Plan, make_plan
from aiagentics.storage.base import Resource, Scope

# DEV_SOURCE_KEY marks a resource declared in the files of `aia dev`: the API refuses to
# change it and names this file instead. It is internal: the API never returns it, only
# the reload's own plan compares it.


@dataclass(frozen=True, slots=True)
class LocalApply:
    """The plan a reload made and what carrying it out did (all of it, or nothing)."""

    plan: Plan
    result: ApplyResult


async def apply_files(
    services: Services, scope: Scope, desired: DesiredState, root: Path
) -> LocalApply:
    """Make the store hold exactly the declared resources, in one transaction.

    Raises `ApplyRefused` (nothing changed) when a planned name is held by an object
    created through the API.
    """
    desired = declared(desired)
    remember_sensitive(services, desired)
    # Reading the files' bytes is blocking I/O: off the loop, when there are files.
    files = bool(desired.of_kind("File"))
    hashes = await anyio.to_thread.run_sync(file_hashes, desired, root) if files else {}
    remote = await remote_objects(services, scope)
    # Off the loop: comparing a write-only value checks its fingerprint (a memory-hard hash).
    plan = await anyio.to_thread.run_sync(make_plan, desired, remote, hashes)
    run = ApplyRun(plan, desired, target := LocalTarget(services, scope, root), file_hashes=hashes)
    return LocalApply(plan, await target.apply(run))


def _render_file(res: Resource) -> dict[str, Any]:
    return public_metadata(
        {
            "id": res.id,
            "object": "file",
            "created_at": res.created_at,
            "updated_at": res.updated_at,
            "name": res.name,
            **res.data,
        }
    )


async def remote_objects(services: Services, scope: Scope) -> dict[str, list[dict[str, Any]]]:
    """Every stored object of the scope as the API renders it, internal labels kept, by kind."""
    out: dict[str, list[dict[str, Any]]] = {}
    for kind, store_kind in kinds.STORE_KIND.items():
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            page = await services.store.list(store_kind, scope, limit=100, starting_after=cursor)
            for res in page.items:
                obj = _render_file(res) if kind == "File" else render(store_kind, res)
                if isinstance(res.data.get("metadata"), dict):
                    obj["metadata"] = dict(res.data["metadata"])  # with DEV_SOURCE_KEY
                items.append(obj)
            if not page.has_more or not page.items:
                break
            cursor = page.items[-1].id
        out[kind] = items
    return out


def file_hashes(desired: DesiredState, root: Path) -> dict[str, str]:
    """sha256 of each File resource's content, read from the project (blocking)."""
    hashes: dict[str, str] = {}
    for res in desired.of_kind("File"):
        path = root / str(res.body.get("path"))
        hashes[res.address] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def remember_sensitive(services: Services, desired: DesiredState) -> None:
    """Tell the run engine the values that came from `${ENV}`, so run errors never show them."""
    scrubber = getattr(services.runs, "scrubber", None)
    if scrubber is None:
        return
    for res in desired.resources:
        for path in res.sensitive:
            node: Any = res.body
            for part in path.split("."):
                if isinstance(node, dict):
                    node = node.get(part)
                elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                    node = node[int(part)]
                else:
                    node = None
                    break
            if isinstance(node, str):
                scrubber.add(node)


def declared(desired: DesiredState) -> DesiredState:
    """The desired state with every resource marked as declared in its file.

    The marker is part of what is desired, so the planner compares it like any label.
    """
    marked = tuple(
        dataclasses.replace(
            r,
            body={
                **r.body,
                "metadata": {**(r.body.get("metadata") or {}), DEV_SOURCE_KEY: r.source.file},
            },
        )
        for r in desired.resources
    )
    return dataclasses.replace(desired, resources=marked, by_address={r.address: r for r in marked})
