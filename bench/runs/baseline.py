"""The benchmark's baseline server: the same HTTP round trips as a run, without the engine.

It takes `POST /v1/runs`, calls the tool handler once, and streams the same eight SSE
events a two-step scripted run streams.
"""

# No `from __future__ import annotations`: Litestar reads the handler's annotations.

import json
from typing import Any

import httpx
import msgspec
import uvicorn
from litestar import Litestar, post
from litestar.response.sse import ServerSentEvent, ServerSentEventMessage


def app(handler_url: str) -> Litestar:
    """The baseline app calling `handler_url`."""
    client = httpx.AsyncClient()

    @post("/v1/runs", status_code=200)
    async def create_run(data: dict[str, Any]) -> ServerSentEvent:
        run_id = "run_baseline"

        async def events() -> Any:
            created = msgspec.json.encode({"run_id": run_id, "status": "in_progress"}).decode()
            yield ServerSentEventMessage(data=created, event="run.created", id=1)
            args = {"limit": 50}
            requested = json.dumps({"run_id": run_id, "tool": "sql_query", "args": args})
            yield ServerSentEventMessage(data=requested, event="tool.requested", id=2)
            output = (await client.post(handler_url, json=args)).json()
            completed = json.dumps({"run_id": run_id, "output": output})
            yield ServerSentEventMessage(data=completed, event="tool.completed", id=3)
            for n, word in enumerate(["7 ", "payments ", "failed ", "today."]):
                token = json.dumps({"run_id": run_id, "delta": word})
                yield ServerSentEventMessage(data=token, event="token", id=4 + n)
            done = json.dumps({"run_id": run_id, "status": "completed"})
            yield ServerSentEventMessage(data=done, event="run.completed", id=8)

        return ServerSentEvent(events())

    return Litestar([create_run])


def serve(port: int, handler_url: str) -> None:
    """Serve the baseline on loopback."""
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    uvicorn.run(app(handler_url), host="127.0.0.1", port=port, log_level="error", backlog=4096)
