"""What "blank" means for text the API takes: only the whitespace of JSON Schema's patterns.

The OpenAPI document says "not blank" with a pattern, and a JSON Schema validator reads `\\s`
as ECMA-262 whitespace; Python's `str.strip` also strips `\\x1c`-`\\x1f` and `\\x85`. The API
uses this one definition so that it refuses exactly what the document calls blank.
"""

from __future__ import annotations

import re

# ECMA-262 WhiteSpace and LineTerminator code points (tab to carriage return, space, ...).
_WHITESPACE = (
    "\\u0009-\\u000d\\u0020\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
)
NOT_BLANK_PATTERN = f"[^{_WHITESPACE}]"
_NOT_BLANK = re.compile(NOT_BLANK_PATTERN)


def is_blank(text: str) -> bool:
    """True when `text` holds nothing but whitespace (as the document's patterns read it)."""
    return _NOT_BLANK.search(text) is None
