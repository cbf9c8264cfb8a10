"""One controller shape for every definition kind: create, retrieve, update, delete, list, versions.

`build_controller(ResourceType(...))` returns a Litestar Controller class. The rules live
in the definitions service (`engine/definitions.py`); the handlers parse, authorize, call
it and encode. Reads are served from the read cache as pre-encoded JSON.
"""

# No `from __future__ import annotations` here: Litestar reads the handlers' annotations,
# which name models created at runtime, so they must be real objects at definition time.

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Controller, HttpMethod, MediaType, Request, Response, delete, get, post, route
from litestar.params import Parameter
from pydantic import BaseModel

from aiagentics import kinds
from aiagentics.engine.definitions import INTERNAL_LABELS, RULES, render
from aiagentics.engine.sensitive import FIELDS_KEY, SEALED_KEY
from aiagentics.gateway.auth import AuthContext, authorize, needs
from aiagentics.gateway.routes.common import MAX_INT64, Deleted, cursor, error_responses
from aiagentics.gateway.services import Services
from aiagentics.storage.base import Resource

_INTERNAL_MARKS = tuple(b'"' + k.encode() + b'"' for k in INTERNAL_LABELS)
_SEALED_BYTES = f'"{SEALED_KEY}"'.encode()
_FIELDS_BYTES = f'"{FIELDS_KEY}"'.encode()


@dataclass(frozen=True)
class ResourceType:
    """What the HTTP edge of one definition kind needs besides its rules: models and a tag."""

    kind: kinds.StoreKind
    tag: str
    object_model: type[BaseModel]
    list_model: type[BaseModel]
    created_model: type[BaseModel] | None = None


def render_raw(kind: str, res: Resource) -> Any:
    """`render` as pre-encoded JSON: the envelope spliced onto the stored bytes (reads)."""
    raw = res.raw
    if (
        RULES[kind].hidden
        or not raw
        or raw[:1] != b"{"
        or _SEALED_BYTES in raw
        or _FIELDS_BYTES not in raw  # stored before write-only fields existed
        or any(m in raw for m in _INTERNAL_MARKS)
    ):
        return render(kind, res)
    # ids are base62 and created_at/updated_at/version ints; only the name needs encoding.
    head = (
        f'{{"id":"{res.id}","object":"{kind}","created_at":{res.created_at},'
        f'"updated_at":{res.updated_at},"name":'
    ).encode() + msgspec.json.encode(res.name)
    if kind in kinds.VERSIONED:
        head += b',"version":%d' % res.version
    rest = raw[1:].lstrip()
    return msgspec.Raw(head + (rest if rest[:1] == b"}" else b"," + rest))


def list_raw(items: list[Any], has_more: bool) -> bytes:
    """A list body assembled from pre-encoded items."""
    return b"".join(
        (
            b'{"object":"list","data":[',
            b",".join(i if isinstance(i, msgspec.Raw) else msgspec.json.encode(i) for i in items),
            b'],"has_more":true}' if has_more else b'],"has_more":false}',
        )
    )


def build_controller(rt: ResourceType) -> type[Controller]:
    """The Controller class serving the kind's collection."""
    rules = RULES[rt.kind]
    kind, info = rt.kind, rules.info
    Create, Update, Obj, Lst = (
        rules.create_model,
        rules.update_model,
        rt.object_model,
        rt.list_model,
    )
    Created = rt.created_model or Obj
    what = info.what
    a_what = f"an {what}" if what[0] in "aeiou" else f"a {what}"

    class ResourceController(Controller):
        path = f"/v1/{info.path}"
        tags = [rt.tag]

        @post(
            "/",
            opt=needs("admin"),
            status_code=200,
            responses=error_responses(409),
            summary=f"Create {a_what}",
            operation_id=f"create_{kind}",
        )
        async def create(self, data: Create, services: Services, auth: AuthContext) -> Created:  # type: ignore[valid-type]
            saved = await services.definitions.create(kind, auth.scope, data)
            return saved.object  # type: ignore[return-value]

        @get(
            "/{id:str}",
            opt=needs("read"),
            responses=error_responses(404),
            summary=f"Retrieve {a_what}",
            operation_id=f"get_{kind}",
        )
        async def retrieve(self, id: str, request: Request[Any, Any, Any]) -> Obj:  # type: ignore[valid-type]
            # Hot path: no dependency injection (see auth.provide_auth); same checks.
            services, auth = request.app.state.services, authorize(request)
            token = request.scope["state"].get("cache_token")
            key = ("get", kind, auth.project, auth.environment, id)
            body = services.read_cache.get(key, token)
            if body is None:
                obj = render_raw(kind, await services.definitions.get(kind, auth.scope, id))
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
            operation_id=lambda _h, method, _p: f"update_{kind}_{method.lower()}",
        )
        async def update(self, id: str, data: Update, services: Services, auth: AuthContext) -> Obj:  # type: ignore[valid-type]
            saved = await services.definitions.update(kind, auth.scope, id, data)
            return saved.object  # type: ignore[return-value]

        @delete(
            "/{id:str}",
            opt=needs("admin"),
            status_code=200,
            responses=error_responses(404, 409),
            summary=f"Delete {a_what}",
            operation_id=f"delete_{kind}",
        )
        async def remove(self, id: str, services: Services, auth: AuthContext) -> Deleted:
            await services.definitions.delete(kind, auth.scope, id)
            return Deleted(id=id, object=kind)

        @get(
            "/",
            opt=needs("read"),
            responses=error_responses(),
            summary=f"List {what}s (newest first)",
            operation_id=f"list_{kind}s",
        )
        async def list_all(
            self,
            request: Request[Any, Any, Any],
            limit: int = Parameter(
                query="limit", ge=1, le=100, default=20, description="Page size, 1 to 100."
            ),
            starting_after: str | None = cursor(info.prefix, what),
        ) -> Lst:  # type: ignore[valid-type]
            services, auth = request.app.state.services, authorize(request)
            token = request.scope["state"].get("cache_token")
            key = ("list", kind, auth.project, auth.environment, limit, starting_after)
            body = services.read_cache.get(key, token)
            if body is None:
                page = await services.definitions.list(
                    kind, auth.scope, limit=limit, starting_after=starting_after
                )
                body = list_raw([render_raw(kind, r) for r in page.items], page.has_more)
                services.read_cache.put(key, body, token)
            return Response(body, media_type=MediaType.JSON)  # type: ignore[return-value]

    if info.versioned:

        class VersionedController(ResourceController):
            @get(
                "/{id:str}/versions",
                opt=needs("read"),
                responses=error_responses(404),
                summary=f"List the versions of {a_what} (newest first)",
                operation_id=f"list_{kind}_versions",
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
                page = await services.definitions.versions(
                    kind, auth.scope, id, limit=limit, starting_after=starting_after
                )
                body = list_raw([render_raw(kind, r) for r in page.items], page.has_more)
                return Response(body, media_type=MediaType.JSON)  # type: ignore[return-value]

        VersionedController.__name__ = f"{kind.title().replace('_', '')}Controller"
        return VersionedController

    ResourceController.__name__ = f"{kind.title().replace('_', '')}Controller"
    return ResourceController
