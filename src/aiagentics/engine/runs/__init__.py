"""The run engine: the agent loop, the event log, providers and tool executors.

Other components use `RunService` (kept in `Services.runs`) and its seams
(`add_listener`, `add_context_provider`, `add_tool_provider`, `tools.register`),
and implement `ToolExecutor` for tools of their own type.
"""

from typing import TYPE_CHECKING, Any

from aiagentics.engine.runs.events import PUBLIC_EVENTS, RunEvent
from aiagentics.engine.runs.records import RunRecord
from aiagentics.engine.tools.base import (
    ToolCall,
    ToolContext,
    ToolExecutor,
    ToolRegistry,
    ToolResult,
)

if TYPE_CHECKING:
    from aiagentics.engine.runs.service import RunService


def __getattr__(name: str) -> Any:
    # RunService is imported on first use: the store imports this package's records and
    # events, and the service imports the store.
    if name == "RunService":
        from aiagentics.engine.runs.service import RunService

        return RunService
    raise AttributeError(name)


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
