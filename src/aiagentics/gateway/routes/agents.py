"""/v1/agents: agent definitions (versioned; tools, memory and files referenced by id)."""

from __future__ import annotations

from aiagentics.engine import bodies as m
from aiagentics.gateway.routes.resources import ResourceType, build_controller

AGENTS = ResourceType("agent", "agents", m.AgentObject, m.AgentList)
AgentController = build_controller(AGENTS)
