"""The real providers against fake servers that speak their streaming wire formats."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator

import pytest
from tests.fakes.provider_server import FakeProviderServer, Status, Turn

from aiagentics.engine.providers import (
    AnthropicProvider,
    FinishEvent,
    ModelRequest,
    OpenAIProvider,
    ProviderError,
    ProviderRegistry,
    RetryPolicy,
    ScriptedProvider,
    TextDelta,
    ToolCallEvent,
    ToolDefinition,
    UsageEvent,
)

FAST = RetryPolicy(attempts=3, initial_delay=0.01, max_delay=0.05)
TOOLS = [ToolDefinition("lookup", "Look a payment up", {"type": "object", "properties": {}})]
THREAD = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Summarize failed payments"},
]


@pytest.fixture(params=["openai", "anthropic"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeProviderServer]:
    with FakeProviderServer(request.param) as server:
        yield server


def make(fake: FakeProviderServer, read_timeout: float = 5.0) -> OpenAIProvider | AnthropicProvider:
    cls = AnthropicProvider if fake.flavor == "anthropic" else OpenAIProvider
    return cls(fake.base_url, "sk-test", retry=FAST, read_timeout=read_timeout)


async def collect(provider: object, request: ModelRequest) -> list[object]:
    events = []
    async for event in provider.stream(request):  # type: ignore[attr-defined]
        events.append(event)
    await provider.aclose()  # type: ignore[attr-defined]
    return events


async def test_text_stream_and_usage(fake: FakeProviderServer) -> None:
    fake.queue(Turn(text="Seven payments failed today.", input_tokens=21, output_tokens=6))
    events = await collect(make(fake), ModelRequest("m-1", THREAD, TOOLS))
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == "Seven payments failed today."
    assert sum(isinstance(e, TextDelta) for e in events) > 1  # streamed, not one blob
    assert UsageEvent(21, 6) in events
    assert events[-1] == FinishEvent("stop")
    sent = fake.requests[0]
    assert sent["json"]["stream"] is True and sent["json"]["model"] == "m-1"
    if fake.flavor == "openai":
        assert sent["path"] == "/v1/chat/completions"
        assert sent["headers"]["authorization"] == "Bearer sk-test"
        assert sent["json"]["stream_options"] == {"include_usage": True}
        assert sent["json"]["tools"][0]["function"]["name"] == "lookup"
    else:
        assert sent["path"] == "/v1/messages"
        assert sent["headers"]["x-api-key"] == "sk-test"
        assert sent["headers"]["anthropic-version"] == "2023-06-01"
        assert sent["json"]["system"] == "Be brief."
        assert sent["json"]["tools"][0]["input_schema"] == {"type": "object", "properties": {}}


async def test_tool_call_deltas_are_assembled(fake: FakeProviderServer) -> None:
    args = {"status": "failed", "limit": 50, "note": "a longer value to split"}
    fake.queue(Turn(tool_calls=[("lookup", args), ("lookup", {"limit": 1})]))
    events = await collect(make(fake), ModelRequest("m", THREAD, TOOLS))
    calls = [e for e in events if isinstance(e, ToolCallEvent)]
    assert [c.name for c in calls] == ["lookup", "lookup"]
    assert json.loads(calls[0].arguments) == args
    assert json.loads(calls[1].arguments) == {"limit": 1}
    assert calls[0].id != calls[1].id
    assert events[-1] == FinishEvent("tool_calls")


async def test_tool_turns_are_sent_in_the_provider_format(fake: FakeProviderServer) -> None:
    thread = [
        *THREAD,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c1", "name": "lookup", "arguments": {"limit": 2}}],
        },
        {"role": "tool", "tool_call_id": "c1", "name": "lookup", "content": '{"rows": 7}'},
    ]
    await collect(make(fake), ModelRequest("m", thread, TOOLS))
    messages = fake.requests[0]["json"]["messages"]
    if fake.flavor == "openai":
        assert messages[2]["tool_calls"][0]["function"] == {
            "name": "lookup",
            "arguments": '{"limit": 2}',
        }
        assert messages[3] == {"role": "tool", "tool_call_id": "c1", "content": '{"rows": 7}'}
    else:
        assert messages[1]["content"][0] == {
            "type": "tool_use",
            "id": "c1",
            "name": "lookup",
            "input": {"limit": 2},
        }
        assert messages[2]["role"] == "user"
        assert messages[2]["content"][0]["type"] == "tool_result"


async def test_429_and_500_are_retried_before_streaming(fake: FakeProviderServer) -> None:
    fake.queue(Status(429, "slow down", retry_after="0"), Status(500, "boom"), Turn(text="fine"))
    events = await collect(make(fake), ModelRequest("m", THREAD))
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "fine"
    assert len(fake.requests) == 3


async def test_persistent_errors_give_up_with_the_provider_message(
    fake: FakeProviderServer,
) -> None:
    fake.queue(Status(503, "overloaded"), Status(503, "overloaded"), Status(503, "overloaded"))
    with pytest.raises(ProviderError) as info:
        await collect(make(fake), ModelRequest("m", THREAD))
    assert info.value.status == 503 and "overloaded" in info.value.message
    assert len(fake.requests) == 3


async def test_client_errors_are_not_retried(fake: FakeProviderServer) -> None:
    fake.queue(Status(400, "bad model"))
    with pytest.raises(ProviderError, match="bad model"):
        await collect(make(fake), ModelRequest("m", THREAD))
    assert len(fake.requests) == 1


async def test_stream_dropped_mid_way_is_an_error_not_a_retry(fake: FakeProviderServer) -> None:
    fake.queue(Turn(text="one two three four five six seven", drop_after=4))
    received: list[object] = []
    provider = make(fake)
    with pytest.raises(ProviderError, match=r"interrupted|ended before"):
        async for event in provider.stream(ModelRequest("m", THREAD)):
            received.append(event)
    await provider.aclose()
    assert any(isinstance(e, TextDelta) for e in received)
    assert len(fake.requests) == 1


async def test_stalled_stream_times_out(fake: FakeProviderServer) -> None:
    fake.queue(Turn(text="one two three four five six", stall_after=4))
    started = time.monotonic()
    with pytest.raises(ProviderError, match="timed out"):
        await collect(make(fake, read_timeout=0.3), ModelRequest("m", THREAD))
    assert time.monotonic() - started < 3


async def test_connection_refused_is_a_clear_error() -> None:
    provider = OpenAIProvider("http://127.0.0.1:9", retry=FAST)
    with pytest.raises(ProviderError, match="could not connect"):
        await collect(provider, ModelRequest("m", THREAD))


async def test_scripted_follows_the_script_then_echoes() -> None:
    script = [
        {"tool_calls": [{"name": "lookup", "arguments": {"limit": 50}}]},
        {"content": "7 payments failed today."},
    ]
    provider = ScriptedProvider()
    first = await collect(provider, ModelRequest("scripted", THREAD, options={"script": script}))
    assert isinstance(first[0], ToolCallEvent) and json.loads(first[0].arguments) == {"limit": 50}
    thread = [*THREAD, {"role": "assistant", "content": None, "tool_calls": []}]
    second = await collect(provider, ModelRequest("scripted", thread, options={"script": script}))
    assert [e.text for e in second if isinstance(e, TextDelta)] == [
        "7 ",
        "payments ",
        "failed ",
        "today.",
    ]
    thread.append({"role": "assistant", "content": "x"})
    third = await collect(
        provider, ModelRequest("scripted", thread, options={"script": script}, run_input="hi there")
    )
    assert "".join(e.text for e in third if isinstance(e, TextDelta)) == "hi there"


def test_registry_resolves_aliases_and_provider_config() -> None:
    registry = ProviderRegistry(
        {"fast": "acme/llama-3", "smart": "claude/claude-x"},
        {
            "acme": {"base_url": "http://127.0.0.1:1/v1", "api_key_env": "ACME_KEY"},
            "claude": {"base_url": "http://127.0.0.1:2", "api": "anthropic"},
        },
        environ={"ACME_KEY": "k1"},
    )
    provider, model = registry.resolve("fast")
    assert isinstance(provider, OpenAIProvider) and model == "llama-3"
    assert provider.api_key == "k1" and provider.url == "http://127.0.0.1:1/v1/chat/completions"
    provider, model = registry.resolve("smart")
    assert isinstance(provider, AnthropicProvider) and model == "claude-x"
    assert provider.url == "http://127.0.0.1:2/v1/messages"
    assert isinstance(registry.resolve("scripted")[0], ScriptedProvider)
    with pytest.raises(ProviderError, match="unknown model provider 'nowhere'"):
        registry.resolve("nowhere/x")
    with pytest.raises(ProviderError, match="unknown model"):
        registry.resolve("gpt")


def test_a_missing_key_fails_before_any_request() -> None:
    registry = ProviderRegistry(
        {"smart": "anthropic/claude-x"},
        {"acme": {"base_url": "http://127.0.0.1:9/v1", "api_key_env": "ACME_KEY"}},
        environ={},
    )
    with pytest.raises(ProviderError) as info:
        registry.resolve("openai/gpt-4.1")  # the public endpoint: a key is required
    message = info.value.message
    assert info.value.code == "missing_api_key"
    assert message.startswith("model provider 'openai' at https://api.openai.com/v1: ")
    assert "OPENAI_API_KEY is not set" in message
    assert "[providers.openai] api_key_env" in message and "base_url" in message
    with pytest.raises(ProviderError, match="ANTHROPIC_API_KEY is not set"):
        registry.resolve("smart")
    with pytest.raises(
        ProviderError, match=r"ACME_KEY \(the api_key_env of \[providers.acme\]\) is not set"
    ):
        registry.resolve("acme/m")  # a named api_key_env is required even on a private URL
    keyed = ProviderRegistry({}, {}, environ={"OPENAI_API_KEY": "sk-1"})
    provider, _ = keyed.resolve("openai/gpt-4.1")
    assert isinstance(provider, OpenAIProvider) and provider.api_key == "sk-1"


async def test_a_keyless_local_endpoint_needs_no_key(fake: FakeProviderServer) -> None:
    fake.queue(Turn(text="local"), Status(401, "this one wants a key"))
    registry = ProviderRegistry(
        {}, {"local": {"base_url": fake.base_url, "api": fake.flavor}}, environ={}, retry=FAST
    )
    provider, model = registry.resolve("local/m")
    events = [e async for e in provider.stream(ModelRequest(model, THREAD))]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "local"
    sent = fake.requests[0]["headers"]
    assert "authorization" not in sent and "x-api-key" not in sent
    # Should it refuse after all, the 401 says which variable would have been sent.
    with pytest.raises(ProviderError, match="no API key was sent: set LOCAL_API_KEY") as info:
        await collect(provider, ModelRequest(model, THREAD))
    assert info.value.status == 401


async def test_provider_errors_name_the_provider_and_url_never_the_key(
    fake: FakeProviderServer,
) -> None:
    key = "sk-secret-0123456789"
    fake.queue(Status(401, f"Incorrect API key provided: {key}"))
    registry = ProviderRegistry(
        {},
        {"acme": {"base_url": fake.base_url, "api_key_env": "ACME_KEY", "api": fake.flavor}},
        environ={"ACME_KEY": key},
        retry=FAST,
    )
    provider, model = registry.resolve("acme/m")
    with pytest.raises(ProviderError) as info:
        await collect(provider, ModelRequest(model, THREAD))
    assert info.value.message.startswith(f"model provider 'acme' at {fake.base_url}/")
    assert "HTTP 401" in info.value.message
    assert key not in info.value.message and key not in str(info.value)
    refused = OpenAIProvider("http://user:pw@127.0.0.1:9/v1", retry=FAST, name="local")
    with pytest.raises(ProviderError) as info:
        await collect(refused, ModelRequest("m", THREAD))
    assert info.value.message.startswith(
        "model provider 'local' at http://127.0.0.1:9/v1/chat/completions: could not connect"
    )


async def test_successive_calls_reuse_one_connection(fake: FakeProviderServer) -> None:
    # Each call must read its response to the end of the HTTP body (past `[DONE]` or
    # `message_stop`), or the pool drops the connection: a TLS handshake per model call.
    provider = make(fake)
    calls = 12
    try:
        for n in range(calls):
            if n == 5:
                fake.queue(Status(400, "bad request"))
                with pytest.raises(ProviderError, match="bad request"):
                    async for _ in provider.stream(ModelRequest("m", THREAD)):
                        pass
                continue
            turn = Turn(tool_calls=[("lookup", {"n": n})]) if n % 2 else Turn(text=f"answer {n}")
            fake.queue(turn)
            events = []
            async with contextlib.aclosing(provider.stream(ModelRequest("m", THREAD, TOOLS))) as s:
                async for event in s:
                    events.append(event)
                    if n == 8 and isinstance(event, FinishEvent):
                        break  # a caller that stops at the last event, never asking for more
            assert events[-1] == FinishEvent("tool_calls" if n % 2 else "stop")
    finally:
        await provider.aclose()
    assert len(fake.requests) == calls
    assert fake.connections == 1


async def test_a_body_left_open_after_the_last_event_does_not_hold_the_call(
    fake: FakeProviderServer,
) -> None:
    fake.queue(Turn(text="all of it", stall_after=10**6))  # every event, then silence
    started = time.monotonic()
    events = await collect(make(fake, read_timeout=30), ModelRequest("m", THREAD))
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "all of it"
    assert events[-1] == FinishEvent("stop")
    assert time.monotonic() - started < 3  # bounded by the drain, not the read timeout
