"""Finding spec files: every *.yaml / *.yml under the spec folders, once each, symlink loops reported."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from aiagentics.spec.diagnostics import Diagnostic

SPEC_SUFFIXES = (".yaml", ".yml")


def display_path(path: Path, root: Path) -> str:
    """`path` relative to the project root (POSIX separators) when inside it."""
    text, base = str(path), str(root)
    if text.startswith(base) and text[len(base) : len(base) + 1] == os.sep:
        return text[len(base) + 1 :].replace(os.sep, "/")  # the common case, without relpath's cost
    try:
        return (
            Path(os.path.relpath(path, root)).as_posix() if path.is_absolute() else path.as_posix()
        )
    except ValueError:  # another drive on Windows
        return path.as_posix()


def discover(root: Path, folders: Iterable[Path]) -> tuple[list[Path], list[Diagnostic]]:
    """Every *.yaml / *.yml file under the spec folders, sorted, each once; symlink loops reported."""
    files: list[Path] = []
    diagnostics: list[Diagnostic] = []
    seen_dirs: set[str] = set()
    seen_files: set[str] = set()

    def walk(directory: Path, ancestors: frozenset[str]) -> None:
        real = os.path.realpath(directory)
        if real in ancestors:
            diagnostics.append(
                Diagnostic(
                    display_path(directory, root),
                    1,
                    1,
                    "symlink-loop",
                    "symlink loop: this folder leads back to one of its parents",
                    hint="remove the symlink or point it outside the spec folders",
                )
            )
            return
        if real in seen_dirs:
            return
        seen_dirs.add(real)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            diagnostics.append(
                Diagnostic(
                    display_path(directory, root),
                    1,
                    1,
                    "unreadable",
                    f"cannot read folder: {exc.strerror}",
                )
            )
            return
        inner = ancestors | {real}
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()
                is_file = not is_dir and entry.is_file()
            except OSError:
                is_dir = is_file = False
            if is_dir:
                walk(path, inner)
            elif is_file and entry.name.endswith(SPEC_SUFFIXES):
                # the folder's real path is known: only a symlinked file needs resolving
                real_file = (
                    os.path.realpath(path) if entry.is_symlink() else os.path.join(real, entry.name)
                )
                if real_file not in seen_files:
                    seen_files.add(real_file)
                    files.append(path)
            elif entry.is_symlink() and not os.path.exists(path):
                if entry.name.endswith(SPEC_SUFFIXES):
                    diagnostics.append(
                        Diagnostic(
                            display_path(path, root),
                            1,
                            1,
                            "broken-symlink",
                            "symlink points at nothing",
                            severity="warning",
                        )
                    )
                else:
                    # a dangling link may be a loop (a -> b -> a): report what the OS says
                    try:
                        os.stat(path)
                    except OSError as exc:
                        if exc.errno == 40:  # ELOOP
                            diagnostics.append(
                                Diagnostic(
                                    display_path(path, root),
                                    1,
                                    1,
                                    "symlink-loop",
                                    "symlink loop: this link resolves to itself",
                                )
                            )

    for folder in folders:
        if folder.is_dir():
            walk(folder, frozenset())
        elif folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            diagnostics.append(
                Diagnostic(
                    display_path(folder, root),
                    1,
                    1,
                    "not-a-folder",
                    "spec path is not a folder (or is a broken or looping symlink)",
                )
            )
    return files, diagnostics
