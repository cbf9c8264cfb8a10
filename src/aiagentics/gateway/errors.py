"""The API's one error tree and its one renderer: `{"error": {type, code, message, param, request_id}}`.

The services raise domain errors (`aiagentics.errors`); `from_domain` gives each class its
status and type here, once. The HTTP layer's own refusals (401, 403, 405) are `ApiError`
subclasses. `handle_exception` (registered once in `create_app`) renders both, and also
turns Litestar's own exceptions (validation, 404 of unknown routes, 405, 413) and any
unhandled exception (500, details only in the log) into the same shape. `error_response_bytes` serves the ASGI middleware, which answers before
Litestar routes (401, 429, 413 by Content-Length).
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.utils.scope.state import ScopeState

from aiagentics import errors as domain
from aiagentics.engine.bodies import param_from_key

log = logging.getLogger("aiagentics.gateway")


class ApiError(Exception):
    """An error the API reports to the caller."""

    status: int = 400
    type: str = "invalid_request_error"
    code: str = "invalid_request"

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        status: int | None = None,
        type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        if type is not None:
            self.type = type
        self.headers = dict(headers or {})


class InvalidRequest(ApiError):
    """400: the request is malformed or names something that does not exist."""


class Unauthorized(ApiError):
    """401: no key, an unknown key, a revoked or expired key."""

    status = 401
    type = "authentication_error"
    code = "invalid_api_key"


class Forbidden(ApiError):
    """403: the key lacks the scope the route needs."""

    status = 403
    type = "permission_error"
    code = "insufficient_scope"


class NotFound(ApiError):
    """404: no such object in the key's project and environment (or no such route)."""

    status = 404
    type = "invalid_request_error"
    code = "resource_missing"


class MethodNotAllowed(ApiError):
    """405: the route exists, the method does not."""

    status = 405
    code = "method_not_allowed"


class Conflict(ApiError):
    """409: a duplicate name, an idempotency key reused with another body, a state clash."""

    status = 409
    code = "conflict"


class PayloadTooLarge(ApiError):
    """413: the body is bigger than the configured limit."""

    status = 413
    code = "payload_too_large"


class RateLimited(ApiError):
    """429: the key's token bucket is empty; `retry_after` seconds until a token."""

    status = 429
    type = "rate_limit_error"
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after
        self.headers["Retry-After"] = str(retry_after)


class ServerError(ApiError):
    """500: something broke on our side; the log has the details, the caller the request id."""

    status = 500
    type = "api_error"
    code = "internal_error"


class ErrorDetail(msgspec.Struct):
    """The body of every error response (also its OpenAPI schema)."""

    type: str
    code: str
    message: str
    param: str | None
    request_id: str | None


class ErrorBody(msgspec.Struct):
    """`{"error": {...}}`."""

    error: ErrorDetail


def error_body(err: ApiError, request_id: str | None) -> dict[str, Any]:
    """The JSON-ready error document."""
    return {
        "error": {
            "type": err.type,
            "code": err.code,
            "message": err.message,
            "param": err.param,
            "request_id": request_id,
        }
    }


def error_response_bytes(err: ApiError, request_id: str | None) -> bytes:
    """Encoded error document (for the ASGI middleware)."""
    return msgspec.json.encode(error_body(err, request_id))


def _body_was_undecodable(exc: BaseException) -> bool:
    """Whether `exc` says the request body could not be decoded, whichever library raised it.

    Litestar wraps every decoder failure in a SerializationException (then a 400); the
    decoder's own class (UnicodeDecodeError, msgspec's DecodeError, ...) varies by version.
    """
    seen: set[int] = set()
    node: BaseException | None = exc
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        if isinstance(node, SerializationException | UnicodeDecodeError | RecursionError):
            return True
        node = node.__cause__ or node.__context__
    return False


def describe_undecodable_body(body: bytes | None) -> str:
    """What is wrong with a body that did not decode, read off the bytes themselves."""
    if body is None:
        return "request body is not valid JSON"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as err:
        return f"request body is not valid UTF-8 (byte {err.start})"
    try:
        msgspec.json.decode(body)
    except RecursionError:
        return "request body is nested too deeply"
    except msgspec.DecodeError as err:
        return f"request body is not valid JSON: {err}"
    return "request body is not valid JSON"


# The status each domain error answers with (the most specific class first).
_DOMAIN: tuple[tuple[type[domain.DomainError], type[ApiError]], ...] = (
    (domain.NotFound, NotFound),
    (domain.Conflict, Conflict),
    (domain.TooLarge, PayloadTooLarge),
    (domain.InvalidInput, InvalidRequest),
)


def from_domain(exc: domain.DomainError) -> ApiError:
    """The API error of a domain error: same message, code and param; the status by class."""
    if isinstance(exc, domain.Busy):
        return RateLimited(exc.message, retry_after=exc.retry_after, param=exc.param, code=exc.code)
    for cls, api in _DOMAIN:
        if isinstance(exc, cls):
            return api(exc.message, param=exc.param, code=exc.code)
    return InvalidRequest(exc.message, param=exc.param, code=exc.code)


def to_api_error(exc: Exception, body: bytes | None = None) -> ApiError:
    """Map any exception to the ApiError the caller sees (`body`: the raw request body, if read)."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, domain.DomainError):
        return from_domain(exc)
    if _body_was_undecodable(exc):
        return InvalidRequest(describe_undecodable_body(body), code="invalid_json")
    if isinstance(exc, ValidationException):
        extra = exc.extra if isinstance(exc.extra, list) else []
        first = extra[0] if extra and isinstance(extra[0], dict) else {}
        key = first.get("key")
        if key == "data":  # Litestar's way of saying there was no body to validate
            return InvalidRequest("the request body is missing or empty", code="invalid_request")
        message = str(first.get("message") or exc.detail)
        if key:
            message = f"{param_from_key(key)}: {message}"
        if len(extra) > 1:
            message += f" (and {len(extra) - 1} more error{'s' if len(extra) > 2 else ''})"
        return InvalidRequest(message, param=param_from_key(key), code="invalid_request")
    if isinstance(exc, HTTPException):
        status = exc.status_code
        detail = str(exc.detail)
        if status == 404:
            return NotFound(detail if detail != "Not Found" else "no such route", code="not_found")
        if status == 405:
            return MethodNotAllowed("method not allowed on this route")
        if status == 413:
            return PayloadTooLarge("request body too large")
        if status == 400:
            return InvalidRequest(detail, code="invalid_request")
        if status >= 500:
            return ServerError("internal server error")
        return ApiError(detail, status=status, code="http_error")
    return ServerError("internal server error")


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """The one exception handler of the app."""
    body = ScopeState.from_scope(request.scope).body
    err = to_api_error(exc, body if isinstance(body, bytes) else None)
    request_id = request.scope.get("state", {}).get("request_id")
    if err.status >= 500:
        log.error(
            "request %s failed: %s %s", request_id, request.method, request.url.path, exc_info=exc
        )
    headers = dict(err.headers)
    if isinstance(exc, HTTPException) and exc.headers:
        headers = {**exc.headers, **headers}
    return Response(
        content=error_response_bytes(err, request_id),
        status_code=err.status,
        media_type=MediaType.JSON,
        headers=headers,
    )
