"""The client's exception tree: every failure of a call to the /v1 API is an `ApiError`."""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

from aiagentics.wire.errors import ErrorBody


class ApiError(Exception):
    """The API answered with an error (or could not be reached: status 0).

    Carries the fields of the API's error body: `type`, `code`, `message`,
    `param` and `request_id` (also read from the `X-Request-Id` header).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "api_error",
        code: str | None = None,
        param: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.param = param
        self.request_id = request_id
        self.retry_after = retry_after

    def __str__(self) -> str:
        parts = [self.message]
        if self.param:
            parts.append(f"(param: {self.param})")
        if self.status:
            parts.append(f"[HTTP {self.status}")
            parts[-1] += f", request {self.request_id}]" if self.request_id else "]"
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """The error as the API's JSON error object (for `--json` outputs)."""
        return {
            "status": self.status,
            "type": self.type,
            "code": self.code,
            "message": self.message,
            "param": self.param,
            "request_id": self.request_id,
        }


class ApiConnectionError(ApiError):
    """Raised when the API cannot be reached at all (refused, DNS, TLS, timeout)."""

    def __init__(self, message: str) -> None:
        super().__init__(0, message, type="connection_error", code="unreachable")


class InvalidRequestError(ApiError):
    """Raised on 400 and 422: the request body or parameters were refused."""


class AuthenticationError(ApiError):
    """Raised on 401: the key is missing, wrong or revoked."""


class PermissionDeniedError(ApiError):
    """Raised on 403: the key is valid but lacks the scope this call needs."""


class NotFoundError(ApiError):
    """Raised on 404: no such object (or it belongs to another project/environment)."""


class ConflictError(ApiError):
    """Raised on 409: a duplicate name, an idempotency key reused with another body, or a
    state that refuses the request (a run already finished, a referenced object in use)."""


class RateLimitError(ApiError):
    """Raised on 429 once the retries are used up; `retry_after` holds the server's hint."""


class ServerError(ApiError):
    """Raised on 5xx once the retries are used up."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: InvalidRequestError,
    429: RateLimitError,
}

_HINTS = {
    401: "the API key was refused: check --api-key, AIAGENTICS_API_KEY or [api] api_key_env",
    403: "the API key lacks the scope this needs (plan needs `read`, apply needs `admin`)",
}


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The `Retry-After` header in seconds (delta-seconds form), or None."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        # An HTTP date: rare from our gateway; fall back to the exponential backoff.
        return None


def error_from_response(response: httpx.Response) -> ApiError:
    """Build the typed error for a non-2xx response, reading the API's error body when present."""
    status = response.status_code
    request_id = response.headers.get("x-request-id")
    body: dict[str, Any] = {}
    try:
        body = msgspec.structs.asdict(msgspec.json.decode(response.content, type=ErrorBody).error)
    except (msgspec.DecodeError, msgspec.ValidationError):
        # Not our gateway's error body (a proxy's page, a partial body): use what is there.
        try:
            payload = response.json()
            if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
                body = payload["error"]
        except ValueError:
            pass
    message = body.get("message") or _HINTS.get(status) or f"HTTP {status} {response.reason_phrase}"
    if status in _HINTS and body.get("message"):
        message = f"{body['message']} ({_HINTS[status]})"
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else ApiError)
    return cls(
        status,
        str(message),
        type=str(body.get("type") or ("server_error" if status >= 500 else "api_error")),
        code=body.get("code"),
        param=body.get("param"),
        request_id=body.get("request_id") or request_id,
        retry_after=retry_after_seconds(response),
    )
