"""Rendered instructions and compiled templates kept on disk between compiles (`aia validate`, `aia plan`).

Two files per project, in the user's cache folder (never the project, so a
repository cannot ship cache files of its own): `rendered` maps a render key
(source, context, version) to its output and the templates it loaded, each
with the hash of its source, so that an edit to an included template is
noticed; `code` maps a template's source hash to its compiled Python code, so
a template whose source did not change is not compiled again when its
context did. Only renders that succeeded are kept: errors are always
recomputed, so their diagnostics are the same as without a cache.

Best effort and safe: a file that is corrupt, truncated, of another version or
not ours is ignored (the compile renders as if it were absent); writes go to a
temporary file that replaces the old one; a folder owned by another user or
writable by others is not used at all, since the code file is executed.
Each save keeps the entries used in the last `KEEP_SAVES` saves, so the files
do not grow without end, and about once a day removes the folders of projects
not compiled for `STALE_DAYS` days. Callers decide what is safe to store: nothing derived
from a `${NAME}` value may be passed in.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import re
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import CodeType
from typing import Any

import jinja2

# Bump when what is stored, or how the renderer's Jinja environment is configured, changes.
FORMAT = 1
KEEP_SAVES = 10
STALE_DAYS = 30
_DAY = 86_400.0
_PROJECT_FOLDER = re.compile(r"[0-9a-f]{32}")
NO_CACHE_ENV = "AIAGENTICS_NO_CACHE"
CACHE_DIR_ENV = "AIAGENTICS_CACHE_DIR"
_HEADER = (
    f"aiagentics template cache {FORMAT} {sys.implementation.cache_tag} "
    f"jinja2-{jinja2.__version__}\n"
).encode()
_DIGEST = hashlib.sha256().digest_size

Deps = tuple[
    tuple[str, str | None], ...
]  # (template name, sha256 of its source or None: not found)


def user_cache_dir(environ: Mapping[str, str]) -> Path | None:
    """The folder for aiagentics' caches: `AIAGENTICS_CACHE_DIR`, else the platform's user cache folder."""
    if environ.get(CACHE_DIR_ENV):
        return Path(environ[CACHE_DIR_ENV])
    if sys.platform == "win32":
        base = environ.get("LOCALAPPDATA")
        return Path(base) / "aiagentics" / "Cache" if base else None
    home = environ.get("HOME")
    if sys.platform == "darwin":
        return Path(home) / "Library" / "Caches" / "aiagentics" if home else None
    if environ.get("XDG_CACHE_HOME"):
        return Path(environ["XDG_CACHE_HOME"]) / "aiagentics"
    return Path(home) / ".cache" / "aiagentics" if home else None


class TemplateCache:
    """One project's persistent template cache in `folder` (created on first save)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._generation = 0
        self._rendered: dict[str, tuple[int, str, Deps]] | None = None
        self._code: dict[str, tuple[int, bytes]] | None = None
        self._used: set[str] = set()
        self._dirty = False

    @classmethod
    def for_project(
        cls, root: Path, environ: Mapping[str, str] | None = None
    ) -> TemplateCache | None:
        """The cache of the project at `root` in the user cache folder; None when turned off or unknown.

        `AIAGENTICS_NO_CACHE` set to anything but "" or "0" turns it off.
        """
        environ = os.environ if environ is None else environ
        if environ.get(NO_CACHE_ENV, "") not in ("", "0"):
            return None
        base = user_cache_dir(environ)
        if base is None:
            return None
        project = hashlib.sha256(str(root.resolve()).encode("utf-8", "surrogatepass")).hexdigest()
        return cls(base / "templates" / project[:32])

    # rendered output

    def rendered(self, key: str) -> tuple[str, Deps] | None:
        """(text, deps) stored under `key`, or None."""
        entries = self._load_rendered()
        entry = entries.get(key)
        if entry is None:
            return None
        self._used.add(key)
        return entry[1], entry[2]

    def keep_rendered(self, key: str, text: str, deps: Deps) -> None:
        """Store a successful render (saved by `save`)."""
        self._load_rendered()[key] = (self._generation, text, deps)
        self._used.add(key)
        self._dirty = True

    # compiled templates

    def code(self, key: str) -> CodeType | None:
        """The compiled template stored under `key`, or None."""
        entry = self._load_code().get(key)
        if entry is None:
            return None
        try:
            code = marshal.loads(entry[1])
        except Exception:  # not ours after all: compile again
            return None
        if not isinstance(code, CodeType):
            return None
        self._used.add(key)
        return code

    def keep_code(self, key: str, code: CodeType) -> None:
        """Store a compiled template (saved by `save`)."""
        self._load_code()[key] = (self._generation, marshal.dumps(code))
        self._used.add(key)
        self._dirty = True

    def save(self) -> None:
        """Write what changed since the files were read; any failure leaves the cache as it was."""
        if not self._dirty:
            self._touch()  # still in use: not stale
            return
        generation = self._generation + 1
        oldest = generation - KEEP_SAVES
        if not self._ensure_folder():
            return
        if self._rendered is not None:
            rendered = {
                key: (generation if key in self._used else gen, text, deps)
                for key, (gen, text, deps) in self._rendered.items()
                if key in self._used or gen > oldest
            }
            self._write("rendered", generation, rendered)
        if self._code is not None:
            codes = {
                key: (generation if key in self._used else gen, code)
                for key, (gen, code) in self._code.items()
                if key in self._used or gen > oldest
            }
            self._write("code", generation, codes)
        self._generation = generation
        self._dirty = False
        self._prune_others()

    # files

    def _load_rendered(self) -> dict[str, tuple[int, str, Deps]]:
        if self._rendered is None:
            self._rendered = {}
            for key, value in self._read("rendered").items():
                if _valid_rendered(key, value):
                    self._rendered[key] = value
        return self._rendered

    def _load_code(self) -> dict[str, tuple[int, bytes]]:
        if self._code is None:
            self._code = {}
            for key, value in self._read("code").items():
                if (
                    isinstance(key, str)
                    and isinstance(value, tuple)
                    and len(value) == 2
                    and isinstance(value[0], int)
                    and isinstance(value[1], bytes)
                ):
                    self._code[key] = value
        return self._code

    def _read(self, name: str) -> dict[Any, Any]:
        if not self._safe_folder():
            return {}
        try:
            data = (self.folder / name).read_bytes()
        except OSError:
            return {}
        if not data.startswith(_HEADER):
            return {}  # another version, or not a cache file at all
        digest = data[len(_HEADER) : len(_HEADER) + _DIGEST]
        payload = data[len(_HEADER) + _DIGEST :]
        if hashlib.sha256(payload).digest() != digest:
            return {}  # truncated or damaged
        try:
            value = marshal.loads(payload)
        except Exception:
            return {}
        if (
            not isinstance(value, tuple)
            or len(value) != 2
            or not isinstance(value[0], int)
            or not isinstance(value[1], dict)
        ):
            return {}
        self._generation = max(self._generation, value[0])
        return value[1]

    def _write(self, name: str, generation: int, entries: dict[str, Any]) -> None:
        try:
            payload = marshal.dumps((generation, entries))
        except ValueError:  # an unmarshallable value: keep the old file
            return
        data = _HEADER + hashlib.sha256(payload).digest() + payload
        try:
            fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=f".{name}-")
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(temporary, self.folder / name)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)

    def _touch(self) -> None:
        path = self.folder / "rendered"
        with contextlib.suppress(OSError):
            if time.time() - path.stat().st_mtime > _DAY and self._safe_folder():
                os.utime(path)

    def _prune_others(self) -> None:
        # other projects' folders nobody compiled for a while (temporary checkouts, deleted repos)
        parent, now = self.folder.parent, time.time()
        marker = parent / ".pruned"
        try:
            if now - marker.stat().st_mtime < _DAY:
                return
        except FileNotFoundError:
            pass
        except OSError:
            return
        try:
            marker.touch()
            entries = list(os.scandir(parent))
        except OSError:
            return
        for entry in entries:
            if entry.name == self.folder.name or not _PROJECT_FOLDER.fullmatch(entry.name):
                continue
            try:
                if not entry.is_dir(follow_symlinks=False):
                    continue
                folder = Path(entry.path)
                if hasattr(os, "getuid") and entry.stat().st_uid != os.getuid():
                    continue
                times = [f.stat().st_mtime for f in folder.iterdir()] or [entry.stat().st_mtime]
            except OSError:
                continue
            if now - max(times) > STALE_DAYS * _DAY:
                shutil.rmtree(folder, ignore_errors=True)

    def _ensure_folder(self) -> bool:
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            return False
        return self._safe_folder()

    def _safe_folder(self) -> bool:
        # The code file is executed: only a folder that no one else can write is trusted.
        try:
            info = os.lstat(self.folder)
        except OSError:
            return False
        if not stat.S_ISDIR(info.st_mode):
            return False
        if not hasattr(os, "getuid"):
            return True  # Windows: the user's local app data folder is private to them
        return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _valid_rendered(key: Any, value: Any) -> bool:
    if not isinstance(key, str) or not isinstance(value, tuple) or len(value) != 3:
        return False
    generation, text, deps = value
    if not isinstance(generation, int) or not isinstance(text, str) or not isinstance(deps, tuple):
        return False
    return all(
        isinstance(dep, tuple)
        and len(dep) == 2
        and isinstance(dep[0], str)
        and (dep[1] is None or isinstance(dep[1], str))
        for dep in deps
    )
