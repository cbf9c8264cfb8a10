"""/v1/agents: agent definitions (versioned; tools, memory and files referenced by id)."""

from __future__ import annotations

from aiagentics.gateway.api import models as m
from aiagentics.gateway.api.resources import Reference, ResourceType, build_controller

AGENTS = ResourceType(
    kind="agent",
    object="agent",
    prefix="agt",
    path="/v1/agents",
    tag="agents",
    create_model=m.AgentCreate,
    update_model=m.AgentUpdate,
    object_model=m.AgentObject,
    list_model=m.AgentList,
    references=(
        Reference("tools", "tool", "tool"),
        Reference("memory", "memory_store", "memory store"),
        Reference("files", "file", "file"),
    ),
)

AgentController = build_controller(AGENTS)
