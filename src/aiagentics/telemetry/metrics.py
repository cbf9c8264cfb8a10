"""The gateway's Prometheus metrics (served at `GET /metrics` by the gateway).

Each app has a registry of its own (tests build many apps in one process; the library's
global registry would refuse a second set). Label values are bounded: routes are path
templates, not paths; models and tools are the project's own names. No label carries
a run id, a key or a user's input.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

CONTENT_TYPE = CONTENT_TYPE_LATEST

# Seconds: an API answer (milliseconds) up to a run or an SSE stream (minutes).
_FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_SLOW = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


class Metrics:
    """Every metric of one gateway app, and its registry."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        p = "aiagentics_"
        self.http_requests = Counter(
            p + "http_requests", "HTTP requests answered", ["method", "route", "status"], registry=r
        )
        self.http_duration = Histogram(
            p + "http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer (streams included)",
            ["method", "route"],
            buckets=_FAST,
            registry=r,
        )
        self.rate_limited = Counter(
            p + "rate_limited_requests", "Requests refused by the rate limit (429)", registry=r
        )
        self.runs_started = Counter(p + "runs_started", "Runs started", registry=r)
        self.runs_finished = Counter(
            p + "runs_finished", "Runs that reached a terminal status", ["status"], registry=r
        )
        self.run_duration = Histogram(
            p + "run_duration_seconds",
            "Time from a run's creation to its end (waits for tool outputs included)",
            ["status"],
            buckets=_SLOW,
            registry=r,
        )
        self.model_duration = Histogram(
            p + "model_call_duration_seconds",
            "Model calls, from the request to the end of the stream",
            ["model"],
            buckets=_SLOW,
            registry=r,
        )
        self.model_tokens = Counter(
            p + "model_tokens", "Tokens used by model calls", ["model", "type"], registry=r
        )
        self.tool_duration = Histogram(
            p + "tool_call_duration_seconds", "Tool calls run by the gateway", ["tool"],
            buckets=_FAST, registry=r,
        )
        self.tool_errors = Counter(
            p + "tool_call_errors", "Tool calls that returned an error", ["tool"], registry=r
        )
        self.webhook_deliveries = Counter(
            p + "webhook_deliveries",
            "Webhook delivery attempts by outcome (delivered, retrying, failed)",
            ["outcome"],
            registry=r,
        )
        self.sse_streams = Gauge(
            p + "sse_streams_active", "Server-sent event streams open now", registry=r
        )

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)
