"""Built-in memory tools for agents, and retrieval injected into a run's context.

An agent whose Memory has `kv` gets `memory_get` and `memory_set` (scoped by the
run's `metadata.user_id` / `metadata.session_id` per the Memory's kv.scope; the session
of a run made on a thread is the thread, whatever its metadata says); one whose
Memory has `vector` gets `memory_search`. An agent with `files` or a vector Memory
gets the best chunks for its input as a system message when the run starts.
"""

from __future__ import annotations

from typing import Any

from aiagentics.engine.memory.kv import (
    KEY_MAX_CHARS,
    MemoryInputError,
    resolve_scope,
)
from aiagentics.engine.memory.retrieval import MAX_TOP_K
from aiagentics.engine.memory.service import CONTEXT_MAX_CHARS, MemoryService, VectorProfile
from aiagentics.engine.tools.base import ToolCall, ToolContext, ToolResult
from aiagentics.storage.base import Scope

__all__ = ["MEMORY_TOOL_TYPE", "MemoryToolExecutor", "install_tools", "memory_tools"]

MEMORY_TOOL_TYPE = "memory"

_KEY = {"type": "string", "minLength": 1, "maxLength": KEY_MAX_CHARS}
TOOL_DEFINITIONS: dict[str, dict[str, Any]] = {
    "memory_get": {
        "description": "Read a value you saved earlier in memory under a key.",
        "parameters": {
            "type": "object",
            "properties": {"key": _KEY},
            "required": ["key"],
            "additionalProperties": False,
        },
    },
    "memory_set": {
        "description": "Save a JSON value in memory under a key, to read it in later runs.",
        "parameters": {
            "type": "object",
            "properties": {"key": _KEY, "value": {}},
            "required": ["key", "value"],
            "additionalProperties": False,
        },
    },
    "memory_search": {
        "description": "Search the agent's documents; returns the most relevant passages.",
        "parameters": {
            "type": "object",
            "properties": {
                "query": {"type": "string", "minLength": 1},
                "top_k": {"type": "integer", "minimum": 1, "maximum": MAX_TOP_K},
            },
            "required": ["query"],
            "additionalProperties": False,
        },
    },
}


def memory_tools(memory_data: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The built-in tool definitions a Memory enables."""
    if not memory_data:
        return []
    names: list[str] = []
    if memory_data.get("kv"):
        names += ["memory_get", "memory_set"]
    if memory_data.get("vector"):
        names.append("memory_search")
    return [{"name": n, "type": MEMORY_TOOL_TYPE, **TOOL_DEFINITIONS[n]} for n in names]


def _scope(run: Any) -> Scope:
    return Scope(run.project, run.environment)


class MemoryToolExecutor:
    """Runs memory_get / memory_set / memory_search for a run."""

    deferred = False

    def __init__(self, service: MemoryService) -> None:
        self.service = service

    async def execute(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        """Dispatch on the tool name; bad input is a tool error the model sees, not a crash."""
        run = ctx.run
        scope = _scope(run)
        memory = await self.service.memory_store(scope, run.agent.get("memory"))
        if memory is None:
            return ToolResult.error("this agent has no memory store")
        args = call.arguments
        try:
            if call.name == "memory_search":
                profile = VectorProfile.of_memory(memory, run.agent.get("files"))
                hits = await self.service.search(
                    scope, args.get("query"), args.get("top_k", profile.top_k), profile
                )
                return ToolResult(
                    {
                        "results": [
                            {
                                "file_id": h.file_id,
                                "chunk_index": h.chunk_index,
                                "score": round(h.score, 4),
                                "text": h.text,
                            }
                            for h in hits
                        ]
                    }
                )
            kv_conf = memory.data.get("kv")
            if not kv_conf:
                return ToolResult.error("this memory store has no key-value scratchpad")
            meta = run.metadata or {}
            # A thread is the conversation, so it is the session its runs remember within.
            session = getattr(run.state, "thread_id", None) or meta.get("session_id")
            kv_scope = resolve_scope(kv_conf.get("scope", "user"), meta.get("user_id"), session)
            key = args.get("key")
            if call.name == "memory_get":
                entry = await self.service.kv.get(
                    scope.project, scope.environment, memory.id, kv_scope, key
                )
                return ToolResult(
                    {
                        "key": key,
                        "found": entry is not None,
                        "value": entry.value if entry else None,
                    }
                )
            if call.name == "memory_set":
                entry = await self.service.kv.set(
                    scope.project,
                    scope.environment,
                    memory.id,
                    kv_scope,
                    key,
                    args.get("value"),
                    kv_conf.get("ttl_seconds"),
                )
                return ToolResult(
                    {
                        "key": key,
                        "saved": True,
                        "expires_at": entry.to_json(memory.id)["expires_at"],
                    }
                )
        except MemoryInputError as exc:
            hint = (
                " (set it in the run's metadata)" if exc.param in ("user_id", "session_id") else ""
            )
            return ToolResult.error(f"{exc.message}{hint}")
        return ToolResult.error(f"unknown memory tool {call.name!r}")


def install_tools(service: MemoryService, runs: Any) -> None:
    """Register the executor, the tool provider and the context provider with the run engine."""

    async def provide_tools(agent: dict[str, Any], run: Any) -> list[dict[str, Any]]:
        memory = await service.memory_store(_scope(run), agent.get("memory"))
        return memory_tools(memory.data if memory else None)

    async def provide_context(agent: dict[str, Any], run: Any) -> list[dict[str, Any]]:
        scope = _scope(run)
        memory = await service.memory_store(scope, agent.get("memory"))
        profile = VectorProfile.of_memory(memory, agent.get("files"))
        query = run.input_text
        if profile.file_ids == [] or not query.strip():
            return []
        try:
            hits = await service.search(scope, query[:4000], profile.top_k, profile)
        except MemoryInputError:
            return []
        if not hits:
            return []
        return [{"role": "system", "content": context_message(hits)}]

    runs.tools.register(MEMORY_TOOL_TYPE, MemoryToolExecutor(service))
    runs.add_tool_provider(provide_tools)
    runs.add_context_provider(provide_context)


def context_message(hits: list[Any]) -> str:
    """The system message carrying retrieved passages (bounded in size)."""
    parts = ["Relevant passages from the agent's files:"]
    used = len(parts[0])
    for i, hit in enumerate(hits, start=1):
        block = f"[{i}] (file {hit.file_id}, chunk {hit.chunk_index})\n{hit.text}"
        if used + len(block) > CONTEXT_MAX_CHARS:
            break
        parts.append(block)
        used += len(block)
    return "\n\n".join(parts)
