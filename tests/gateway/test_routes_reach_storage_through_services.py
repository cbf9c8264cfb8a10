"""Routes reach storage only through engine services.

import-linter keeps the storage backend out of the routes' imports; this keeps them
from reaching past the services to the composition root's storage handles.
"""

from __future__ import annotations

import ast
from pathlib import Path

import aiagentics.gateway.routes as routes

STORAGE_HANDLES = {"store", "storage", "db"}


def storage_reaches(source: str) -> list[tuple[int, str]]:
    """(line, attribute) of every `<something>.store/.storage/.db` in `source`."""
    return [
        (node.lineno, node.attr)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and node.attr in STORAGE_HANDLES
    ]


def test_the_check_sees_a_route_that_reaches_the_store() -> None:
    assert storage_reaches("async def get(services):\n    return await services.store.get()\n")
    assert not storage_reaches("async def get(files):\n    return await files.get()\n")


def test_no_route_module_touches_a_storage_handle() -> None:
    folder = Path(routes.__file__).parent
    found = {
        path.name: hits
        for path in sorted(folder.glob("*.py"))
        if (hits := storage_reaches(path.read_text()))
    }
    assert found == {}, f"routes that reach storage past the services: {found}"
