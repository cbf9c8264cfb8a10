"""Threads (`/v1/threads`): conversations across runs, and their messages."""

from __future__ import annotations

from typing import Any, Literal

import msgspec


class Thread(msgspec.Struct, kw_only=True):
    """A conversation: the runs made on it (`thread_id` on `POST /v1/runs`) see its earlier
    exchange. `active_run_id`: the run that holds it now (in progress or waiting for tool
    outputs; another run on it is refused with `thread_busy`), or None."""

    id: str
    object: Literal["thread"] = "thread"
    created_at: int
    metadata: dict[str, Any]
    active_run_id: str | None = None


class ThreadMessage(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One message of a thread, in the run message format, with the run that added it."""

    role: Literal["user", "assistant", "tool"]
    content: str | None  # always present (null for an assistant turn that only calls tools)
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None
    name: str | None = None
    run_id: str
    created_at: int


class ThreadDetail(Thread, kw_only=True):
    """A thread with its messages, oldest first: each completed run's input, the assistant's
    answers, its tool calls and their results."""

    messages: list[ThreadMessage]


class ThreadList(msgspec.Struct, kw_only=True):
    """A page of threads, newest first (without their messages)."""

    object: Literal["list"] = "list"
    data: list[Thread]
    has_more: bool
