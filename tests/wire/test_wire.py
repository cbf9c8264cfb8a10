"""The wire shapes: names declared once, and structs that round-trip what the engine builds."""

from __future__ import annotations

import msgspec

from aiagentics import wire
from aiagentics.engine.runs import events as engine_events
from aiagentics.engine.runs.records import ACTIVE, STATUSES, TERMINAL, RunRecord, RunState
from aiagentics.engine.runs.trace import build_trace


def test_event_names_and_statuses_come_from_the_wire() -> None:
    assert engine_events.PUBLIC_EVENTS is wire.PUBLIC_EVENTS
    assert engine_events.STOP_EVENTS is wire.STOP_EVENTS
    assert engine_events.RUN_COMPLETED == wire.RUN_COMPLETED == "run.completed"
    assert set(wire.TERMINAL_EVENTS) < set(wire.STOP_EVENTS) <= set(wire.PUBLIC_EVENTS)
    assert engine_events.MODEL_STEP not in wire.PUBLIC_EVENTS  # internal: never streamed
    assert STATUSES is wire.RUN_STATUSES and ACTIVE is wire.ACTIVE_STATUSES
    assert TERMINAL is wire.TERMINAL_STATUSES
    assert set(wire.ACTIVE_STATUSES) | set(wire.TERMINAL_STATUSES) | {"requires_action"} == set(
        wire.RUN_STATUSES
    )


def _record(status: str = "completed") -> RunRecord:
    return RunRecord(
        id="run_abc",
        project="p",
        environment="test",
        agent_id="agt_x",
        agent_version=2,
        agent={"model": "scripted"},
        status=status,
        input="hi",
        metadata={"k": "v"},
        created_at=100.5,
        started_at=100.6,
        completed_at=101.0,
        state=RunState(output="hello", messages=[{"role": "user", "content": "hi"}]),
    )


def test_a_run_record_is_a_wire_run_field_for_field() -> None:
    api = _record().to_api()
    run = msgspec.convert(api, wire.Run)  # strict: every field present with its type
    assert msgspec.to_builtins(run) == api
    assert list(msgspec.to_builtins(run)) == list(api)  # same order as the JSON has it


def test_a_built_trace_is_a_wire_trace() -> None:
    at = 100.0
    log = [
        engine_events.RunEvent.new(
            "run_abc",
            0,
            engine_events.MODEL_STEP,
            {
                "model": "scripted",
                "started_at": at,
                "latency_ms": 1.5,
                "input": [],
                "output": {"content": None, "tool_calls": [{"name": "t", "arguments": {}}]},
                "tokens": {"input": 1, "output": 2},
            },
            at,
        ),
        engine_events.RunEvent.new(
            "run_abc",
            2,
            wire.TOOL_REQUESTED,
            {"id": "call_1", "tool": "t", "args": {}, "type": "http"},
            at + 1,
        ),
        engine_events.RunEvent.new(
            "run_abc",
            3,
            wire.TOOL_COMPLETED,
            {"id": "call_1", "tool": "t", "output": {"ok": 1}, "latency_ms": 3, "is_error": False},
            at + 2,
        ),
    ]
    built = build_trace(_record(), log)
    trace = msgspec.convert(built, wire.Trace)
    assert [type(s) for s in trace.steps] == [wire.ModelStep, wire.ToolStep]
    assert msgspec.json.decode(msgspec.json.encode(trace)) == msgspec.json.decode(
        msgspec.json.encode(built)
    )


def test_a_run_event_reads_its_id_and_run() -> None:
    event = msgspec.convert(
        {"id": "7", "event": "token", "data": {"run_id": "run_abc", "delta": "x"}}, wire.RunEvent
    )
    assert event.seq == 7 and event.run_id == "run_abc"
    try:
        msgspec.convert({"id": "1", "event": "nope", "data": {}}, wire.RunEvent)
    except msgspec.ValidationError:
        pass
    else:
        raise AssertionError("an unknown event name was accepted")
