"""The one error body of every 4xx/5xx response: `{"error": {...}}`."""

from __future__ import annotations

import msgspec


class ErrorDetail(msgspec.Struct):
    """What went wrong: `type` (the class), `code` (the case), `param` (the culprit)."""

    type: str
    code: str
    message: str
    param: str | None
    request_id: str | None


class ErrorBody(msgspec.Struct):
    """`{"error": {...}}`."""

    error: ErrorDetail
