"""Diagnostics: errors as values with a place (file, line, column), collected, never raised one by one."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem in a user's files.

    `file` is relative to the project root when the file is inside it; `line`
    and `column` are 1-based. `code` is a stable kebab-case identifier
    (`unknown-field`, `missing-reference`, ...) that editors and tests key on.
    """

    file: str
    line: int
    column: int
    code: str
    message: str
    hint: str | None = None
    severity: Severity = "error"
    end_line: int | None = None
    end_column: int | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (the `aia validate --format json` element)."""
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.severity}: {self.message}"


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    """True when any diagnostic is an error (warnings do not block)."""
    return any(d.severity == "error" for d in diagnostics)


def sort_key(diagnostic: Diagnostic) -> tuple[str, int, int, str]:
    """Order by place, so a run's output reads top to bottom through each file."""
    return (diagnostic.file, diagnostic.line, diagnostic.column, diagnostic.code)
