"""The trace of a run, derived from its event log: every model and tool step."""

from __future__ import annotations

from typing import Any

from aiagentics.engine.runs.events import MODEL_STEP, TOOL_COMPLETED, TOOL_REQUESTED, RunEvent
from aiagentics.engine.runs.records import RunRecord


def trace_id(run_id: str) -> str:
    """`trc_` + the run's id suffix: one trace per run."""
    return "trc_" + run_id.partition("_")[2]


def build_trace(run: RunRecord, events: list[RunEvent]) -> dict[str, Any]:
    """`{id, object, run_id, status, usage, steps: [{type, started_at, latency_ms, input,
    output, tokens, ...}]}`; steps are in the order they started."""
    steps: list[tuple[float, int, dict[str, Any]]] = []
    requested: dict[str, tuple[RunEvent, dict[str, Any]]] = {}
    for event in events:
        if event.event == MODEL_STEP:
            d = event.data
            step = {
                "type": "model",
                "name": d.get("model"),
                "started_at": d["started_at"],
                "latency_ms": d["latency_ms"],
                "input": d["input"],
                "output": d["output"],
                "tokens": d["tokens"],
            }
            steps.append((d["started_at"], event.seq, step))
        elif event.event == TOOL_REQUESTED:
            d = event.data
            requested[d["id"]] = (event, d)
        elif event.event == TOOL_COMPLETED:
            d = event.data
            origin, req = requested.get(d["id"], (event, {}))
            step = {
                "type": "tool",
                "name": d["tool"],
                "tool_call_id": d["id"],
                "tool_type": req.get("type"),
                "started_at": origin.created_at,
                "latency_ms": d["latency_ms"],
                "input": req.get("args"),
                "output": d["output"],
                "is_error": d.get("is_error", False),
                "tokens": None,
            }
            steps.append((origin.created_at, origin.seq, step))
    steps.sort(key=lambda s: (s[0], s[1]))
    ended = run.completed_at
    return {
        "id": trace_id(run.id),
        "object": "trace",
        "run_id": run.id,
        "agent_id": run.agent_id,
        "agent_version": run.agent_version,
        "status": run.status,
        "created_at": int(run.created_at),
        "duration_ms": round((ended - run.created_at) * 1000, 3) if ended else None,
        "usage": run.state.usage,
        "thread_id": run.state.thread_id,
        "history": _history(run),
        "steps": [s for _, _, s in steps],
    }


def _history(run: RunRecord) -> dict[str, Any] | None:
    """What of its thread's earlier exchange the run sent the model, and what it left out."""
    state = run.state
    if not state.thread_id:
        return None
    omitted = state.history_omitted or {}
    return {
        "messages": state.history,
        "omitted_messages": int(omitted.get("messages") or 0),
        "omitted_runs": list(omitted.get("runs") or []),
    }
