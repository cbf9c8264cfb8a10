"""Schemathesis hooks of the fuzz bench: rules the OpenAPI document cannot state.

JSON Schema cannot compare two fields, so the rule "a memory store's `vector.chunk_overlap`
is smaller than its `vector.chunk_size`" is only in the field's description. Positive cases
that break it would be refused (rightly, with a 400), so they are not generated; negative
cases keep them.

Nor can a schema know which ids exist: a well-formed id that names no object is a 400
`resource_missing` (as Stripe answers, and as this API always has), not a rejection of
valid data. `positive_data_acceptance_by_meaning` is the stock check with that exception
(and the other refusals that depend on stored state, listed in STATE_CODES); run it in
place of `positive_data_acceptance`.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

from aiagentics.engine.sensitive import check_requested
from aiagentics.errors import InvalidInput

DEFAULT_CHUNK_SIZE = 800
DEFAULT_CHUNK_OVERLAP = 100


def breaks_chunk_rule(body: Any) -> bool:
    """True when a memory store body's `vector` has chunk_overlap >= chunk_size."""
    if not isinstance(body, dict) or not isinstance(body.get("vector"), dict):
        return False
    vector = body["vector"]
    size = vector.get("chunk_size", DEFAULT_CHUNK_SIZE)
    overlap = vector.get("chunk_overlap", DEFAULT_CHUNK_OVERLAP)
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (size, overlap))
    return numbers and overlap >= size


# Fields that hold ids the API resolves: never write-only.
REFERENCE_FIELDS = ("tools", "memory", "files", "agents", "vector.files")


def breaks_sensitive_fields_rule(body: Any) -> bool:
    """True when `sensitive_fields` names a path that is not a string field of the body
    (the schema can say "a list of dotted paths", not which paths the body has)."""
    requested = body.get("sensitive_fields") if isinstance(body, dict) else None
    if not isinstance(requested, list) or not requested:
        return False
    try:
        check_requested(body, requested, REFERENCE_FIELDS)
    except InvalidInput:
        return True
    return False


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    """Drop positive cases that break a rule across fields (chunk sizes, sensitive_fields)."""
    meta = getattr(case, "meta", None)
    positive = meta is not None and meta.generation.mode.is_positive
    if not positive:
        return True
    if "/v1/memory_stores" in case.operation.path and breaks_chunk_rule(case.body):
        return False
    return not breaks_sensitive_fields_rule(case.body)


# 400 codes that say "this request is well formed, but what is stored refuses it" (or the
# gateway's configuration: stdio MCP tools where `allow_stdio_tools` is off).
STATE_CODES = frozenset(
    {
        "resource_missing",
        "conflicts_with_current",
        "kv_disabled",
        "vector_disabled",
        "kv_scope",
        "stdio_tools_disabled",
    }
)


def error_code(response: Any) -> str | None:
    """The `error.code` of one of our error bodies, or None."""
    try:
        body = response.json()
    except Exception:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("code") if isinstance(error, dict) else None


@schemathesis.check
def positive_data_acceptance_by_meaning(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schema-valid requests are accepted, unless refused for what is stored (STATE_CODES)."""
    try:
        return positive_data_acceptance(ctx, response, case)  # type: ignore[no-any-return]
    except AssertionError:
        if response.status_code == 400 and error_code(response) in STATE_CODES:
            return None
        raise
