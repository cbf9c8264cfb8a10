"""The definitions service: agents, tools, memory stores and webhooks, with their rules.

Every caller, the HTTP routes and the in-process reloader alike, goes through
`Definitions`, so both get the same checks: bodies validated against the kind's model,
references that must exist in the caller's scope, unique names, an update merged over
the stored fields and validated whole, no delete of an object another one uses, write-only
fields sealed, and objects declared in the files of `aia dev` changed only from there.
Refusals are domain errors (`aiagentics.errors`) carrying the API's `code` and `param`.
"""

from __future__ import annotations

import asyncio
import builtins
import functools
import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from aiagentics import kinds
from aiagentics.engine import bodies
from aiagentics.engine.definition_checks import (
    SEALED_FIELD,
    check_handler_url,
    check_mcp_tool,
    check_webhook_secret,
    check_webhook_url,
    new_webhook_secret,
)
from aiagentics.engine.sensitive import (
    FIELDS_KEY,
    SEALED_KEY,
    check_requested,
    public,
    reveal,
    seal_fields,
)
from aiagentics.errors import Conflict, InvalidInput, NotFound
from aiagentics.ids import has_prefix
from aiagentics.spec.secrets import declared_paths
from aiagentics.storage.base import DuplicateId, DuplicateName, Kind, Page, Resource, Scope, Store

if TYPE_CHECKING:
    from aiagentics.engine.sealing import Sealer

# Labels the gateway keeps for itself and never returns (so exports and plans never see
# them): `aia.dev_source` marks a resource `aia dev` serves from a file, and names it.
DEV_SOURCE_KEY = "aia.dev_source"
INTERNAL_LABELS = frozenset({DEV_SOURCE_KEY})

AfterDelete = Callable[[Scope, Resource], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Rules:
    """What the service needs to know of one kind beyond the kind table."""

    info: kinds.KindInfo
    create_model: type[BaseModel]
    update_model: type[BaseModel]
    # Stored fields that are not API fields (a webhook's sealed secret), never returned.
    hidden: frozenset[str] = frozenset()

    @property
    def kind(self) -> Kind:
        """The stored kind."""
        return self.info.kind

    @property
    def what(self) -> str:
        """The kind in words, for messages."""
        return self.info.what


RULES: dict[str, Rules] = {
    "agent": Rules(kinds.BY_KIND["agent"], bodies.AgentCreate, bodies.AgentUpdate),
    "tool": Rules(kinds.BY_KIND["tool"], bodies.ToolCreate, bodies.ToolUpdate),
    "memory_store": Rules(
        kinds.BY_KIND["memory_store"], bodies.MemoryStoreCreate, bodies.MemoryStoreUpdate
    ),
    "webhook": Rules(
        kinds.BY_KIND["webhook"],
        bodies.WebhookCreate,
        bodies.WebhookUpdate,
        hidden=frozenset({SEALED_FIELD, "secret"}),
    ),
}


@dataclass(frozen=True, slots=True)
class Saved:
    """A stored definition and its API object (with a generated secret, shown only once)."""

    resource: Resource
    object: dict[str, Any]
    secret: str | None = None


def stable_id(scope: Scope, spec_kind: str, name: str) -> str:
    """The id a declared resource keeps across reloads and restarts (derived from its name)."""
    digest = hashlib.sha256(f"{scope.project}\0{scope.environment}\0{spec_kind}\0{name}".encode())
    return f"{kinds.BY_SPEC_KIND[spec_kind].prefix}_dev{digest.hexdigest()[:21]}"


def public_metadata(data: dict[str, Any]) -> dict[str, Any]:
    """`data` with the internal labels left out of its `metadata` (a copy when any is there)."""
    meta = data.get("metadata")
    if not isinstance(meta, dict) or not INTERNAL_LABELS.intersection(meta):
        return data
    return {**data, "metadata": {k: v for k, v in meta.items() if k not in INTERNAL_LABELS}}


def refuse_if_declared(res: Resource, what: str) -> None:
    """Conflict for an object that `aia dev` serves from a file: the file is where it changes."""
    source = (res.data.get("metadata") or {}).get(DEV_SOURCE_KEY)
    if source:
        raise Conflict(
            f"this {what} is declared in {source} and served by `aia dev`; edit that file instead",
            code="declared_in_file",
        )


def check_id(value: str, prefix: str, what: str) -> None:
    """NotFound for an id that cannot be one of ours (wrong prefix or shape)."""
    if not has_prefix(value, prefix):
        shown = value if len(value) <= 80 else value[:80] + "..."
        raise NotFound(f"no such {what}: {shown!r}")


def check_cursor(value: str | None, prefix: str) -> None:
    """InvalidInput for a `starting_after` that is not an id of this kind."""
    if value is not None and not has_prefix(value, prefix):
        raise InvalidInput(
            f"starting_after must be an id starting with {prefix}_", param="starting_after"
        )


def cursor_gone(value: str) -> InvalidInput:
    """The error for a `starting_after` naming no object of the caller (deleted, or never one):
    an empty page would silently end a client's pagination early."""
    return InvalidInput(
        f"starting_after: no such object: {value}", param="starting_after", code="resource_missing"
    )


def render(kind: str, res: Resource) -> dict[str, Any]:
    """The API object of a stored definition (internal labels and hidden fields left out)."""
    rules = RULES[kind]
    out: dict[str, Any] = {
        "id": res.id,
        "object": kind,
        "created_at": res.created_at,
        "updated_at": res.updated_at,
        "name": res.name,
    }
    out.update(
        {k: v for k, v in public(res.data, rules.info.spec_kind).items() if k not in rules.hidden}
    )
    if rules.info.versioned:
        out["version"] = res.version
    return public_metadata(out)


def dump(model: BaseModel, *, exclude_unset: bool = False) -> dict[str, Any]:
    """A validated body as JSON-ready data (InvalidInput when too deeply nested to serialise)."""
    try:
        return model.model_dump(mode="json", exclude_unset=exclude_unset)
    except (ValueError, RecursionError) as exc:
        raise InvalidInput(f"request body cannot be stored: {exc}") from None


def _ids_at(data: Mapping[str, Any], path: str) -> list[tuple[str, str]]:
    """(param, id) pairs found at a dotted path of the body."""
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict):
            return []
        node = node.get(part)
    if isinstance(node, str):
        return [(path, node)]
    if isinstance(node, list):
        return [(f"{path}[{i}]", v) for i, v in enumerate(node) if isinstance(v, str)]
    return []


class Definitions:
    """Create, read, list, update and delete definitions in a scope, with the kinds' rules."""

    def __init__(
        self,
        store: Store,
        sealer: Sealer,
        *,
        default_model: str | None = None,
        allow_private_network: bool = False,
        allow_stdio_tools: bool = False,
    ) -> None:
        self.store = store
        self.sealer = sealer
        self.default_model = default_model
        self.allow_private_network = allow_private_network
        self.allow_stdio_tools = allow_stdio_tools
        self._after_delete: dict[str, list[AfterDelete]] = {}

    def after_delete(self, kind: Kind, hook: AfterDelete) -> None:
        """Call `hook` after a `kind` object is deleted (to clean what lives outside its row)."""
        self._after_delete.setdefault(kind, []).append(hook)

    async def deleted(self, scope: Scope, res: Resource) -> None:
        """Run the after-delete hooks of a deleted object (a caller that deleted it itself)."""
        for hook in self._after_delete.get(res.kind, ()):
            await hook(scope, res)

    # -- reads -------------------------------------------------------------------------
    async def get(self, kind: Kind, scope: Scope, id: str) -> Resource:
        """The current version; NotFound when absent (or not an id of this kind)."""
        info = kinds.BY_KIND[kind]
        check_id(id, info.prefix, info.what)
        res = await self.store.get(kind, scope, id)
        if res is None:
            raise NotFound(f"no such {info.what}: {id}")
        return res

    async def list(
        self, kind: Kind, scope: Scope, *, limit: int = 20, starting_after: str | None = None
    ) -> Page:
        """A page, newest first; InvalidInput for a cursor that names no object of the scope."""
        info = kinds.BY_KIND[kind]
        check_cursor(starting_after, info.prefix)
        if starting_after and await self.store.get(kind, scope, starting_after) is None:
            raise cursor_gone(starting_after)
        return await self.store.list(kind, scope, limit=limit, starting_after=starting_after)

    async def versions(
        self,
        kind: Kind,
        scope: Scope,
        id: str,
        *,
        limit: int = 20,
        starting_after: int | None = None,
    ) -> Page:
        """Every version of one object, newest first."""
        info = kinds.BY_KIND[kind]
        check_id(id, info.prefix, info.what)
        page = await self.store.versions(
            kind, scope, id, limit=limit, starting_after=starting_after
        )
        if page is None:
            raise NotFound(f"no such {info.what}: {id}")
        return page

    # -- writes ------------------------------------------------------------------------
    async def create(
        self,
        kind: Kind,
        scope: Scope,
        body: BaseModel | Mapping[str, Any],
        *,
        id: str | None = None,
    ) -> Saved:
        """Store a new definition (`id` given by a caller that keeps stable ids: `aia dev`)."""
        rules = RULES[kind]
        data = self._validated(rules.create_model, body)
        return await self._save(rules, scope, data, None, check_sensitive=True, id=id)

    async def update(
        self,
        kind: Kind,
        scope: Scope,
        id: str,
        changes: BaseModel | Mapping[str, Any],
        *,
        declared: bool = False,
    ) -> Saved:
        """Apply the fields sent over the stored ones; the result is validated whole.

        `declared`: the caller serves the files that declare the object (`aia dev`), so an
        object declared in a file is its to change.
        """
        rules = RULES[kind]
        current = await self.get(kind, scope, id)
        if not declared:
            refuse_if_declared(current, rules.what)
        if not isinstance(changes, BaseModel):
            changes = bodies.validate(rules.update_model, dict(changes))
        sent = dump(changes, exclude_unset=True)
        stored = (
            await asyncio.to_thread(reveal, self.sealer, current.data)
            if current.data.get(SEALED_KEY)
            else dict(current.data)
        )
        # Hidden stored fields (a sealed secret) are not body fields; a hidden field the
        # body sends (a new webhook secret) is a change like any other.
        kept = {k: v for k, v in stored.items() if k not in rules.hidden}
        merged = {**kept, "name": current.name, **sent}
        try:
            body = dump(bodies.validate(rules.create_model, merged))
        except InvalidInput as exc:
            # The change is valid on its own (the update body was validated) but not
            # together with the stored fields it keeps.
            raise InvalidInput(
                f"{exc.message} (with the stored fields of this {rules.what})",
                param=exc.param,
                code="conflicts_with_current",
            ) from None
        if "secret" in rules.create_model.model_fields and "secret" not in sent:
            body.pop("secret", None)  # keep the stored (sealed) secret
        saved = await self._save(rules, scope, body, current, check_sensitive=FIELDS_KEY in sent)
        saved.object.pop("secret", None)
        return Saved(saved.resource, saved.object)

    async def delete(
        self, kind: Kind, scope: Scope, id: str, *, declared: bool = False
    ) -> Resource:
        """Delete an object no other object uses; returns what was deleted."""
        rules = RULES[kind]
        current = await self.get(kind, scope, id)
        if not declared:
            refuse_if_declared(current, rules.what)
        for other, field_path in kinds.referrers(rules.info.spec_kind):
            users: builtins.list[str] = [
                *await self.store.referrers(other.kind, scope, field_path, id)
            ]
            if users:
                raise Conflict(
                    f"this {rules.what} is used by {other.what} {users[0]}"
                    + (f" and {len(users) - 1} more" if len(users) > 1 else ""),
                    code="resource_in_use",
                )
        if not await self.store.delete(kind, scope, id):
            raise NotFound(f"no such {rules.what}: {id}")
        await self.deleted(scope, current)
        return current

    # -- the steps of a write ------------------------------------------------------------
    @staticmethod
    def _validated(model: type[BaseModel], body: BaseModel | Mapping[str, Any]) -> dict[str, Any]:
        if isinstance(body, BaseModel):
            return dump(body)
        return dump(bodies.validate(model, dict(body)))

    async def check_references(self, kind: Kind, scope: Scope, data: Mapping[str, Any]) -> None:
        """InvalidInput `resource_missing` with `param` for a referenced id missing from the
        scope (not NotFound: that would say the target of the request is missing)."""
        for ref in kinds.BY_KIND[kind].references:
            target = kinds.BY_SPEC_KIND[ref.spec_kind]
            pairs = _ids_at(data, ref.path)
            if not pairs:
                continue
            missing: set[str] = {
                *await self.store.missing(target.kind, scope, [i for _, i in pairs])
            }
            for param, value in pairs:
                if value in missing:
                    raise InvalidInput(
                        f"{param}: no such {target.what}: {value}",
                        param=param,
                        code="resource_missing",
                    )

    async def _save(
        self,
        rules: Rules,
        scope: Scope,
        body: dict[str, Any],
        current: Resource | None,
        *,
        check_sensitive: bool,
        id: str | None = None,
    ) -> Saved:
        await self.check_references(rules.kind, scope, body)
        data = dict(body)
        requested = data.pop(FIELDS_KEY, None) or []
        if check_sensitive:
            check_requested(data, requested, [r.path for r in rules.info.references])
        secret = self.prepare(rules.kind, data, current)
        name = data.pop("name", None)
        spec_kind = rules.info.spec_kind
        seal = functools.partial(
            seal_fields,
            self.sealer,
            spec_kind,
            data,
            current.data if current is not None else None,
            requested,
        )
        # Hashing a new secret takes milliseconds: off the loop, when there is one.
        if requested or declared_paths(spec_kind, data):
            data = await asyncio.to_thread(seal)
        else:
            data = seal()
        res: Resource | None
        try:
            if current is None:
                res = await self.store.create(rules.kind, scope, name, data, id=id)
            else:
                res = await self.store.update(rules.kind, scope, current.id, name, data)
        except DuplicateName:
            raise Conflict(
                f"a {rules.what} named {name!r} already exists", param="name", code="name_taken"
            ) from None
        except DuplicateId:
            raise Conflict(f"this {rules.what} id already exists", code="id_taken") from None
        if res is None:
            raise NotFound(f"no such {rules.what}: {current.id if current else ''}")
        obj = render(rules.kind, res)
        if secret is not None:
            obj["secret"] = secret
        return Saved(res, obj, secret)

    def prepare(self, kind: Kind, data: dict[str, Any], current: Resource | None) -> str | None:
        """The kind's own checks and fill-ins, in place; returns a webhook secret it generated."""
        if kind == "agent" and data.get("model") is None:
            # An agent without a model would run the echoing `scripted` model unnoticed, in
            # production too: a model is asked for unless the gateway names a default.
            if not self.default_model:
                raise InvalidInput(
                    "model: required; give a model alias, `provider/model`, or `scripted` "
                    "(the keyless development model), or set [gateway] default_model",
                    param="model",
                )
            data["model"] = self.default_model
        elif kind == "tool":
            url = data.get("handler_url")
            if isinstance(url, str):
                check_handler_url(url)
            if data.get("type") == "mcp":
                check_mcp_tool(data, allow_stdio=self.allow_stdio_tools)
        elif kind == "webhook":
            return self._prepare_webhook(data, current)
        return None

    def _prepare_webhook(self, data: dict[str, Any], current: Resource | None) -> str | None:
        check_webhook_url(str(data.get("url") or ""), self.allow_private_network)
        secret = data.pop("secret", None)
        if secret is not None:
            check_webhook_secret(secret)
        if secret is None and current is not None:
            data[SEALED_FIELD] = current.data[SEALED_FIELD]
            return None
        secret = secret or new_webhook_secret()
        data[SEALED_FIELD] = self.sealer.seal(secret)
        # Shown once, in the create response (the stored copy is sealed).
        return secret if current is None else None
