"""/v1/memory_stores: memory definitions (kv and vector; vector files referenced by id)."""

from __future__ import annotations

from aiagentics.engine import bodies as m
from aiagentics.gateway.routes.resources import ResourceType, build_controller

MEMORY_STORES = ResourceType("memory_store", "memory", m.MemoryStoreObject, m.MemoryStoreList)
MemoryStoreController = build_controller(MEMORY_STORES)
