"""`ApiClient`: the /v1 API over httpx, with retries, idempotency keys, pagination and
resumable event streams."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from aiagentics import __version__
from aiagentics.client._errors import (
    ApiConnectionError,
    ApiError,
    RateLimitError,
    ServerError,
    error_from_response,
)
from aiagentics.client._stream import RunStream, Until
from aiagentics.wire.runs import Run
from aiagentics.wire.traces import Trace

PAGE_LIMIT = 100  # the API's maximum page size: reading a project's state costs few calls


@dataclass(slots=True)
class RequestStats:
    """What the client sent: counted by an httpx event hook, retries included."""

    requests: int = 0
    by_method: dict[str, int] = field(default_factory=dict)

    def record(self, request: httpx.Request) -> None:
        self.requests += 1
        self.by_method[request.method] = self.by_method.get(request.method, 0) + 1


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, RateLimitError | ServerError | ApiConnectionError)


class _Backoff:
    """Exponential backoff with full jitter; the server's `Retry-After` wins when given."""

    def __init__(self, base: float, cap: float) -> None:
        self.base = base
        self.cap = cap

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hint = exc.retry_after if isinstance(exc, ApiError) else None
        return self.seconds(state.attempt_number, hint)

    def seconds(self, attempt: int, retry_after: float | None = None) -> float:
        """The wait before retry number `attempt` (1-based)."""
        if retry_after is not None:
            return min(retry_after, self.cap)
        ceiling = min(self.cap, self.base * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2, ceiling)


class ApiClient:
    """A synchronous client of the /v1 API.

    `base_url` ends with `/v1`; `api_key` is sent as a bearer token. 429, 5xx
    and connection failures are retried up to `max_attempts` times with
    exponential backoff and jitter, honouring `Retry-After`. POST creates carry
    an `Idempotency-Key`, reused across the retries of one call, so a retried
    create never creates twice.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float = 30.0,
        max_attempts: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 20.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.stats = RequestStats()
        self.timeout = timeout
        self.max_attempts = max_attempts
        self._backoff = _Backoff(backoff_base, backoff_cap)
        headers = {"User-Agent": f"aia/{__version__}", "Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._http = httpx.Client(
            base_url=self.base_url + "/",
            headers=headers,
            timeout=timeout,
            transport=transport,
            event_hooks={"request": [self.stats.record]},
        )

    @property
    def http(self) -> httpx.Client:
        """The underlying httpx client (base URL, auth headers, request counting)."""
        return self._http

    def backoff_seconds(self, attempt: int, retry_after: float | None = None) -> float:
        """How long to wait before retry number `attempt` (the server's hint wins)."""
        return self._backoff.seconds(attempt, retry_after)

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # -- the one place a request is sent -------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        files: Any = None,
        data: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """Send one call (retried as the class says); returns the decoded JSON body or None."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        url = path.lstrip("/")

        def once() -> Any:
            try:
                response = self._http.request(
                    method, url, json=json, params=params, files=files, data=data, headers=headers
                )
            except httpx.TransportError as exc:
                raise ApiConnectionError(
                    f"cannot reach the API at {self.base_url}: {exc or type(exc).__name__}"
                ) from exc
            if response.status_code >= 400:
                raise error_from_response(response)
            if response.status_code == 204 or not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                raise ApiError(
                    response.status_code,
                    f"the API at {self.base_url} answered with something that is not JSON",
                    request_id=response.headers.get("x-request-id"),
                ) from None

        return self._retrying()(once)

    def _retrying(self) -> Retrying:
        return Retrying(
            retry=retry_if_exception(_retryable),
            wait=self._backoff,
            stop=stop_after_attempt(self.max_attempts),
            reraise=True,
        )

    # -- verbs ----------------------------------------------------------------------------
    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET one object."""
        return self.request("GET", path, params=params)

    def create(self, path: str, body: Mapping[str, Any], idempotency_key: str | None = None) -> Any:
        """POST a new object with an idempotency key (a fresh one unless given)."""
        key = idempotency_key or str(uuid.uuid4())
        return self.request("POST", path, json=dict(body), idempotency_key=key)

    def update(self, path: str, body: Mapping[str, Any]) -> Any:
        """POST the changed fields to an object's path (`POST /v1/agents/:id`)."""
        return self.request("POST", path, json=dict(body))

    def delete(self, path: str) -> Any:
        """DELETE an object."""
        return self.request("DELETE", path)

    def upload(
        self,
        path: str,
        *,
        filename: str,
        content: bytes,
        fields: Mapping[str, str],
        idempotency_key: str | None = None,
    ) -> Any:
        """POST a multipart upload (`POST /v1/files`): `file` part plus form fields."""
        key = idempotency_key or str(uuid.uuid4())
        return self.request(
            "POST",
            path,
            files={"file": (filename, content, "application/octet-stream")},
            data=dict(fields),
            idempotency_key=key,
        )

    def request_bytes(self, path: str) -> bytes:
        """GET raw bytes (a file's content), with the same retries and errors."""

        def once() -> bytes:
            try:
                response = self._http.get(path.lstrip("/"))
            except httpx.TransportError as exc:
                raise ApiConnectionError(f"cannot reach the API at {self.base_url}: {exc}") from exc
            if response.status_code >= 400:
                raise error_from_response(response)
            return response.content

        return self._retrying()(once)

    def iter_list(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[dict]:
        """Every object of a list endpoint, following `has_more` with `starting_after`."""
        query = {**(params or {}), "limit": PAGE_LIMIT}
        while True:
            page = self.request("GET", path, params=query)
            data = page.get("data", []) if isinstance(page, dict) else []
            yield from data
            if not (isinstance(page, dict) and page.get("has_more")) or not data:
                return
            query["starting_after"] = data[-1]["id"]

    def list_all(self, path: str, params: Mapping[str, Any] | None = None) -> list[dict]:
        """Every object of a list endpoint, as a list."""
        return list(self.iter_list(path, params))

    # -- runs -----------------------------------------------------------------------------
    def get_run(self, run_id: str) -> Run:
        """`GET /v1/runs/:id` as a `Run`."""
        return msgspec.convert(self.get(f"runs/{run_id}"), Run)

    def get_trace(self, run_id: str) -> Trace:
        """`GET /v1/traces/:run_id` as a `Trace`."""
        return msgspec.convert(self.get(f"traces/{run_id}"), Trace)

    def stream_run(self, body: Mapping[str, Any], idempotency_key: str | None = None) -> RunStream:
        """`POST /v1/runs` with `stream: true`: the events to the end or the next pause."""
        return RunStream(
            self,
            "POST",
            "runs",
            body={**body, "stream": True},
            idempotency_key=idempotency_key or str(uuid.uuid4()),
        )

    def stream_tool_outputs(
        self,
        run_id: str,
        tool_outputs: Sequence[Mapping[str, Any]],
        idempotency_key: str | None = None,
    ) -> RunStream:
        """`POST /v1/runs/:id/submit_tool_outputs` with `stream: true`: resume a paused run."""
        return RunStream(
            self,
            "POST",
            f"runs/{run_id}/submit_tool_outputs",
            body={"tool_outputs": [dict(o) for o in tool_outputs], "stream": True},
            idempotency_key=idempotency_key or str(uuid.uuid4()),
            run_id=run_id,
        )

    def run_events(self, run_id: str, *, after: int = 0, until: Until = "end") -> RunStream:
        """`GET /v1/runs/:id/events`: the events after `after`, followed live to the end."""
        return RunStream(
            self, "GET", f"runs/{run_id}/events", run_id=run_id, after=after, until=until
        )
