"""Tool calls: argument checking, and executors keyed by tool type.

A `ToolExecutor` either runs a call (`http`, and built-ins others register, such as
memory tools) or is `deferred`: the run hands the call to the caller and waits in
`requires_action` (`client`, `webhook`). `ToolRegistry` maps a tool's `type` to
its executor; `RunService.tools.register(type, executor)` adds one.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import httpx
import jsonschema_rs

from aiagentics.engine.outbound import OutboundError, ResponseTooLarge, fetch_capped
from aiagentics.engine.sensitive import reveal
from aiagentics.telemetry import current_traceparent

if TYPE_CHECKING:
    from aiagentics.engine.runs.records import RunRecord

DEFAULT_MAX_RESPONSE_BYTES = 1_000_000


@dataclass(slots=True)
class ToolCall:
    """One call the model made: `tool` is the pinned tool definition (None when unknown)."""

    id: str
    name: str
    raw_arguments: str
    tool: dict[str, Any] | None
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ToolResult:
    """What goes back to the model; `is_error` results tell it the call failed."""

    output: Any
    is_error: bool = False

    @classmethod
    def error(cls, message: str) -> ToolResult:
        """A failed call, reported to the model instead of failing the run."""
        return cls({"error": message}, is_error=True)


@dataclass(slots=True)
class ToolContext:
    """What an executor may know about the run that called it."""

    run: RunRecord
    client: httpx.AsyncClient


class ToolExecutor(Protocol):
    """Runs calls of one tool type; `deferred` executors leave them to the caller."""

    deferred: bool

    async def execute(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        """Run one validated call."""
        ...


class DeferredExecutor:
    """`client` and `webhook` tools: the caller supplies outputs via submit_tool_outputs."""

    deferred = True

    async def execute(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        """Never called: deferred calls are handed out, not executed."""
        raise RuntimeError("deferred tools are fulfilled by submit_tool_outputs")


class HttpExecutor:
    """`http` tools: send the arguments to `handler_url`; the response body is the output."""

    deferred = False

    def __init__(
        self, max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES, sealer: Any = None
    ) -> None:
        self.max_response_bytes = max_response_bytes
        self.sealer = sealer  # opens the sealed headers (gateway.sealing.Sealer)

    async def execute(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        """POST (or PUT/PATCH; GET sends query parameters) with the tool's timeout and a size cap."""
        tool = call.tool or {}
        if self.sealer is not None:
            # Sealed until here: the run's pinned copy never holds the header values.
            tool = reveal(self.sealer, tool)
        method = str(tool.get("method") or "POST").upper()
        timeout = float(tool.get("timeout_seconds") or 30)
        kwargs: dict[str, Any] = {"headers": dict(tool.get("headers") or {})}
        traceparent = current_traceparent(ctx.run)  # the handler joins the run's trace
        if traceparent is not None:
            kwargs["headers"].setdefault("traceparent", traceparent)
        if method == "GET":
            kwargs["params"] = {
                k: v if isinstance(v, str) else json.dumps(v) for k, v in call.arguments.items()
            }
        else:
            kwargs["json"] = call.arguments
        try:
            async with asyncio.timeout(timeout):
                status, headers, body = await fetch_capped(
                    ctx.client,
                    method,
                    str(tool["handler_url"]),
                    max_bytes=self.max_response_bytes,
                    **kwargs,
                )
        except (TimeoutError, httpx.TimeoutException):
            return ToolResult.error(f"the tool handler did not answer within {timeout:g} s")
        except ResponseTooLarge:
            return ToolResult.error(
                f"the tool handler's response is larger than {self.max_response_bytes} bytes"
            )
        except OutboundError as exc:
            return ToolResult.error(str(exc))
        except httpx.HTTPError as exc:
            return ToolResult.error(f"could not reach the tool handler: {type(exc).__name__}")
        output = _decode_body(body, headers.get("content-type", ""))
        if status >= 400:
            detail = output if isinstance(output, str) else json.dumps(output)
            return ToolResult.error(f"the tool handler answered HTTP {status}: {detail[:500]}")
        return ToolResult(output)


def _decode_body(body: bytes, content_type: str) -> Any:
    text = body.decode("utf-8", "replace")
    if "json" in content_type or text[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


class ToolRegistry:
    """Executors by tool type (`http`, `client`, `webhook`, plus what others register)."""

    def __init__(
        self, max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES, sealer: Any = None
    ) -> None:
        deferred = DeferredExecutor()
        self._executors: dict[str, ToolExecutor] = {
            "http": HttpExecutor(max_response_bytes, sealer),
            "client": deferred,
            "webhook": deferred,
        }

    def register(self, tool_type: str, executor: ToolExecutor) -> None:
        """Add or replace the executor of a tool type."""
        self._executors[tool_type] = executor

    def get(self, tool_type: str) -> ToolExecutor | None:
        """The executor of a tool type, if any."""
        return self._executors.get(tool_type)

    async def offered(self, tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The tool definitions the model sees for a run's pinned tools: an executor with an
        `offered(tool)` method turns one definition into several (an MCP server's tools)."""
        out: list[dict[str, Any]] = []
        for tool in tools:
            expand = getattr(self._executors.get(str(tool.get("type"))), "offered", None)
            out.extend(await expand(tool) if expand is not None else [tool])
        return out


_VALIDATORS: dict[str, Any] = {}


def check_arguments(call: ToolCall) -> str | None:
    """Parse and validate a call's arguments against its tool's JSON Schema; the error or None."""
    if call.tool is None:
        return f"unknown tool {call.name!r}"
    try:
        arguments = json.loads(call.raw_arguments or "{}")
    except ValueError as exc:
        return f"arguments are not valid JSON: {exc}"
    if not isinstance(arguments, dict):
        return "arguments must be a JSON object"
    schema = call.tool.get("parameters") or {"type": "object"}
    key = json.dumps(schema, sort_keys=True)
    validator = _VALIDATORS.get(key)
    if validator is None:
        try:
            validator = jsonschema_rs.validator_for(schema)
        except (ValueError, jsonschema_rs.ValidationError) as exc:
            return f"the tool's parameters schema is invalid: {exc}"
        _VALIDATORS[key] = validator
    errors = list(validator.iter_errors(arguments))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.instance_path) or "(root)"
        return f"invalid arguments at {where}: {first.message}"
    call.arguments = arguments
    return None
