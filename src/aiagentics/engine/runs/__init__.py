"""The run engine: the agent loop, the event log, providers and tool executors.

Other components use `RunService` (kept in `Services.runs`) and its seams
(`add_listener`, `add_context_provider`, `add_tool_provider`, `tools.register`),
and implement `ToolExecutor` for tools of their own type.
"""

from aiagentics.engine.runs.events import PUBLIC_EVENTS, RunEvent
from aiagentics.engine.runs.records import RunRecord
from aiagentics.engine.runs.service import RunService
from aiagentics.engine.tools.base import (
    ToolCall,
    ToolContext,
    ToolExecutor,
    ToolRegistry,
    ToolResult,
)

__all__ = [
    "PUBLIC_EVENTS",
    "RunEvent",
    "RunRecord",
    "RunService",
    "ToolCall",
    "ToolContext",
    "ToolExecutor",
    "ToolRegistry",
    "ToolResult",
]
