"""Rendering an agent's instructions and placing template errors in the user's files."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aiagentics.spec.diagnostics import Diagnostic
from aiagentics.spec.loader import display_path, node_at, text_position
from aiagentics.spec.templates import TemplateProblem, TemplateRenderer
from aiagentics.spec.validate import Resource


def render_instructions(
    resource: Resource,
    renderer: TemplateRenderer,
    template_vars: Mapping[str, Any],
    env: str | None,
    root: Path,
) -> tuple[str | None, list[Diagnostic]]:
    """(rendered instructions or None, diagnostics) for one valid Agent."""
    document: Any = resource.model
    spec, metadata = document.spec, document.metadata
    context = {
        "vars": template_vars,
        "env": env,
        "agent": {
            "name": metadata.name,
            "description": metadata.description,
            "labels": dict(metadata.labels),
        },
    }
    if spec.instructions is not None:
        loc = ("spec", "instructions")
        result = renderer.render_inline(spec.instructions, context)
    elif spec.instructions_template is not None:
        loc = ("spec", "instructions_template")
        result = renderer.render_file(spec.instructions_template, context)
    else:
        return None, []
    if isinstance(result, str):
        return result, []
    return None, [_place(resource, loc, result, root)]


def _place(
    resource: Resource, loc: tuple[str, str], problem: TemplateProblem, root: Path
) -> Diagnostic:
    document = resource.document
    if problem.file is not None:
        # the fault is inside a template file: point there, and say which agent was rendering it
        line, column = document.position(loc, at="value")
        return Diagnostic(
            display_path(problem.file, root),
            problem.line or 1,
            1,
            problem.code,
            problem.message,
            _join(
                problem.hint,
                f"while rendering Agent {resource.name!r} ({document.file}:{line}:{column})",
            ),
        )
    if loc[1] == "instructions" and problem.line:
        _, node, _ = node_at(document.root, loc)
        value = str(node.value)
        offset = 0
        for _ in range(problem.line - 1):
            newline = value.find("\n", offset)
            if newline < 0:
                break
            offset = newline + 1
        line, column = text_position(document, loc, offset)
    else:
        line, column = document.position(loc, at="value")
    return Diagnostic(document.file, line, column, problem.code, problem.message, problem.hint)


def _join(first: str | None, second: str) -> str:
    return f"{first}; {second}" if first else second
