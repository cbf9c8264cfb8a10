"""`aia export`: write the API's resources as YAML in the project layout, and adopt them."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import yaml
from rich.text import Text

from aiagentics.cli._session import Failed, connect, console_for, fail, run_guarded
from aiagentics.cli.commands.plan import compile_or_fail
from aiagentics.cli.context import CliContext
from aiagentics.client import KIND_PATHS, ApiClient, read_resources
from aiagentics.kinds import TABLE
from aiagentics.plan import RemoteState, desired_metadata, owner_of, remote_name
from aiagentics.plan.export import secret_placeholders, to_document
from aiagentics.project import CONFIG_FILE, ConfigError, Project, load_project

FOLDERS = {k.spec_kind: k.folder for k in TABLE}


# What a placeholder compiles to for adoption while its variable is unset (valid as a URL).
STAND_IN = "https://unset.invalid/"


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line strings, so prompts read as they are."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value and not value.startswith((" ", "\n")) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(document: dict[str, Any]) -> str:
    """One document as YAML, keys in envelope order."""
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_") or "file"
    return slug if slug[0].isalpha() else f"f-{slug}"


def webhook_name(obj: dict[str, Any], taken: set[str]) -> str:
    """A resource name for a webhook created through the API without one: from its URL's host.

    Files need a name; adoption then gives the webhook this name, so plan matches it.
    """
    host = urlsplit(str(obj.get("url") or "")).hostname or ""
    base = re.sub(r"[^a-z0-9_-]+", "-", host.lower()).strip("-_")
    base = (base if base[:1].isalpha() else f"webhook-{base}".rstrip("-"))[:50]
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


@click.command("export")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    help="Project directory to write (default: -C).",
)
@click.option(
    "--name", "project_name", default=None, help="Project name for a new aiagentics.toml."
)
@click.option("--force", is_flag=True, help="Overwrite resource files that already exist.")
@click.pass_obj
def export_cmd(ctx: CliContext, out: str | None, project_name: str | None, force: bool) -> None:
    """Write the API's resources as YAML files (agents/, tools/, memory/, webhooks/) and adopt them."""
    try:
        code = run_guarded(_export, ctx, Path(out) if out else ctx.directory, project_name, force)
    except Failed:
        code = 1
    sys.exit(code)


def _project_at(target: Path, name: str | None, base_url: str) -> Project:
    if not (target / CONFIG_FILE).is_file():
        target.mkdir(parents=True, exist_ok=True)
        project = name or _slug(target.resolve().name)
        (target / CONFIG_FILE).write_text(
            f'[project]\nname = "{project}"\n\n[api]\nbase_url = "{base_url}"\n', encoding="utf-8"
        )
    try:
        return load_project(target)
    except ConfigError as exc:
        fail(str(exc))


def _export(ctx: CliContext, target: Path, name: str | None, force: bool) -> int:
    out, err = console_for(), console_for(err=True)
    source_project = None
    if (ctx.directory / CONFIG_FILE).is_file():
        source_project = load_project(ctx.directory)
    with connect(ctx, source_project, err=err) as client:
        remote = RemoteState(read_resources(client))
        project = _project_at(target, name, client.base_url)
        variables: list[tuple[str, str, str]] = []
        written, skipped = _write(project, remote, client, force, variables)
        if not written:
            _nothing_to_export(project, remote, client.base_url)
        # Until they are set, the placeholders compile with a stand-in: adoption only
        # needs each file's resource, not the secret values.
        environ = {**os.environ, **{v: os.environ.get(v, STAND_IN) for v, _, _ in variables}}
        desired = compile_or_fail(project, ctx.env, err, environ=environ)
        adopted = _adopt(project, desired, remote, client, written)
    for path in written.values():
        out.print(f"wrote {path}")
    if skipped:
        out.print(
            Text(f"skipped {len(skipped)} resources owned by other projects: {', '.join(skipped)}")
        )
    if variables:
        out.print(
            Text(
                f"{len(variables)} write-only values were exported as ${{NAME}} placeholders "
                "(the API never returns them); set these environment variables before "
                "`aia plan`:",
                style="bold yellow",
            )
        )
        for var, address, field in variables:
            out.print(Text(f"  {var}  ({address} {field})"))
    out.print(
        Text(
            f"Exported {len(written)} resources to {project.root}; adopted {adopted} "
            f"(labelled aia.project={project.name!r}). `aia plan` now shows no changes.",
            style="bold green",
        )
    )
    return 0


def _nothing_to_export(project: Project, remote: RemoteState, base_url: str) -> None:
    """Stop with the reason (and the way out) instead of reporting an empty success."""
    found = {owner_of(o) for objs in remote.objects.values() for o in objs}
    owners = sorted(o for o in found if o is not None and o != project.name)
    if owners:
        fail(
            f"nothing to export: every resource at {base_url} belongs to another project "
            f"({', '.join(owners)}), and this one is {project.name!r}",
            hint=f"export one of them with `aia export --name {owners[0]} --out DIR`",
        )
    fail(
        f"nothing to export: the API at {base_url} holds no agents, tools, memory, "
        "webhooks or files for this key's project and environment",
        hint="check --base-url / --api-key, or start from files with `aia init`",
    )


def _write(
    project: Project,
    remote: RemoteState,
    client: ApiClient,
    force: bool,
    variables: list[tuple[str, str, str]],
) -> tuple[dict[tuple[str, str], Path], list[str]]:
    """Write the files; `variables` gets (NAME, address, field) of each placeholder."""
    written: dict[tuple[str, str], Path] = {}
    skipped: list[str] = []
    plans: list[tuple[Path, dict[str, Any], bytes | None, Path | None]] = []
    used_files: set[str] = set()
    taken: set[str] = set()
    hook_names = {str(o["name"]) for o in remote.objects.get("Webhook", []) if o.get("name")}
    for kind in KIND_PATHS:
        for obj in remote.objects.get(kind, []):
            owner = owner_of(obj)
            name = remote_name(obj)
            if owner not in (None, project.name):
                skipped.append(f"{kind}/{name}")
                continue
            if kind == "File" and not obj.get("name"):
                name = _slug(Path(str(obj.get("filename") or obj["id"])).stem)
            if kind == "Webhook" and not obj.get("name"):
                name = webhook_name(obj, hook_names)
            content_path = content = None
            if kind == "File":
                filename = str(obj.get("filename") or name)
                if filename in used_files:
                    filename = f"{name}-{filename}"
                used_files.add(filename)
                content_path = project.root / "files" / filename
                content = client.request_bytes(f"files/{obj['id']}/content")
            relative = content_path.relative_to(project.root).as_posix() if content_path else None
            shown, names = secret_placeholders(kind, obj, name, taken)
            variables += [(var, f"{kind}/{name}", field) for field, var in names.items()]
            doc = to_document(kind, shown, name, remote.name_of, relative)
            suffix = ".file.yaml" if kind == "File" else ".yaml"
            path = project.root / FOLDERS[kind] / f"{name}{suffix}"
            if path.exists() and not force:
                fail(f"{path} exists: nothing was written (use --force to overwrite)")
            plans.append((path, doc, content, content_path))
            written[(kind, obj["id"])] = path
    for path, doc, content, content_path in plans:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_yaml(doc), encoding="utf-8")
        if content_path is not None and content is not None:
            content_path.parent.mkdir(parents=True, exist_ok=True)
            content_path.write_bytes(content)
    return written, skipped


def _adopt(
    project: Project,
    desired: Any,
    remote: RemoteState,
    client: ApiClient,
    written: dict[tuple[str, str], Path],
) -> int:
    """Label each exported object as owned (metadata only), so plan manages it from now on."""
    adopted = 0
    for kind in KIND_PATHS:
        for obj in remote.objects.get(kind, []):
            if (kind, obj["id"]) not in written:
                continue
            path = written[(kind, obj["id"])]
            resource = next(
                (r for r in desired.of_kind(kind) if project.root / r.source.file == path), None
            )
            if resource is None:
                continue
            content_hash = obj.get("sha256") if kind == "File" else None
            meta = desired_metadata(project.name, resource, content_hash)
            if meta != (obj.get("metadata") or {}) or obj.get("name") != resource.name:
                client.update(
                    f"{KIND_PATHS[kind]}/{obj['id']}", {"name": resource.name, "metadata": meta}
                )
                adopted += 1
    return adopted
