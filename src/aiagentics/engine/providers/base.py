"""The provider interface: one model call is an async stream of `StreamEvent`s.

A provider turns a `ModelRequest` (the thread in our message format, the tool
definitions, the options) into text deltas, complete tool calls, a usage report
and a finish reason. Wire formats stay inside each provider module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(slots=True, frozen=True)
class TextDelta:
    """A piece of the answer's text, as the model streams it."""

    text: str


@dataclass(slots=True, frozen=True)
class ToolCallEvent:
    """One complete tool call; `arguments` is the raw JSON text the model produced."""

    id: str
    name: str
    arguments: str


@dataclass(slots=True, frozen=True)
class UsageEvent:
    """Token counts of this model call."""

    input_tokens: int
    output_tokens: int


@dataclass(slots=True, frozen=True)
class FinishEvent:
    """The model is done: `stop`, `tool_calls` or `length` (the token budget ran out)."""

    reason: str


StreamEvent = TextDelta | ToolCallEvent | UsageEvent | FinishEvent


@dataclass(slots=True, frozen=True)
class ToolDefinition:
    """What the model sees of a tool."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(slots=True)
class ModelRequest:
    """One model call.

    `messages` use the run's message format: `{"role": "system"|"user", "content"}`,
    `{"role": "assistant", "content", "tool_calls": [{"id", "name", "arguments"}]}`
    and `{"role": "tool", "tool_call_id", "name", "content"}`.
    """

    model: str
    messages: list[dict[str, Any]]
    tools: list[ToolDefinition] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    max_output_tokens: int | None = None
    run_input: str = ""
    # Assistant messages in `messages` that earlier runs of the thread made (not this run's).
    earlier_turns: int = 0

    def token_limit(self) -> int | None:
        """The tighter of the `max_tokens` option and the `max_output_tokens` guardrail."""
        limits = [v for v in (self.options.get("max_tokens"), self.max_output_tokens) if v]
        return min(limits) if limits else None


class ProviderError(Exception):
    """A model call failed; `retryable` ones (429, 5xx, connection errors) are retried
    as long as nothing was streamed yet."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "provider_error",
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after


class Provider(Protocol):
    """Streams one model call."""

    def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """Yield the events of one model call; raise `ProviderError` when it fails."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
