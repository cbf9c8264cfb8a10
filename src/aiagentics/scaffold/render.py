"""Rendering the scaffolds of `aia init` and `aia new` from the Jinja2 templates shipped in this package."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import jinja2

from aiagentics.spec.kinds import NAME_PATTERN

# `aia new KIND NAME` writes into these folders (the default spec paths).
NEW_KINDS = {"agent": "agents", "tool": "tools", "webhook": "webhooks", "memory": "memory"}
TOOL_TYPES = ("http", "client", "webhook")
_PROJECT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("aiagentics.scaffold", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


@dataclass(frozen=True, slots=True)
class WriteResult:
    """Which files were created and which were left alone because they exist."""

    created: list[Path]
    refused: list[Path]


def valid_resource_name(name: str) -> bool:
    """Whether `name` is a valid resource name (the spec's NAME_PATTERN)."""
    return re.fullmatch(NAME_PATTERN, name) is not None


def project_name_for(directory: Path) -> str:
    """A project name derived from the folder's name (or `my-project` when it will not do)."""
    candidate = re.sub(r"[^A-Za-z0-9_.-]+", "-", directory.resolve().name).strip("-.")[:63]
    return candidate if _PROJECT_NAME.match(candidate) else "my-project"


def valid_project_name(name: str) -> bool:
    return _PROJECT_NAME.match(name) is not None


def init_files(
    project: str, agent: str = "assistant", tool: str = "lookup_order"
) -> dict[str, str]:
    """Relative path -> text of a fresh project that validates as is."""
    env = _environment()
    context = {"project": project, "agent": agent, "tool": tool}
    return {
        "aiagentics.toml": env.get_template("init/aiagentics.toml.j2").render(context),
        f"agents/{agent}.yaml": env.get_template("init/agent.yaml.j2").render(context),
        f"tools/{tool}.yaml": env.get_template("init/tool.yaml.j2").render(context),
        f"templates/{agent}.j2": env.get_template("init/prompt.j2.j2").render(context),
        ".gitignore": env.get_template("init/gitignore.j2").render(context),
    }


def new_file(kind: str, name: str, tool_type: str = "client") -> tuple[str, str]:
    """(relative path, text) of one new resource file of `kind` ("agent", "tool", ...)."""
    env_name = re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_") + "_URL"
    text = (
        _environment()
        .get_template(f"new/{kind}.yaml.j2")
        .render(name=name, type=tool_type, env_name=env_name)
    )
    return f"{NEW_KINDS[kind]}/{name}.yaml", text


def write_new_files(root: Path, files: dict[str, str]) -> WriteResult:
    """Create each file that does not exist yet; never overwrite (exclusive create)."""
    created: list[Path] = []
    refused: list[Path] = []
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with path.open("x", encoding="utf-8") as handle:
                handle.write(text)
        except FileExistsError:
            refused.append(path)
            continue
        created.append(path)
    return WriteResult(created, refused)
