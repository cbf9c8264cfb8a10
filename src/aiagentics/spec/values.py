"""`${NAME}` and `${NAME:-default}` in string values, read from the environment at compile time.

Every string that held such a reference is *sensitive*: its location is
returned so that nothing downstream prints it. `$${` writes a literal `${`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from aiagentics.spec.diagnostics import Diagnostic
from aiagentics.spec.loader import Loc, LocatedDocument, text_position

_REFERENCE = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?\Z", re.DOTALL)


def substitute(
    document: LocatedDocument, environ: Mapping[str, str]
) -> tuple[dict[str, Any], list[Loc], list[Loc], list[Diagnostic]]:
    """(new data, sensitive locs, locs left unresolved, diagnostics) for one document."""
    sensitive: list[Loc] = []
    unresolved: list[Loc] = []
    diagnostics: list[Diagnostic] = []

    def visit(value: Any, loc: Loc) -> Any:
        if isinstance(value, str):
            if "${" not in value:
                return value
            return replace(value, loc)
        if isinstance(value, dict):
            return {k: visit(v, (*loc, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [visit(v, (*loc, i)) for i, v in enumerate(value)]
        return value

    def replace(text: str, loc: Loc) -> str:
        failed = False
        used = False

        def one(match: re.Match[str]) -> str:
            nonlocal failed, used
            whole = match.group(0)
            if whole == "$${":
                return "${"
            inner = match.group(1)
            parsed = _NAME.match(inner) if inner is not None else None
            if parsed is None:
                failed = True
                line, column = text_position(document, loc, match.start())
                diagnostics.append(
                    Diagnostic(
                        document.file,
                        line,
                        column,
                        "invalid-env-reference",
                        f"invalid environment reference {whole!r}",
                        hint="write ${NAME} or ${NAME:-default}; `$${` is a literal `${`",
                    )
                )
                return whole
            used = True
            name, default = parsed.group(1), parsed.group(2)
            if name in environ:
                return environ[name]
            if default is not None:
                return default
            failed = True
            line, column = text_position(document, loc, match.start())
            close = difflib.get_close_matches(name, list(environ), n=1, cutoff=0.8)
            hint = (
                f"did you mean ${{{close[0]}}}?"
                if close
                else f"set {name} in the environment, or give a default: ${{{name}:-value}}"
            )
            diagnostics.append(
                Diagnostic(
                    document.file,
                    line,
                    column,
                    "missing-env",
                    f"environment variable {name} is not set",
                    hint=hint,
                )
            )
            return whole

        result = _REFERENCE.sub(one, text)
        if used:
            sensitive.append(loc)
        if failed:
            unresolved.append(loc)
        return result

    data = visit(document.data, ())
    return data, sensitive, unresolved, diagnostics
