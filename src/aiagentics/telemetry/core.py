"""`Telemetry`: the small interface the run engine calls; spans and metrics behind it.

The engine calls four things: `segment(run)` around a run segment (the `invoke_agent`
span), `chat(...)` / `tool(...)` handles around each model and tool call (their `end`
records the outcome), and `run_started` / `run_ended`. With tracing off no OpenTelemetry
module is imported and the handles only count metrics; with metrics off too, they are
shared no-op objects.

A call that raises before its `end` (a provider error) is ended by its segment, with the
run's error code as `error.type`. A run keeps one trace across pauses: its first segment
stores its parent (the caller's `traceparent`, else its own span) in `RunState.traceparent`
and every later segment is started under it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any

from aiagentics.storage.records import RunRecord
from aiagentics.telemetry import names as n

if TYPE_CHECKING:
    from aiagentics.telemetry.metrics import Metrics

Scrub = Callable[[RunRecord, Any], Any]

# The traceparent outgoing calls carry: the current tool call's span, else the segment's.
_ACTIVE: ContextVar[str | None] = ContextVar("aiagentics_traceparent", default=None)
_SEGMENT: ContextVar[_Segment | None] = ContextVar("aiagentics_segment", default=None)


def current_traceparent(run: RunRecord) -> str | None:
    """The `traceparent` header for a call made on behalf of `run` (None: send none)."""
    return _ACTIVE.get() or run.state.traceparent


def _same(run: RunRecord, value: Any) -> Any:
    return value


class _Noop:
    """The handle and context manager of a call nobody records."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None

    def end(self, *args: Any) -> None:
        return None


NOOP = _Noop()


class Telemetry:
    """Spans (when a tracer is set) and metrics (when `metrics` is set) of one gateway."""

    def __init__(
        self, *, metrics: Metrics | None = None, tracer: Any = None, capture_content: bool = False
    ) -> None:
        self.metrics = metrics
        self.tracer = tracer  # aiagentics.telemetry.otel.OtelTracer
        self.capture_content = capture_content
        # What keeps secrets out of captured contents (the RunService sets its own).
        self.scrub: Scrub = _same

    @property
    def tracing(self) -> bool:
        """True when spans are exported."""
        return self.tracer is not None

    def segment(self, run: RunRecord) -> Any:
        """A context manager around one run segment: the `invoke_agent` span."""
        return NOOP if self.tracer is None else _Segment(self, run)

    def chat(self, run: RunRecord, provider: Any, model: str, messages: list[Any]) -> Any:
        """A handle for one model call; `end(input_tokens, output_tokens, finish, message)`."""
        if self.tracer is None and self.metrics is None:
            return NOOP
        return _ModelCall(self, run, provider, model, messages)

    def tool(self, run: RunRecord, call_id: str, name: str, tool_type: str, args: Any) -> Any:
        """A handle for one tool call run here; `end(is_error, output)`."""
        if self.tracer is None and self.metrics is None:
            return NOOP
        return _ToolCall(self, run, call_id, name, tool_type, args)

    def run_started(self, run: RunRecord) -> None:
        """Count a new run."""
        if self.metrics is not None:
            self.metrics.runs_started.inc()

    def run_ended(self, run: RunRecord) -> None:
        """Count a run that reached a terminal status, and its duration."""
        if self.metrics is not None:
            self.metrics.runs_finished.labels(run.status).inc()
            end = run.completed_at or time.time()
            self.metrics.run_duration.labels(run.status).observe(max(end - run.created_at, 0.0))

    def webhook_outcome(self, outcome: str) -> None:
        """Count one webhook delivery attempt: delivered, retrying or failed."""
        if self.metrics is not None:
            self.metrics.webhook_deliveries.labels(outcome).inc()

    async def aclose(self) -> None:
        """Flush queued spans and stop the exporter (in a thread: it blocks on the network)."""
        if self.tracer is not None:
            await asyncio.to_thread(self.tracer.shutdown)

    def _content(self, run: RunRecord, value: Any) -> str:
        return json.dumps(self.scrub(run, value), default=str, ensure_ascii=False)


class _Segment:
    __slots__ = ("_tokens", "open", "run", "span", "tel")

    def __init__(self, tel: Telemetry, run: RunRecord) -> None:
        self.tel = tel
        self.run = run
        self.open: set[_ModelCall | _ToolCall] = set()
        self.span: Any = None
        self._tokens: tuple[Token[str | None], Token[_Segment | None]] | None = None

    def __enter__(self) -> None:
        run, tracer = self.run, self.tel.tracer
        name = str(run.agent.get("name") or run.agent_id)
        attributes: dict[str, Any] = {
            n.OPERATION: n.INVOKE_AGENT,
            n.AGENT_ID: run.agent_id,
            n.AGENT_NAME: name,
            n.AGENT_VERSION: str(run.agent_version),
            n.REQUEST_MODEL: str(run.agent.get("model") or "scripted"),
            n.RUN_ID: run.id,
            n.PROJECT: run.project,
            n.ENVIRONMENT: run.environment,
        }
        thread = getattr(run, "thread_id", None)  # runs gain threads elsewhere
        if thread:
            attributes[n.CONVERSATION_ID] = str(thread)
        self.span = tracer.start(
            f"{n.INVOKE_AGENT} {name}", "internal", run.state.traceparent, attributes
        )
        mine = tracer.traceparent(self.span)
        if run.state.traceparent is None:  # later segments join this one's trace
            run.state.traceparent = mine
        self._tokens = (_ACTIVE.set(mine), _SEGMENT.set(self))

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._tokens is not None:
            _ACTIVE.reset(self._tokens[0])
            _SEGMENT.reset(self._tokens[1])
        run, span, tracer = self.run, self.span, self.tel.tracer
        usage = run.state.usage
        span.set_attribute(n.INPUT_TOKENS, usage.get("input_tokens", 0))
        span.set_attribute(n.OUTPUT_TOKENS, usage.get("output_tokens", 0))
        span.set_attribute(n.RUN_STATUS, run.status)
        error_type = None
        if run.status == "failed":
            error_type = str((run.state.error or {}).get("code") or "error")
            tracer.fail(span, error_type, (run.state.error or {}).get("message"))
        elif exc_type is not None and run.status != "cancelled":
            error_type = exc_type.__qualname__
            tracer.fail(span, error_type)
        for call in list(self.open):  # calls the error interrupted
            call.abort(error_type or run.status)
        span.end()


class _ModelCall:
    __slots__ = ("model", "run", "segment", "span", "t0", "tel")

    def __init__(
        self, tel: Telemetry, run: RunRecord, provider: Any, model: str, messages: list[Any]
    ) -> None:
        self.tel, self.run, self.model = tel, run, model
        self.t0 = time.perf_counter()
        self.span: Any = None
        self.segment = _SEGMENT.get()
        if tel.tracer is not None:
            attributes: dict[str, Any] = {
                n.OPERATION: n.CHAT,
                n.PROVIDER: getattr(provider, "default_name", None) or "aiagentics.scripted",
                n.REQUEST_MODEL: model,
                n.RUN_ID: run.id,
            }
            if tel.capture_content:
                attributes[n.INPUT_MESSAGES] = tel._content(run, _as_semconv(messages))
            parent = self.segment.span if self.segment is not None else run.state.traceparent
            self.span = tel.tracer.start(f"{n.CHAT} {model}", "client", parent, attributes)
            if self.segment is not None:
                self.segment.open.add(self)

    def end(self, input_tokens: int, output_tokens: int, finish: str, message: Any) -> None:
        """The call returned: its usage, finish reason and (captured) answer."""
        m = self.tel.metrics
        if m is not None:
            m.model_duration.labels(self.model).observe(time.perf_counter() - self.t0)
            m.model_tokens.labels(self.model, "input").inc(input_tokens)
            m.model_tokens.labels(self.model, "output").inc(output_tokens)
        span = self.span
        if span is not None:
            span.set_attribute(n.INPUT_TOKENS, input_tokens)
            span.set_attribute(n.OUTPUT_TOKENS, output_tokens)
            span.set_attribute(n.FINISH_REASONS, [finish])
            if self.tel.capture_content:
                span.set_attribute(
                    n.OUTPUT_MESSAGES, self.tel._content(self.run, _as_semconv([message]))
                )
            span.end()
            if self.segment is not None:
                self.segment.open.discard(self)

    def abort(self, error_type: str) -> None:
        """The segment ended before the call did."""
        if self.span is not None:
            self.tel.tracer.fail(self.span, error_type)
            self.span.end()


class _ToolCall:
    __slots__ = ("name", "run", "segment", "span", "t0", "tel", "token")

    def __init__(
        self, tel: Telemetry, run: RunRecord, call_id: str, name: str, tool_type: str, args: Any
    ) -> None:
        self.tel, self.run, self.name = tel, run, name
        self.t0 = time.perf_counter()
        self.span: Any = None
        self.token: Token[str | None] | None = None
        self.segment = _SEGMENT.get()
        tracer = tel.tracer
        if tracer is not None:
            attributes: dict[str, Any] = {
                n.OPERATION: n.EXECUTE_TOOL,
                n.TOOL_NAME: name,
                n.TOOL_CALL_ID: call_id,
                n.TOOL_TYPE: "extension" if tool_type in n.DEFERRED_TOOL_TYPES else "function",
                n.TOOL_KIND: tool_type,
                n.RUN_ID: run.id,
            }
            if tel.capture_content:
                attributes[n.TOOL_ARGUMENTS] = tel._content(run, args)
            parent = self.segment.span if self.segment is not None else run.state.traceparent
            self.span = tracer.start(f"{n.EXECUTE_TOOL} {name}", "internal", parent, attributes)
            # The tool's own calls (an http handler) carry this span as their parent.
            self.token = _ACTIVE.set(tracer.traceparent(self.span))
            if self.segment is not None:
                self.segment.open.add(self)

    def end(self, is_error: bool, output: Any) -> None:
        """The call returned `output` (an error result when `is_error`)."""
        m = self.tel.metrics
        if m is not None:
            m.tool_duration.labels(self.name).observe(time.perf_counter() - self.t0)
            if is_error:
                m.tool_errors.labels(self.name).inc()
        span = self.span
        if span is not None:
            if self.token is not None:
                _ACTIVE.reset(self.token)
            if is_error:
                self.tel.tracer.fail(span, "tool_error")
            if self.tel.capture_content:
                span.set_attribute(n.TOOL_RESULT, self.tel._content(self.run, output))
            span.end()
            if self.segment is not None:
                self.segment.open.discard(self)

    def abort(self, error_type: str) -> None:
        """The segment ended before the call did."""
        if self.span is not None:
            self.tel.tracer.fail(self.span, error_type)
            self.span.end()


def _as_semconv(messages: list[Any]) -> list[dict[str, Any]]:
    """Our thread entries in the conventions' message shape (role + typed parts)."""
    out: list[dict[str, Any]] = []
    for m in messages:
        if not isinstance(m, dict):
            continue
        parts: list[dict[str, Any]] = []
        if m.get("role") == "tool":
            parts.append(
                {"type": "tool_call_response", "id": m.get("tool_call_id"), "response": m.get("content")}
            )
        elif m.get("content"):
            parts.append({"type": "text", "content": m["content"]})
        for call in m.get("tool_calls") or []:
            parts.append(
                {"type": "tool_call", "id": call.get("id"), "name": call.get("name"),
                 "arguments": call.get("arguments")}
            )
        out.append({"role": m.get("role"), "parts": parts})
    return out
