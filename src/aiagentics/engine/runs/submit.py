"""Checking and applying `submit_tool_outputs`."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from aiagentics.engine.runs.events import TOOL_COMPLETED
from aiagentics.engine.runs.loop import tool_message
from aiagentics.engine.runs.records import RunRecord
from aiagentics.errors import InvalidInput

if TYPE_CHECKING:
    from aiagentics.engine.runs.service import RunService


def check_outputs(run: RunRecord, tool_outputs: Any) -> list[tuple[str, Any]]:
    """The outputs as (tool_call_id, output) in the order the model asked; InvalidInput
    (with the offending `param`) for anything else."""
    pending = run.state.pending
    if not isinstance(tool_outputs, list) or not tool_outputs:
        raise InvalidInput("`tool_outputs` must be a non-empty list", param="tool_outputs")
    given: dict[str, Any] = {}
    for i, item in enumerate(tool_outputs):
        if not isinstance(item, dict):
            raise InvalidInput(
                "each tool output is an object {tool_call_id, output}", param=f"tool_outputs[{i}]"
            )
        call_id = item.get("tool_call_id")
        if not isinstance(call_id, str) or not call_id:
            raise InvalidInput(
                "`tool_call_id` is required", param=f"tool_outputs[{i}].tool_call_id"
            )
        if call_id not in pending:
            raise InvalidInput(
                f"tool call {call_id!r} is not pending on this run",
                param=f"tool_outputs[{i}].tool_call_id",
                code="tool_call_not_pending",
            )
        if call_id in given:
            raise InvalidInput(
                f"tool call {call_id!r} has two outputs", param=f"tool_outputs[{i}].tool_call_id"
            )
        if item.get("output") is None:
            raise InvalidInput(
                "`output` is required (a string or any JSON value)",
                param=f"tool_outputs[{i}].output",
            )
        given[call_id] = item["output"]
    missing = [call_id for call_id in pending if call_id not in given]
    if missing:
        raise InvalidInput(
            f"outputs are missing for pending tool calls: {', '.join(missing)}",
            param="tool_outputs",
        )
    return [(call_id, given[call_id]) for call_id in pending]


async def apply_outputs(
    service: RunService, run: RunRecord, outputs: list[tuple[str, Any]]
) -> None:
    """Record each output as `tool.completed` and a tool message; clear the pending state."""
    now = time.time()
    for call_id, output in outputs:
        pending = run.state.pending[call_id]
        latency = max(0.0, (now - float(pending.get("requested_at") or now)) * 1000)
        await service.emit(
            run,
            TOOL_COMPLETED,
            {
                "id": call_id,
                "tool": pending["name"],
                "output": output,
                "latency_ms": round(latency, 3),
                "is_error": False,
            },
        )
        run.state.messages.append(tool_message(call_id, pending["name"], output))
    run.state.pending = {}
    run.state.required_action = None
    await service.runs.save(run)
