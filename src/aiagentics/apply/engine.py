"""Carry a Plan out through the API client, in dependency order, reporting through a hook."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from aiagentics.client import KIND_PATHS, ApiClient, ApiError, NotFoundError
from aiagentics.compiler.state import CompiledResource, DesiredState
from aiagentics.plan import Action, ActionType, Plan, desired_metadata, map_refs
from aiagentics.plan.render import FORMAT_VERSION, action_to_json
from aiagentics.plan.sensitive import FIELDS_KEY, requested_fields

FILE_UPDATE_FIELDS = {"name", "description", "purpose"}
WRITE_ONLY_FIELDS = ("secret",)


class ApplyRefused(Exception):
    """The plan has problems (a conflict, a protected delete): nothing was changed."""


@dataclass(frozen=True, slots=True)
class ApplyEvent:
    """Progress of an apply: `start`, `done` or `failed` for action `index` of `total`."""

    type: str
    action: Action
    index: int
    total: int
    remote_id: str | None = None
    error: ApiError | None = None
    # A webhook's signing secret the API generated for this create: shown once, here.
    secret: str | None = None


@dataclass(slots=True)
class ApplyResult:
    """What was done (with the ids involved), what failed, and what was left undone."""

    done: list[tuple[Action, str | None]] = field(default_factory=list)
    failed: Action | None = None
    error: ApiError | None = None
    not_done: list[Action] = field(default_factory=list)
    # Ctrl-C: the action in flight then (it may or may not have taken effect), if any.
    interrupted: Action | None = None
    stopped: bool = False
    # Secrets the API generated for created webhooks, by address: the API shows them only
    # in the create response, so this is the one place a user can read them.
    secrets: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.failed is None and not self.stopped


class ApplyInterrupted(KeyboardInterrupt):
    """Ctrl-C during an apply; `result` says what was done, what was in flight, what not."""

    def __init__(self, result: ApplyResult) -> None:
        super().__init__("apply interrupted")
        self.result = result


def result_to_json(
    plan: Plan, result: ApplyResult | None, error: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What `aia apply --json` prints (format described in aiagentics.plan.render)."""
    if result is None:  # refused before any change
        status = "refused" if error or plan.problems else "no_changes"
        not_done = list(_steps(plan)) if status == "refused" else []
        result = ApplyResult(not_done=not_done)
    elif result.stopped:
        status = "interrupted"
    elif result.failed is not None:
        status = "failed"
    else:
        status = "applied" if result.done else "no_changes"
    failed = None
    if result.failed is not None:
        api_error = result.error.to_dict() if result.error is not None else None
        failed = {**action_to_json(result.failed), "error": api_error}
    return {
        "format_version": FORMAT_VERSION,
        "project": plan.project,
        "env": plan.env,
        "status": status,
        "done": [_done_to_json(a, rid, result.secrets) for a, rid in result.done],
        "failed": failed,
        "interrupted": action_to_json(result.interrupted) if result.interrupted else None,
        "not_done": [action_to_json(a) for a in result.not_done],
        "problems": [
            {"code": p.code, "address": p.address, "message": p.message, "remote_id": p.remote_id}
            for p in plan.problems
        ],
        "error": error,
    }


def _done_to_json(action: Action, remote_id: str | None, secrets: dict[str, str]) -> dict[str, Any]:
    out = {**action_to_json(action), "remote_id": remote_id}
    if action.address in secrets and action.type in (ActionType.CREATE, ActionType.REPLACE):
        out["secret"] = secrets[action.address]  # shown once: the API never returns it again
    return out


Hook = Callable[[ApplyEvent], None]


def apply_plan(
    plan: Plan,
    desired: DesiredState,
    client: ApiClient,
    *,
    read_file: Callable[[str], bytes] | None = None,
    file_hashes: dict[str, str] | None = None,
    on_event: Hook | None = None,
) -> ApplyResult:
    """Apply every change of `plan` (already in apply order); stop at the first failure.

    Names are mapped to ids as resources are created. A failure midway leaves
    what was done in place, labelled as owned, so planning again converges.
    """
    if plan.problems:
        raise ApplyRefused("; ".join(p.message for p in plan.problems))
    ids: dict[str, str] = {a.address: a.id for a in plan.actions if a.id}
    hashes = file_hashes or {}
    steps = _steps(plan)
    result = ApplyResult()
    emit = on_event or (lambda _e: None)

    def lookup(kind: str, name: str) -> str:
        try:
            return ids[f"{kind}/{name}"]
        except KeyError:
            raise ApiError(
                0, f"{kind}/{name} has no id: it was not created", code="unresolved"
            ) from None

    finished = 0  # steps[:finished] are done
    in_flight = False
    try:
        for index, action in enumerate(steps):
            emit(ApplyEvent("start", action, index, len(steps), action.id))
            in_flight = True
            try:
                remote_id, secret = _carry_out(
                    action,
                    desired,
                    client,
                    lookup,
                    read_file,
                    hashes.get(action.address),
                    plan.project,
                )
            except ApiError as exc:
                in_flight = False
                result.failed, result.error = action, exc
                result.not_done = steps[index + 1 :]
                emit(ApplyEvent("failed", action, index, len(steps), action.id, exc))
                return result
            in_flight = False
            if remote_id is not None:
                ids[action.address] = remote_id
            if secret is not None:
                result.secrets[action.address] = secret
            result.done.append((action, remote_id))
            finished = index + 1
            emit(ApplyEvent("done", action, index, len(steps), remote_id, secret=secret))
    except KeyboardInterrupt:
        result.stopped = True
        result.interrupted = steps[finished] if in_flight else None
        result.not_done = steps[finished + (1 if in_flight else 0) :]
        raise ApplyInterrupted(result) from None
    return result


def _steps(plan: Plan) -> list[Action]:
    """The plan's changes in order, each replace split in two: create-before-destroy.

    Names are unique and the API refuses to delete what is still referenced, so a
    replace renames the old object aside and creates the new one in its place;
    the old one is deleted at the very end, once its users point at the new one.
    """
    steps = list(plan.changes)
    for action in plan.changes:
        if action.type is ActionType.REPLACE:
            steps.append(
                replace(action, type=ActionType.DELETE, reason="the replaced object", changes=())
            )
    return steps


def aside_name(name: str, remote_id: str) -> str:
    """The name a replaced object takes while its successor is created (valid, unique)."""
    return f"{name[:40]}-replaced-{hashlib.sha256(remote_id.encode()).hexdigest()[:8]}"


def _carry_out(
    action: Action,
    desired: DesiredState,
    client: ApiClient,
    lookup: Callable[[str, str], str],
    read_file: Callable[[str], bytes] | None,
    content_hash: str | None,
    project: str,
) -> tuple[str | None, str | None]:
    """Carry out one step: (the remote id, a secret the API generated and shows only now)."""
    path = KIND_PATHS[action.kind]
    if action.type is ActionType.DELETE:
        _delete(client, f"{path}/{action.id}")
        return None, None
    resource = desired.by_address[action.address]
    metadata = desired_metadata(project, resource, content_hash)
    body = map_refs(resource.kind, resource.body, lookup)
    if action.type is ActionType.UPDATE:
        tops = {c.path.split(".")[0] for c in action.changes} - {"metadata", "content"}
        # Write-only fields (secrets) cannot be compared: resend them with every update.
        # (Only when set: a null secret would make the server generate a new one.)
        tops |= {k for k in WRITE_ONLY_FIELDS if body.get(k) is not None}
        if resource.kind == "File":
            tops &= FILE_UPDATE_FIELDS  # a file's content never changes in place
        update = {k: body[k] for k in tops if k in body}
        update["metadata"] = metadata
        fields = requested_fields(resource)
        if fields or FIELDS_KEY in tops:
            # The API treats these as write-only; an empty list makes them plain again.
            update[FIELDS_KEY] = fields
        client.update(f"{path}/{action.id}", update)
        return action.id, None
    if action.type is ActionType.REPLACE:
        client.update(f"{path}/{action.id}", {"name": aside_name(action.name, str(action.id))})
    created = _create(client, path, resource, body, metadata, read_file)
    # A secret the files set is the user's already (and sensitive): only a generated one is shown.
    generated = body.get("secret") is None and isinstance(created.get("secret"), str)
    return str(created["id"]), (created["secret"] if generated else None)


def _delete(client: ApiClient, path: str) -> None:
    # Already gone (404): the goal of a delete is reached, so a rerun converges.
    with contextlib.suppress(NotFoundError):
        client.delete(path)


def _create(
    client: ApiClient,
    path: str,
    resource: CompiledResource,
    body: dict[str, Any],
    metadata: dict[str, Any],
    read_file: Callable[[str], bytes] | None,
) -> dict[str, Any]:
    if resource.kind == "File":
        if read_file is None:
            raise ApiError(0, f"{resource.address}: no way to read {body.get('path')}")
        relative = str(body.get("path"))
        fields = {
            "purpose": str(body.get("purpose") or "retrieval"),
            "name": resource.name,
            "metadata": json.dumps(metadata),
        }
        if body.get("description"):
            fields["description"] = str(body["description"])
        created = client.upload(
            path, filename=relative.rsplit("/", 1)[-1], content=read_file(relative), fields=fields
        )
    else:
        fields = requested_fields(resource)
        extra = {FIELDS_KEY: fields} if fields else {}  # values from ${ENV}: write-only
        created = client.create(path, {**body, "metadata": metadata, **extra})
    return created
