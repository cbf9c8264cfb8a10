"""/v1/memory_stores: memory definitions (kv and vector; vector files referenced by id)."""

from __future__ import annotations

from aiagentics.gateway.auth import AuthContext
from aiagentics.gateway.routes import models as m
from aiagentics.gateway.routes.resources import Reference, ResourceType, build_controller
from aiagentics.gateway.services import Services
from aiagentics.storage.base import Resource


async def _forget(services: Services, auth: AuthContext, memory: Resource) -> None:
    """Drop the deleted store's KV entries and its retrieval profile's chunks."""
    service = getattr(services, "memory", None)
    if service is not None:
        await service.memory_deleted(auth.scope, memory)


MEMORY_STORES = ResourceType(
    kind="memory_store",
    object="memory_store",
    prefix="mem",
    path="/v1/memory_stores",
    tag="memory",
    create_model=m.MemoryStoreCreate,
    update_model=m.MemoryStoreUpdate,
    object_model=m.MemoryStoreObject,
    list_model=m.MemoryStoreList,
    references=(Reference("vector.files", "file", "file"),),
    referenced_by=(("agent", "memory"),),
    on_delete=_forget,
)

MemoryStoreController = build_controller(MEMORY_STORES)
