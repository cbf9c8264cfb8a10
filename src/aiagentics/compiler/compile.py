"""Specs -> desired state: load, validate, resolve, render, hash and order. Pure: no network, no printing."""

from __future__ import annotations

import gc
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiagentics.compiler.model_check import check_model_route
from aiagentics.compiler.references import resolve_references
from aiagentics.compiler.rendering import render_instructions
from aiagentics.compiler.state import APPLY_ORDER, CompiledResource, DesiredState, SourceRef
from aiagentics.project import CONFIG_FILE, Project
from aiagentics.spec.diagnostics import Diagnostic, has_errors, sort_key
from aiagentics.spec.discovery import discover, display_path
from aiagentics.spec.loader import Loc, ParseCache, load_files
from aiagentics.spec.secrets import hashable_view
from aiagentics.spec.template_cache import TemplateCache
from aiagentics.spec.templates import TemplateRenderer
from aiagentics.spec.validate import Resource, did_you_mean, validate_document

_ORDER = {kind: i for i, kind in enumerate(APPLY_ORDER)}


@dataclass(frozen=True, slots=True)
class CompileResult:
    """The desired state (None when any error) and every diagnostic, sorted by place."""

    state: DesiredState | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0  # spec files read

    @property
    def ok(self) -> bool:
        return self.state is not None


def compile_project(
    project: Project,
    env: str | None = None,
    environ: Mapping[str, str] | None = None,
    cache: ParseCache | None = None,
    template_cache: TemplateCache | None = None,
) -> CompileResult:
    """Compile every spec file of `project` for environment `env`; `environ` defaults to os.environ.

    Pass the same `cache` to successive compiles of one project (a dev server's
    reloads) to skip parsing files whose text has not changed. A
    `template_cache` keeps compiled templates and rendered instructions on disk
    for the next compile (saved at the end of this one); the result is the same
    with or without it.
    """
    # A compile allocates many short-lived containers and frees them all at the end; the cyclic
    # collector would rescan them over and over (a third of the time at 4,000 resources).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _compile_project(
            project, env, os.environ if environ is None else environ, cache, template_cache
        )
    finally:
        if collecting:
            gc.enable()


def _compile_project(
    project: Project,
    env: str | None,
    environ: Mapping[str, str],
    cache: ParseCache | None,
    template_cache: TemplateCache | None,
) -> CompileResult:
    root = project.root
    diagnostics: list[Diagnostic] = []
    paths, problems = discover(root, project.spec_dirs())
    diagnostics += problems
    documents, problems = load_files(paths, root, cache)
    diagnostics += problems

    declared: dict[str, dict[str, Resource]] = {kind: {} for kind in APPLY_ORDER}
    resources: list[Resource] = []
    for document in documents:
        resource, problems = validate_document(document, environ)
        diagnostics += problems
        if resource is None:
            continue
        first = declared[resource.kind].get(resource.name)
        if first is not None:
            line, column = first.document.position(("metadata", "name"), at="value")
            diagnostics.append(
                resource.document.diagnostic(
                    ("metadata", "name"),
                    "duplicate-name",
                    f"duplicate {resource.kind} {resource.name!r}: also defined at "
                    f"{first.document.file}:{line}:{column}",
                    hint=f"{resource.kind} names are unique in a project; rename or remove one",
                    at="value",
                )
            )
            continue
        declared[resource.kind][resource.name] = resource
        resources.append(resource)

    known_envs = list(project.config.env)
    if env is not None and known_envs and env not in known_envs:
        diagnostics.append(
            Diagnostic(
                CONFIG_FILE, 1, 1, "unknown-env",
                f"no [env.{env}] in {CONFIG_FILE}: only [vars] apply",
                hint=did_you_mean(env, known_envs) or f"environments: {', '.join(known_envs)}",
                severity="warning",
            )
        )  # fmt: skip
    renderer = TemplateRenderer(project.templates_dir, template_cache)
    template_vars = project.config.vars_for(env)
    aliases = list(project.config.models)
    compiled: list[CompiledResource] = []
    seen_template_problems: set[tuple[str, int, int, str]] = set()
    # Whether an error was seen, checking only what each resource added: rescanning the
    # whole list per resource is quadratic once a project has many warnings.
    failed, checked = has_errors(diagnostics), len(diagnostics)
    for resource in resources:
        refs, problems = resolve_references(resource, declared, aliases)
        diagnostics += problems
        instructions: str | None = None
        if resource.kind == "Agent":
            instructions, problems = render_instructions(
                resource, renderer, template_vars, env, root
            )
            for problem in problems:  # a shared template's fault is reported once
                key = (problem.file, problem.line, problem.column, problem.message)
                if key not in seen_template_problems:
                    seen_template_problems.add(key)
                    diagnostics.append(problem)
            diagnostics += check_model_route(
                resource, project.config.models, project.config.providers, environ
            )
        elif resource.kind == "File" and resource.model is not None:
            diagnostics += _check_file_path(resource, root)
        failed = failed or has_errors(diagnostics[checked:])
        checked = len(diagnostics)
        if resource.model is not None and not failed:
            compiled.append(_compile(resource, refs, instructions))
    if template_cache is not None:
        template_cache.save()

    diagnostics.sort(key=sort_key)
    if has_errors(diagnostics):
        return CompileResult(None, diagnostics, len(paths))
    compiled.sort(key=lambda r: (_ORDER[r.kind], r.name))
    state = DesiredState(
        project=project.name,
        env=env,
        resources=tuple(compiled),
        by_address={r.address: r for r in compiled},
    )
    return CompileResult(state, diagnostics, len(paths))


def _compile(
    resource: Resource, refs: tuple[str, ...], instructions: str | None
) -> CompiledResource:
    document: Any = resource.model
    spec, metadata = document.spec, document.metadata
    if resource.kind == "Agent":
        fields = spec.model_dump(mode="json", exclude={"instructions_template", "model_options"})
        fields["instructions"] = instructions
        # None options would reach providers as explicit nulls: leave them out
        fields["model_options"] = spec.model_options.model_dump(mode="json", exclude_none=True)
    else:
        fields = spec.model_dump(mode="json")
    body: dict[str, Any] = {"name": metadata.name, "description": metadata.description}
    if fields.get("description") == "":
        fields.pop("description")  # a Tool's own description wins only when it says something
    body.update(fields)
    body["metadata"] = dict(metadata.labels)
    sensitive = frozenset(_body_path(loc) for loc in resource.sensitive)
    line, column = (
        resource.document.line,
        resource.document.column,
    )
    return CompiledResource(
        kind=resource.kind,
        name=resource.name,
        body=body,
        source=SourceRef(resource.document.file, line, column),
        # Secrets enter the published hash only as memory-hard digests (see hashable_view).
        spec_hash=spec_hash(hashable_view(resource.kind, body, sensitive, resource.address)),
        refs=refs,
        sensitive=sensitive,
        protect=metadata.protect,
    )


def spec_hash(body: Mapping[str, Any]) -> str:
    """sha256 (hex) of the body's canonical JSON: sorted keys, no spaces, UTF-8."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _body_path(loc: Loc) -> str:
    # where a located spec value lands in the API body
    parts = [str(p) for p in loc]
    if parts[:1] == ["spec"]:
        return ".".join(parts[1:])
    if parts[:2] == ["metadata", "labels"]:
        return ".".join(["metadata", *parts[2:]])
    if parts[:1] == ["metadata"]:
        return ".".join(parts[1:])
    return ".".join(parts)


def _check_file_path(resource: Resource, root: Path) -> list[Diagnostic]:
    path = resource.model.spec.path  # type: ignore[union-attr]
    target = (root / path).resolve()
    loc = ("spec", "path")
    if Path(path).is_absolute() or not target.is_relative_to(root.resolve()):
        return [
            resource.document.diagnostic(
                loc,
                "invalid-path",
                f"file path {path!r} leaves the project",
                hint="give a path relative to the project root",
            )
        ]
    if not target.is_file():
        return [
            resource.document.diagnostic(
                loc, "missing-file", f"file {display_path(target, root)!r} does not exist"
            )
        ]
    return []
