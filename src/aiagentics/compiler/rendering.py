"""Rendering an agent's instructions and placing template errors in the user's files."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aiagentics.spec.diagnostics import Diagnostic
from aiagentics.spec.discovery import display_path
from aiagentics.spec.loader import node_at, text_position
from aiagentics.spec.templates import TemplateProblem, TemplateRenderer
from aiagentics.spec.validate import Resource


def render_instructions(
    resource: Resource,
    renderer: TemplateRenderer,
    template_vars: Mapping[str, Any],
    env: str | None,
    root: Path,
) -> tuple[str | None, list[Diagnostic]]:
    """(rendered instructions or None, diagnostics) for one Agent (best effort when it is invalid)."""
    view = _view(resource)
    if view is None:
        return None, []
    instructions, template, metadata = view
    context = {
        "vars": template_vars,
        "env": env,
        "agent": metadata,
    }
    cacheable = _cacheable(resource)
    if instructions is not None:
        loc = ("spec", "instructions")
        result = renderer.render_inline(instructions, context, cacheable)
    elif template is not None:
        loc = ("spec", "instructions_template")
        result = renderer.render_file(template, context, cacheable)
    else:
        return None, []
    if isinstance(result, str):
        return result, []
    return None, [_place(resource, loc, result, root)]


def _cacheable(resource: Resource) -> bool:
    # a render may be kept on disk only when nothing in it came from a ${NAME} value
    if resource.model is None:
        return False
    return not any(
        loc[:1] == ("metadata",) or loc[:2] in _RENDER_INPUTS for loc in resource.sensitive
    )


_RENDER_INPUTS = (("spec", "instructions"), ("spec", "instructions_template"))


def _view(resource: Resource) -> tuple[str | None, str | None, dict[str, Any]] | None:
    """(instructions, instructions_template, agent metadata) from the model, or from raw data."""
    model: Any = resource.model
    if model is not None:
        metadata = model.metadata
        labels = dict(metadata.labels)
        return (
            model.spec.instructions,
            model.spec.instructions_template,
            {"name": metadata.name, "description": metadata.description, "labels": labels},
        )
    data = resource.document.data
    spec = data.get("spec")
    if not isinstance(spec, dict):
        spec = {}
    meta = data["metadata"]  # a Resource exists only when metadata.name was readable
    instructions, template = spec.get("instructions"), spec.get("instructions_template")
    if not isinstance(instructions, str | None) or not isinstance(template, str | None):
        return None
    if (instructions is None) == (template is None) or "${" in (instructions or template or ""):
        return None  # neither, both, or waiting for an environment value: nothing to check
    labels = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}
    description = meta.get("description") if isinstance(meta.get("description"), str) else ""
    return (
        instructions,
        template,
        {"name": meta["name"], "description": description, "labels": labels},
    )


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
    if loc[1] == "instructions":  # the template's own line, placed inside the YAML value
        _, node, _ = node_at(document.root, loc)
        value = str(node.value)
        offset = 0
        for _ in range((problem.line or 1) - 1):
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
