"""`aia validate` and `aia schema`."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from aiagentics.cli._env import as_warnings, missing_names, placeholder, project_environ
from aiagentics.cli.context import CliContext
from aiagentics.cli.views.diagnostics import render_diagnostics, summary
from aiagentics.compiler import CompileResult, TemplateCache, compile_project
from aiagentics.project import ConfigError, find_root, load_project
from aiagentics.spec.diagnostics import Diagnostic, sort_key
from aiagentics.spec.schema import ANY_KIND_FILE, all_schemas, any_kind_schema, schema_filename


def compile_for_cli(
    ctx: CliContext, use_cache: bool = True, allow_missing_env: bool = False
) -> tuple[CompileResult, Path]:
    """Load the project of the CLI context and compile it; a bad config becomes a diagnostic.

    With `use_cache`, templates compiled and rendered by earlier runs are reused
    (the user cache folder; `AIAGENTICS_NO_CACHE=1` turns it off too).
    """
    try:
        project = load_project(ctx.directory)
    except ConfigError as exc:
        diagnostic = Diagnostic(exc.file, exc.line, exc.column, "invalid-config", exc.message)
        return CompileResult(None, [diagnostic]), find_root(ctx.directory) or ctx.directory
    template_cache = TemplateCache.for_project(project.root) if use_cache else None
    environ = project_environ(project.root)
    result = compile_project(project, ctx.env, environ, template_cache=template_cache)
    names = missing_names(result.diagnostics) if allow_missing_env else []
    if names:
        warnings = as_warnings(result.diagnostics, names)
        environ.update({name: placeholder(name) for name in names})
        result = compile_project(project, ctx.env, environ, template_cache=template_cache)
        diagnostics = sorted([*warnings, *result.diagnostics], key=sort_key)
        result = dataclasses.replace(result, diagnostics=diagnostics)
    return result, project.root


@click.command("validate")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for pipelines and editors.",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Render every template afresh, without reading or writing the template cache "
    "(also AIAGENTICS_NO_CACHE=1).",
)
@click.option(
    "--allow-missing-env",
    is_flag=True,
    help="An unset ${NAME} is a warning and a placeholder (for jobs without secrets).",
)
@click.pass_obj
def validate(ctx: CliContext, output_format: str, no_cache: bool, allow_missing_env: bool) -> None:
    """Parse, validate, resolve references and render templates; exit 1 on any error."""
    result, root = compile_for_cli(ctx, not no_cache, allow_missing_env)
    errors = sum(1 for d in result.diagnostics if d.is_error)
    warnings = len(result.diagnostics) - errors
    if output_format == "json":
        resources = result.state.resources if result.state else ()
        click.echo(
            json.dumps(
                {
                    "valid": result.ok,
                    "errors": errors,
                    "warnings": warnings,
                    "files": result.files,
                    "diagnostics": [d.to_dict() for d in result.diagnostics],
                    "resources": [
                        {
                            "address": r.address,
                            "file": r.source.file,
                            "line": r.source.line,
                            "spec_hash": r.spec_hash,
                        }
                        for r in resources
                    ],
                },
                indent=2,
            )
        )
    else:
        console = Console(highlight=False)
        render_diagnostics(result.diagnostics, console, root)
        if result.state is not None:
            counts = Counter(r.kind for r in result.state.resources)
            detail = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
            line = Text("✓ valid: ", style="bold green")
            total = len(result.state.resources)
            line.append(
                f"{_plural(total, 'resource')} ({detail or 'none'}) in {_plural(result.files, 'file')}"
            )
            if warnings:
                line.append(", ").append_text(summary(0, warnings))
            console.print(line, soft_wrap=True)
        else:
            console.print(summary(errors, warnings), soft_wrap=True)
    if not result.ok:
        raise SystemExit(1)


@click.command("schema")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write one FILE per kind (agent.schema.json, ...) into this folder.",
)
def schema(out_dir: Path | None) -> None:
    """JSON Schema of each kind, for editors' YAML completion."""
    schemas = all_schemas()
    if out_dir is None:
        click.echo(json.dumps(schemas, indent=2))
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {schema_filename(kind): document for kind, document in schemas.items()}
    files[ANY_KIND_FILE] = any_kind_schema()  # for folders that mix kinds
    for name, document in files.items():
        path = out_dir / name
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        click.echo(f"wrote {path}")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
