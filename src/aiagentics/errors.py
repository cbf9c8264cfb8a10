"""Domain errors: what a service refuses, with the API `code` and the `param` it concerns.

The engine raises these; the gateway maps each class to its HTTP status in one place
(`gateway/errors.py`), and an in-process caller (the reloader) reads them as they are.
This module imports nothing of the project, so every layer may raise them.
"""

from __future__ import annotations


class DomainError(Exception):
    """A refusal the caller can act on: a message, a machine `code`, maybe a `param`."""

    code: str = "invalid_request"

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code


class InvalidInput(DomainError):
    """The input is malformed or names something that does not exist (HTTP 400)."""


class NotFound(DomainError):
    """No such object in the caller's project and environment (HTTP 404)."""

    code = "resource_missing"


class Conflict(DomainError):
    """A duplicate name or id, an object in use, a state clash (HTTP 409)."""

    code = "conflict"


class TooLarge(DomainError):
    """The input is bigger than the configured limit (HTTP 413)."""

    code = "payload_too_large"


class Busy(DomainError):
    """Too much in progress now; worth retrying after `retry_after` seconds (HTTP 429)."""

    code = "rate_limited"

    def __init__(
        self, message: str, *, retry_after: int, param: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message, param=param, code=code)
        self.retry_after = retry_after
