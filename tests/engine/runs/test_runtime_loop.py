"""The agent loop on the scripted model: tools, guardrails, requires_action, cancel, seams."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from tests.engine.runs.conftest import SCOPE, Engine
from tests.fakes.tool_handler import ToolHandlerServer

from aiagentics.errors import Busy, Conflict, InvalidInput, NotFound

LIMIT_SCHEMA = {
    "type": "object",
    "properties": {"limit": {"type": "integer", "minimum": 1}},
    "required": ["limit"],
    "additionalProperties": False,
}


@pytest.fixture
def handler() -> Iterator[ToolHandlerServer]:
    with ToolHandlerServer() as server:
        yield server


def call(name: str, **arguments: Any) -> dict[str, Any]:
    return {"name": name, "arguments": arguments}


async def test_http_tool_then_answer(engine: Engine, handler: ToolHandlerServer) -> None:
    tool = await engine.tool(
        "sql_query", "http", handler_url=handler.url("/rows"), parameters=LIMIT_SCHEMA
    )
    agent = await engine.agent(
        tools=[tool],
        script=[
            {"tool_calls": [call("sql_query", limit=50)]},
            {"content": "7 payments failed today."},
        ],
    )
    run = await engine.run(agent, "Summarize today's failed payments")
    assert run.status == "completed"
    assert run.state.output == "7 payments failed today."
    assert (await engine.names(run.id)) == [
        "run.created",
        "tool.requested",
        "tool.completed",
        *["token"] * 4,
        "run.completed",
    ]
    assert handler.requests[0]["json"] == {"limit": 50}
    events = {e.event: e.data for e in (await engine.events(run.id))}
    assert events["tool.requested"]["args"] == {"limit": 50}
    assert events["tool.completed"]["output"] == {"rows": 7, "got": {"limit": 50}}
    assert events["run.completed"]["output"] == "7 payments failed today."
    assert all(e.data["run_id"] == run.id for e in (await engine.events(run.id)))
    roles = [m["role"] for m in run.state.messages]
    assert roles == ["system", "user", "assistant", "tool", "assistant"]
    assert run.state.usage["output_tokens"] > 0
    assert (
        run.state.usage["total_tokens"]
        == run.state.usage["input_tokens"] + run.state.usage["output_tokens"]
    )
    trace = await engine.service.trace(SCOPE, run.id)
    assert [s["type"] for s in trace["steps"]] == ["model", "tool", "model"]
    assert trace["steps"][1]["input"] == {"limit": 50} and trace["steps"][1]["latency_ms"] > 0
    assert trace["steps"][2]["input"]["messages"][-1]["role"] == "tool"
    assert trace["id"].startswith("trc_")


async def test_no_script_echoes_the_input(engine: Engine) -> None:
    run = await engine.run(await engine.agent(), "say this back")
    assert run.state.output == "say this back"
    assert run.agent_version == 1


async def test_bad_arguments_and_unknown_tools_go_back_to_the_model(
    engine: Engine, handler: ToolHandlerServer
) -> None:
    tool = await engine.tool(
        "sql_query", "http", handler_url=handler.url("/rows"), parameters=LIMIT_SCHEMA
    )
    agent = await engine.agent(
        tools=[tool],
        script=[
            {"tool_calls": [call("sql_query", limit="many"), call("drop_tables")]},
            {"content": "sorry"},
        ],
    )
    run = await engine.run(agent)
    assert run.status == "completed" and run.state.output == "sorry"
    assert handler.requests == []  # nothing was called with bad arguments
    completed = [e.data for e in (await engine.events(run.id)) if e.event == "tool.completed"]
    assert [c["is_error"] for c in completed] == [True, True]
    assert "invalid arguments at limit" in completed[0]["output"]["error"]
    assert "unknown tool 'drop_tables'" in completed[1]["output"]["error"]
    tool_messages = [m for m in run.state.messages if m["role"] == "tool"]
    assert "invalid arguments" in tool_messages[0]["content"]


async def test_handler_failures_are_tool_errors_and_calls_run_concurrently(
    engine: Engine, handler: ToolHandlerServer
) -> None:
    slow = await engine.tool("slow", "http", handler_url=handler.url("/slow?s=0.4"))
    hang = await engine.tool(
        "hang", "http", handler_url=handler.url("/slow?s=30"), timeout_seconds=0.4
    )
    big = await engine.tool("big", "http", handler_url=handler.url("/big"))
    fail = await engine.tool("fail", "http", handler_url=handler.url("/fail"))
    agent = await engine.agent(
        tools=[slow, hang, big, fail],
        script=[
            {"tool_calls": [call("slow"), call("slow"), call("hang"), call("big"), call("fail")]},
            {"content": "done"},
        ],
    )
    started = time.monotonic()
    run = await engine.run(agent)
    elapsed = time.monotonic() - started
    assert run.status == "completed"
    assert elapsed < 1.5  # two 0.4 s calls and a 0.4 s timeout, concurrently
    out = [e.data for e in (await engine.events(run.id)) if e.event == "tool.completed"]
    assert out[0]["output"] == {"late": True} and out[1]["output"] == {"late": True}
    assert "did not answer within 0.4 s" in out[2]["output"]["error"]
    assert "larger than 1000000 bytes" in out[3]["output"]["error"]
    assert "HTTP 500" in out[4]["output"]["error"] and "database down" in out[4]["output"]["error"]


async def test_max_steps(engine: Engine) -> None:
    tool = await engine.tool("lookup", "http", handler_url="http://127.0.0.1:9/none")
    step = {"tool_calls": [call("lookup")]}
    agent = await engine.agent(tools=[tool], script=[step, step, step], guardrails={"max_steps": 2})
    run = await engine.run(agent)
    assert run.status == "failed"
    assert run.state.error["code"] == "max_steps"
    assert "max_steps guardrail (2" in run.state.error["message"]
    assert (await engine.names(run.id))[-1] == "run.failed"
    assert (await engine.events(run.id))[-1].data["error"]["code"] == "max_steps"


async def test_max_output_tokens(engine: Engine) -> None:
    agent = await engine.agent(
        script=[{"content": "one two three four five six seven eight"}],
        guardrails={"max_output_tokens": 3},
    )
    run = await engine.run(agent)
    assert run.status == "failed" and run.state.error["code"] == "max_output_tokens"
    assert (await engine.names(run.id)).count("token") == 3


async def test_timeout_guardrail(engine: Engine, handler: ToolHandlerServer) -> None:
    tool = await engine.tool("hang", "http", handler_url=handler.url("/slow?s=30"))
    agent = await engine.agent(
        tools=[tool], script=[{"tool_calls": [call("hang")]}], guardrails={"timeout_seconds": 0.3}
    )
    started = time.monotonic()
    run = await engine.run(agent)
    assert time.monotonic() - started < 3
    assert run.status == "failed" and run.state.error["code"] == "timeout"
    assert "timeout_seconds guardrail (0.3 s)" in run.state.error["message"]


async def test_requires_action_round_trip(engine: Engine) -> None:
    tool = await engine.tool("approve", "client", parameters=LIMIT_SCHEMA)
    agent = await engine.agent(
        tools=[tool], script=[{"tool_calls": [call("approve", limit=2)]}, {"content": "approved"}]
    )
    run = await engine.run(agent)
    assert run.status == "requires_action"
    action = run.state.required_action
    assert action["type"] == "submit_tool_outputs"
    (pending,) = action["tool_calls"]
    assert pending["name"] == "approve" and pending["arguments"] == {"limit": 2}
    assert (await engine.names(run.id))[-1] == "run.requires_action"
    svc = engine.service
    for outputs, param in [
        ([], "tool_outputs"),
        ([{"tool_call_id": "call_nope", "output": "x"}], "tool_outputs[0].tool_call_id"),
        ([{"tool_call_id": pending["id"]}], "tool_outputs[0].output"),
        (
            [
                {"tool_call_id": pending["id"], "output": 1},
                {"tool_call_id": pending["id"], "output": 2},
            ],
            "tool_outputs[1].tool_call_id",
        ),
    ]:
        with pytest.raises(InvalidInput) as info:
            await svc.submit_tool_outputs(SCOPE, run.id, outputs)
        assert info.value.param == param
    run, after = await svc.submit_tool_outputs(
        SCOPE, run.id, [{"tool_call_id": pending["id"], "output": {"ok": True}}]
    )
    await svc.wait(run.id)
    run = await svc.get(SCOPE, run.id)
    assert run.status == "completed" and run.state.output == "approved"
    resumed = [
        e.event for e in await svc.runs.events_after(run.id, after) if e.event != "model.step"
    ]
    assert resumed[0] == "tool.completed" and resumed[-1] == "run.completed"
    assert json.loads(next(m for m in run.state.messages if m["role"] == "tool")["content"]) == {
        "ok": True
    }
    with pytest.raises(Conflict):
        await svc.submit_tool_outputs(
            SCOPE, run.id, [{"tool_call_id": pending["id"], "output": "x"}]
        )


async def test_http_and_client_calls_in_one_step(
    engine: Engine, handler: ToolHandlerServer
) -> None:
    http = await engine.tool("rows", "http", handler_url=handler.url("/rows"))
    ask = await engine.tool("ask", "webhook")
    agent = await engine.agent(
        tools=[http, ask], script=[{"tool_calls": [call("rows"), call("ask")]}, {"content": "ok"}]
    )
    run = await engine.run(agent)
    assert run.status == "requires_action"
    assert [c["name"] for c in run.state.required_action["tool_calls"]] == ["ask"]
    requested = [e.data for e in (await engine.events(run.id)) if e.event == "tool.requested"]
    assert [r["type"] for r in requested] == ["http", "webhook"]
    call_id = run.state.required_action["tool_calls"][0]["id"]
    await engine.service.submit_tool_outputs(
        SCOPE, run.id, [{"tool_call_id": call_id, "output": "yes"}]
    )
    await engine.service.wait(run.id)
    run = await engine.service.get(SCOPE, run.id)
    assert run.status == "completed"
    assert [m["name"] for m in run.state.messages if m["role"] == "tool"] == ["rows", "ask"]


async def test_cancel(engine: Engine, handler: ToolHandlerServer) -> None:
    hang = await engine.tool("hang", "http", handler_url=handler.url("/slow?s=30"))
    agent = await engine.agent(tools=[hang], script=[{"tool_calls": [call("hang")]}])
    svc = engine.service
    run = await svc.create(SCOPE, agent_id=agent, input="x")
    while not handler.requests:
        await asyncio.sleep(0.01)
    cancelled = await svc.cancel(SCOPE, run.id)
    assert cancelled.status == "cancelled"
    assert (await engine.names(run.id))[-1] == "run.cancelled"
    assert "tool.completed" not in (await engine.names(run.id))  # the pending call was aborted
    with pytest.raises(Conflict):
        await svc.cancel(SCOPE, run.id)
    client = await engine.tool("ask", "client")
    waiting = await engine.run(
        await engine.agent("asker", tools=[client], script=[{"tool_calls": [call("ask")]}])
    )
    assert (await svc.cancel(SCOPE, waiting.id)).status == "cancelled"
    assert (await svc.get(SCOPE, waiting.id)).state.required_action is None
    with pytest.raises(NotFound):
        await svc.cancel(SCOPE, "run_doesnotexist1234")


async def test_listeners_and_context_providers(engine: Engine) -> None:
    seen: list[tuple[str, str]] = []

    async def listener(run: Any, event: Any) -> None:
        seen.append((run.id, event.event))

    async def context(agent: dict[str, Any], run: Any) -> list[dict[str, Any]]:
        return [{"role": "system", "content": f"Context for {agent['name']}"}]

    async def broken(run: Any, event: Any) -> None:
        raise RuntimeError("listener bug")

    engine.service.add_listener(listener)
    engine.service.add_listener(broken)
    engine.service.add_context_provider(context)
    run = await engine.run(await engine.agent(script=[{"content": "a b"}]))
    assert run.status == "completed"
    assert [name for _, name in seen] == ["run.created", "model.step", "run.completed"]
    assert run.state.messages[1] == {"role": "system", "content": "Context for helper"}


async def test_follow_replays_after_a_sequence_number(engine: Engine) -> None:
    engine.service.keepalive_seconds = 0.05
    run = await engine.run(await engine.agent(script=[{"content": "one two three"}]))
    everything = [e async for e in engine.service.follow(run.id, 0)]
    assert [e.event for e in everything] == [
        "run.created",
        "token",
        "token",
        "token",
        "run.completed",
    ]
    tail = [e async for e in engine.service.follow(run.id, everything[2].seq)]
    assert [e.seq for e in tail] == [e.seq for e in everything[3:]]
    client = await engine.tool("ask", "client")
    waiting = await engine.run(
        await engine.agent("w", tools=[client], script=[{"tool_calls": [call("ask")]}])
    )
    last = (await engine.events(waiting.id))[-1].seq
    stream = engine.service.follow(waiting.id, last)
    assert await anext(stream) is None  # idle: a keep-alive, and the stream stays open


async def test_concurrency_limit_and_bad_references(
    tmp_path: Any, handler: ToolHandlerServer
) -> None:
    engine = Engine(tmp_path / "g.db", max_concurrent_runs=2)
    await engine.service.start()
    try:
        hang = await engine.tool("hang", "http", handler_url=handler.url("/slow?s=30"))
        agent = await engine.agent(tools=[hang], script=[{"tool_calls": [call("hang")]}])
        runs = [await engine.service.create(SCOPE, agent_id=agent, input="x") for _ in range(2)]
        with pytest.raises(Busy) as info:
            await engine.service.create(SCOPE, agent_id=agent, input="x")
        assert info.value.retry_after == 1
        await engine.service.cancel(SCOPE, runs[0].id)
        await engine.service.create(SCOPE, agent_id=agent, input="x")  # room again
        with pytest.raises(NotFound) as missing:
            await engine.service.create(SCOPE, agent_id="agt_nope12345678", input="x")
        assert missing.value.param == "agent_id"
        with pytest.raises(InvalidInput) as empty:
            await engine.service.create(SCOPE, agent_id=agent, input="  ")
        assert empty.value.param == "input"
        await engine.store.delete("tool", SCOPE, hang)
        with pytest.raises(InvalidInput) as gone:
            await engine.service.create(SCOPE, agent_name="helper", input="x")
        assert gone.value.code == "tool_missing"
    finally:
        await engine.service.stop()


async def test_a_run_pins_its_agent_version(engine: Engine) -> None:
    client = await engine.tool("ask", "client")
    agent = await engine.agent(
        tools=[client], script=[{"tool_calls": [call("ask")]}, {"content": "v1"}]
    )
    run = await engine.run(agent)
    current = await engine.store.get("agent", SCOPE, agent)
    changed = {**current.data, "model_options": {"script": [{"content": "v2"}]}, "tools": []}
    await engine.store.update("agent", SCOPE, agent, "helper", changed)
    call_id = run.state.required_action["tool_calls"][0]["id"]
    await engine.service.submit_tool_outputs(
        SCOPE, run.id, [{"tool_call_id": call_id, "output": "x"}]
    )
    await engine.service.wait(run.id)
    run = await engine.service.get(SCOPE, run.id)
    assert run.state.output == "v1" and run.agent_version == 1
    assert (await engine.run(agent)).agent_version == 2


async def test_restart_fails_in_progress_runs_and_keeps_waiting_ones(
    tmp_path: Any, handler: ToolHandlerServer
) -> None:
    first = Engine(tmp_path / "g.db")
    await first.service.start()
    hang = await first.tool("hang", "http", handler_url=handler.url("/slow?s=30"))
    ask = await first.tool("ask", "client")
    busy = await first.service.create(
        SCOPE,
        agent_id=await first.agent(tools=[hang], script=[{"tool_calls": [call("hang")]}]),
        input="x",
    )
    waiting = await first.run(
        await first.agent(
            "w", tools=[ask], script=[{"tool_calls": [call("ask")]}, {"content": "resumed"}]
        )
    )
    # A second process on the same file: the first one's in-progress run is orphaned.
    second = Engine(tmp_path / "g.db")
    await second.service.start()
    try:
        failed = await second.service.get(SCOPE, busy.id)
        assert failed.status == "failed" and failed.state.error["code"] == "gateway_restarted"
        assert (await second.names(busy.id))[-1] == "run.failed"
        call_id = (await second.service.get(SCOPE, waiting.id)).state.required_action["tool_calls"][
            0
        ]["id"]
        await second.service.submit_tool_outputs(
            SCOPE, waiting.id, [{"tool_call_id": call_id, "output": "ok"}]
        )
        await second.service.wait(waiting.id)
        assert (await second.service.get(SCOPE, waiting.id)).state.output == "resumed"
    finally:
        await first.service.stop()
        await second.service.stop()


async def test_unknown_provider_fails_cleanly(engine: Engine) -> None:
    run = await engine.run(await engine.agent(model="nowhere/model-x"))
    assert run.status == "failed" and run.state.error["code"] == "model_not_found"
    assert "[providers.nowhere]" in run.state.error["message"]


async def test_cancel_from_another_worker(tmp_path: Any, handler: ToolHandlerServer) -> None:
    owner = Engine(tmp_path / "g.db")
    other = Engine(tmp_path / "g.db")  # a second worker process on the same database
    await owner.service.start()
    await other.service.start()
    try:
        hang = await owner.tool("hang", "http", handler_url=handler.url("/slow?s=30"))
        agent = await owner.agent(tools=[hang], script=[{"tool_calls": [call("hang")]}])
        run = await owner.service.create(SCOPE, agent_id=agent, input="x")
        while not handler.requests:
            await asyncio.sleep(0.01)
        started = time.monotonic()
        cancelled = await other.service.cancel(SCOPE, run.id)
        assert cancelled.status == "cancelled"
        assert time.monotonic() - started < 3
        assert (await owner.names(run.id))[-1] == "run.cancelled"
        assert (await owner.names(run.id)).count("run.cancelled") == 1
        with pytest.raises(Conflict):
            await other.service.cancel(SCOPE, run.id)
    finally:
        await other.service.stop()
        await owner.service.stop()


async def test_input_as_a_thread(engine: Engine) -> None:
    thread = [
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "first answer"},
        {"role": "user", "content": "second question"},
    ]
    run = await engine.run(await engine.agent(), thread)
    assert run.state.output == "second question"  # the scripted model echoes the last user turn
    assert [m["content"] for m in run.state.messages[1:4]] == [m["content"] for m in thread]
    with pytest.raises(InvalidInput) as bad:
        await engine.service.create(
            SCOPE, agent_name="helper", input=[{"role": "robot", "content": "x"}]
        )
    assert bad.value.param == "input[0].role"


async def test_start_leaves_runs_owned_on_another_host_alone(tmp_path: Any) -> None:
    """Gateways on several hosts share one database: one starting must not fail the runs
    another executes (it cannot check a pid elsewhere), only those of its own dead processes."""
    from aiagentics.storage.records import RunRecord

    eng = Engine(tmp_path / "g.db")

    def record(id: str, owner: str) -> RunRecord:
        return RunRecord(
            id=id,
            project=SCOPE.project,
            environment=SCOPE.environment,
            agent_id="agt_x",
            agent_version=1,
            agent={},
            status="in_progress",
            input="x",
            metadata={},
            created_at=time.time(),
            owner=owner,
        )

    import socket

    await eng.storage.runs.insert(record("run_elsewhere", "another-host.invalid:4242:ab12"))
    # A pid of this host that is not running: 2**22 + 1 is above Linux's pid_max.
    await eng.storage.runs.insert(record("run_dead", f"{socket.gethostname()}:4194305:cd34"))
    await eng.service.start()
    try:
        assert (await eng.storage.runs.get("run_elsewhere")).status == "in_progress"
        assert (await eng.storage.runs.get("run_dead")).status == "failed"
    finally:
        await eng.service.stop()
        await eng.db.close()
