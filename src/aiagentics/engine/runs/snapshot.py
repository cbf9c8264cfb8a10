"""What a run pins when it starts: the agent's definition and its tools, and the first messages."""

from __future__ import annotations

from typing import Any

import msgspec

from aiagentics.engine.blank import is_blank
from aiagentics.errors import InvalidInput, NotFound
from aiagentics.storage.base import Definitions, Scope

_INPUT_ROLES = ("user", "assistant", "system")


async def agent_snapshot(
    store: Definitions, scope: Scope, agent_id: str | None, agent_name: str | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(agent definition with id/name/version, its tools' definitions) as of now."""
    if agent_id:
        resource, param, ref = await store.get("agent", scope, agent_id), "agent_id", agent_id
    elif agent_name:
        resource, param, ref = (
            await store.get_by_name("agent", scope, agent_name),
            "agent",
            agent_name,
        )
    else:
        raise InvalidInput("give `agent_id` (or `agent`, the agent's name)", param="agent_id")
    if resource is None:
        raise NotFound(f"no agent {ref!r}", param=param)
    data = dict(resource.data)
    tools: list[dict[str, Any]] = []
    for tool_ref in data.get("tools") or []:
        tool = await store.get("tool", scope, tool_ref) or await store.get_by_name(
            "tool", scope, tool_ref
        )
        if tool is None:
            raise InvalidInput(
                f"the agent's tool {tool_ref!r} no longer exists; update the agent",
                param=param,
                code="tool_missing",
            )
        tools.append({**tool.data, "id": tool.id, "name": tool.name, "version": tool.version})
    agent = {**data, "id": resource.id, "name": resource.name, "version": resource.version}
    return agent, tools


SnapshotKey = tuple[str, str, str | None, str | None]


class SnapshotCache:
    """Recent agent snapshots, each valid while the storage's change token stays what it was.

    A run then starts without reading its agent and tools again while no definition changed.
    Entries are kept encoded (and still sealed), so each run decodes a copy of its own."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._entries: dict[SnapshotKey, tuple[object, bytes]] = {}

    def get(
        self, key: SnapshotKey, token: object
    ) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """The snapshot stored under `key` with this very token, or None."""
        entry = self._entries.get(key)
        if entry is None or entry[0] != token:
            return None
        agent, tools = msgspec.json.decode(entry[1])
        return agent, tools

    def put(
        self,
        key: SnapshotKey,
        token: object,
        agent: dict[str, Any],
        tools: list[dict[str, Any]],
    ) -> None:
        """Remember a snapshot read after `token` was taken."""
        self._entries.pop(key, None)
        if len(self._entries) >= self.size:
            del self._entries[next(iter(self._entries))]  # the oldest
        self._entries[key] = (token, msgspec.json.encode((agent, tools)))


def initial_messages(agent: dict[str, Any], input: Any) -> list[dict[str, Any]]:
    """The thread a run starts with: the instructions, then the input (text or messages)."""
    messages: list[dict[str, Any]] = []
    if input is None:
        raise InvalidInput("`input` is required: a string or a list of messages", param="input")
    if agent.get("instructions"):
        messages.append({"role": "system", "content": str(agent["instructions"])})
    if isinstance(input, str):
        if is_blank(input):
            raise InvalidInput("`input` must not be empty", param="input")
        messages.append({"role": "user", "content": input})
        return messages
    if not isinstance(input, list) or not input:
        raise InvalidInput(
            "`input` must be a string or a non-empty list of messages", param="input"
        )
    for i, message in enumerate(input):
        if not isinstance(message, dict) or message.get("role") not in _INPUT_ROLES:
            raise InvalidInput(
                "each input message needs `role` (user, assistant or system) and `content`",
                param=f"input[{i}].role",
            )
        if not isinstance(message.get("content"), str):
            raise InvalidInput("message content must be a string", param=f"input[{i}].content")
        messages.append({"role": message["role"], "content": message["content"]})
    return messages
