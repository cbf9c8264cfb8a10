"""/v1/memory_stores/:id/kv and /v1/memory_stores/:id/search: scratchpads and retrieval over HTTP.

KV routes take the scope's owner as query parameters (`user_id` for a user-scoped
memory, `session_id` for a session-scoped one, nothing for a project-scoped one).
"""

# No `from __future__ import annotations`: Litestar reads these annotations at runtime.

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, ClassVar

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.params import Parameter

from aiagentics import kinds
from aiagentics.engine.blank import NOT_BLANK_PATTERN
from aiagentics.engine.memory.kv import KEY_MAX_CHARS, MemoryInputError, Scope, resolve_scope
from aiagentics.engine.memory.retrieval import MAX_QUERY_CHARS, MAX_TOP_K
from aiagentics.engine.memory.service import MemoryService, VectorProfile
from aiagentics.gateway.auth import AuthContext, require
from aiagentics.gateway.errors import InvalidRequest, NotFound
from aiagentics.gateway.routes.common import Limit, check_id, error_responses, list_body
from aiagentics.gateway.services import Services
from aiagentics.storage.base import Resource


class KVPut(msgspec.Struct, forbid_unknown_fields=True):
    """The value to store (any JSON) and an optional TTL overriding the memory's kv.ttl_seconds."""

    __json_schema_extra__: ClassVar[dict[str, Any]] = {
        "properties": {
            "ttl_seconds": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}]}
        }
    }

    value: Any
    ttl_seconds: int | None = None


class SearchRequest(msgspec.Struct, forbid_unknown_fields=True):
    """A retrieval query over the memory store's files."""

    # For the OpenAPI document (merged by api/openapi.py): what the retrieval index checks.
    __json_schema_extra__: ClassVar[dict[str, Any]] = {
        "properties": {
            "query": {"type": "string", "pattern": NOT_BLANK_PATTERN, "maxLength": MAX_QUERY_CHARS},
            "top_k": {
                "anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_TOP_K}, {"type": "null"}]
            },
        }
    }

    query: str
    top_k: int | None = None


UserId = Parameter(
    str,
    query="user_id",
    required=False,
    default=None,
    max_length=KEY_MAX_CHARS,
    description="Owner of a user-scoped memory.",
)
SessionId = Parameter(
    str,
    query="session_id",
    required=False,
    default=None,
    max_length=KEY_MAX_CHARS,
    description="Owner of a session-scoped memory.",
)


# What kv.check_key accepts, for the document (the handlers check it).
KeyParam = Annotated[
    str,
    Parameter(
        schema_extra={
            "minLength": 1,
            "maxLength": KEY_MAX_CHARS,
            "pattern": "^[^\\x00-\\x1f\\x7f]+$",
            "description": "The key (may contain slashes; no control characters).",
        }
    ),
]


def _service(services: Services) -> MemoryService:
    return services.memory  # type: ignore[no-any-return]


async def _memory(services: Services, auth: AuthContext, id: str) -> Resource:
    check_id(id, kinds.BY_KIND["memory_store"].prefix, "memory store")
    res = await _service(services).memory_store(auth.scope, id)
    if res is None:
        raise NotFound(f"no such memory store: {id}")
    return res


@contextmanager
def _bad_input() -> Iterator[None]:
    """Turn a MemoryInputError raised inside into a 400 that names its parameter."""
    try:
        yield
    except MemoryInputError as exc:
        raise InvalidRequest(exc.message, param=exc.param) from None


async def _scratchpad(
    services: Services, auth: AuthContext, id: str, user_id: str | None, session_id: str | None
) -> tuple[Resource, Scope]:
    """The memory store `id` and the scope its scratchpad is addressed in by this request."""
    memory = await _memory(services, auth, id)
    kv = memory.data.get("kv")
    if not kv:
        # The request is well-formed; the store's current configuration refuses it.
        raise InvalidRequest(
            "this memory store has no key-value scratchpad (set `kv`)",
            param="kv",
            code="kv_disabled",
        )
    try:
        return memory, resolve_scope(kv.get("scope", "user"), user_id, session_id)
    except MemoryInputError as exc:
        # Which owner parameter is needed depends on the store's configured scope.
        raise InvalidRequest(exc.message, param=exc.param, code="kv_scope") from None


def _no_key(key: str) -> NotFound:
    return NotFound(f"no key {key!r} in this scratchpad", param="key")


def _path_key(key: str) -> str:
    """The key of a `{key:path}` parameter (keys may contain slashes: `prefs/theme`)."""
    return str(key)[1:] if str(key).startswith("/") else str(key)


class MemoryDataController(Controller):
    path = "/v1/memory_stores/{id:str}"
    tags = ["memory"]

    @get(
        "/kv",
        guards=[require("read")],
        responses=error_responses(404),
        summary="List the keys of a scratchpad (key order)",
        operation_id="list_memory_kv",
    )
    async def list_kv(
        self,
        id: str,
        services: Services,
        auth: AuthContext,
        user_id: str | None = UserId,
        session_id: str | None = SessionId,
        prefix: str = Parameter(query="prefix", default="", max_length=KEY_MAX_CHARS),
        limit: int = Limit,
        starting_after: str | None = Parameter(
            query="starting_after",
            default=None,
            max_length=KEY_MAX_CHARS,
            description="The last key of the previous page.",
        ),
    ) -> dict[str, Any]:
        memory, scope = await _scratchpad(services, auth, id, user_id, session_id)
        with _bad_input():
            entries = await _service(services).kv.list(
                auth.project, auth.environment, memory.id, scope, prefix, limit + 1, starting_after
            )
        return list_body([e.to_json(memory.id) for e in entries[:limit]], len(entries) > limit)

    @get(
        "/kv/{key:path}",
        guards=[require("read")],
        responses=error_responses(404),
        summary="Read one key of a scratchpad",
        operation_id="get_memory_kv",
    )
    async def get_kv(
        self,
        id: str,
        key: KeyParam,
        services: Services,
        auth: AuthContext,
        user_id: str | None = UserId,
        session_id: str | None = SessionId,
    ) -> dict[str, Any]:
        memory, scope = await _scratchpad(services, auth, id, user_id, session_id)
        key = _path_key(key)
        with _bad_input():
            entry = await _service(services).kv.get(
                auth.project, auth.environment, memory.id, scope, key
            )
        if entry is None:
            raise _no_key(key)
        return entry.to_json(memory.id)

    @put(
        "/kv/{key:path}",
        guards=[require("run")],
        status_code=200,
        responses=error_responses(404),
        summary="Create or replace one key of a scratchpad",
        operation_id="put_memory_kv",
    )
    async def put_kv(
        self,
        id: str,
        key: KeyParam,
        data: KVPut,
        services: Services,
        auth: AuthContext,
        user_id: str | None = UserId,
        session_id: str | None = SessionId,
    ) -> dict[str, Any]:
        memory, scope = await _scratchpad(services, auth, id, user_id, session_id)
        key = _path_key(key)
        ttl = data.ttl_seconds
        if ttl is None:
            ttl = memory.data["kv"].get("ttl_seconds")
        with _bad_input():
            entry = await _service(services).kv.set(
                auth.project, auth.environment, memory.id, scope, key, data.value, ttl
            )
        return entry.to_json(memory.id)

    @delete(
        "/kv/{key:path}",
        guards=[require("run")],
        status_code=200,
        responses=error_responses(404),
        summary="Delete one key of a scratchpad",
        operation_id="delete_memory_kv",
    )
    async def delete_kv(
        self,
        id: str,
        key: KeyParam,
        services: Services,
        auth: AuthContext,
        user_id: str | None = UserId,
        session_id: str | None = SessionId,
    ) -> dict[str, Any]:
        memory, scope = await _scratchpad(services, auth, id, user_id, session_id)
        key = _path_key(key)
        with _bad_input():
            removed = await _service(services).kv.delete(
                auth.project, auth.environment, memory.id, scope, key
            )
        if not removed:
            raise _no_key(key)
        return {"object": "memory.kv", "memory_id": memory.id, "key": key, "deleted": True}

    @post(
        "/search",
        guards=[require("read")],
        status_code=200,
        responses=error_responses(404),
        summary="Search the memory store's files (BM25, hybrid when embeddings are configured)",
        operation_id="search_memory",
    )
    async def search(
        self, id: str, data: SearchRequest, services: Services, auth: AuthContext
    ) -> dict[str, Any]:
        memory = await _memory(services, auth, id)
        if not memory.data.get("vector"):
            raise InvalidRequest(
                "this memory store has no vector store (set `vector`)",
                param="vector",
                code="vector_disabled",
            )
        profile = VectorProfile.of_memory(memory)
        service = _service(services)
        with _bad_input():
            hits = await service.search(
                auth.scope,
                data.query,
                data.top_k if data.top_k is not None else profile.top_k,
                profile,
            )
        return {
            **list_body([h.to_json() for h in hits], False),
            "ranking": service.retrieval.ranking,
        }
