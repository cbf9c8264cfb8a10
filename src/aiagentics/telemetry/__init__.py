"""Telemetry: OpenTelemetry traces after the GenAI conventions, and Prometheus metrics.

`build_telemetry(section, environ)` makes the `Telemetry` a gateway hands its run engine;
the engine calls only `Telemetry`'s methods (`core.py`) and `current_traceparent`. The
OpenTelemetry SDK (the `otel` extra) is imported only when trace export is configured
(`config.py`); span names and attributes are in `names.py`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from aiagentics.project import TelemetrySection
from aiagentics.telemetry.config import (
    TelemetryUnavailable,
    TraceExport,
    missing_extra,
    trace_export,
)
from aiagentics.telemetry.core import NOOP, Telemetry, current_traceparent
from aiagentics.telemetry.names import SEMCONV_VERSION, valid_traceparent

__all__ = [
    "NOOP",
    "SEMCONV_VERSION",
    "Telemetry",
    "TelemetryUnavailable",
    "TraceExport",
    "build_telemetry",
    "check_telemetry",
    "current_traceparent",
    "valid_traceparent",
]


def check_telemetry(section: TelemetrySection, environ: Mapping[str, str] | None = None) -> None:
    """Raise TelemetryUnavailable when export is configured but the extra is missing."""
    if trace_export(section, os.environ if environ is None else environ) is not None:
        problem = missing_extra()
        if problem is not None:
            raise TelemetryUnavailable(problem)


def build_telemetry(
    section: TelemetrySection, environ: Mapping[str, str] | None = None
) -> Telemetry:
    """The gateway's telemetry: a tracer when export is configured, metrics unless turned off."""
    env = os.environ if environ is None else environ
    export = trace_export(section, env)
    tracer = None
    if export is not None:
        check_telemetry(section, env)
        from aiagentics.telemetry.otel import OtelTracer

        tracer = OtelTracer(export)
    metrics = None
    if section.metrics:
        from aiagentics.telemetry.metrics import Metrics

        metrics = Metrics()
    return Telemetry(
        metrics=metrics, tracer=tracer, capture_content=export is not None and export.capture_content
    )
