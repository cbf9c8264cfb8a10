"""desired state + what the API reports -> a Plan (pure: no I/O, no printing)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from aiagentics.compiler.state import APPLY_ORDER, CompiledResource, DesiredState
from aiagentics.plan.diff import diff_body, diff_metadata, field_change, normalize_remote
from aiagentics.plan.model import (
    CONTENT_HASH_KEY,
    HASH_KEY,
    OWNER_KEY,
    PROTECT_KEY,
    SOURCE_KEY,
    Action,
    ActionType,
    FieldChange,
    Plan,
    Problem,
)
from aiagentics.plan.refs import REF_FIELDS, referenced
from aiagentics.plan.sensitive import FIELDS_KEY, wanted_fields
from aiagentics.spec.secrets import hashable_view


@dataclass(slots=True)
class RemoteState:
    """What the API reports, by kind (raw wire objects), indexed for the planner."""

    objects: dict[str, list[dict[str, Any]]]
    id_to_name: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for items in self.objects.values():
            for obj in items:
                self.id_to_name[obj["id"]] = remote_name(obj)

    def name_of(self, remote_id: str) -> str:
        return self.id_to_name.get(remote_id, remote_id)


def remote_name(obj: Mapping[str, Any]) -> str:
    """The resource name of a remote object (files may keep it in metadata or as filename)."""
    meta = obj.get("metadata") or {}
    return str(obj.get("name") or meta.get("aia.name") or obj.get("filename") or obj["id"])


def owner_of(obj: Mapping[str, Any]) -> str | None:
    """The project that owns a remote object, per its `aia.project` label."""
    meta = obj.get("metadata") or {}
    owner = meta.get(OWNER_KEY)
    return str(owner) if owner else None


def is_protected(obj: Mapping[str, Any]) -> bool:
    """`metadata.protect: true` (stored as the `aia.protect` label, or a user `protect` key)."""
    meta = obj.get("metadata") or {}
    return any(
        str(meta.get(k, "")).lower() in ("true", "1", "yes") for k in (PROTECT_KEY, "protect")
    )


def desired_metadata(
    project: str, resource: CompiledResource, content_hash: str | None
) -> dict[str, Any]:
    """The metadata apply writes: the body's own, plus the ownership labels."""
    meta = {str(k): v for k, v in (resource.body.get("metadata") or {}).items()}
    meta.pop("protect", None)
    meta[OWNER_KEY] = project
    meta[SOURCE_KEY] = resource.source.file
    meta[HASH_KEY] = resource.spec_hash
    if resource.protect:
        meta[PROTECT_KEY] = "true"
    if content_hash is not None:
        meta[CONTENT_HASH_KEY] = content_hash
    return meta


def marker(obj: Mapping[str, Any]) -> str:
    """A fingerprint of a remote object's state: any change to it changes the marker."""
    version = obj.get("version")
    digest = hashlib.sha256(
        json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).hexdigest()[:16]
    return f"v{version}:{digest}" if version is not None else digest


def state_hash(desired: DesiredState, file_hashes: Mapping[str, str]) -> str:
    """A fingerprint of the compiled files (bodies, secrets as stable digests, file contents)."""
    h = hashlib.sha256()
    h.update(f"{desired.project}\0{desired.env}\0".encode())
    for r in desired.resources:
        h.update(r.address.encode() + b"\0" + r.spec_hash.encode() + b"\0")
        body = hashable_view(r.kind, r.body, r.sensitive, r.address)  # no fast hash of a secret
        h.update(json.dumps(body, sort_keys=True, default=str).encode())
        h.update(str(r.protect).encode() + (file_hashes.get(r.address) or "").encode())
    return h.hexdigest()


def _sort_key(action: Action) -> tuple[int, int, str]:
    order = APPLY_ORDER.index(action.kind) if action.kind in APPLY_ORDER else len(APPLY_ORDER)
    if action.type is ActionType.DELETE:
        return (1, -order, action.name)  # deletes last, dependents first
    return (0, order, action.name)


def make_plan(
    desired: DesiredState,
    remote: RemoteState | Mapping[str, list[dict[str, Any]]],
    file_hashes: Mapping[str, str] | None = None,
) -> Plan:
    """Compare the compiled files with the API's objects.

    Only objects labelled `aia.project == desired.project` are managed; a
    planned name held by any other object is a `conflict` problem; deleting a
    protected object is a `protected` problem. `file_hashes` maps File
    addresses to the sha256 of their content.
    """
    if not isinstance(remote, RemoteState):
        remote = RemoteState({k: list(v) for k, v in remote.items()})
    file_hashes = file_hashes or {}
    project = desired.project
    actions: list[Action] = []
    problems: list[Problem] = []
    markers: dict[str, str] = {}
    wanted = {r.address for r in desired.resources}

    owned: dict[str, dict[str, Any]] = {}
    foreign: dict[str, dict[str, Any]] = {}
    for kind, items in remote.objects.items():
        for obj in sorted(items, key=lambda o: (o.get("created_at") or 0, o["id"])):
            address = f"{kind}/{remote_name(obj)}"
            target = owned if owner_of(obj) == project else foreign
            target.setdefault(address, obj)
            if owner_of(obj) == project or address in wanted:
                markers[obj["id"]] = marker(obj)

    for resource in desired.resources:
        have = owned.get(resource.address)
        if have is None:
            other = foreign.get(resource.address)
            if other is not None:
                owner = owner_of(other)
                held = f"project {owner!r}" if owner else "no project (created outside aia)"
                problems.append(
                    Problem(
                        "conflict",
                        resource.address,
                        f"{resource.address}: the name is taken by {other['id']}, owned by {held}; "
                        "rename the resource, delete the other one, or adopt it with `aia export`",
                        other["id"],
                    )
                )
            actions.append(_create(resource, file_hashes.get(resource.address)))
            continue
        actions.append(_compare(project, resource, have, remote, file_hashes.get(resource.address)))

    for address, obj in owned.items():
        if address in wanted:
            continue
        kind, name = address.split("/", 1)
        actions.append(Action(ActionType.DELETE, kind, name, id=obj["id"], source=_source_of(obj)))
        if is_protected(obj):
            problems.append(
                Problem(
                    "protected",
                    address,
                    f"{address} ({obj['id']}) is protected (metadata.protect: true) and would be "
                    "deleted; restore its file, or apply it with protect: false first",
                    obj["id"],
                )
            )

    actions = _repoint_dependents(desired, actions)
    for action in actions:
        if action.type is ActionType.REPLACE and is_protected(owned[action.address]):
            problems.append(
                Problem(
                    "protected",
                    action.address,
                    f"{action.address} is protected (metadata.protect: true) and would be "
                    f"replaced ({action.reason})",
                    action.id,
                )
            )
    actions.sort(key=_sort_key)
    return Plan(
        project=project,
        env=desired.env,
        actions=tuple(actions),
        problems=tuple(problems),
        state_hash=state_hash(desired, file_hashes),
        remote=markers,
    )


def _source_of(obj: Mapping[str, Any]) -> str | None:
    meta = obj.get("metadata") or {}
    return meta.get(SOURCE_KEY)


def _where(resource: CompiledResource) -> str:
    return f"{resource.source.file}:{resource.source.line}"


def _create(resource: CompiledResource, content_hash: str | None) -> Action:
    changes = [
        field_change(resource.kind, key, None, value, resource.sensitive)
        for key, value in resource.body.items()
        if key not in ("metadata", "name") and value not in (None, {}, [], "")
    ]
    return Action(
        ActionType.CREATE,
        resource.kind,
        resource.name,
        source=_where(resource),
        changes=tuple(changes),
    )


def _compare(
    project: str,
    resource: CompiledResource,
    obj: Mapping[str, Any],
    remote: RemoteState,
    content_hash: str | None,
) -> Action:
    normalized = normalize_remote(resource.kind, obj, remote.name_of)
    # Sensitive on either side: a value that was write-only remotely stays hidden here.
    reported = obj.get(FIELDS_KEY)
    sensitive = resource.sensitive | frozenset(reported or ())
    changes, write_only = diff_body(resource.kind, resource.body, normalized, sensitive)
    have_meta = obj.get("metadata") or {}
    want_meta = desired_metadata(project, resource, content_hash)
    changes += diff_metadata(resource.kind, want_meta, have_meta, sensitive)
    if isinstance(reported, list) and resource.kind != "File":
        want_fields = wanted_fields(resource, want_meta, normalized)
        if sorted(reported) != want_fields:
            changes.append(
                FieldChange(
                    FIELDS_KEY, sorted(reported), want_fields, note="write-only fields (paths)"
                )
            )
    if resource.kind == "File":
        have_hash = have_meta.get(CONTENT_HASH_KEY) or obj.get("sha256")
        if content_hash is not None and have_hash != content_hash:
            changes.append(
                FieldChange("content", have_hash, content_hash, forces_replace=True, note="sha256")
            )
        write_only = []  # a File's path/purpose live in its content hash and fields above
    if not changes and write_only and have_meta.get(HASH_KEY) != resource.spec_hash:
        # Write-only fields (a webhook secret) cannot be read back: the spec hash says they moved.
        changes = [
            field_change(resource.kind, k, "(unknown)", resource.body[k], resource.sensitive)
            for k in write_only
        ]
    kind = ActionType.NO_OP
    reason = ""
    if changes:
        forcing = [c.path for c in changes if c.forces_replace]
        kind = ActionType.REPLACE if forcing else ActionType.UPDATE
        if forcing:
            reason = f"{', '.join(forcing)} cannot change in place"
    return Action(
        kind,
        resource.kind,
        resource.name,
        id=obj["id"],
        source=_where(resource),
        changes=tuple(changes),
        reason=reason,
    )


def _repoint_dependents(desired: DesiredState, actions: list[Action]) -> list[Action]:
    """A replaced resource gets a new id: everything that references it must be updated."""
    replaced = {(a.kind, a.name) for a in actions if a.type is ActionType.REPLACE}
    if not replaced:
        return actions
    out = []
    for action in actions:
        resource = desired.by_address.get(action.address)
        if resource is None or action.type not in (ActionType.NO_OP, ActionType.UPDATE):
            out.append(action)
            continue
        hit = referenced(resource.kind, resource.body) & replaced
        if not hit:
            out.append(action)
            continue
        paths = {c.path.split(".")[0] for c in action.changes}
        extra = []
        for path, ref_kind in REF_FIELDS.get(resource.kind, {}).items():
            top = path.split(".")[0]
            targets = sorted(n for k, n in hit if k == ref_kind)
            if targets and top not in paths:
                value = resource.body.get(top)
                extra.append(
                    FieldChange(
                        top,
                        value,
                        value,
                        note=f"re-pointed: {ref_kind}/{', '.join(targets)} is replaced",
                    )
                )
        out.append(replace(action, type=ActionType.UPDATE, changes=action.changes + tuple(extra)))
    return out
