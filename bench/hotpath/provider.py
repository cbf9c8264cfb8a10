"""A fake OpenAI-compatible provider for the hot-path bench: every POST streams the same
chat completion (CHUNKS `chat.completion.chunk` events, then usage and `[DONE]`).

The body is encoded once, so the provider's own cost per request is the HTTP exchange.
Run as `python bench/hotpath/provider.py PORT [CHUNKS] [DELAY_MS]` (DELAY_MS between events).
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

CHUNKS = 20


def parts(chunks: int = CHUNKS) -> list[bytes]:
    """The SSE events of one streamed answer, each encoded."""
    parts = []
    base = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 0, "model": "m"}
    first = {**base, "choices": [{"index": 0, "delta": {"role": "assistant"}}]}
    parts.append(first)
    for n in range(chunks):
        delta = {"content": f"word{n} "}
        parts.append({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
    parts.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    usage = {"prompt_tokens": 12, "completion_tokens": chunks, "total_tokens": 12 + chunks}
    parts.append({**base, "choices": [], "usage": usage})
    lines = [f"data: {json.dumps(p, separators=(',', ':'))}\n\n".encode() for p in parts]
    lines.append(b"data: [DONE]\n\n")
    return lines


def body(chunks: int = CHUNKS) -> bytes:
    """The whole SSE body of one streamed answer."""
    return b"".join(parts(chunks))


def app(chunks: int = CHUNKS, delay: float = 0.0) -> Any:
    """A bare ASGI app: POST anything, get the stream (`delay` seconds between events)."""
    events = parts(chunks)
    payload = b"".join(events)
    headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                while (await receive())["type"] != "lifespan.shutdown":
                    await send({"type": "lifespan.startup.complete"})
                await send({"type": "lifespan.shutdown.complete"})
            return
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        if scope["path"].endswith("/health") or scope["method"] == "GET":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})
            return
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        if not delay:
            await send({"type": "http.response.body", "body": payload})
            return
        for event in events:
            await send({"type": "http.response.body", "body": event, "more_body": True})
            await asyncio.sleep(delay)
        await send({"type": "http.response.body", "body": b""})

    return asgi


if __name__ == "__main__":
    import uvicorn

    port = int(sys.argv[1])
    chunks = int(sys.argv[2]) if len(sys.argv) > 2 else CHUNKS
    delay = float(sys.argv[3]) / 1000 if len(sys.argv) > 3 else 0.0
    uvicorn.run(app(chunks, delay), host="127.0.0.1", port=port, log_level="error", backlog=4096)
