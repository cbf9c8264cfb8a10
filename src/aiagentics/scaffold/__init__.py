"""Scaffolds for `aia init` and `aia new`, rendered from Jinja2 templates shipped in the package."""

from aiagentics.scaffold.render import (
    NEW_KINDS,
    TOOL_TYPES,
    WriteResult,
    init_files,
    new_file,
    project_name_for,
    valid_project_name,
    valid_resource_name,
    write_new_files,
)

__all__ = [
    "NEW_KINDS",
    "TOOL_TYPES",
    "WriteResult",
    "init_files",
    "new_file",
    "project_name_for",
    "valid_project_name",
    "valid_resource_name",
    "write_new_files",
]
