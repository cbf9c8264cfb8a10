"""/v1/tools: tool definitions (versioned)."""

from __future__ import annotations

from aiagentics.engine import bodies as m
from aiagentics.gateway.routes.resources import ResourceType, build_controller

TOOLS = ResourceType("tool", "tools", m.ToolObject, m.ToolList)
ToolController = build_controller(TOOLS)
