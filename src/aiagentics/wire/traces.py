"""The trace of a run (`GET /v1/traces/:run_id`): its model and tool steps in order."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from aiagentics.wire.runs import RunStatus


class ModelStep(msgspec.Struct, kw_only=True, tag_field="type", tag="model"):
    """One model call: what it was sent, what it answered, tokens and latency."""

    name: str | None
    started_at: float
    latency_ms: float
    input: Any
    output: Any
    tokens: dict[str, Any] | None


class ToolStep(msgspec.Struct, kw_only=True, tag_field="type", tag="tool"):
    """One tool call: its arguments, output, whether it failed, and latency."""

    name: str
    tool_call_id: str
    tool_type: str | None
    started_at: float
    latency_ms: float
    input: Any
    output: Any
    is_error: bool
    tokens: None = None


TraceStep = ModelStep | ToolStep


class TraceHistory(msgspec.Struct, kw_only=True):
    """Of a run on a thread: how many earlier messages the model was sent, and what was left
    out to keep within the agent's max_history_messages (whole runs, oldest first)."""

    messages: int
    omitted_messages: int
    omitted_runs: list[str]


class Trace(msgspec.Struct, kw_only=True):
    """Every step of a run, in the order they started (`trc_` + the run id's suffix)."""

    id: str
    object: Literal["trace"] = "trace"
    run_id: str
    agent_id: str
    agent_version: int
    status: RunStatus
    created_at: int
    duration_ms: float | None
    usage: dict[str, int]
    thread_id: str | None = None
    history: TraceHistory | None = None
    steps: list[TraceStep]
