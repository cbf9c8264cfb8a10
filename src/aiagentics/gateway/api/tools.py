"""/v1/tools: tool definitions (versioned)."""

from __future__ import annotations

from aiagentics.gateway.api import models as m
from aiagentics.gateway.api.resources import ResourceType, build_controller

TOOLS = ResourceType(
    kind="tool",
    object="tool",
    prefix="tool",
    path="/v1/tools",
    tag="tools",
    create_model=m.ToolCreate,
    update_model=m.ToolUpdate,
    object_model=m.ToolObject,
    list_model=m.ToolList,
    referenced_by=(("agent", "tools"),),
)

ToolController = build_controller(TOOLS)
