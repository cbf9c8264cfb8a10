"""[telemetry] and the OTEL_* variables: when traces are exported, and where."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from aiagentics.project import ConfigError, GatewaySettings, TelemetrySection, load_project
from aiagentics.telemetry import build_telemetry
from aiagentics.telemetry.config import trace_export


def test_off_by_default_and_no_sdk_import() -> None:
    assert trace_export(TelemetrySection(), {}) is None
    # A gateway without export never loads the OpenTelemetry SDK (no cost on the hot path).
    code = (
        "import sys; from aiagentics.gateway.services import build_services;"
        "from aiagentics.telemetry import build_telemetry;"
        "from aiagentics.project import TelemetrySection;"
        "t = build_telemetry(TelemetrySection(), {});"
        "assert t.tracer is None and t.metrics is not None;"
        "print([m for m in sys.modules if m.startswith('opentelemetry')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_table_endpoint_gets_the_traces_path() -> None:
    export = trace_export(TelemetrySection(endpoint="http://collector:4318/"), {})
    assert export is not None
    assert export.endpoint == "http://collector:4318/v1/traces"
    assert export.service_name == "aiagentics"


def test_env_wins_and_is_left_to_the_exporter() -> None:
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://env:4318", "OTEL_SERVICE_NAME": "billing"}
    export = trace_export(TelemetrySection(endpoint="http://file:4318", service_name="x"), env)
    assert export is not None
    assert export.endpoint is None  # the SDK's exporter reads OTEL_EXPORTER_OTLP_* itself
    assert export.service_name == "billing"
    traces_only = {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://env:4318/v1/traces"}
    assert trace_export(TelemetrySection(), traces_only) is not None


@pytest.mark.parametrize(
    ("section", "env"),
    [
        (TelemetrySection(enabled=False), {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}),
        (TelemetrySection(endpoint="http://c:4318"), {"OTEL_SDK_DISABLED": "true"}),
        (TelemetrySection(endpoint="http://c:4318"), {"OTEL_TRACES_EXPORTER": "none"}),
    ],
)
def test_turned_off(section: TelemetrySection, env: dict[str, str]) -> None:
    assert trace_export(section, env) is None


def test_metrics_can_be_turned_off() -> None:
    assert build_telemetry(TelemetrySection(metrics=False), {}).metrics is None


def test_table_reaches_the_gateway_settings(tmp_path: Path) -> None:
    (tmp_path / "aiagentics.toml").write_text(
        '[project]\nname = "p"\n\n[telemetry]\nendpoint = "http://c:4318"\ncapture_content = true\n'
    )
    settings = GatewaySettings.from_project(load_project(tmp_path))
    assert settings.telemetry.endpoint == "http://c:4318"
    assert settings.telemetry.capture_content is True
    # Worker processes get it through the JSON settings.
    again = GatewaySettings.from_env_json(settings.to_env_json())
    assert again.telemetry == settings.telemetry


def test_unknown_key_is_located(tmp_path: Path) -> None:
    (tmp_path / "aiagentics.toml").write_text(
        '[project]\nname = "p"\n\n[telemetry]\nendpoit = "http://c:4318"\n'
    )
    with pytest.raises(ConfigError) as info:
        load_project(tmp_path)
    assert str(info.value) == "aiagentics.toml:5:1: error: telemetry.endpoit: unknown key"


def test_missing_extra_is_a_clear_message(tmp_path: Path) -> None:
    # The SDK hidden from a child interpreter: the message names the extra to install.
    code = (
        "import sys; sys.modules['opentelemetry.sdk'] = None;"
        "from aiagentics.telemetry import check_telemetry, TelemetryUnavailable;"
        "from aiagentics.project import TelemetrySection;"
        "check_telemetry(TelemetrySection(endpoint='http://c:4318'), {})"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode != 0
    assert "pip install 'aiagentics[otel]'" in out.stderr
    assert "TelemetryUnavailable" in out.stderr
