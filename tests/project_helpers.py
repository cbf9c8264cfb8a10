"""Project fixtures shared by the spec and compiler tests: write a project into tmp_path, compile it."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from aiagentics.compiler import CompileResult, compile_project
from aiagentics.project import load_project

ProjectFactory = Callable[..., Path]


@pytest.fixture
def make_project(tmp_path: Path) -> ProjectFactory:
    """Write `files` (path -> text, dedented) under a fresh project; returns its root."""

    def make(files: dict[str, str | bytes], config: str = "") -> Path:
        root = tmp_path / "proj"
        root.mkdir(exist_ok=True)
        (root / "aiagentics.toml").write_text('[project]\nname = "t"\n' + textwrap.dedent(config))
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return root

    return make


@pytest.fixture
def compile_files(make_project: ProjectFactory) -> Callable[..., CompileResult]:
    """Compile a project made of `files`; `environ` defaults to empty."""

    def run(
        files: dict[str, str | bytes],
        config: str = "",
        env: str | None = None,
        environ: dict[str, str] | None = None,
    ) -> CompileResult:
        root = make_project(files, config)
        return compile_project(load_project(root), env=env, environ=environ or {})

    return run


def where(result: CompileResult) -> list[tuple[str, int, int, str]]:
    """(file, line, column, code) of every diagnostic."""
    return [(d.file, d.line, d.column, d.code) for d in result.diagnostics]
