"""The Telemetry interface with a real SDK tracer and its in-memory exporter: what spans
carry with and without capture_content, and how calls interrupted by an error end."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from aiagentics.storage.records import RunRecord, RunState
from aiagentics.telemetry import NOOP, Telemetry, current_traceparent
from aiagentics.telemetry.config import TraceExport
from aiagentics.telemetry.metrics import Metrics
from aiagentics.telemetry.otel import OtelTracer


def make_run(traceparent: str | None = None) -> RunRecord:
    return RunRecord(
        id="run_1", project="p", environment="test", agent_id="agt_1", agent_version=3,
        agent={"name": "helper", "model": "fast"}, status="in_progress", input="hi",
        metadata={}, created_at=0.0, state=RunState(traceparent=traceparent),
    )


def telemetry(capture: bool) -> tuple[Telemetry, InMemorySpanExporter]:
    memory = InMemorySpanExporter()
    tracer = OtelTracer(TraceExport(None, "t", capture), exporter=memory)
    return Telemetry(metrics=Metrics(), tracer=tracer, capture_content=capture), memory


def finished(tel: Telemetry, memory: InMemorySpanExporter) -> dict[str, Any]:
    tel.tracer.provider.force_flush()
    return {s.name: s for s in memory.get_finished_spans()}


class Provider:
    default_name = "openai"


@pytest.mark.parametrize("capture", [False, True])
def test_contents_only_when_opted_in_and_scrubbed(capture: bool) -> None:
    tel, memory = telemetry(capture)
    tel.scrub = lambda run, value: str(value).replace("hunter2", "***")
    run = make_run()
    with tel.segment(run):
        call = tel.chat(run, Provider(), "gpt", [{"role": "user", "content": "pw hunter2"}])
        call.end(3, 4, "stop", {"role": "assistant", "content": "ok"})
        tool = tel.tool(run, "call_1", "rows", "http", {"q": "hunter2"})
        assert current_traceparent(run).split("-")[2] == f"{tool.span.get_span_context().span_id:016x}"
        tool.end(False, {"rows": 1})
        run.status = "completed"
    spans = finished(tel, memory)
    chat, tool_span = spans["chat gpt"], spans["execute_tool rows"]
    assert chat.attributes["gen_ai.provider.name"] == "openai"
    assert chat.attributes["gen_ai.usage.output_tokens"] == 4
    keys = {"gen_ai.input.messages", "gen_ai.output.messages"}
    assert (keys <= set(chat.attributes)) is capture
    assert ("gen_ai.tool.call.arguments" in tool_span.attributes) is capture
    text = repr([dict(s.attributes) for s in spans.values()])
    assert "hunter2" not in text
    assert spans["invoke_agent helper"].attributes["gen_ai.agent.version"] == "3"
    assert run.state.traceparent is not None  # later segments join this trace


def test_a_failure_ends_the_open_call_with_the_runs_error_code() -> None:
    tel, memory = telemetry(False)
    run = make_run("00-" + "a" * 32 + "-" + "b" * 16 + "-01")
    with tel.segment(run):
        tel.chat(run, Provider(), "gpt", [])  # the provider raised before end()
        run.status = "failed"
        run.state.error = {"code": "provider_error", "message": "HTTP 500"}
    spans = finished(tel, memory)
    for span in spans.values():
        assert span.status.status_code is StatusCode.ERROR
        assert span.attributes["error.type"] == "provider_error"
        assert f"{span.context.trace_id:032x}" == "a" * 32
    assert f"{spans['invoke_agent helper'].parent.span_id:016x}" == "b" * 16


def test_everything_off_is_shared_no_ops() -> None:
    tel = Telemetry()
    run = make_run()
    assert tel.segment(run) is NOOP and tel.chat(run, None, "m", []) is NOOP
    assert tel.tool(run, "c", "t", "http", {}) is NOOP
    assert current_traceparent(run) is None
