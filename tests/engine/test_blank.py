"""Blank text means what the OpenAPI document's patterns mean (ECMA-262 whitespace)."""

from __future__ import annotations

import re

from aiagentics.engine.blank import NOT_BLANK_PATTERN, is_blank


def test_blank_is_ecma_whitespace_only() -> None:
    for text in ("", " ", "\t\n\r\x0b\x0c", "\u00a0\u2003\u3000\ufeff"):
        assert is_blank(text) and not re.search(NOT_BLANK_PATTERN, text)
    # Python's str.strip() drops these too, but a JSON Schema validator's \s does not.
    for text in ("\x1c\x1c", "\x1f", "\x85", " a "):
        assert not is_blank(text) and re.search(NOT_BLANK_PATTERN, text)
