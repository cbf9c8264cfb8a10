"""/v1/runs: start, watch (SSE), resume, cancel and list runs. Thin: the RunService does the work."""

# No `from __future__ import annotations`: Litestar reads these annotations at runtime.

import time
from collections.abc import AsyncIterator
from typing import Any, ClassVar, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import Parameter
from litestar.response import Response
from litestar.response.streaming import Stream

from aiagentics import errors, kinds
from aiagentics.engine.blank import NOT_BLANK_PATTERN
from aiagentics.engine.runs.events import RunEvent
from aiagentics.engine.runs.records import RunRecord
from aiagentics.engine.runs.service import RunService
from aiagentics.gateway.auth import AuthContext, require
from aiagentics.gateway.errors import InvalidRequest
from aiagentics.gateway.middleware import FIRST_EVENT, STREAM_REPLAY
from aiagentics.gateway.routes.common import (
    MAX_INT64,
    check_cursor,
    check_id,
    cursor,
    cursor_gone,
    error_responses,
    event_id,
)
from aiagentics.gateway.routes.openapi import JSON_ANSWER
from aiagentics.wire.runs import RUN_STATUSES, Run, RunList

# `GET .../events?until=requires_action`: what a POST's stream shows (its idempotent replay).
UNTIL_PAUSE = "requires_action"

_INPUT_SCHEMA = {
    "anyOf": [
        {
            "type": "string",
            "pattern": NOT_BLANK_PATTERN,
            "description": "The user's message (not blank).",
        },
        {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "role": {"enum": ["user", "assistant", "system"]},
                    "content": {"type": "string"},
                },
                "required": ["role", "content"],
            },
        },
    ]
}


class RunCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Start a run of an agent (by `agent_id`, or by name with `agent`)."""

    # What the run service checks, for the OpenAPI document (merged by api/openapi.py):
    # `input` is required (not null), and `agent_id` or `agent` names the agent.
    __json_schema_extra__: ClassVar[dict[str, Any]] = {
        "required": ["input"],
        "properties": {"input": _INPUT_SCHEMA},
        "anyOf": [
            {"properties": {"agent_id": {"type": "string"}}, "required": ["agent_id"]},
            {"properties": {"agent": {"type": "string", "minLength": 1}}, "required": ["agent"]},
        ],
    }

    input: str | list[dict[str, Any]] | None = None
    agent_id: str | None = None
    agent: str | None = None
    stream: bool = False
    metadata: dict[str, str] = msgspec.field(default_factory=dict)
    # A thread (POST /v1/threads) the run continues: its model sees the earlier exchange.
    thread_id: str | None = None


class ToolOutput(msgspec.Struct, forbid_unknown_fields=True):
    """The result of one tool call the run asked for."""

    tool_call_id: str
    output: Any = None


class SubmitToolOutputs(msgspec.Struct, forbid_unknown_fields=True):
    """Outputs for every pending tool call; `stream: true` continues the event stream."""

    tool_outputs: list[ToolOutput]
    stream: bool = False


def wire_run(record: RunRecord) -> Run:
    """The public run object of a stored run."""
    return Run(**record.to_api())


class EventStream(Stream):
    """SSE whose media type wins over the handler's (POST handlers also answer JSON)."""

    def to_asgi_response(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["media_type"] = "text/event-stream"
        return super().to_asgi_response(*args, **kwargs)


KEEP_ALIVE = b": keep-alive\r\n\r\n"


def sse_frames(events: list[RunEvent]) -> bytes:
    """Server-sent event frames of a batch of events, as one chunk (one socket write).

    A frame is `id`, `event` and one `data` line: event names are fixed words and the
    data is compact JSON (msgspec), which has no line break to split into more lines."""
    return b"".join(
        b"id: %d\r\nevent: %s\r\ndata: %s\r\n\r\n" % (e.seq, e.event.encode(), e.raw)
        for e in events
    )


def sse_response(service: RunService, run_id: str, after: int, *, pause_ends: bool) -> Stream:
    """The run's events after `after` as SSE, to the end (or to the next requires_action);
    the events that are ready together go out in one write."""

    metrics = service.telemetry.metrics
    gauge = metrics.sse_streams if metrics is not None else None

    async def chunks() -> AsyncIterator[bytes]:
        if gauge is not None:
            gauge.inc()
        try:
            async for batch in service.follow_batches(run_id, after, pause_ends=pause_ends):
                yield KEEP_ALIVE if batch is None else sse_frames(batch)
        finally:
            if gauge is not None:
                gauge.dec()

    return EventStream(chunks(), headers={"Cache-Control": "no-cache"})


def _last_event_id(request: Request[Any, Any, Any], after: int | None) -> int:
    # Checked before the stream starts, so that a bad value is a 400 and not a dropped stream.
    header = event_id(request.headers.get("last-event-id"), "Last-Event-ID")
    if after is not None:
        return after
    return header or 0


class RunController(Controller):
    path = "/v1/runs"
    tags = ["runs"]

    @post(
        "/",
        guards=[require("run")],
        status_code=200,
        responses=error_responses(404, 409),
        summary="Start a run (stream: true answers with its server-sent events)",
        operation_id="create_run",
        opt={JSON_ANSWER: Run},
    )
    async def create(
        self,
        data: RunCreate,
        request: Request[Any, Any, Any],
        runs: RunService,
        auth: AuthContext,
    ) -> Any:
        """Start a run; without `stream` it answers at once with the run (in_progress)."""
        if data.agent_id is not None:
            check_id(data.agent_id, kinds.BY_KIND["agent"].prefix, "agent")
        run = await runs.create(
            auth.scope,
            agent_id=data.agent_id,
            agent_name=data.agent,
            input=data.input,
            metadata=data.metadata,
            thread_id=data.thread_id,
            traceparent=request.headers.get("traceparent"),
        )
        request.scope["state"][FIRST_EVENT] = time.perf_counter()  # run.created is recorded
        if data.stream:
            # A retry with the same Idempotency-Key follows this run's stream from the start.
            request.scope["state"][STREAM_REPLAY] = f"/v1/runs/{run.id}/events?until={UNTIL_PAUSE}"
            return sse_response(runs, run.id, 0, pause_ends=True)
        return Response(wire_run(run))

    @get(
        "/",
        guards=[require("read")],
        summary="List runs, newest first",
        operation_id="list_runs",
    )
    async def list_runs(
        self,
        runs: RunService,
        auth: AuthContext,
        limit: int = Parameter(int, query="limit", ge=1, le=100, default=20, required=False),
        starting_after: str | None = cursor("run", "run"),
        agent_id: str | None = Parameter(str, query="agent_id", required=False, default=None),
        status: str | None = Parameter(
            str, query="status", required=False, default=None, schema_extra={"enum": RUN_STATUSES}
        ),
    ) -> RunList:
        """Runs of the key's project and environment."""
        check_cursor(starting_after, "run")
        if starting_after is not None:
            # Another project's or environment's run is a cursor like one that never was.
            try:
                await runs.get(auth.scope, starting_after)
            except errors.NotFound:
                raise cursor_gone(starting_after) from None
        if status is not None and status not in RUN_STATUSES:
            raise InvalidRequest(f"status must be one of {', '.join(RUN_STATUSES)}", param="status")
        page, more = await runs.list(
            auth.scope, limit=limit, starting_after=starting_after, agent_id=agent_id, status=status
        )
        return RunList(data=[wire_run(r) for r in page], has_more=more)

    @get(
        "/{run_id:str}",
        guards=[require("read")],
        responses=error_responses(404),
        summary="Retrieve a run: status, messages, output, usage, required_action",
        operation_id="get_run",
    )
    async def retrieve(self, run_id: str, runs: RunService, auth: AuthContext) -> Run:
        """One run."""
        check_id(run_id, "run", "run")
        return wire_run(await runs.get(auth.scope, run_id))

    @get(
        "/{run_id:str}/events",
        guards=[require("read")],
        responses=error_responses(404),
        summary="Replay and follow a run's events (SSE), from Last-Event-ID when given",
        operation_id="run_events",
    )
    async def events(
        self,
        run_id: str,
        request: Request[Any, Any, Any],
        runs: RunService,
        auth: AuthContext,
        after: int | None = Parameter(
            int,
            query="after",
            ge=0,
            le=MAX_INT64,
            required=False,
            default=None,
            description="Replay the events after this event id (instead of Last-Event-ID).",
        ),
        until: Literal["end", "requires_action"] = Parameter(
            query="until",
            required=False,
            default="end",
            description="`end` (default): follow the run through pauses to its terminal event;"
            " `requires_action`: also end after the next run.requires_action, as the stream of"
            " POST /v1/runs does.",
        ),
    ) -> Stream:
        """Server-sent events of the run: the whole log, then live ones to the end."""
        check_id(run_id, "run", "run")
        await runs.get(auth.scope, run_id)
        start = _last_event_id(request, after)
        return sse_response(runs, run_id, start, pause_ends=until == UNTIL_PAUSE)

    @post(
        "/{run_id:str}/cancel",
        guards=[require("run")],
        status_code=200,
        responses=error_responses(404, 409),
        summary="Cancel a run; its model stream and pending tool calls are aborted",
        operation_id="cancel_run",
    )
    async def cancel(self, run_id: str, runs: RunService, auth: AuthContext) -> Run:
        """Cancel; 409 when the run has already finished."""
        check_id(run_id, "run", "run")
        return wire_run(await runs.cancel(auth.scope, run_id))

    @post(
        "/{run_id:str}/submit_tool_outputs",
        guards=[require("run")],
        status_code=200,
        responses=error_responses(404, 409),
        summary="Give the outputs of the tool calls a run waits for, and resume it",
        operation_id="submit_tool_outputs",
        opt={JSON_ANSWER: Run},
    )
    async def submit_tool_outputs(
        self,
        run_id: str,
        data: SubmitToolOutputs,
        request: Request[Any, Any, Any],
        runs: RunService,
        auth: AuthContext,
    ) -> Any:
        """Resume a run in requires_action."""
        check_id(run_id, "run", "run")
        outputs = [{"tool_call_id": o.tool_call_id, "output": o.output} for o in data.tool_outputs]
        run, after = await runs.submit_tool_outputs(auth.scope, run_id, outputs)
        if data.stream:
            request.scope["state"][STREAM_REPLAY] = (
                f"/v1/runs/{run.id}/events?after={after}&until={UNTIL_PAUSE}"
            )
            return sse_response(runs, run.id, after, pause_ends=True)
        return Response(wire_run(run))
