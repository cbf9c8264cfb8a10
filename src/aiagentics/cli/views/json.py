"""The JSON view shared by every `--json` flag."""

from __future__ import annotations

import json
from typing import Any

import click
import msgspec


def to_json(value: Any, indent: int | None = 2, *, ensure_ascii: bool = False) -> str:
    """A wire Struct (or plain data) as JSON text (non-ASCII kept readable by default)."""
    return json.dumps(msgspec.to_builtins(value), indent=indent, ensure_ascii=ensure_ascii)


def echo_json(value: Any, indent: int | None = 2, *, ensure_ascii: bool = False) -> None:
    """Print `value` as JSON on stdout."""
    click.echo(to_json(value, indent, ensure_ascii=ensure_ascii))
