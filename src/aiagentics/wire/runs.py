"""The run object (`GET /v1/runs/:id`) and its statuses, declared once."""

from __future__ import annotations

from typing import Any, Literal, get_args

import msgspec

RunStatus = Literal["queued", "in_progress", "requires_action", "completed", "failed", "cancelled"]
RUN_STATUSES: tuple[RunStatus, ...] = get_args(RunStatus)
ACTIVE_STATUSES: tuple[RunStatus, ...] = ("queued", "in_progress")
TERMINAL_STATUSES: tuple[RunStatus, ...] = ("completed", "failed", "cancelled")


class Run(msgspec.Struct, kw_only=True):
    """One run: which agent version ran on what, its status, messages, output and usage.

    `required_action` is set while the run waits for client tool outputs
    (`{"type": "submit_tool_outputs", "tool_calls": [{id, name, arguments}]}`);
    `error` (`{code, message}`) once it failed. `thread_id`: the thread the run was made
    on (its model saw the thread's earlier exchange), or None.
    """

    id: str
    object: Literal["run"] = "run"
    created_at: int
    agent_id: str
    agent_version: int
    model: str | None
    status: RunStatus
    input: Any
    output: str | None
    messages: list[dict[str, Any]]
    usage: dict[str, int]
    required_action: dict[str, Any] | None
    error: dict[str, Any] | None
    thread_id: str | None = None
    metadata: dict[str, Any]
    started_at: int | None
    completed_at: int | None


class RunList(msgspec.Struct, kw_only=True):
    """A page of runs, newest first."""

    object: Literal["list"] = "list"
    data: list[Run]
    has_more: bool
