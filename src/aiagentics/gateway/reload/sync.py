"""Apply a plan to the gateway's own store, atomically (the in-process twin of `aia apply`)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiagentics.compiler.state import CompiledResource, DesiredState
from aiagentics.engine.sensitive import FIELDS_KEY, seal_fields
from aiagentics.gateway.auth import AuthContext
from aiagentics.gateway.routes.models import validate
from aiagentics.gateway.routes.resources import DEV_SOURCE_KEY
from aiagentics.gateway.services import Services
from aiagentics.gateway.statedir import open_private, private_dir
from aiagentics.plan import Action, ActionType, Plan, desired_metadata, make_plan, map_refs
from aiagentics.plan.sensitive import requested_fields
from aiagentics.storage.base import Kind, Resource, Scope

# DEV_SOURCE_KEY marks a resource declared in the files of `aia dev`: the API refuses to
# change it and names this file instead (`resources.refuse_if_declared`). It is internal:
# the API never returns it, only the reload's own plan compares it.

STORE_KIND: dict[str, Kind] = {
    "Agent": "agent",
    "Tool": "tool",
    "Memory": "memory_store",
    "Webhook": "webhook",
    "File": "file",
}
PREFIX = {"Agent": "agt", "Tool": "tool", "Memory": "mem", "Webhook": "whk", "File": "file"}


def stable_id(scope: Scope, kind: str, name: str) -> str:
    """The id a declared resource keeps across reloads and restarts (derived from its name)."""
    digest = hashlib.sha256(f"{scope.project}\0{scope.environment}\0{kind}\0{name}".encode())
    return f"{PREFIX[kind]}_dev{digest.hexdigest()[:21]}"


@dataclass(frozen=True, slots=True)
class SyncResult:
    """The plan that was applied (its `changes` are what the reload did).

    `secrets` holds, by address, the signing secret generated for each webhook this sync
    created without one in its file: the only moment it can be shown.
    """

    plan: Plan
    secrets: dict[str, str] = dataclasses.field(default_factory=dict, repr=False)


class SyncConflict(Exception):
    """The plan cannot be applied (a name held by a resource created through the API)."""


def _resource_types() -> dict[str, Any]:
    from aiagentics.gateway.routes.agents import AGENTS
    from aiagentics.gateway.routes.memory_stores import MEMORY_STORES
    from aiagentics.gateway.routes.tools import TOOLS
    from aiagentics.gateway.routes.webhooks import WEBHOOKS

    return {"Agent": AGENTS, "Tool": TOOLS, "Memory": MEMORY_STORES, "Webhook": WEBHOOKS}


async def remote_objects(services: Services, scope: Scope) -> dict[str, list[dict[str, Any]]]:
    """Every stored object of the scope as the API renders it, internal labels kept, by kind."""
    from aiagentics.gateway.routes.files import render_file
    from aiagentics.gateway.routes.resources import render

    types = _resource_types()
    out: dict[str, list[dict[str, Any]]] = {}
    for kind, store_kind in STORE_KIND.items():
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            page = await services.store.list(store_kind, scope, limit=100, starting_after=cursor)
            for res in page.items:
                obj = render_file(res) if kind == "File" else render(types[kind], res)
                if isinstance(res.data.get("metadata"), dict):
                    obj["metadata"] = dict(res.data["metadata"])  # with DEV_SOURCE_KEY
                items.append(obj)
            if not page.has_more or not page.items:
                break
            cursor = page.items[-1].id
        out[kind] = items
    return out


def file_hashes(desired: DesiredState, root: Path) -> dict[str, str]:
    """sha256 of each File resource's content, read from the project."""
    hashes: dict[str, str] = {}
    for res in desired.of_kind("File"):
        path = root / str(res.body.get("path"))
        hashes[res.address] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


async def sync_state(
    services: Services, scope: Scope, desired: DesiredState, root: Path
) -> SyncResult:
    """Make the store hold exactly the declared resources; all changes in one transaction."""
    desired = declared(desired)
    remember_sensitive(services, desired)
    hashes = file_hashes(desired, root)
    remote = await remote_objects(services, scope)
    # Off the loop: comparing a write-only value checks its fingerprint (a memory-hard hash).
    plan = await asyncio.to_thread(make_plan, desired, remote, hashes)
    if plan.problems:
        raise SyncConflict("; ".join(p.message for p in plan.problems))
    auth = AuthContext("key_dev", scope.project, scope.environment, ("admin",))
    staged: list[tuple[Path, Path]] = []
    deleted: list[tuple[str, Resource]] = []
    secrets: dict[str, str] = {}
    try:
        async with services.storage.transaction():
            for action in plan.changes:
                await _apply_one(
                    services, auth, desired, action, root, hashes, staged, deleted, secrets
                )
        for tmp, final in staged:
            os.replace(tmp, final)
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
    # What the API does after a delete (a memory store's KV and chunks), once committed.
    types = _resource_types()
    for kind, gone in deleted:
        hook = getattr(types.get(kind), "on_delete", None)
        if hook is not None:
            await hook(services, auth, gone)
    if services.files_index is not None:
        for action in plan.changes:
            if action.kind == "File" and action.type is not ActionType.DELETE:
                fid = stable_id(scope, "File", action.name)
                res = await services.store.get("file", scope, fid)
                if res is not None:
                    await services.files_index.file_added(
                        scope, res, services.settings.files_dir / fid
                    )
    return SyncResult(plan, secrets)


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


async def _apply_one(
    services: Services,
    auth: AuthContext,
    desired: DesiredState,
    action: Action,
    root: Path,
    hashes: dict[str, str],
    staged: list[tuple[Path, Path]],
    deleted: list[tuple[str, Resource]],
    secrets: dict[str, str],
) -> None:
    scope = auth.scope
    store_kind = STORE_KIND[action.kind]
    rid = action.id or stable_id(scope, action.kind, action.name)
    if action.type is ActionType.DELETE:
        gone = await services.store.get(store_kind, scope, rid)
        if gone is not None and await services.store.delete(store_kind, scope, rid):
            deleted.append((action.kind, gone))
        return
    resource = desired.by_address[action.address]
    metadata = desired_metadata(desired.project, resource, hashes.get(action.address))
    body = map_refs(resource.kind, resource.body, lambda k, n: stable_id(scope, k, n))
    current = await services.store.get(store_kind, scope, rid)
    if action.kind == "File":
        data = _file_record(resource, body, metadata, root, hashes[action.address])
        tmp = services.settings.files_dir / f".dev-{rid}"
        private_dir(services.settings.files_dir, tighten=False)
        with open_private(tmp) as out:
            out.write((root / str(body["path"])).read_bytes())
        staged.append((tmp, services.settings.files_dir / rid))
    else:
        data = await _prepared(
            services,
            auth,
            action.kind,
            {**body, "metadata": metadata},
            current,
            requested_fields(resource),
        )
        generated = data.pop("_response_extra", {}).get("secret")
        if generated and body.get("secret") is None:
            secrets[action.address] = generated
    name = data.pop("name", resource.name)
    if current is None:
        await services.store.create(store_kind, scope, name, data, id=rid)
    else:
        await services.store.update(store_kind, scope, rid, name, data)


async def _prepared(
    services: Services,
    auth: AuthContext,
    kind: str,
    body: dict[str, Any],
    current: Resource | None,
    sensitive: list[str] | None = None,
) -> dict[str, Any]:
    """The body validated by the API's own model, prepared by its own hook, secrets sealed."""
    rt = _resource_types()[kind]
    data = validate(rt.create_model, body).model_dump(mode="json")
    data.pop(FIELDS_KEY, None)
    if rt.prepare is not None:
        data = await rt.prepare(services, auth, data, current)
    extra = data.pop("_response_extra", None)
    # Sealed here, hashing only changed values.
    sealed = seal_fields(
        services.sealer, kind, data, current.data if current else None, sensitive or []
    )
    if extra is not None:  # a generated secret: the caller takes it out
        sealed["_response_extra"] = extra
    return sealed


def _file_record(
    resource: CompiledResource,
    body: dict[str, Any],
    metadata: dict[str, Any],
    root: Path,
    sha256: str,
) -> dict[str, Any]:
    path = root / str(body["path"])
    return {
        "name": resource.name,
        "description": body.get("description") or "",
        "metadata": metadata,
        "filename": path.name,
        "bytes": path.stat().st_size,
        "purpose": body.get("purpose") or "retrieval",
        "content_type": "application/octet-stream",
        "sha256": sha256,
    }
