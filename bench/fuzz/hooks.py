"""Schemathesis hooks of the fuzz bench: rules the OpenAPI document cannot state.

JSON Schema cannot compare two fields, so the rule "a memory store's `vector.chunk_overlap`
is smaller than its `vector.chunk_size`" is only in the field's description. Positive cases
that break it would be refused (rightly, with a 400), so they are not generated; negative
cases keep them.
"""

from __future__ import annotations

from typing import Any

import schemathesis

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


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    """Drop positive memory store cases that break the chunk rule."""
    meta = getattr(case, "meta", None)
    positive = meta is not None and meta.generation.mode.is_positive
    if positive and "/v1/memory_stores" in case.operation.path:
        return not breaks_chunk_rule(case.body)
    return True
