"""The /v1 API client: auth, retries honouring Retry-After, idempotency keys, pagination,
and run event streams resumed with Last-Event-ID after a dropped connection.

`ApiClient` is the one way the CLI talks to a gateway; every failure is an
`ApiError` (see `_errors` for when each subclass is raised).
"""

from aiagentics.client._client import PAGE_LIMIT, ApiClient, RequestStats
from aiagentics.client._errors import (
    ApiConnectionError,
    ApiError,
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from aiagentics.client._stream import RunStream
from aiagentics.client.config import Connection, resolve_connection
from aiagentics.client.resources import KIND_PATHS, read_resources

__all__ = [
    "KIND_PATHS",
    "PAGE_LIMIT",
    "ApiClient",
    "ApiConnectionError",
    "ApiError",
    "AuthenticationError",
    "ConflictError",
    "Connection",
    "InvalidRequestError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestStats",
    "RunStream",
    "ServerError",
    "read_resources",
    "resolve_connection",
]
