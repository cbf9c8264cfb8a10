"""Resolving references between resources by name (the reference fields of the kind table)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import jsonschema_rs

from aiagentics.kinds import BY_SPEC_KIND
from aiagentics.spec.diagnostics import Diagnostic
from aiagentics.spec.loader import Loc
from aiagentics.spec.validate import Resource, did_you_mean

Declared = Mapping[str, Mapping[str, Resource]]  # kind -> name -> resource


def resolve_references(
    resource: Resource, declared: Declared, model_aliases: Iterable[str]
) -> tuple[tuple[str, ...], list[Diagnostic]]:
    """(addresses this resource depends on, diagnostics for names that do not exist)."""
    diagnostics: list[Diagnostic] = []
    spec: Any = resource.model.spec if resource.model is not None else None  # type: ignore[attr-defined]
    if resource.kind == "Agent" and spec is not None:
        diagnostics += _check_script(resource, spec, declared.get("Tool", {}))
        diagnostics += _check_model(resource, spec.model, model_aliases)
    # An invalid resource still has what can be read checked, so one run shows every problem.
    raw = _mapping(resource.document.data.get("spec"))
    wanted: list[tuple[str, str, Loc]] = []
    info = BY_SPEC_KIND.get(resource.kind)
    for ref in info.references if info is not None else ():
        parts = tuple(ref.path.split("."))
        value = _model_at(spec, parts) if spec is not None else _raw_at(raw, parts)
        if ref.many:
            wanted += [(ref.spec_kind, n, ("spec", *parts, i)) for i, n in _names(value)]
        elif isinstance(value, str):
            wanted.append((ref.spec_kind, value, ("spec", *parts)))
    refs: list[str] = []
    for kind, name, loc in wanted:
        if name in declared.get(kind, {}):
            refs.append(f"{kind}/{name}")
            continue
        known = list(declared.get(kind, {}))
        hint = did_you_mean(name, known) or (
            f"declare it with `kind: {kind}` in a spec folder"
            if not known
            else f"known {kind} names: {', '.join(sorted(known)[:8])}"
        )
        diagnostics.append(
            resource.document.diagnostic(
                loc, "missing-reference", f"{kind} {name!r} is not defined in this project", hint
            )
        )
    return tuple(dict.fromkeys(refs)), diagnostics


def _check_script(
    resource: Resource, spec: object, tool_resources: Mapping[str, Resource]
) -> list[Diagnostic]:
    # A scripted step calling a tool the agent does not have would fail at run time: say so now.
    script = spec.model_options.script or []  # type: ignore[attr-defined]
    tools = set(spec.tools)  # type: ignore[attr-defined]
    out: list[Diagnostic] = []
    for i, step in enumerate(script):
        for j, call in enumerate(step.tool_calls or []):
            if call.name not in tools:
                loc = ("spec", "model_options", "script", i, "tool_calls", j, "name")
                out.append(
                    resource.document.diagnostic(
                        loc,
                        "missing-reference",
                        f"script calls tool {call.name!r}, which is not in this agent's tools",
                        did_you_mean(call.name, tools) or "add it to spec.tools",
                    )
                )
                continue
            problem = _arguments_problem(tool_resources.get(call.name), call.arguments)
            if problem is not None:
                loc = ("spec", "model_options", "script", i, "tool_calls", j, "arguments")
                diagnostic = resource.document.diagnostic(
                    loc, "script-arguments",
                    f"script arguments for {call.name!r} do not match its parameters: {problem}",
                    "the run would send them as they are; the tool may refuse them",
                )  # fmt: skip
                out.append(replace(diagnostic, severity="warning"))
    return out


def _arguments_problem(tool: Resource | None, arguments: dict[str, Any]) -> str | None:
    model: Any = tool.model if tool is not None else None
    if model is None:
        return None  # the tool itself is invalid or missing: reported there
    try:
        validator = jsonschema_rs.validator_for(model.spec.parameters)
    except Exception:  # an invalid schema is reported on the tool
        return None
    for error in validator.iter_errors(arguments):
        return error.message
    return None


def _check_model(resource: Resource, model: str, aliases: Iterable[str]) -> list[Diagnostic]:
    known = list(aliases)
    if model == "scripted" or "/" in model or model in known:
        return []
    hint = did_you_mean(model, [*known, "scripted"]) or (
        "use `provider/model` (openai/gpt-4.1), `scripted`, or an alias from [models] in aiagentics.toml"
    )
    return [
        resource.document.diagnostic(
            ("spec", "model"), "unknown-model", f"unknown model {model!r}", hint
        )
    ]


def _model_at(spec: Any, parts: tuple[str, ...]) -> Any:
    node = spec
    for part in parts:
        node = getattr(node, part, None)
    return node


def _raw_at(raw: Mapping[str, Any], parts: tuple[str, ...]) -> Any:
    node: Any = raw
    for part in parts:
        node = _mapping(node).get(part)
    return node


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _names(value: Any) -> list[tuple[int, str]]:
    return (
        [(i, v) for i, v in enumerate(value) if isinstance(v, str)]
        if isinstance(value, list)
        else []
    )
