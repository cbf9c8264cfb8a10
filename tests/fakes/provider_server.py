"""Fake model providers: real HTTP servers on loopback that speak the providers' wire formats.

Each POST is answered with the next queued reply: a `Turn` (text and/or tool calls,
rendered as OpenAI `chat.completion.chunk` SSE lines or as Anthropic `event:`/`data:`
pairs, exactly as those APIs stream them), a `Status` (e.g. 429 or 500 with the
provider's error JSON), or a turn that is `drop`ped (connection closed mid-stream)
or `stall`ed (goes silent) after some events. The server runs in its own thread so
it serves a gateway in any event loop or process.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.loopback import LoopbackServer


@dataclass
class Turn:
    """One model answer: text streamed in word pieces, then tool calls."""

    text: str | None = None
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    input_tokens: int = 11
    output_tokens: int = 7
    drop_after: int | None = None  # close the connection after this many SSE events
    stall_after: int | None = None  # stop sending (keep the connection open) after N events
    raw_arguments: str | None = None  # send this text as the first tool call's arguments


@dataclass
class Status:
    """A plain HTTP error answer."""

    code: int
    message: str = "error"
    retry_after: str | None = None
    # Append the credential the request carried, as some providers do ("Incorrect API key
    # provided: sk-...") and as misconfigured proxies do with the whole header.
    echo_key: bool = False


Reply = Turn | Status


def _pieces(text: str, size: int = 2) -> list[str]:
    words = text.split(" ")
    out = []
    for i in range(0, len(words), size):
        piece = " ".join(words[i : i + size])
        out.append(piece if i + size >= len(words) else piece + " ")
    return out


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def openai_events(turn: Turn, model: str) -> list[bytes]:
    """The SSE lines of a streamed Chat Completion with include_usage."""
    base = {
        "id": "chatcmpl-9xFakeA1b2C3",
        "object": "chat.completion.chunk",
        "created": 1718000000,
        "model": model,
        "system_fingerprint": "fp_fake",
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return f"data: {_dumps({**base, 'choices': [choice], 'usage': None})}\n\n".encode()

    out = [chunk({"role": "assistant", "content": "", "refusal": None})]
    for piece in _pieces(turn.text or ""):
        out.append(chunk({"content": piece}))
    for index, (name, arguments) in enumerate(turn.tool_calls):
        call_id = f"call_fake{index}"
        head = {"index": index, "id": call_id, "type": "function"}
        out.append(chunk({"tool_calls": [{**head, "function": {"name": name, "arguments": ""}}]}))
        text = turn.raw_arguments if (index == 0 and turn.raw_arguments) else _dumps(arguments)
        for i in range(0, len(text), 8):
            part = {"index": index, "function": {"arguments": text[i : i + 8]}}
            out.append(chunk({"tool_calls": [part]}))
    out.append(chunk({}, "tool_calls" if turn.tool_calls else "stop"))
    usage = {
        "prompt_tokens": turn.input_tokens,
        "completion_tokens": turn.output_tokens,
        "total_tokens": turn.input_tokens + turn.output_tokens,
    }
    out.append(f"data: {_dumps({**base, 'choices': [], 'usage': usage})}\n\n".encode())
    out.append(b"data: [DONE]\n\n")
    return out


def anthropic_events(turn: Turn, model: str) -> list[bytes]:
    """The `event:`/`data:` pairs of a streamed Messages call."""

    def ev(name: str, data: dict[str, Any]) -> bytes:
        return f"event: {name}\ndata: {_dumps(data)}\n\n".encode()

    message = {
        "id": "msg_01FakeXyZ",
        "type": "message",
        "role": "assistant",
        "content": [],
        "model": model,
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": turn.input_tokens, "output_tokens": 1},
    }
    out = [ev("message_start", {"type": "message_start", "message": message})]
    index = 0
    if turn.text:
        out.append(
            ev(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
            )
        )
        out.append(ev("ping", {"type": "ping"}))
        for piece in _pieces(turn.text):
            delta = {"type": "text_delta", "text": piece}
            out.append(
                ev(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": 0, "delta": delta},
                )
            )
        out.append(ev("content_block_stop", {"type": "content_block_stop", "index": 0}))
        index = 1
    for n, (name, arguments) in enumerate(turn.tool_calls):
        block = {"type": "tool_use", "id": f"toolu_fake{n}", "name": name, "input": {}}
        out.append(
            ev(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": block},
            )
        )
        text = turn.raw_arguments if (n == 0 and turn.raw_arguments) else _dumps(arguments)
        for i in range(0, len(text), 8):
            delta = {"type": "input_json_delta", "partial_json": text[i : i + 8]}
            out.append(
                ev(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                )
            )
        out.append(ev("content_block_stop", {"type": "content_block_stop", "index": index}))
        index += 1
    stop = "tool_use" if turn.tool_calls else "end_turn"
    out.append(
        ev(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": turn.output_tokens},
            },
        )
    )
    out.append(ev("message_stop", {"type": "message_stop"}))
    return out


class FakeProviderServer(LoopbackServer):
    """`flavor` is "openai" (POST …/chat/completions) or "anthropic" (POST …/v1/messages)."""

    def __init__(self, flavor: str) -> None:
        super().__init__()
        self.flavor = flavor
        self.replies: deque[Reply] = deque()
        self.requests: list[dict[str, Any]] = []
        self.connections = 0  # TCP connections accepted: a client that reuses its pool opens one
        self._stalled: list[asyncio.StreamWriter] = []

    @property
    def base_url(self) -> str:
        """What goes into [providers.X] base_url."""
        root = f"http://127.0.0.1:{self.port}"
        return f"{root}/v1"

    def queue(self, *replies: Reply) -> None:
        """Answer the next POSTs with these replies, in order (then a default text turn)."""
        self.replies.extend(replies)

    def _on_stop(self) -> None:
        for writer in self._stalled:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # closed by the client, or the server is shutting down
        finally:
            if writer not in self._stalled:
                writer.close()

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                key, value = line.split(":", 1)
                headers[key.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        payload = json.loads(body) if body else None
        self.requests.append({"method": method, "path": path, "headers": headers, "json": payload})
        reply = self.replies.popleft() if self.replies else Turn(text="ok")
        if isinstance(reply, Status):
            message = reply.message
            if reply.echo_key:
                sent = headers.get("x-api-key") or headers.get("authorization", "")
                message += f": {sent.removeprefix('Bearer ')} (header: {sent})"
            err = {"error": {"message": message, "type": "server_error", "code": None}}
            if self.flavor == "anthropic":
                err = {"type": "error", "error": {"type": "api_error", "message": message}}
            data = _dumps(err).encode()
            extra = f"retry-after: {reply.retry_after}\r\n" if reply.retry_after is not None else ""
            writer.write(
                f"HTTP/1.1 {reply.code} Error\r\ncontent-type: application/json\r\n{extra}"
                f"content-length: {len(data)}\r\n\r\n".encode()
                + data
            )
            await writer.drain()
            return True
        model = (payload or {}).get("model", "fake-model")
        render = anthropic_events if self.flavor == "anthropic" else openai_events
        events = render(reply, model)
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
            b"cache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n"
        )
        for n, event in enumerate(events):
            if reply.drop_after is not None and n >= reply.drop_after:
                writer.transport.abort()  # mid-stream: no terminating chunk
                return False
            if reply.stall_after is not None and n >= reply.stall_after:
                self._stalled.append(writer)
                await asyncio.sleep(3600)
            writer.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
            await writer.drain()
        if reply.stall_after is not None:  # every event sent, but the body never ends
            self._stalled.append(writer)
            await asyncio.sleep(3600)
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True
