"""Shared HTTP plumbing of the real providers: a streamed POST with retries, and their base class.

429, 5xx and connection errors are retried with exponential backoff and jitter
(honouring `Retry-After`) until the first event arrives; once anything has been
streamed a failure is reported, never retried (the caller has already seen tokens).
Read timeouts turn a stalled stream into a `ProviderError` instead of a hang.
A finished call reads its response to the end of the HTTP body, past the wire
format's last event, so the connection goes back to the pool for the next call.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
from httpx_sse import EventSource, ServerSentEvent
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from aiagentics.engine.providers.base import (
    FinishEvent,
    ModelRequest,
    ProviderError,
    StreamEvent,
)
from aiagentics.model_routing import display_url

_END = object()
# What may follow the parser's last event before the body ends (normally only the
# chunked terminator): beyond this much the connection is closed instead of kept.
_DRAIN_EVENTS = 64
_DRAIN_SECONDS = 1.0


@dataclass(slots=True, frozen=True)
class RetryPolicy:
    """How often and how patiently a model call is retried before its first event."""

    attempts: int = 3
    initial_delay: float = 0.5
    max_delay: float = 8.0


def make_client(connect_timeout: float = 10.0, read_timeout: float = 60.0) -> httpx.AsyncClient:
    """An httpx client whose read timeout bounds the silence between two stream chunks."""
    timeout = httpx.Timeout(connect=connect_timeout, read=read_timeout, write=30.0, pool=10.0)
    return httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_connections=200))


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def error_from_response(response: httpx.Response, body: bytes) -> ProviderError:
    """A ProviderError carrying the provider's own message when it sent one."""
    message = body.decode("utf-8", "replace")[:500]
    with contextlib.suppress(ValueError, AttributeError, TypeError):
        payload = json.loads(body)
        err = payload.get("error", payload)
        message = err.get("message", message) if isinstance(err, dict) else str(err)
    status = response.status_code
    return ProviderError(
        f"answered HTTP {status}: {message}",
        code="rate_limited" if status == 429 else "provider_error",
        status=status,
        retryable=status == 429 or status >= 500,
        retry_after=_retry_after(response),
    )


def _transport_error(exc: httpx.HTTPError, streamed: bool) -> ProviderError:
    if isinstance(exc, httpx.TimeoutException):
        what = "timed out waiting for an answer"
    elif isinstance(exc, httpx.ConnectError):
        what = "could not connect"
    else:
        what = "its stream was interrupted"
    return ProviderError(f"{what}: {exc!r}", code="provider_unavailable", retryable=not streamed)


def _wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    backoff = wait_exponential(multiplier=policy.initial_delay, max=policy.max_delay) + wait_random(
        0, policy.initial_delay
    )

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, ProviderError) and exc.retry_after is not None:
            return min(exc.retry_after, policy.max_delay)
        return backoff(state)

    return wait


async def _sse_events(response: httpx.Response) -> AsyncIterator[ServerSentEvent]:
    try:
        async for sse in EventSource(response).aiter_sse():
            yield sse
    except httpx.HTTPError as exc:
        raise _transport_error(exc, streamed=True) from exc


async def _drain(source: AsyncIterator[ServerSentEvent]) -> None:
    """Read what is left of the body after the last event the parser wanted.

    httpx returns a connection to its pool only when the response was read to its end;
    the parsers stop at `[DONE]` / `message_stop`, just before it.
    """
    with contextlib.suppress(ProviderError, TimeoutError):
        async with asyncio.timeout(_DRAIN_SECONDS):
            extra = 0
            async for _ in source:
                extra += 1
                if extra > _DRAIN_EVENTS:
                    return


async def stream_sse(
    client: httpx.AsyncClient,
    url: str,
    body: dict[str, Any],
    headers: dict[str, str],
    parse: Callable[[AsyncIterator[ServerSentEvent]], AsyncIterator[StreamEvent]],
    policy: RetryPolicy,
    missing_key: str | None = None,
) -> AsyncGenerator[StreamEvent, None]:
    """POST `body`, parse the SSE response with `parse`, retrying until the first event.

    `missing_key` names the environment variable that would hold the absent API key;
    a 401/403 then says to set it.
    """
    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.attempts),
        wait=_wait(policy),
        retry=retry_if_exception(lambda e: isinstance(e, ProviderError) and e.retryable),
        reraise=True,
    )
    response: httpx.Response | None = None
    source: AsyncIterator[ServerSentEvent] | None = None
    events: AsyncIterator[StreamEvent] | None = None
    first: object = _END
    async for attempt in retrying:
        with attempt:
            try:
                request = client.build_request("POST", url, json=body, headers=headers)
                response = await client.send(request, stream=True)
                if response.status_code >= 400:
                    raw = await response.aread()
                    await response.aclose()
                    error = error_from_response(response, raw)
                    if missing_key and response.status_code in (401, 403):
                        error.message += (
                            f" (no API key was sent: set {missing_key}, or name another"
                            " variable with api_key_env)"
                        )
                        error.args = (error.message,)
                    raise error
                # `source` stays referenced here so that it can be drained once `parse` is done.
                source = _sse_events(response)
                events = parse(source)
                first = await anext(events, _END)
            except httpx.HTTPError as exc:
                if response is not None:
                    await response.aclose()
                raise _transport_error(exc, streamed=False) from exc
            except ProviderError as exc:
                if response is not None:
                    await response.aclose()
                # An interrupted stream before the first event is as safe to retry as a 5xx.
                if exc.code == "provider_unavailable":
                    exc.retryable = True
                raise
    assert response is not None and source is not None and events is not None
    try:
        if first is not _END:
            if isinstance(first, FinishEvent):
                await _drain(source)
            yield first  # type: ignore[misc]
            async for event in events:
                # Drained before the last event goes out, so that a caller which stops
                # at it (and never asks for more) still leaves the connection reusable.
                if isinstance(event, FinishEvent):
                    await _drain(source)
                yield event
        await _drain(source)
    finally:
        with contextlib.suppress(ProviderError):
            await source.aclose()  # type: ignore[attr-defined]
        await response.aclose()


def event_json(event: ServerSentEvent) -> Any:
    """The JSON payload of one SSE event; bad JSON is the provider's error, not ours."""
    try:
        return json.loads(event.data)
    except ValueError as exc:
        raise ProviderError(f"sent invalid JSON: {exc}") from None


class SSEProvider:
    """A provider that POSTs one JSON body per model call and reads an SSE stream back.

    Subclasses say where (`endpoint`), what (`body`), how to authenticate
    (`auth_headers`) and how to read the stream (`parse`). Every `ProviderError` it
    raises starts with the provider's name and URL and never contains the API key.
    """

    default_base_url: ClassVar[str]
    default_name: ClassVar[str]

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        client: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        read_timeout: float = 60.0,
        key_env: str | None = None,
        name: str | None = None,
    ) -> None:
        self.url = self.endpoint((base_url or self.default_base_url).rstrip("/"))
        self.name = name or self.default_name
        self.api_key = api_key
        self.key_env = key_env
        self.client = client or make_client(read_timeout=read_timeout)
        self.retry = retry or RetryPolicy()

    def endpoint(self, base_url: str) -> str:
        """The URL of the streamed call under `base_url` (no trailing slash)."""
        raise NotImplementedError

    def body(self, request: ModelRequest) -> dict[str, Any]:
        """The JSON body of one streamed call."""
        raise NotImplementedError

    def headers(self) -> dict[str, str]:
        """The API key's header when there is a key, and any header the API requires."""
        raise NotImplementedError

    def parse(self, sse: AsyncIterator[ServerSentEvent]) -> AsyncIterator[StreamEvent]:
        """The provider's SSE events -> stream events."""
        raise NotImplementedError

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        """Stream one model call."""
        headers = {"accept": "text/event-stream", **self.headers()}
        events = stream_sse(
            self.client,
            self.url,
            self.body(request),
            headers,
            self.parse,
            self.retry,
            None if self.api_key else self.key_env,
        )
        try:
            async with contextlib.aclosing(events):
                async for event in events:
                    yield event
        except ProviderError as exc:
            raise self._located(exc) from exc.__cause__

    def _located(self, exc: ProviderError) -> ProviderError:
        """`exc` saying which provider failed, and with the key blanked should it be echoed."""
        message = f"model provider {self.name!r} at {display_url(self.url)}: {exc.message}"
        if self.api_key:
            message = message.replace(self.api_key, "***")
        exc.message = message
        exc.args = (message,)
        return exc
