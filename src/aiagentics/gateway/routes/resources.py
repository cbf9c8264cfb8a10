"""One controller shape for every definition kind: create, retrieve, update, delete, list, versions.

`build_controller(ResourceType(...))` returns a Litestar Controller class. A kind's module
declares its models, references and hooks; the handlers stay thin: validate, authorize,
check references, call the store, render.
"""

# No `from __future__ import annotations` here: Litestar reads the handlers' annotations,
# which name models created at runtime, so they must be real objects at definition time.

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar import Controller, HttpMethod, MediaType, Request, Response, delete, get, post, route
from litestar.params import Parameter
from pydantic import BaseModel

from aiagentics.engine.sensitive import (
    FIELDS_KEY,
    SEALED_KEY,
    SPEC_KIND,
    check_requested,
    public,
    reveal,
    seal_fields,
)
from aiagentics.gateway.auth import AuthContext, authorize, needs
from aiagentics.gateway.errors import Conflict, InvalidRequest, NotFound
from aiagentics.gateway.routes.common import (
    MAX_INT64,
    Deleted,
    check_cursor,
    check_id,
    cursor,
    cursor_gone,
    error_responses,
)
from aiagentics.gateway.routes.models import validate
from aiagentics.gateway.services import Services
from aiagentics.spec.secrets import declared_paths
from aiagentics.storage.base import VERSIONED, DuplicateId, DuplicateName, Kind, Resource

# Labels the gateway keeps for itself and never returns (so exports and plans never see
# them): `aia.dev_source` marks a resource `aia dev` serves from a file, and names it.
DEV_SOURCE_KEY = "aia.dev_source"
INTERNAL_LABELS = frozenset({DEV_SOURCE_KEY})
_INTERNAL_MARKS = tuple(b'"' + k.encode() + b'"' for k in INTERNAL_LABELS)

Hook = Callable[[Services, AuthContext, dict[str, Any], Resource | None], Awaitable[dict[str, Any]]]
OnDelete = Callable[[Services, AuthContext, Resource], Awaitable[None]]


@dataclass(frozen=True)
class Reference:
    """A field holding ids of another kind (`path` is dotted for nested fields)."""

    path: str
    kind: Kind
    what: str


@dataclass(frozen=True)
class ResourceType:
    """Everything that differs between the definition kinds."""

    kind: Kind
    object: str
    prefix: str
    path: str
    tag: str
    create_model: type[BaseModel]
    update_model: type[BaseModel]
    object_model: type[BaseModel]
    list_model: type[BaseModel]
    created_model: type[BaseModel] | None = None
    references: tuple[Reference, ...] = ()
    # (kind, dotted field) pairs of other kinds that may point at this kind.
    referenced_by: tuple[tuple[Kind, str], ...] = ()
    # Turns the validated body into the stored data (e.g. seal a secret); may add
    # `_response_extra` (merged into the create response only).
    prepare: Hook | None = None
    hidden: frozenset[str] = field(default_factory=frozenset)
    # Cleans what lives outside the resource row (e.g. a memory store's KV entries),
    # called after the row is deleted.
    on_delete: OnDelete | None = None


def public_metadata(data: dict[str, Any]) -> dict[str, Any]:
    """`data` with the internal labels left out of its `metadata` (a copy when any is there)."""
    meta = data.get("metadata")
    if not isinstance(meta, dict) or not INTERNAL_LABELS.intersection(meta):
        return data
    return {**data, "metadata": {k: v for k, v in meta.items() if k not in INTERNAL_LABELS}}


def render(rt: ResourceType, res: Resource) -> dict[str, Any]:
    """The API object of a stored resource (internal labels left out)."""
    out: dict[str, Any] = {
        "id": res.id,
        "object": rt.object,
        "created_at": res.created_at,
        "updated_at": res.updated_at,
        "name": res.name,
    }
    out.update(
        {k: v for k, v in public(res.data, SPEC_KIND[rt.kind]).items() if k not in rt.hidden}
    )
    if rt.kind in VERSIONED:
        out["version"] = res.version
    return public_metadata(out)


def refuse_if_declared(res: Resource, what: str) -> None:
    """409 for an object that `aia dev` serves from a file: the file is the place to change it."""
    source = (res.data.get("metadata") or {}).get(DEV_SOURCE_KEY)
    if source:
        raise Conflict(
            f"this {what} is declared in {source} and served by `aia dev`; edit that file instead",
            code="declared_in_file",
        )


def render_raw(rt: ResourceType, res: Resource) -> Any:
    """`render` as pre-encoded JSON: the envelope spliced onto the stored bytes (reads)."""
    raw = res.raw
    if (
        rt.hidden
        or not raw
        or raw[:1] != b"{"
        or _SEALED_BYTES in raw
        or _FIELDS_BYTES not in raw  # stored before write-only fields existed
        or any(m in raw for m in _INTERNAL_MARKS)
    ):
        return render(rt, res)
    # ids are base62 and created_at/updated_at/version ints; only the name needs encoding.
    head = (
        f'{{"id":"{res.id}","object":"{rt.object}","created_at":{res.created_at},'
        f'"updated_at":{res.updated_at},"name":'
    ).encode() + msgspec.json.encode(res.name)
    if rt.kind in VERSIONED:
        head += b',"version":%d' % res.version
    rest = raw[1:].lstrip()
    return msgspec.Raw(head + (rest if rest[:1] == b"}" else b"," + rest))


def _has_secrets(rt: ResourceType, data: dict[str, Any]) -> bool:
    return bool(declared_paths(SPEC_KIND[rt.kind], data))


_SEALED_BYTES = f'"{SEALED_KEY}"'.encode()
_FIELDS_BYTES = f'"{FIELDS_KEY}"'.encode()


def list_raw(items: list[Any], has_more: bool) -> bytes:
    """A list body assembled from pre-encoded items."""
    return b"".join(
        (
            b'{"object":"list","data":[',
            b",".join(i if isinstance(i, msgspec.Raw) else msgspec.json.encode(i) for i in items),
            b'],"has_more":true}' if has_more else b'],"has_more":false}',
        )
    )


def dump(model: Any, *, exclude_unset: bool = False) -> dict[str, Any]:
    """A validated body as JSON-ready data (400 when it is too deeply nested to serialise)."""
    try:
        return model.model_dump(mode="json", exclude_unset=exclude_unset)  # type: ignore[no-any-return]
    except (ValueError, RecursionError) as exc:
        raise InvalidRequest(f"request body cannot be stored: {exc}") from None


def _ids_at(data: dict[str, Any], path: str) -> list[tuple[str, str]]:
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


async def check_references(
    services: Services, auth: AuthContext, rt: ResourceType, data: dict[str, Any]
) -> None:
    """400 `resource_missing` with `param` when a referenced id does not exist in the caller's
    scope (a 404 would say the target of the request is missing)."""
    for ref in rt.references:
        pairs = _ids_at(data, ref.path)
        missing = set(await services.store.missing(ref.kind, auth.scope, [i for _, i in pairs]))
        for param, value in pairs:
            if value in missing:
                raise InvalidRequest(
                    f"{param}: no such {ref.what}: {value}", param=param, code="resource_missing"
                )


def build_controller(rt: ResourceType) -> type[Controller]:
    """The Controller class serving `rt.path`."""
    Create, Update, Obj, Lst = rt.create_model, rt.update_model, rt.object_model, rt.list_model
    Created = rt.created_model or Obj
    what = rt.object.replace("_", " ")
    a_what = f"an {what}" if what[0] in "aeiou" else f"a {what}"

    async def _save(
        services: Services,
        auth: AuthContext,
        body: dict[str, Any],
        current: Resource | None,
        check_sensitive: bool = True,
    ) -> dict[str, Any]:
        await check_references(services, auth, rt, body)
        data = dict(body)
        requested = data.pop(FIELDS_KEY, None) or []
        if check_sensitive:
            check_requested(data, requested, [r.path for r in rt.references])
        if rt.prepare is not None:
            data = await rt.prepare(services, auth, data, current)
        extra = data.pop("_response_extra", {})
        name = data.pop("name", None)
        seal = functools.partial(
            seal_fields,
            services.sealer,
            SPEC_KIND[rt.kind],
            data,
            current.data if current is not None else None,
            requested,
        )
        # Hashing a new secret takes milliseconds: off the loop, when there is one.
        data = await asyncio.to_thread(seal) if requested or _has_secrets(rt, data) else seal()
        try:
            if current is None:
                res = await services.store.create(rt.kind, auth.scope, name, data)
            else:
                res = await services.store.update(rt.kind, auth.scope, current.id, name, data)
        except DuplicateName:
            raise Conflict(
                f"a {what} named {name!r} already exists", param="name", code="name_taken"
            ) from None
        except DuplicateId:
            raise Conflict(f"this {what} id already exists", code="id_taken") from None
        if res is None:
            raise NotFound(f"no such {what}: {current.id if current else ''}")
        return {**render(rt, res), **extra}

    async def _load(services: Services, auth: AuthContext, id: str) -> Resource:
        check_id(id, rt.prefix, what)
        res = await services.store.get(rt.kind, auth.scope, id)
        if res is None:
            raise NotFound(f"no such {what}: {id}")
        return res

    class ResourceController(Controller):
        path = rt.path
        tags = [rt.tag]

        @post(
            "/",
            opt=needs("admin"),
            status_code=200,
            responses=error_responses(409),
            summary=f"Create {a_what}",
            operation_id=f"create_{rt.kind}",
        )
        async def create(self, data: Create, services: Services, auth: AuthContext) -> Created:  # type: ignore[valid-type]
            body = dump(data)
            return await _save(services, auth, body, None)  # type: ignore[return-value]

        @get(
            "/{id:str}",
            opt=needs("read"),
            responses=error_responses(404),
            summary=f"Retrieve {a_what}",
            operation_id=f"get_{rt.kind}",
        )
        async def retrieve(self, id: str, request: Request[Any, Any, Any]) -> Obj:  # type: ignore[valid-type]
            # Hot path: no dependency injection (see auth.provide_auth); same checks.
            services, auth = request.app.state.services, authorize(request)
            token = request.scope["state"].get("cache_token")
            key = ("get", rt.kind, auth.project, auth.environment, id)
            body = services.read_cache.get(key, token)
            if body is None:
                obj = render_raw(rt, await _load(services, auth, id))
                body = bytes(obj) if isinstance(obj, msgspec.Raw) else msgspec.json.encode(obj)
                services.read_cache.put(key, body, token)
            return Response(body, media_type=MediaType.JSON)  # type: ignore[return-value]

        @route(
            "/{id:str}",
            http_method=[HttpMethod.POST, HttpMethod.PATCH],
            opt=needs("admin"),
            status_code=200,
            responses=error_responses(404, 409),
            summary=f"Update {a_what} (the fields sent replace the stored ones)",
            operation_id=lambda _h, method, _p: f"update_{rt.kind}_{method.lower()}",
        )
        async def update(self, id: str, data: Update, services: Services, auth: AuthContext) -> Obj:  # type: ignore[valid-type]
            current = await _load(services, auth, id)
            refuse_if_declared(current, what)
            changes = dump(data, exclude_unset=True)
            stored = (
                await asyncio.to_thread(reveal, services.sealer, current.data)
                if current.data.get(SEALED_KEY)
                else dict(current.data)
            )
            # Hidden stored fields (a sealed secret) are not body fields; a hidden field the
            # body sends (a new webhook secret) is a change like any other.
            kept = {k: v for k, v in stored.items() if k not in rt.hidden}
            merged = {**kept, "name": current.name, **changes}
            try:
                body = dump(validate(Create, merged))
            except InvalidRequest as exc:
                # The change is valid on its own (the update body was validated) but not
                # together with the stored fields it keeps.
                raise InvalidRequest(
                    f"{exc.message} (with the stored fields of this {what})",
                    param=exc.param,
                    code="conflicts_with_current",
                ) from None
            if "secret" in Create.model_fields and "secret" not in changes:
                body.pop("secret", None)  # keep the stored (sealed) secret
            out = await _save(services, auth, body, current, FIELDS_KEY in changes)
            out.pop("secret", None)
            return out  # type: ignore[return-value]

        @delete(
            "/{id:str}",
            opt=needs("admin"),
            status_code=200,
            responses=error_responses(404, 409),
            summary=f"Delete {a_what}",
            operation_id=f"delete_{rt.kind}",
        )
        async def remove(self, id: str, services: Services, auth: AuthContext) -> Deleted:
            current = await _load(services, auth, id)
            refuse_if_declared(current, what)
            for kind, field_path in rt.referenced_by:
                users = await services.store.referrers(kind, auth.scope, field_path, id)
                if users:
                    raise Conflict(
                        f"this {what} is used by {kind.replace('_', ' ')} {users[0]}"
                        + (f" and {len(users) - 1} more" if len(users) > 1 else ""),
                        code="resource_in_use",
                    )
            if not await services.store.delete(rt.kind, auth.scope, id):
                raise NotFound(f"no such {what}: {id}")
            if rt.on_delete is not None:
                await rt.on_delete(services, auth, current)
            return Deleted(id=id, object=rt.object)

        @get(
            "/",
            opt=needs("read"),
            responses=error_responses(),
            summary=f"List {what}s (newest first)",
            operation_id=f"list_{rt.kind}s",
        )
        async def list_all(
            self,
            request: Request[Any, Any, Any],
            limit: int = Parameter(
                query="limit", ge=1, le=100, default=20, description="Page size, 1 to 100."
            ),
            starting_after: str | None = cursor(rt.prefix, what),
        ) -> Lst:  # type: ignore[valid-type]
            services, auth = request.app.state.services, authorize(request)
            check_cursor(starting_after, rt.prefix)
            token = request.scope["state"].get("cache_token")
            key = ("list", rt.kind, auth.project, auth.environment, limit, starting_after)
            body = services.read_cache.get(key, token)
            if body is None:
                if (
                    starting_after
                    and await services.store.get(rt.kind, auth.scope, starting_after) is None
                ):
                    raise cursor_gone(starting_after)
                page = await services.store.list(
                    rt.kind, auth.scope, limit=limit, starting_after=starting_after
                )
                body = list_raw([render_raw(rt, r) for r in page.items], page.has_more)
                services.read_cache.put(key, body, token)
            return Response(body, media_type=MediaType.JSON)  # type: ignore[return-value]

    if rt.kind in VERSIONED:

        class VersionedController(ResourceController):
            @get(
                "/{id:str}/versions",
                opt=needs("read"),
                responses=error_responses(404),
                summary=f"List the versions of {a_what} (newest first)",
                operation_id=f"list_{rt.kind}_versions",
            )
            async def versions(
                self,
                id: str,
                services: Services,
                auth: AuthContext,
                limit: int = Parameter(
                    query="limit", ge=1, le=100, default=20, description="Page size, 1 to 100."
                ),
                starting_after: int | None = Parameter(
                    query="starting_after",
                    default=None,
                    ge=1,
                    le=MAX_INT64,
                    description="Version number of the last item of the previous page.",
                ),
            ) -> Lst:  # type: ignore[valid-type]
                check_id(id, rt.prefix, what)
                page = await services.store.versions(
                    rt.kind, auth.scope, id, limit=limit, starting_after=starting_after
                )
                if page is None:
                    raise NotFound(f"no such {what}: {id}")
                body = list_raw([render_raw(rt, r) for r in page.items], page.has_more)
                return Response(body, media_type=MediaType.JSON)  # type: ignore[return-value]

        VersionedController.__name__ = f"{rt.object.title().replace('_', '')}Controller"
        return VersionedController

    ResourceController.__name__ = f"{rt.object.title().replace('_', '')}Controller"
    return ResourceController
