"""The /v1 shapes shared by the gateway, the client and the CLI (msgspec only).

One `Struct` per API object: the gateway encodes with it, the client decodes into
it, the CLI renders it, and the OpenAPI document shows its schema.
"""

from aiagentics.wire.errors import ErrorBody, ErrorDetail
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
    EventName,
    RunEvent,
)
from aiagentics.wire.memory import KVDeleted, KVEntry, KVList, SearchHit, SearchResults
from aiagentics.wire.runs import (
    ACTIVE_STATUSES,
    RUN_STATUSES,
    TERMINAL_STATUSES,
    Run,
    RunList,
    RunStatus,
)
from aiagentics.wire.threads import Thread, ThreadDetail, ThreadList, ThreadMessage
from aiagentics.wire.traces import ModelStep, ToolStep, Trace, TraceHistory, TraceStep
from aiagentics.wire.webhooks import (
    DELIVERY_STATUSES,
    Delivery,
    DeliveryAttempt,
    DeliveryList,
    DeliveryStatus,
)

__all__ = [
    "ACTIVE_STATUSES",
    "DELIVERY_STATUSES",
    "PUBLIC_EVENTS",
    "RUN_CANCELLED",
    "RUN_COMPLETED",
    "RUN_CREATED",
    "RUN_FAILED",
    "RUN_REQUIRES_ACTION",
    "RUN_STATUSES",
    "STOP_EVENTS",
    "TERMINAL_EVENTS",
    "TERMINAL_STATUSES",
    "TOKEN",
    "TOOL_COMPLETED",
    "TOOL_REQUESTED",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryList",
    "DeliveryStatus",
    "ErrorBody",
    "ErrorDetail",
    "EventName",
    "KVDeleted",
    "KVEntry",
    "KVList",
    "ModelStep",
    "Run",
    "RunEvent",
    "RunList",
    "RunStatus",
    "SearchHit",
    "SearchResults",
    "Thread",
    "ThreadDetail",
    "ThreadList",
    "ThreadMessage",
    "ToolStep",
    "Trace",
    "TraceHistory",
    "TraceStep",
]
