"""RunStream's resume rules, driven by httpx.MockTransport (the wire format only; the real
cut-and-resume against a gateway is tests/e2e/test_runs_resume.py)."""

from __future__ import annotations

import json

import httpx
import pytest

from aiagentics.client import ApiClient, ApiConnectionError, NotFoundError

SSE = {"content-type": "text/event-stream"}


def _sse(*events: tuple[int, str]) -> bytes:
    out = b": keep-alive\n\n"
    for seq, name in events:
        data = json.dumps({"run_id": "run_1", "n": seq})
        out += f"id: {seq}\nevent: {name}\ndata: {data}\n\n".encode()
    return out


def _client(handler) -> ApiClient:
    return ApiClient(
        "http://api.test/v1", "sk_test_x", transport=httpx.MockTransport(handler), backoff_base=0
    )


def test_an_early_end_resumes_from_the_last_id_and_skips_repeats() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            return httpx.Response(200, headers=SSE, content=_sse((1, "run.created"), (2, "token")))
        # The server may replay from before the id asked for: nothing is given twice.
        body = _sse((2, "token"), (3, "token"), (4, "run.completed"))
        return httpx.Response(200, headers=SSE, content=body)

    with _client(handler) as client:
        stream = client.stream_run({"agent": "a", "input": "x"})
        events = list(stream)
    assert [e.seq for e in events] == [1, 2, 3, 4] and stream.reconnects == 1
    assert json.loads(seen[0].content)["stream"] is True and seen[0].headers["idempotency-key"]
    resume = seen[1]
    assert resume.method == "GET" and resume.url.path == "/v1/runs/run_1/events"
    assert resume.headers["last-event-id"] == "2"
    assert resume.url.params["until"] == "requires_action"


def test_a_pause_ends_a_post_stream_but_not_a_follow() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, headers=SSE, content=_sse((1, "run.requires_action")))
        after = int(request.headers.get("last-event-id", "0"))
        events = [(1, "run.requires_action"), (2, "token"), (3, "run.failed")]
        return httpx.Response(200, headers=SSE, content=_sse(*[e for e in events if e[0] > after]))

    with _client(handler) as client:
        assert [e.event for e in client.stream_run({"agent": "a", "input": "x"})] == [
            "run.requires_action"
        ]
        follow = client.run_events("run_1")
        assert [e.seq for e in follow] == [1, 2, 3] and follow.reconnects == 0


def test_an_api_error_is_raised_not_retried() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        body = {
            "error": {
                "type": "invalid_request_error",
                "code": "resource_missing",
                "message": "no agent 'x'",
                "param": "agent",
                "request_id": "req_1",
            }
        }
        return httpx.Response(404, json=body)

    with _client(handler) as client, pytest.raises(NotFoundError, match="no agent 'x'"):
        list(client.stream_run({"agent": "x", "input": "y"}))
    assert len(calls) == 1


def test_a_stream_that_keeps_ending_early_without_progress_gives_up() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if request.method == "POST":
            return httpx.Response(200, headers=SSE, content=_sse((1, "run.created")))
        return httpx.Response(200, headers=SSE, content=b": keep-alive\n\n")

    with _client(handler) as client:
        stream = client.stream_run({"agent": "a", "input": "x"})
        with pytest.raises(ApiConnectionError, match=r"run_1 .* broke and could not be resumed"):
            list(stream)
    # The early end of the POST, then resumes that bring nothing new: max_attempts in a row.
    assert len(calls) == client.max_attempts
