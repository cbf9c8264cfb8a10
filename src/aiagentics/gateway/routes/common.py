"""What every controller shares: documented error responses, pagination, id checks, deleted objects."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

# The id and cursor checks every route shares (the definitions service raises the same).
from aiagentics.engine.definitions import check_cursor, check_id, cursor_gone  # noqa: F401
from aiagentics.gateway.errors import ErrorBody, InvalidRequest

# What `ids.has_prefix` accepts (for the documented patterns of id parameters).
ID_BODY = "[0-9A-Za-z]{8,64}"


def id_pattern(prefix: str) -> str:
    """The regular expression of an id of this prefix (`agt` -> ^agt_[0-9A-Za-z]{8,64}$)."""
    return f"^{prefix}_{ID_BODY}$"


def cursor(prefix: str, what: str = "object") -> Any:
    """The `starting_after` query parameter of a list of ids with this prefix."""
    return Parameter(
        str,
        query="starting_after",
        required=False,
        default=None,
        pattern=id_pattern(prefix),
        description=f"Id of the last {what} of the previous page.",
    )


_DESCRIPTIONS = {
    400: "Invalid request (malformed JSON, wrong types, unknown fields; an id in the body or `starting_after` naming no object: `resource_missing`; a change that clashes with the stored fields: `conflicts_with_current`; a memory store not set up for the call); `param` names the field",
    401: "Missing, unknown, revoked or expired API key",
    403: "The key lacks the scope this route needs",
    404: "No such object in the key's project and environment",
    409: "Conflict: duplicate name, an Idempotency-Key reused with another body, or a state that refuses the request",
    413: "Request body over the configured limit",
    422: "Not acceptable in the object's current state",
    429: "Rate limited; see Retry-After",
    500: "Internal error; the request id identifies it in the server log",
}
COMMON = (400, 401, 403, 413, 429, 500)
# The largest integer SQLite stores: a bigger cursor or event id is a 400, not a crash.
MAX_INT64 = 2**63 - 1


def error_responses(*codes: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries of the error statuses a route can answer (plus the common ones)."""
    return {
        code: ResponseSpec(
            data_container=ErrorBody, description=_DESCRIPTIONS[code], generate_examples=False
        )
        for code in sorted({*COMMON, *codes})
    }


Limit = Parameter(
    int, query="limit", ge=1, le=100, default=20, description="Page size, 1 to 100.", required=False
)


class Deleted(msgspec.Struct):
    """The answer to a DELETE."""

    id: str
    object: str
    deleted: Literal[True] = True


def list_body(data: list[Any], has_more: bool) -> dict[str, Any]:
    """`{"object": "list", "data": [...], "has_more": bool}`."""
    return {"object": "list", "data": data, "has_more": has_more}


def event_id(value: str | None, param: str) -> int | None:
    """A non-negative event id given as text (a header), or None when absent; 400 otherwise."""
    if value is None or value == "":
        return None
    # ASCII only: str.isdigit() also accepts superscripts that int() refuses.
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_INT64:
        raise InvalidRequest(
            f"{param} must be an event id (an integer from 0 to {MAX_INT64})", param=param
        )
    return int(value)
