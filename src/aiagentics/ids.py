"""Prefixed object ids: `agt_`, `run_`, `tool_`, `mem_`, `file_`, `whk_`, `trc_`, `key_`, `req_`."""

from __future__ import annotations

import os
import re

from aiagentics.kinds import TABLE

PREFIXES: dict[str, str] = {
    **{k.kind: k.prefix for k in TABLE},
    "run": "run",
    "trace": "trc",
    "api_key": "key",
    "request": "req",
}
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ID_RE = re.compile(r"^([a-z]+)_([0-9A-Za-z]{8,64})$")


def random_token(length: int = 24) -> str:
    """A base62 string from the OS CSPRNG (~5.95 bits per character)."""
    # One urandom call and integer division: far cheaper than a choice() per character.
    number = int.from_bytes(os.urandom(length * 6 // 8 + 2), "big")
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 62)
        chars.append(_ALPHABET[digit])
    return "".join(chars)


def new_id(prefix: str, length: int = 24) -> str:
    """A new id like `agt_4fK2...` (prefix without the underscore)."""
    return f"{prefix}_{random_token(length)}"


def has_prefix(value: str, prefix: str) -> bool:
    """True when `value` is a well-formed id with this prefix."""
    match = _ID_RE.match(value)
    return bool(match and match.group(1) == prefix)
