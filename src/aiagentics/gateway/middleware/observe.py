"""The request's timing: a `Server-Timing` header on every answer, and its /metrics labels.

`gateway;dur=` is the time from the request's arrival to the start of its answer (for a
stream, until its headers went out); a run creation also shows `first-event;dur=`, the
time until the run's first event was recorded (set by the route in `scope["state"]`).
"""

from __future__ import annotations

import time
from typing import Any

from aiagentics.gateway.middleware.asgi import Scope

FIRST_EVENT = "first_event_at"  # scope["state"] key: perf_counter() of the run's first event
UNMATCHED = "unmatched"  # the route label of a request answered before (or without) routing


def observing(send: Any, scope: Scope, started: float, status: list[int]) -> Any:
    """`send` that adds `Server-Timing` to the answer and notes its status in `status[0]`."""

    async def wrapped(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status[0] = int(message["status"])
            timing = f"gateway;dur={(time.perf_counter() - started) * 1000:.3f}"
            first = scope.get("state", {}).get(FIRST_EVENT)
            if first is not None:
                timing += f", first-event;dur={(first - started) * 1000:.3f}"
            message = {
                **message,
                "headers": [*message.get("headers", []), (b"server-timing", timing.encode())],
            }
        await send(message)

    return wrapped


def route_of(scope: Scope) -> str:
    """The route's path template (`/v1/agents/{agent_id:str}`): bounded, unlike paths."""
    return str(scope.get("path_template") or UNMATCHED)
