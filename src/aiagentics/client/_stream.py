"""`RunStream`: a run's server-sent events that survive a dropped connection.

Events are numbered 1, 2, 3, ... per run, so a stream that breaks is continued
with `GET /v1/runs/:id/events` and `Last-Event-ID: <last id seen>`: the gateway
sends exactly the events after it, and none is lost or shown twice. A POST that
breaks before its first event (the run id is not known yet) is sent again with
the same `Idempotency-Key`, which replays that stream from its start.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

import httpx
import msgspec
from httpx_sse import EventSource, SSEError, connect_sse

from aiagentics.client._errors import (
    ApiConnectionError,
    ApiError,
    RateLimitError,
    ServerError,
    error_from_response,
)
from aiagentics.wire.events import PUBLIC_EVENTS, STOP_EVENTS, TERMINAL_EVENTS, RunEvent

if TYPE_CHECKING:
    from aiagentics.client._client import ApiClient

Until = Literal["end", "requires_action"]
_KNOWN = frozenset(PUBLIC_EVENTS)


class _Broken(Exception):
    """The connection ended before the stream's last event: resume it."""


class RunStream:
    """Iterate the events of one run stream, resuming it when the connection drops.

    `until="requires_action"` ends after `run.requires_action` too (the stream of a
    POST); `until="end"` follows the run through its pauses to a terminal event.
    `reconnects` counts the resumes; `run_id` and `last_event_id` say where it is.
    """

    def __init__(
        self,
        client: ApiClient,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        run_id: str | None = None,
        after: int = 0,
        until: Until = "requires_action",
    ) -> None:
        self._client = client
        self._method = method
        self._path = path.lstrip("/")
        self._body = dict(body) if body is not None else None
        self._key = idempotency_key
        self._until = until
        self._stops = STOP_EVENTS if until == "requires_action" else TERMINAL_EVENTS
        self.run_id = run_id
        self.last_event_id = after
        self.reconnects = 0
        self.finished = False
        self._answered = False  # some connection got as far as a response

    def __iter__(self) -> Iterator[RunEvent]:
        failures = 0
        resumed = False
        while not self.finished:
            try:
                for event in self._connect(resumed):
                    failures = 0
                    yield event
                    if event.event in self._stops:
                        self.finished = True
                        return
                raise _Broken("the stream ended before its last event")
            except (_Broken, httpx.TransportError, RateLimitError, ServerError) as exc:
                failures += 1
                if failures >= self._client.max_attempts:
                    if not self._answered:
                        raise ApiConnectionError(
                            f"cannot reach the API at {self._client.base_url}: {exc}"
                        ) from exc
                    raise ApiConnectionError(
                        f"the event stream of {self.run_id or 'the run'} from "
                        f"{self._client.base_url} broke and could not be resumed: {exc}"
                    ) from exc
                wait = exc.retry_after if isinstance(exc, ApiError) else None
                time.sleep(self._client.backoff_seconds(failures, wait))
                self.reconnects += 1
                resumed = True

    def _request(self, resumed: bool) -> tuple[str, str, dict[str, Any]]:
        """(method, path, httpx keyword arguments) of the next connection."""
        if resumed and self.run_id is not None and (self.last_event_id or self._method == "GET"):
            headers = {"Last-Event-ID": str(self.last_event_id)} if self.last_event_id else {}
            return (
                "GET",
                f"runs/{self.run_id}/events",
                {"params": {"until": self._until}, "headers": headers},
            )
        headers = {"Idempotency-Key": self._key} if self._key else {}
        if self._method == "GET" and self.last_event_id:
            headers["Last-Event-ID"] = str(self.last_event_id)
        kwargs: dict[str, Any] = {"headers": headers}
        if self._body is not None:
            kwargs["json"] = self._body
        if self._method == "GET":
            kwargs["params"] = {"until": self._until}
        return self._method, self._path, kwargs

    def _connect(self, resumed: bool) -> Iterator[RunEvent]:
        method, path, kwargs = self._request(resumed)
        # Keep-alives arrive while a run waits, so no read deadline: a dead peer shows
        # as a reset or an end of the body, which resumes the stream.
        timeout = httpx.Timeout(self._client.timeout, read=None)
        try:
            with connect_sse(self._client.http, method, path, timeout=timeout, **kwargs) as source:
                yield from self._read(source)
        except SSEError as exc:
            raise ApiError(
                0, f"the API at {self._client.base_url} did not answer with events: {exc}"
            ) from None

    def _read(self, source: EventSource) -> Iterator[RunEvent]:
        response = source.response
        self._answered = True
        if response.status_code >= 400:
            response.read()
            raise error_from_response(response)
        for sse in source.iter_sse():
            if not sse.id or sse.event not in _KNOWN:
                continue  # a keep-alive comment, or an event this client does not know
            seq = int(sse.id)
            if seq <= self.last_event_id:
                continue  # already given: a replay overlapping what was seen
            data = json.loads(sse.data) if sse.data else {}
            event = msgspec.convert({"id": sse.id, "event": sse.event, "data": data}, RunEvent)
            self.last_event_id = seq
            self.run_id = event.run_id or self.run_id
            yield event
