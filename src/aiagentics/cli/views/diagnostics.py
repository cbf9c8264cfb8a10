"""Rendering diagnostics for people: `FILE:LINE:COL: error: MESSAGE`, a snippet with a caret, a hint."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rich.console import Console
from rich.text import Text

from aiagentics.spec.diagnostics import Diagnostic

_STYLES = {"error": "bold red", "warning": "bold yellow"}


def render_diagnostics(diagnostics: Iterable[Diagnostic], console: Console, root: Path) -> None:
    """Print each diagnostic as `aia validate` does; files are read relative to `root` for snippets."""
    cache: dict[str, list[str] | None] = {}
    for diagnostic in diagnostics:
        console.print(_headline(diagnostic), soft_wrap=True, highlight=False)
        lines = _lines(root, diagnostic.file, cache)
        if lines:
            for text in _snippet(lines, diagnostic):
                console.print(text, soft_wrap=True, highlight=False)
        if diagnostic.hint:
            hint = Text("  hint: ", style="cyan")
            hint.append(diagnostic.hint)
            console.print(hint, soft_wrap=True, highlight=False)


def summary(errors: int, warnings: int) -> Text:
    """`2 errors, 1 warning` in the colour of the worst."""
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    style = "bold red" if errors else "bold yellow"
    return Text(", ".join(parts) or "no problems", style=style)


def _headline(diagnostic: Diagnostic) -> Text:
    text = Text(f"{diagnostic.file}:{diagnostic.line}:{diagnostic.column}: ", style="bold")
    text.append(f"{diagnostic.severity}:", style=_STYLES.get(diagnostic.severity, "bold"))
    text.append(f" {diagnostic.message}")
    return text


def _snippet(lines: list[str], diagnostic: Diagnostic) -> list[Text]:
    index = diagnostic.line - 1
    if not 0 <= index < len(lines):
        return []
    first = max(0, index - 1)
    width = len(str(index + 1))
    out = []
    for number in range(first, index + 1):
        row = Text(f"  {number + 1:>{width}} | ", style="dim")
        row.append(lines[number].rstrip("\n"))
        out.append(row)
    prefix = lines[index][: max(0, diagnostic.column - 1)]
    # keep tabs so the caret lines up under the same column in a terminal
    pad = "".join(ch if ch == "\t" else " " for ch in prefix)
    # underline the whole node when it ends on the same line: `^~~~~`
    length = 1
    if diagnostic.end_line == diagnostic.line and diagnostic.end_column:
        length = max(1, min(diagnostic.end_column, len(lines[index]) + 1) - diagnostic.column)
    caret = Text(f"  {'':>{width}} | ", style="dim")
    caret.append(pad + "^" + "~" * (length - 1), style=_STYLES.get(diagnostic.severity, "bold"))
    out.append(caret)
    return out


def _lines(root: Path, file: str, cache: dict[str, list[str] | None]) -> list[str] | None:
    if file not in cache:
        path = Path(file) if Path(file).is_absolute() else root / file
        try:
            if path.stat().st_size > 10 * 1024 * 1024:
                cache[file] = None
            else:
                cache[file] = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            cache[file] = None
    return cache[file]
