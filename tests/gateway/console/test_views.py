"""The console's pure view functions: the timeline's geometry, the thread, the version diff."""

from __future__ import annotations

from aiagentics.gateway.console import views


def step(kind: str, name: str, start: float, ms: float, **extra: object) -> dict[str, object]:
    return {"type": kind, "name": name, "started_at": start, "latency_ms": ms, **extra}


def test_bars_sit_on_one_time_axis() -> None:
    line = views.timeline(
        [
            step("model", "fast", 100.0, 200, tokens={"input_tokens": 5, "output_tokens": 2}),
            step("tool", "lookup", 100.2, 800, is_error=True, input={"q": 1}, output="boom"),
        ]
    )
    first, second = line.bars
    assert line.span_ms == 1000.0
    assert first.x == views.LABEL and second.x > first.x + first.width - 0.01
    # widths are proportional to latency over the drawable width
    assert abs(second.width / first.width - 4) < 0.01
    assert second.x + second.width <= views.WIDTH + 0.01
    assert first.tokens == "5 in / 2 out" and second.failed and not first.failed
    assert second.input == '{\n  "q": 1\n}' and second.output == "boom"
    assert [label for _, label in line.ticks] == ["0 ms", "250 ms", "500 ms", "750 ms", "1000 ms"]


def test_an_instant_step_still_shows() -> None:
    (bar,) = views.timeline([step("model", "m", 1.0, 0.0)]).bars
    assert bar.width >= views.MIN_BAR
    assert views.timeline([]).bars == []


def test_thread_text_lists_tool_calls() -> None:
    message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "c1", "function": {"name": "lookup", "arguments": '{"q":1}'}}],
    }
    assert views.message_text(message) == '→ lookup({"q":1})'


def test_client_tools_keep_only_name_and_schema() -> None:
    snapshot = {
        "tools": [
            {
                "name": "ask",
                "type": "client",
                "parameters": {"type": "object"},
                "headers": {"x": "s"},
            },
            {"name": "web", "type": "http", "handler_url": "http://x"},
        ]
    }
    assert views.client_tools(snapshot) == {"ask": {"type": "object"}}


def test_version_diff_marks_changed_lines() -> None:
    lines = views.version_diff(
        {"version": 1, "model": "a", "updated_at": 1}, {"version": 2, "model": "b", "updated_at": 2}
    )
    assert ("del", '-  "model": "a"') in lines and ("add", '+  "model": "b"') in lines
    assert not any("updated_at" in text for _, text in lines)


def test_long_step_values_are_clipped_with_a_note() -> None:
    (bar,) = views.timeline([step("model", "m", 1.0, 1.0, input="x" * 20_000, output="ok")]).bars
    assert len(bar.input) < 8100 and bar.input.endswith("(12000 more characters in the raw JSON)")
    assert bar.output == "ok"
