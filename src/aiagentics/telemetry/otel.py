"""The OpenTelemetry side: a tracer provider of our own exporting over OTLP/HTTP.

Imported only when trace export is on (`aiagentics.telemetry.tracing_for`), so a gateway
without it never loads the SDK. The provider is not installed globally: each app (and
each test's app) has its own, and nothing else in the process starts exporting.
Spans are batched and exported by the SDK's worker thread, off the event loop.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import (
    NonRecordingSpan,
    Span,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
)

from aiagentics import __version__
from aiagentics.telemetry.config import TraceExport
from aiagentics.telemetry.names import SCHEMA_URL

_KINDS = {"client": SpanKind.CLIENT, "internal": SpanKind.INTERNAL}
# W3C Trace Context, version 00: trace id and span id not all zeros.
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


class OtelTracer:
    """Starts and ends spans; what `Telemetry` calls when tracing is on."""

    def __init__(self, export: TraceExport, exporter: SpanExporter | None = None) -> None:
        """`exporter`: where spans go instead of OTLP/HTTP (tests use the SDK's in-memory one)."""
        resource = Resource.create(
            {"service.name": export.service_name, "service.version": __version__}
        )
        self.provider = TracerProvider(resource=resource)
        if exporter is None:
            exporter = OTLPSpanExporter(endpoint=export.endpoint)  # None: from OTEL_* variables
        self.provider.add_span_processor(BatchSpanProcessor(exporter))
        self._tracer = self.provider.get_tracer("aiagentics", __version__, schema_url=SCHEMA_URL)

    def start(
        self, name: str, kind: str, parent: Span | str | None, attributes: Mapping[str, Any]
    ) -> Span:
        """A started span, child of `parent` (a span, a traceparent, or None for a root)."""
        if isinstance(parent, str):
            context = _remote(parent)
        elif parent is not None:
            context = trace.set_span_in_context(parent)
        else:
            context = Context()  # a root: never an ambient span of whoever called us
        return self._tracer.start_span(
            name, context=context, kind=_KINDS[kind], attributes=dict(attributes)
        )

    @staticmethod
    def traceparent(span: Span) -> str:
        """The W3C `traceparent` naming `span`, for outgoing calls and the run's state."""
        ctx = span.get_span_context()
        return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"

    @staticmethod
    def fail(span: Span, error_type: str, message: str | None = None) -> None:
        """Mark a span failed (`error.type` as the conventions ask)."""
        span.set_attribute("error.type", error_type)
        span.set_status(Status(StatusCode.ERROR, message))

    def shutdown(self) -> None:
        """Export what is queued and stop the worker thread (blocking: call it off the loop)."""
        self.provider.shutdown()


def _remote(traceparent: str) -> Context:
    match = _TRACEPARENT.match(traceparent)
    if match is None:
        return Context()
    parent = SpanContext(
        int(match.group(1), 16),
        int(match.group(2), 16),
        is_remote=True,
        trace_flags=TraceFlags(int(match.group(3), 16)),
    )
    return trace.set_span_in_context(NonRecordingSpan(parent), Context())
