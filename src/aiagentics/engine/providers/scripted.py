"""The built-in `scripted` model (contract §5): replays `model_options.script`.

Each model call takes the next step of the script (the number of assistant turns
the run has made so far says which; a thread's earlier ones do not count); when the script is used up or absent it echoes
the run's input. Content is streamed as one text delta per word.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import AsyncIterator
from typing import Any

from aiagentics.engine.providers.base import (
    FinishEvent,
    ModelRequest,
    StreamEvent,
    TextDelta,
    ToolCallEvent,
    UsageEvent,
)

_WORD = re.compile(r"\s*\S+\s*")


def words(text: str) -> list[str]:
    """Split text into word tokens whose concatenation is the text (bar leading blanks)."""
    return _WORD.findall(text)


def _count_tokens(messages: list[dict[str, Any]]) -> int:
    total = 0
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            total += len(content.split())
    return total


class ScriptedProvider:
    """Deterministic model for development, tests and benchmarks."""

    async def aclose(self) -> None:
        """Nothing to release."""

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """Yield the next script step (or the echoed input) as stream events."""
        script: list[dict[str, Any]] = list(request.options.get("script") or [])
        # This run's model calls so far: a thread's earlier answers are not steps of it.
        step_index = (
            sum(1 for m in request.messages if m.get("role") == "assistant") - request.earlier_turns
        )
        step: dict[str, Any] = (
            script[step_index] if step_index < len(script) else {"content": request.run_input}
        )
        input_tokens = _count_tokens(request.messages)
        calls = step.get("tool_calls")
        if calls:
            output_tokens = 0
            for call in calls:
                arguments = json.dumps(call.get("arguments") or {}, separators=(",", ":"))
                output_tokens += max(1, len(arguments.split()))
                yield ToolCallEvent(
                    id=f"call_{secrets.token_hex(12)}", name=str(call["name"]), arguments=arguments
                )
            yield UsageEvent(input_tokens=input_tokens, output_tokens=output_tokens)
            yield FinishEvent("tool_calls")
            return
        tokens = words(str(step.get("content") or ""))
        budget = request.max_output_tokens
        emitted = 0
        for token in tokens:
            if budget is not None and emitted >= budget:
                yield UsageEvent(input_tokens=input_tokens, output_tokens=emitted)
                yield FinishEvent("length")
                return
            emitted += 1
            yield TextDelta(token)
        yield UsageEvent(input_tokens=input_tokens, output_tokens=emitted)
        yield FinishEvent("stop")
