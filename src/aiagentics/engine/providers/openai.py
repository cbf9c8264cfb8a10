"""Any OpenAI-compatible Chat Completions endpoint (OpenAI, vLLM, Ollama, llama.cpp, LiteLLM).

Streams `chat.completion.chunk` objects as SSE `data:` lines; tool calls arrive as
deltas keyed by `index` and are assembled here; `stream_options.include_usage`
asks for a final chunk carrying the usage; the stream ends with `data: [DONE]`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from httpx_sse import ServerSentEvent

from aiagentics.engine.providers._http import SSEProvider
from aiagentics.engine.providers.base import (
    FinishEvent,
    ModelRequest,
    ProviderError,
    StreamEvent,
    TextDelta,
    ToolCallEvent,
    UsageEvent,
)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_NOT_SENT = frozenset({"script", "max_tokens"})


def _arguments_text(arguments: Any) -> str:
    return arguments if isinstance(arguments, str) else json.dumps(arguments)


def to_openai_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Our thread in the Chat Completions message format."""
    out: list[dict[str, Any]] = []
    for message in messages:
        role = message["role"]
        if role == "assistant":
            item: dict[str, Any] = {"role": "assistant", "content": message.get("content")}
            calls = message.get("tool_calls") or []
            if calls:
                item["tool_calls"] = [
                    {
                        "id": c["id"],
                        "type": "function",
                        "function": {
                            "name": c["name"],
                            "arguments": _arguments_text(c["arguments"]),
                        },
                    }
                    for c in calls
                ]
            out.append(item)
        elif role == "tool":
            out.append(
                {
                    "role": "tool",
                    "tool_call_id": message["tool_call_id"],
                    "content": message["content"],
                }
            )
        else:
            out.append({"role": role, "content": message.get("content") or ""})
    return out


# The parts of a `chat.completion.chunk` the gateway reads, decoded straight into structs
# (no dict per chunk; what else a provider sends is skipped by the decoder).
class _Function(msgspec.Struct):
    name: str | None = None
    arguments: str | None = None


class _ToolCallDelta(msgspec.Struct):
    index: int = 0
    id: str | None = None
    function: _Function | None = None


class _Delta(msgspec.Struct):
    content: str | None = None
    tool_calls: list[_ToolCallDelta] | None = None


class _Choice(msgspec.Struct):
    delta: _Delta | None = None
    finish_reason: str | None = None


class _Usage(msgspec.Struct):
    prompt_tokens: int | None = 0
    completion_tokens: int | None = 0


class _Chunk(msgspec.Struct):
    choices: list[_Choice] | None = None
    usage: _Usage | None = None
    error: Any = None


_chunk = msgspec.json.Decoder(_Chunk).decode


def _decode_chunk(data: str) -> _Chunk:
    try:
        return _chunk(data)
    except msgspec.DecodeError as exc:  # bad JSON is the provider's error, not ours
        raise ProviderError(f"sent an invalid chunk: {exc}") from None


async def parse_chunks(sse: AsyncIterator[ServerSentEvent]) -> AsyncIterator[StreamEvent]:
    """Chat Completions chunks -> stream events (tool calls assembled by index)."""
    calls: dict[int, dict[str, str]] = {}
    finish: str | None = None
    done = False
    async for event in sse:
        data = event.data
        if data == "[DONE]":
            done = True
            break
        if not data:
            continue
        chunk = _decode_chunk(data)
        if chunk.error is not None:
            err = chunk.error
            message = err.get("message", str(err)) if isinstance(err, dict) else str(err)
            raise ProviderError(f"reported an error: {message}")
        for choice in chunk.choices or ():
            delta = choice.delta
            if delta is not None:
                if delta.content:
                    yield TextDelta(delta.content)
                for part in delta.tool_calls or ():
                    slot = calls.setdefault(part.index, {"id": "", "name": "", "arguments": ""})
                    if part.id:
                        slot["id"] = part.id
                    function = part.function
                    if function is not None:
                        if function.name:
                            slot["name"] += function.name
                        if function.arguments:
                            slot["arguments"] += function.arguments
            if choice.finish_reason:
                finish = choice.finish_reason
                for index in sorted(calls):
                    slot = calls[index]
                    yield ToolCallEvent(
                        id=slot["id"] or f"call_{secrets.token_hex(12)}",
                        name=slot["name"],
                        arguments=slot["arguments"] or "{}",
                    )
                calls.clear()
        usage = chunk.usage
        if usage is not None:
            yield UsageEvent(
                input_tokens=int(usage.prompt_tokens or 0),
                output_tokens=int(usage.completion_tokens or 0),
            )
    if not done:
        raise ProviderError("its stream ended before [DONE]", code="provider_unavailable")
    yield FinishEvent({"length": "length", "tool_calls": "tool_calls"}.get(finish or "", "stop"))


class OpenAIProvider(SSEProvider):
    """Chat Completions with streaming, tool-call deltas and usage."""

    default_base_url = DEFAULT_BASE_URL
    default_name = "openai"
    parse = staticmethod(parse_chunks)

    def endpoint(self, base_url: str) -> str:
        """`/chat/completions` under the base URL (which includes `/v1`)."""
        return base_url + "/chat/completions"

    def headers(self) -> dict[str, str]:
        """A bearer token when there is an API key (local servers often take none)."""
        return {"authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def body(self, request: ModelRequest) -> dict[str, Any]:
        """The JSON body of one streamed Chat Completions call."""
        body: dict[str, Any] = {
            "model": request.model,
            "messages": to_openai_messages(request.messages),
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        for key, value in request.options.items():
            if key not in _NOT_SENT and value is not None:
                body[key] = value
        limit = request.token_limit()
        if limit:
            body["max_tokens"] = limit
        if request.tools:
            body["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": t.parameters,
                    },
                }
                for t in request.tools
            ]
        return body
