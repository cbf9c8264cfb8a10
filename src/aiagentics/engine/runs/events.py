"""The ordered event log of a run: `RunEvent` (a log entry) and `RunChannel`.

The public event names are the wire's (`aiagentics.wire.events`); only the internal
ones are declared here.

Every event is persisted before it is published; SSE streams, the stored run, the
trace and webhook listeners are views of this log. Public events are numbered 1, 2,
3, ... per run (the SSE `id`, with no gaps). Events whose name is in `INTERNAL_EVENTS`
(model step records for the trace) are stored beside the log: they take no number
and are never streamed (logs written before that may still hold some; they are skipped).
"""

from __future__ import annotations

import asyncio

from aiagentics.storage.records import RunEvent
from aiagentics.wire.events import (
    PUBLIC_EVENTS,
    RUN_CANCELLED,
    RUN_COMPLETED,
    RUN_CREATED,
    RUN_FAILED,
    RUN_REQUIRES_ACTION,
    STOP_EVENTS,
    TERMINAL_EVENTS,
    TOKEN,
    TOOL_COMPLETED,
    TOOL_REQUESTED,
)

__all__ = [
    "INTERNAL_EVENTS",
    "MODEL_STEP",
    "PUBLIC_EVENTS",
    "RUN_CANCELLED",
    "RUN_COMPLETED",
    "RUN_CREATED",
    "RUN_FAILED",
    "RUN_REQUIRES_ACTION",
    "STOP_EVENTS",
    "TERMINAL_EVENTS",
    "TOKEN",
    "TOOL_COMPLETED",
    "TOOL_REQUESTED",
    "RunChannel",
    "RunEvent",
]

MODEL_STEP = "model.step"  # internal: one model call, for the trace
INTERNAL_EVENTS = frozenset({MODEL_STEP})


class RunChannel:
    """The live tail of one running segment of a run, shared by every watcher."""

    __slots__ = ("_changed", "events", "run_id")

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.events: list[RunEvent] = []
        self._changed = asyncio.Event()

    def publish(self, event: RunEvent) -> None:
        """Append a (persisted) event and wake every watcher."""
        self.events.append(event)
        self._changed.set()
        self._changed = asyncio.Event()

    def publish_many(self, events: list[RunEvent]) -> None:
        """Append (persisted) events and wake every watcher once for all of them."""
        self.events.extend(events)
        self._changed.set()
        self._changed = asyncio.Event()

    def after(self, seq: int) -> list[RunEvent]:
        """Events with a sequence number above `seq`."""
        events = self.events
        if not events or events[-1].seq <= seq:
            return []
        # Sequence numbers are dense inside a segment, so the position is computed, not searched.
        start = max(0, seq - events[0].seq + 1)
        return events[start:]

    def close(self) -> None:
        """The segment ended: wake every watcher (for good), so none waits on a dead channel."""
        self._changed.set()

    async def wait(self, timeout: float) -> bool:
        """Wait until something is published (True) or `timeout` passes (False)."""
        try:
            async with asyncio.timeout(timeout):
                await self._changed.wait()
            return True
        except TimeoutError:
            return False
