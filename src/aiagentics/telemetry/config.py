"""Whether traces are exported, and where: `[telemetry]` and the standard `OTEL_*` variables.

Pure: reads the section and an environment mapping, imports no OpenTelemetry package.
The variables win over the table (one `aiagentics.toml` serves every environment; the
deployment says where its collector is).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiagentics.project import TelemetrySection

DEFAULT_SERVICE_NAME = "aiagentics"
INSTALL_HINT = "pip install 'aiagentics[otel]'"


class TelemetryUnavailable(Exception):
    """Trace export is configured but the `otel` extra (the OpenTelemetry SDK) is missing."""


@dataclass(frozen=True, slots=True)
class TraceExport:
    """Where spans go. `endpoint` None: the exporter reads `OTEL_EXPORTER_OTLP_*` itself."""

    endpoint: str | None
    service_name: str
    capture_content: bool


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def trace_export(section: TelemetrySection, environ: Mapping[str, str]) -> TraceExport | None:
    """The export to set up, or None when traces are off (the default)."""
    if section.enabled is False or _true(environ.get("OTEL_SDK_DISABLED")):
        return None
    if (environ.get("OTEL_TRACES_EXPORTER") or "").strip().lower() == "none":
        return None
    from_env = bool(
        environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    )
    endpoint = section.traces_endpoint
    if endpoint is None and section.endpoint is not None:
        endpoint = section.endpoint.rstrip("/") + "/v1/traces"
    if not (from_env or endpoint or section.enabled):
        return None
    return TraceExport(
        endpoint=None if from_env else endpoint,
        service_name=environ.get("OTEL_SERVICE_NAME")
        or section.service_name
        or DEFAULT_SERVICE_NAME,
        capture_content=section.capture_content,
    )


def missing_extra() -> str | None:
    """Why trace export cannot start here (the extra is not installed), or None."""
    import importlib.util

    for module in ("opentelemetry.sdk", "opentelemetry.exporter.otlp.proto.http"):
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            return (
                "trace export is configured ([telemetry] in aiagentics.toml or "
                f"OTEL_EXPORTER_OTLP_ENDPOINT) but {module} is not installed: {INSTALL_HINT}"
            )
    return None
