"""The agent loop: one segment of a run, from `in_progress` until it completes, fails,
is cancelled, or waits for tool outputs (`requires_action`).

Each step calls the model with the thread and the tool definitions, streams its text
as `token` events, then runs the tool calls it made (concurrently) and feeds their
results back. Guardrails (`max_steps`, `max_output_tokens`, `timeout_seconds`) end
the run with `run.failed` and a reason. The loop talks to the rest of the gateway
only through `LoopHost` (the RunService): events, state saves, providers, tools.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, Protocol

import httpx

from aiagentics.engine.providers import (
    FinishEvent,
    ModelRequest,
    ProviderError,
    ProviderRegistry,
    TextDelta,
    ToolCallEvent,
    ToolDefinition,
    UsageEvent,
)
from aiagentics.engine.runs.events import MODEL_STEP, TOKEN, TOOL_COMPLETED, TOOL_REQUESTED
from aiagentics.engine.runs.records import RunRecord
from aiagentics.engine.runs.threads import earlier_turns
from aiagentics.engine.tools.base import (
    ToolCall,
    ToolContext,
    ToolRegistry,
    ToolResult,
    check_arguments,
)
from aiagentics.telemetry import Telemetry

log = logging.getLogger("aiagentics.runtime")


class RunFailure(Exception):
    """The run cannot go on; `code` and `message` become `run.failed`'s error."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class LoopHost(Protocol):
    """What the loop needs from the service that owns the run."""

    providers: ProviderRegistry
    tools: ToolRegistry
    telemetry: Telemetry

    @property
    def client(self) -> httpx.AsyncClient: ...

    async def emit(self, run: RunRecord, event: str, data: dict[str, Any]) -> Any: ...

    async def context_messages(self, run: RunRecord) -> list[dict[str, Any]]: ...

    async def finish(
        self, run: RunRecord, status: str, error: dict[str, Any] | None = None
    ) -> None: ...

    async def await_tool_outputs(self, run: RunRecord) -> None: ...

    def scrub(self, run: RunRecord, value: Any) -> Any: ...


def tool_message(call_id: str, name: str, output: Any) -> dict[str, Any]:
    """The thread entry that hands a tool's output to the model."""
    content = output if isinstance(output, str) else json.dumps(output)
    return {"role": "tool", "tool_call_id": call_id, "name": name, "content": content}


async def run_segment(host: LoopHost, run: RunRecord) -> None:
    """Drive the run until it completes, fails, is cancelled or waits for tool outputs."""
    with host.telemetry.segment(run):  # the segment's span (its outcome read from the run)
        await _segment(host, run)


async def _segment(host: LoopHost, run: RunRecord) -> None:
    guard = run.agent.get("guardrails") or {}
    limit = float(guard.get("timeout_seconds") or 300)
    started = time.monotonic()

    def account() -> None:
        run.state.active_seconds += time.monotonic() - started

    try:
        async with asyncio.timeout(max(limit - run.state.active_seconds, 0.001)):
            waiting = await _drive(host, run)
    except TimeoutError:
        account()
        await host.finish(
            run,
            "failed",
            _error("timeout", f"the run exceeded its timeout_seconds guardrail ({limit:g} s)"),
        )
    except asyncio.CancelledError:
        account()
        await host.finish(run, "cancelled")
        raise
    except RunFailure as exc:
        account()
        await host.finish(run, "failed", _error(exc.code, exc.message))
    except ProviderError as exc:
        account()
        await host.finish(run, "failed", _error(exc.code, exc.message))
    except Exception:
        log.exception("run %s crashed", run.id)
        account()
        await host.finish(
            run, "failed", _error("internal_error", "the run engine failed; see the gateway log")
        )
    else:
        account()
        if waiting:
            await host.await_tool_outputs(run)
        else:
            await host.finish(run, "completed")


def _error(code: str, message: str) -> dict[str, Any]:
    return {"code": code, "message": message}


async def _drive(host: LoopHost, run: RunRecord) -> bool:
    """The step loop; True when it stops to wait for tool outputs."""
    state = run.state
    if not state.context_added:
        extra = await host.context_messages(run)
        if extra:
            at = sum(1 for m in state.messages if m.get("role") == "system")
            state.messages[at:at] = extra
        state.context_added = True
    guard = run.agent.get("guardrails") or {}
    max_steps = int(guard.get("max_steps") or 10)
    provider, model = host.providers.resolve(str(run.agent.get("model") or "scripted"))
    tools = {t["name"]: t for t in await host.tools.offered(run.agent.get("tools") or [])}
    definitions = [
        ToolDefinition(
            t["name"], t.get("description") or "", t.get("parameters") or {"type": "object"}
        )
        for t in tools.values()
    ]
    options = dict(run.agent.get("model_options") or {})
    max_output = guard.get("max_output_tokens")
    while True:
        if state.steps >= max_steps:
            raise RunFailure(
                "max_steps",
                f"the run reached its max_steps guardrail ({max_steps} model calls) without a final answer",
            )
        budget = (
            None if max_output is None else max(1, int(max_output) - state.usage["output_tokens"])
        )
        request = ModelRequest(
            model,
            state.messages,
            definitions,
            options,
            budget,
            run.input_text,
            earlier_turns(state),
        )
        text, calls, finish = await _model_step(host, run, provider, request)
        if max_output is not None and (
            finish == "length" or state.usage["output_tokens"] > int(max_output)
        ):
            raise RunFailure(
                "max_output_tokens",
                f"the run used its max_output_tokens guardrail ({max_output} tokens) before a final answer",
            )
        if not calls:
            state.output = text or ""
            return False
        if await _tool_step(host, run, tools, calls):
            return True


async def _model_step(
    host: LoopHost, run: RunRecord, provider: Any, request: ModelRequest
) -> tuple[str, list[ToolCallEvent], str]:
    """One model call: stream tokens, collect tool calls, account usage, record the step.

    Returns (text, tool calls, finish reason).
    """
    state = run.state
    started_at = time.time()
    t0 = time.perf_counter()
    parts: list[str] = []
    calls: list[ToolCallEvent] = []
    usage = UsageEvent(0, 0)
    finish = "stop"
    sent = list(request.messages)  # the input of this step, for the trace
    span = host.telemetry.chat(run, provider, request.model, sent)
    async for event in provider.stream(request):
        if isinstance(event, TextDelta):
            parts.append(event.text)
            await host.emit(run, TOKEN, {"delta": event.text})
        elif isinstance(event, ToolCallEvent):
            calls.append(event)
        elif isinstance(event, UsageEvent):
            usage = event
        elif isinstance(event, FinishEvent):
            finish = event.reason
    state.steps += 1
    u = state.usage
    u["input_tokens"] += usage.input_tokens
    u["output_tokens"] += usage.output_tokens
    u["total_tokens"] = u["input_tokens"] + u["output_tokens"]
    text = "".join(parts)
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    if calls:
        message["tool_calls"] = [
            {"id": c.id, "name": c.name, "arguments": _parsed(c.arguments)} for c in calls
        ]
    state.messages.append(message)
    span.end(usage.input_tokens, usage.output_tokens, finish, message)
    output: dict[str, Any] = {"content": text or None, "finish_reason": finish}
    if calls:
        output["tool_calls"] = message["tool_calls"]
    await host.emit(
        run,
        MODEL_STEP,
        {
            "step": state.steps,
            "model": request.model,
            "started_at": started_at,
            "latency_ms": round((time.perf_counter() - t0) * 1000, 3),
            "input": {"messages": sent, "tools": [d.name for d in request.tools]},
            "output": output,
            "tokens": {"input": usage.input_tokens, "output": usage.output_tokens},
        },
    )
    return text, calls, finish


def _parsed(arguments: str) -> Any:
    try:
        return json.loads(arguments)
    except ValueError:
        return arguments


async def _tool_step(
    host: LoopHost, run: RunRecord, tools: dict[str, dict[str, Any]], calls: list[ToolCallEvent]
) -> bool:
    """Run or hand out the model's tool calls; True when some wait for the caller."""
    state = run.state
    now = time.time()
    runnable: list[ToolCall] = []
    deferred: list[ToolCall] = []
    failed: list[tuple[ToolCall, str]] = []
    for event in calls:
        call = ToolCall(event.id, event.name, event.arguments, tools.get(event.name))
        problem = check_arguments(call)
        executor = host.tools.get(str(call.tool.get("type"))) if call.tool else None
        if problem is None and executor is None:
            problem = f"no executor for tool type {call.tool.get('type')!r}"  # type: ignore[union-attr]
        await host.emit(
            run,
            TOOL_REQUESTED,
            {
                "id": call.id,
                "tool": call.name,
                "type": call.tool.get("type") if call.tool else None,
                "args": call.arguments if problem is None else _parsed(call.raw_arguments),
            },
        )
        if problem is not None:
            failed.append((call, problem))
        elif executor is not None and executor.deferred:
            deferred.append(call)
        else:
            runnable.append(call)
    ctx = ToolContext(run=run, client=host.client)

    async def execute(call: ToolCall) -> tuple[ToolResult, float]:
        t0 = time.perf_counter()
        executor = host.tools.get(str(call.tool["type"]))  # type: ignore[index]
        kind = str(call.tool["type"])  # type: ignore[index]
        span = host.telemetry.tool(run, call.id, call.name, kind, call.arguments)
        try:
            result = await executor.execute(call, ctx)  # type: ignore[union-attr]
        except Exception as exc:  # an executor bug must not crash the run
            log.exception("tool %s failed", call.name)
            result = ToolResult.error(f"the tool failed: {type(exc).__name__}")
        span.end(result.is_error, result.output)
        return result, (time.perf_counter() - t0) * 1000

    results = await asyncio.gather(*(execute(c) for c in runnable))
    done = [(c, ToolResult.error(p), 0.0) for c, p in failed]
    done += [(c, r, ms) for c, (r, ms) in zip(runnable, results, strict=True)]
    by_id = {c.id: (c, r, ms) for c, r, ms in done}
    for event in calls:  # thread order follows the model's call order
        if event.id not in by_id:
            continue
        call, result, ms = by_id[event.id]
        if result.is_error:  # a handler may echo the headers it was sent
            result = ToolResult(host.scrub(run, result.output), is_error=True)
        await host.emit(
            run,
            TOOL_COMPLETED,
            {
                "id": call.id,
                "tool": call.name,
                "output": result.output,
                "latency_ms": round(ms, 3),
                "is_error": result.is_error,
            },
        )
        state.messages.append(tool_message(call.id, call.name, result.output))
    if not deferred:
        return False
    state.pending = {c.id: {"name": c.name, "requested_at": now} for c in deferred}
    state.required_action = {
        "type": "submit_tool_outputs",
        "tool_calls": [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in deferred],
    }
    return True
