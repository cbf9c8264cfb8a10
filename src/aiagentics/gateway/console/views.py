"""What the console's pages show, computed from API objects: pure functions, no I/O.

The templates only lay these out; every value from a run reaches the page through Jinja's
autoescaping (or as JSON text inside an inert `application/json` block).
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

# The timeline's drawing box (SVG user units); bars get at least MIN_BAR so a 0 ms step shows.
# (About the pixels of the page's half column, so that its labels read at their font size.)
WIDTH = 600.0
ROW = 20
BAR = 14
MIN_BAR = 2.0
LABEL = 150.0
# A step's input or output shown in the page is cut here (a model step's input repeats the
# whole thread, so a long run's page would grow with the square of its length); the raw
# JSON link has everything.
CLIP = 8000


@dataclass(frozen=True, slots=True)
class Bar:
    """One step of the trace on the timeline."""

    index: int
    kind: str  # model | tool
    name: str
    x: float
    y: int
    width: float
    latency_ms: float
    offset_ms: float
    tokens: str
    failed: bool
    input: str
    output: str


@dataclass(frozen=True, slots=True)
class Timeline:
    """The bars and the time axis of a trace."""

    bars: list[Bar]
    height: int
    span_ms: float
    ticks: list[tuple[float, str]]


def pretty(value: Any) -> str:
    """A value as indented JSON text (strings as they are)."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def clipped(text: str, limit: int = CLIP) -> str:
    """`text`, cut to `limit` characters with a note saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n… ({len(text) - limit} more characters in the raw JSON)"


def _tokens(step: dict[str, Any]) -> str:
    tokens = step.get("tokens") or {}
    if not tokens:
        return ""
    return f"{tokens.get('input_tokens', 0)} in / {tokens.get('output_tokens', 0)} out"


def timeline(steps: list[dict[str, Any]]) -> Timeline:
    """Bars on one time axis: x from each step's start, width from its latency."""
    if not steps:
        return Timeline([], ROW, 0.0, [])
    t0 = min(float(s["started_at"]) for s in steps)
    end = max(float(s["started_at"]) + float(s["latency_ms"]) / 1000 for s in steps)
    span_ms = max((end - t0) * 1000, 1.0)
    scale = (WIDTH - LABEL) / span_ms
    bars = []
    for i, s in enumerate(steps):
        offset = (float(s["started_at"]) - t0) * 1000
        latency = float(s["latency_ms"])
        bars.append(
            Bar(
                index=i,
                kind=str(s.get("type")),
                name=str(s.get("name") or s.get("type") or "step"),
                x=round(LABEL + offset * scale, 2),
                y=i * ROW,
                width=round(max(latency * scale, MIN_BAR), 2),
                latency_ms=round(latency, 1),
                offset_ms=round(offset, 1),
                tokens=_tokens(s),
                failed=bool(s.get("is_error")),
                input=clipped(pretty(s.get("input"))),
                output=clipped(pretty(s.get("output"))),
            )
        )
    ticks = [
        (round(LABEL + (WIDTH - LABEL) * f, 2), f"{span_ms * f:.0f} ms")
        for f in (0.0, 0.25, 0.5, 0.75, 1.0)
    ]
    return Timeline(bars, len(steps) * ROW, round(span_ms, 1), ticks)


def message_text(message: dict[str, Any]) -> str:
    """What one message of the thread says (tool calls listed by name and arguments)."""
    parts = []
    content = message.get("content")
    if isinstance(content, str) and content:
        parts.append(content)
    elif content not in (None, ""):
        parts.append(pretty(content))
    for call in message.get("tool_calls") or []:
        fn = call.get("function") or call
        args = fn.get("arguments", "")
        if not isinstance(args, str):
            args = json.dumps(args, ensure_ascii=False, separators=(", ", ": "), default=str)
        parts.append(f"→ {fn.get('name')}({args})")
    return "\n".join(parts)


def duration_ms(run: dict[str, Any]) -> float | None:
    """Seconds from start to end of a finished run, in ms (None while it runs)."""
    if run.get("started_at") and run.get("completed_at"):
        return float(run["completed_at"] - run["started_at"]) * 1000
    return None


def client_tools(agent_snapshot: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Client-side tools of a run's agent: name -> JSON Schema of its arguments."""
    out = {}
    for tool in agent_snapshot.get("tools") or []:
        if isinstance(tool, dict) and tool.get("type") == "client":
            out[str(tool.get("name"))] = tool.get("parameters") or {"type": "object"}
    return out


def version_diff(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str]]:
    """A unified diff of two versions of an object: [(css class, line)]."""
    strip = {"created_at", "updated_at", "version"}
    a = json.dumps({k: v for k, v in old.items() if k not in strip}, indent=2, sort_keys=True)
    b = json.dumps({k: v for k, v in new.items() if k not in strip}, indent=2, sort_keys=True)
    lines = []
    for line in difflib.unified_diff(
        a.splitlines(),
        b.splitlines(),
        f"v{old.get('version')}",
        f"v{new.get('version')}",
        lineterm="",
    ):
        css = "add" if line.startswith("+") else "del" if line.startswith("-") else "ctx"
        lines.append((css, line))
    return lines
