"""GET /metrics in process: its key option, turning it off, rate refusals, Server-Timing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families

from aiagentics.gateway.app import create_app
from aiagentics.gateway.settings import GatewaySettings
from aiagentics.project import TelemetrySection

KEY = "sk_test_" + "m" * 40


def app_client(tmp_path: Path, **settings: Any) -> TestClient[Any]:
    return TestClient(
        create_app(
            GatewaySettings(database=str(tmp_path / "gw.db"), bootstrap_api_key=KEY, **settings)
        )
    )


def samples(text: str) -> dict[str, float]:
    return {
        s.name + repr(sorted(s.labels.items())): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
    }


@pytest.fixture
def keyed(tmp_path: Path) -> Iterator[TestClient[Any]]:
    with app_client(tmp_path, telemetry=TelemetrySection(metrics_require_key=True)) as c:
        yield c


def test_a_key_can_be_required(keyed: TestClient[Any]) -> None:
    assert keyed.get("/metrics").status_code == 401
    assert keyed.get("/metrics", headers={"Authorization": "Bearer sk_test_nope"}).status_code == 401
    ok = keyed.get("/metrics", headers={"Authorization": f"Bearer {KEY}"})
    assert ok.status_code == 200 and "aiagentics_runs_started_total" in ok.text


def test_metrics_can_be_turned_off(tmp_path: Path) -> None:
    with app_client(tmp_path, telemetry=TelemetrySection(metrics=False)) as c:
        r = c.get("/metrics")
        assert r.status_code == 404 and "metrics = false" in r.json()["error"]["message"]
        assert "gateway;dur=" in r.headers["server-timing"]  # timing does not need metrics


def test_rate_refusals_and_unmatched_routes_are_counted(tmp_path: Path) -> None:
    with app_client(tmp_path, rate_limit_per_second=0.001, rate_limit_burst=2) as c:
        codes = [c.get("/v1/health").status_code for _ in range(4)]
        assert codes.count(429) == 2
        c.app.state.services.rate_limiter.__init__(1000.0, 1000)  # let the scrape through
        found = samples(c.get("/metrics").text)
    assert found["aiagentics_rate_limited_requests_total[]"] == 2
    assert found["aiagentics_http_requests_total[('method', 'GET'), ('route', '/v1/health'), ('status', '200')]"] == 2
    # Refused before routing: no template to name them by.
    assert found["aiagentics_http_requests_total[('method', 'GET'), ('route', 'unmatched'), ('status', '429')]"] == 2
