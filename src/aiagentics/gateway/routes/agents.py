"""/v1/agents: agent definitions (versioned; tools, memory and files referenced by id)."""

from __future__ import annotations

from typing import Any

from aiagentics.gateway.auth import AuthContext
from aiagentics.gateway.errors import InvalidRequest
from aiagentics.gateway.routes import models as m
from aiagentics.gateway.routes.resources import Reference, ResourceType, build_controller
from aiagentics.gateway.services import Services
from aiagentics.storage.base import Resource


async def _prepare(
    services: Services, auth: AuthContext, data: dict[str, Any], current: Resource | None
) -> dict[str, Any]:
    # An agent without a model would run the echoing `scripted` model unnoticed, in
    # production too: a model is asked for unless the gateway names a default.
    if data.get("model") is None:
        default = services.settings.default_model
        if not default:
            raise InvalidRequest(
                "model: required; give a model alias, `provider/model`, or `scripted` "
                "(the keyless development model), or set [gateway] default_model",
                param="model",
            )
        data["model"] = default
    return data


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
    prepare=_prepare,
)

AgentController = build_controller(AGENTS)
