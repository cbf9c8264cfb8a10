"""The run as stored: `RunRecord` (one row of `runs`), its public JSON view, and `RunEvent`.

Plain data shared by the run journal (storage) and the run engine, so that storage never
imports the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from aiagentics.wire.runs import ACTIVE_STATUSES, RUN_STATUSES, TERMINAL_STATUSES

_encode = msgspec.json.encode
_decode = msgspec.json.decode

ACTIVE = ACTIVE_STATUSES
TERMINAL = TERMINAL_STATUSES
STATUSES = RUN_STATUSES


class RunState(msgspec.Struct, omit_defaults=True):
    """The mutable part of a run, rewritten at every step boundary (one JSON column)."""

    messages: list[dict[str, Any]] = msgspec.field(default_factory=list)
    output: str | None = None
    usage: dict[str, int] = msgspec.field(
        default_factory=lambda: {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0}
    )
    required_action: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    steps: int = 0  # model calls made so far (max_steps)
    active_seconds: float = 0.0  # time spent running, excluding waits for tool outputs
    # tool_call_id -> (name, requested at) of calls waiting for submit_tool_outputs
    pending: dict[str, Any] = msgspec.field(default_factory=dict)
    context_added: bool = False
    # The thread the run was made on, how many of `messages` came from its earlier runs
    # (right after the leading system messages), and what of it was left out to keep
    # within the agent's max_history_messages: {"messages": n, "runs": [run ids]}.
    thread_id: str | None = None
    history: int = 0
    history_omitted: dict[str, Any] | None = None
    # W3C traceparent every segment's spans start under: the caller's (POST /v1/runs), else
    # the first segment's own span, so that a run that pauses and resumes keeps one trace.
    traceparent: str | None = None


class RunRecord(msgspec.Struct):
    """One run: who ran what (pinned agent snapshot), its status and its state."""

    id: str
    project: str
    environment: str
    agent_id: str
    agent_version: int
    agent: dict[str, Any]  # the agent definition (with its tools) pinned at creation
    status: str  # one of wire.runs.RUN_STATUSES
    input: Any
    metadata: dict[str, Any]
    created_at: float
    started_at: float | None = None
    completed_at: float | None = None
    owner: str | None = None
    state: RunState = msgspec.field(default_factory=RunState)
    last_seq: int = 0  # sequence number of the latest event (not stored: read from the log)

    @property
    def input_text(self) -> str:
        """The user's input as text (the last user message when `input` is a thread)."""
        if isinstance(self.input, str):
            return self.input
        for message in reversed(self.input or []):
            if message.get("role") == "user":
                return str(message.get("content") or "")
        return ""

    def to_api(self) -> dict[str, Any]:
        """The public `run` object."""
        s = self.state
        return {
            "id": self.id,
            "object": "run",
            "created_at": int(self.created_at),
            "agent_id": self.agent_id,
            "agent_version": self.agent_version,
            "model": self.agent.get("model"),
            "status": self.status,
            "input": self.input,
            "output": s.output,
            "messages": s.messages,
            "usage": s.usage,
            "required_action": s.required_action,
            "error": s.error,
            "thread_id": s.thread_id,
            "metadata": self.metadata,
            "started_at": int(self.started_at) if self.started_at else None,
            "completed_at": int(self.completed_at) if self.completed_at else None,
        }


@dataclass(slots=True)
class RunEvent:
    """One entry of a run's log; `data` always carries `run_id`; `raw` is its JSON."""

    run_id: str
    seq: int
    event: str
    raw: bytes
    created_at: float

    @property
    def data(self) -> dict[str, Any]:
        """The decoded payload."""
        return _decode(self.raw)

    @classmethod
    def new(cls, run_id: str, seq: int, event: str, data: dict[str, Any], at: float) -> RunEvent:
        """Encode a payload once (the same bytes go to SQLite and to every SSE watcher)."""
        return cls(run_id, seq, event, _encode({"run_id": run_id, **data}), at)
