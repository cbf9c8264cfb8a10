"""The events of a run's stream (SSE), their names declared once.

On the wire each event is `id: N`, `event: NAME`, `data: JSON` where the data always
carries `run_id`. Ids are 1, 2, 3, ... per run with no gaps, so a client that
reconnects with `Last-Event-ID: N` gets exactly the events after N.
"""

from __future__ import annotations

from typing import Any, Final, Literal, get_args

import msgspec

EventName = Literal[
    "run.created",
    "token",
    "tool.requested",
    "tool.completed",
    "run.requires_action",
    "run.completed",
    "run.failed",
    "run.cancelled",
]
PUBLIC_EVENTS: tuple[EventName, ...] = get_args(EventName)

RUN_CREATED: Final = "run.created"
TOKEN: Final = "token"
TOOL_REQUESTED: Final = "tool.requested"
TOOL_COMPLETED: Final = "tool.completed"
RUN_REQUIRES_ACTION: Final = "run.requires_action"
RUN_COMPLETED: Final = "run.completed"
RUN_FAILED: Final = "run.failed"
RUN_CANCELLED: Final = "run.cancelled"

# The stream of a POST (create, submit_tool_outputs) ends after one of these (the caller
# resumes a requires_action run); GET /v1/runs/:id/events follows pauses to a terminal one.
STOP_EVENTS: frozenset[str] = frozenset(
    {RUN_REQUIRES_ACTION, RUN_COMPLETED, RUN_FAILED, RUN_CANCELLED}
)
TERMINAL_EVENTS: frozenset[str] = frozenset({RUN_COMPLETED, RUN_FAILED, RUN_CANCELLED})

# The events a webhook may subscribe to.
WebhookEvent = Literal["run.completed", "run.failed", "tool.requested"]
WEBHOOK_EVENTS: tuple[WebhookEvent, ...] = get_args(WebhookEvent)


class RunEvent(msgspec.Struct, frozen=True):
    """One server-sent event of a run: its id (the SSE `id`), name and decoded data."""

    id: str
    event: EventName
    data: dict[str, Any]

    @property
    def seq(self) -> int:
        """The id as a number (events are numbered 1, 2, 3, ... per run)."""
        return int(self.id)

    @property
    def run_id(self) -> str | None:
        """The run this event belongs to."""
        value = self.data.get("run_id")
        return value if isinstance(value, str) else None


# What the OpenAPI document shows for one event of a `text/event-stream` response.
SSE_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "event": {"type": "string", "enum": list(PUBLIC_EVENTS)},
        "data": {
            "type": "string",
            "description": "The event's JSON object (it always has `run_id`).",
        },
        "id": {"type": "string", "pattern": "^[1-9][0-9]*$"},
        "retry": {"type": "integer"},
    },
}
