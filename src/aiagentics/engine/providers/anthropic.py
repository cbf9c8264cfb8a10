"""Anthropic Messages API with streaming.

SSE events: `message_start` (input usage), `content_block_start` (text or
tool_use), `content_block_delta` (`text_delta`, `input_json_delta`),
`content_block_stop`, `message_delta` (stop_reason, output usage),
`message_stop`, `ping`, and `error`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from httpx_sse import ServerSentEvent

from aiagentics.engine.providers._http import SSEProvider, event_json
from aiagentics.engine.providers.base import (
    FinishEvent,
    ModelRequest,
    ProviderError,
    StreamEvent,
    TextDelta,
    ToolCallEvent,
    UsageEvent,
)

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096
_PASSED_OPTIONS = ("temperature", "top_p", "top_k", "stop_sequences")
_STOP_REASONS = {"end_turn": "stop", "tool_use": "tool_calls", "max_tokens": "length"}


def _arguments_object(arguments: Any) -> dict[str, Any]:
    if isinstance(arguments, dict):
        return arguments
    try:
        value = json.loads(arguments)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def to_anthropic(messages: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Our thread as (system prompt, Messages API messages), same-role turns merged."""
    system: list[str] = []
    out: list[dict[str, Any]] = []

    def add(role: str, block: dict[str, Any]) -> None:
        if out and out[-1]["role"] == role:
            out[-1]["content"].append(block)
        else:
            out.append({"role": role, "content": [block]})

    for message in messages:
        role = message["role"]
        if role == "system":
            system.append(message.get("content") or "")
        elif role == "user":
            add("user", {"type": "text", "text": message.get("content") or ""})
        elif role == "tool":
            add(
                "user",
                {
                    "type": "tool_result",
                    "tool_use_id": message["tool_call_id"],
                    "content": message.get("content") or "",
                },
            )
        else:
            if message.get("content"):
                add("assistant", {"type": "text", "text": message["content"]})
            for call in message.get("tool_calls") or []:
                add(
                    "assistant",
                    {
                        "type": "tool_use",
                        "id": call["id"],
                        "name": call["name"],
                        "input": _arguments_object(call["arguments"]),
                    },
                )
    return "\n\n".join(system), out


async def parse_events(sse: AsyncIterator[ServerSentEvent]) -> AsyncIterator[StreamEvent]:
    """Messages stream events -> stream events."""
    blocks: dict[int, dict[str, str]] = {}
    input_tokens = output_tokens = 0
    stop_reason: str | None = None
    async for event in sse:
        if not event.data:
            continue
        data = event_json(event)
        kind = data.get("type", event.event)
        if kind == "message_start":
            usage = (data.get("message") or {}).get("usage") or {}
            input_tokens = int(usage.get("input_tokens") or 0)
            output_tokens = int(usage.get("output_tokens") or 0)
        elif kind == "content_block_start":
            block = data.get("content_block") or {}
            if block.get("type") == "tool_use":
                blocks[data["index"]] = {"id": block["id"], "name": block["name"], "json": ""}
        elif kind == "content_block_delta":
            delta = data.get("delta") or {}
            if delta.get("type") == "text_delta" and delta.get("text"):
                yield TextDelta(delta["text"])
            elif delta.get("type") == "input_json_delta" and data.get("index") in blocks:
                blocks[data["index"]]["json"] += delta.get("partial_json") or ""
        elif kind == "content_block_stop":
            block = blocks.pop(data.get("index"), None)
            if block is not None:
                yield ToolCallEvent(
                    id=block["id"], name=block["name"], arguments=block["json"] or "{}"
                )
        elif kind == "message_delta":
            stop_reason = (data.get("delta") or {}).get("stop_reason") or stop_reason
            usage = data.get("usage") or {}
            output_tokens = int(usage.get("output_tokens") or output_tokens)
        elif kind == "message_stop":
            yield UsageEvent(input_tokens=input_tokens, output_tokens=output_tokens)
            yield FinishEvent(_STOP_REASONS.get(stop_reason or "", "stop"))
            return
        elif kind == "error":
            err = data.get("error") or {}
            raise ProviderError(
                f"reported {err.get('type', 'an error')}: {err.get('message', '')}",
                retryable=err.get("type") in ("overloaded_error", "api_error", "rate_limit_error"),
            )
    raise ProviderError("its stream ended before message_stop", code="provider_unavailable")


class AnthropicProvider(SSEProvider):
    """Messages API streaming with tool use."""

    default_base_url = DEFAULT_BASE_URL
    default_name = "anthropic"
    parse = staticmethod(parse_events)

    def endpoint(self, base_url: str) -> str:
        """`/v1/messages`, whether or not the base URL already ends in `/v1`."""
        return base_url + ("/messages" if base_url.endswith("/v1") else "/v1/messages")

    def headers(self) -> dict[str, str]:
        """The API version and, when set, `x-api-key`."""
        headers = {"anthropic-version": API_VERSION}
        if self.api_key:
            headers["x-api-key"] = self.api_key
        return headers

    def body(self, request: ModelRequest) -> dict[str, Any]:
        """The JSON body of one streamed Messages call."""
        system, messages = to_anthropic(request.messages)
        body: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.token_limit() or DEFAULT_MAX_TOKENS,
            "messages": messages,
            "stream": True,
        }
        if system:
            body["system"] = system
        for key in _PASSED_OPTIONS:
            if request.options.get(key) is not None:
                body[key] = request.options[key]
        if request.tools:
            body["tools"] = [
                {"name": t.name, "description": t.description, "input_schema": t.parameters}
                for t in request.tools
            ]
        return body
