"""Which file changes matter to a project, and the debounced stream of them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import watchfiles

from aiagentics.project import CONFIG_FILE, Project

SPEC_SUFFIXES = (".yaml", ".yml")
# Editors' swap, backup and probe files: never a reason to reload.
_IGNORED_SUFFIXES = (".swp", ".swo", ".swx", ".tmp", ".bak", "~")
_IGNORED_PREFIXES = (".#", "#", ".~")
_IGNORED_NAMES = frozenset({"4913"})  # vim's write-permission probe


class ProjectFilter(watchfiles.DefaultFilter):
    """Accepts the spec folders' YAML, `templates/`, files that File resources use and the config."""

    def __init__(self, project: Project) -> None:
        super().__init__()
        self.root = project.root.resolve()
        self.config = (self.root / CONFIG_FILE).resolve()
        self.dirs = tuple(d.resolve() for d in project.spec_dirs())
        self.templates = project.templates_dir.resolve()
        # Content of File resources, which may live anywhere under the root (set per reload).
        self.inputs: frozenset[Path] = frozenset()

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        if not super().__call__(change, path):
            return False
        p = Path(path)
        name = p.name
        if name in _IGNORED_NAMES or name.endswith(_IGNORED_SUFFIXES):
            return False
        if name.startswith(_IGNORED_PREFIXES):
            return False
        if p == self.config:
            return True
        if p in self.inputs or p == self.templates or self.templates in p.parents:
            return True
        # A whole spec folder removed or re-created shows up as the folder itself.
        return any(p == d or (d in p.parents and p.suffix in SPEC_SUFFIXES) for d in self.dirs)


async def project_changes(
    root: Path, watch_filter: ProjectFilter, stop: anyio.Event, debounce_ms: int = 40
) -> AsyncIterator[set[tuple[watchfiles.Change, str]]]:
    """Batches of relevant changes; a burst of saves within `debounce_ms` is one batch."""
    async for changes in watchfiles.awatch(
        root,
        watch_filter=watch_filter,
        debounce=1600,
        step=debounce_ms,
        stop_event=stop,
        recursive=True,
        ignore_permission_denied=True,
    ):
        yield changes
