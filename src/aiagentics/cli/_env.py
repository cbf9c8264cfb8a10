"""The variables a project's `${NAME}` values come from: the environment, then `.env`.

`.env` in the project root (the file the `.gitignore` of `aia init` keeps out of git)
fills in what the real environment does not set; it never overrides it. Its values
are as sensitive as any `${NAME}` value: they are substituted, never printed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from aiagentics.spec.diagnostics import Diagnostic

ENV_FILE = ".env"
_MISSING = re.compile(r"environment variable ([A-Za-z_][A-Za-z0-9_]*) is not set")


def placeholder(name: str) -> str:
    """The stand-in of an unset `${NAME}` under --allow-missing-env (a string that is also a URL)."""
    return f"https://unset.invalid/{name}"


def project_environ(root: Path | None, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (the process environment) laid over the values of `root/.env`, if any."""
    environ = dict(os.environ if base is None else base)
    if root is None or not (root / ENV_FILE).is_file():
        return environ
    from dotenv import dotenv_values

    values = dotenv_values(root / ENV_FILE)
    return {**{k: v for k, v in values.items() if v is not None}, **environ}


def load_into_process(root: Path) -> None:
    """Set the `.env` values the process environment lacks (for `aia dev`'s reloads)."""
    for name, value in project_environ(root, {}).items():
        os.environ.setdefault(name, value)


def missing_names(diagnostics: list[Diagnostic]) -> list[str]:
    """The `${NAME}`s reported unset, in order, once each."""
    names: dict[str, None] = {}
    for d in diagnostics:
        if d.code == "missing-env" and (match := _MISSING.search(d.message)):
            names[match.group(1)] = None
    return list(names)


def as_warnings(diagnostics: list[Diagnostic], names: list[str]) -> list[Diagnostic]:
    """The missing-env errors of `names` as warnings saying a placeholder stood in."""
    return [
        replace(
            d,
            severity="warning",
            message=f"{d.message}: a placeholder stands in (--allow-missing-env)",
        )
        for d in diagnostics
        if d.code == "missing-env" and (m := _MISSING.search(d.message)) and m.group(1) in names
    ]
