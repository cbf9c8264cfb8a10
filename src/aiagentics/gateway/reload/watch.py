"""Which file changes matter to a project, and the debounced stream of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
import watchfiles

from aiagentics.project import CONFIG_FILE, Project

SPEC_SUFFIXES = (".yaml", ".yml")
CATCH_UP_SECONDS = 0.25
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


@dataclass(frozen=True, slots=True)
class WatchSet:
    """What to watch: only the project's inputs, never the whole tree (a `.venv` or
    `node_modules` beside the specs would cost thousands of kernel watches)."""

    deep: tuple[Path, ...]  # existing spec folders and templates/, recursively
    shallow: tuple[Path, ...]  # the root (config; folders appearing or vanishing), File folders


def watch_set(project: Project, inputs: frozenset[Path]) -> WatchSet:
    """The WatchSet of a project whose File resources read `inputs`."""
    deep = tuple(d for d in (*project.spec_dirs(), project.templates_dir) if d.is_dir())
    root = project.root.resolve()
    folders = {p.parent for p in inputs if p.parent.is_dir()}
    shallow = (root, *sorted(f for f in folders if f != root and not _inside(f, deep)))
    return WatchSet(tuple(d.resolve() for d in deep), shallow)


InputStamp = frozenset[tuple[str, int, int]]


def input_stamp(project: Project, inputs: frozenset[Path]) -> InputStamp:
    """(path, mtime, size) of every file a compile of `project` reads: equal stamps, same
    inputs. Blocking (it walks the spec folders): call it off the event loop."""
    watch_filter = ProjectFilter(project)
    watch_filter.inputs = inputs
    files: set[Path] = {watch_filter.config, *inputs}
    for folder in watch_set(project, inputs).deep:
        files.update(p for p in folder.rglob("*") if p.is_file())
    stamp: set[tuple[str, int, int]] = set()
    for path in files:
        if not watch_filter(watchfiles.Change.modified, str(path)):
            continue
        try:
            st = path.stat()
        except OSError:
            continue
        stamp.add((str(path), st.st_mtime_ns, st.st_size))
    return frozenset(stamp)


def _inside(path: Path, dirs: tuple[Path, ...]) -> bool:
    return any(path == d.resolve() or d.resolve() in path.parents for d in dirs)


Batch = set[tuple[watchfiles.Change, str]]


async def watch_round(
    ws: WatchSet,
    watch_filter: ProjectFilter,
    stop: anyio.Event,
    on_batch: Callable[[Batch], Awaitable[bool]],
    debounce_ms: int = 40,
) -> None:
    """Hand each debounced batch of changes to `on_batch` until `stop` is set or
    `on_batch` returns True (the inputs moved: the caller starts a new round).

    A burst of saves within `debounce_ms` is one batch.
    """
    round_stop = anyio.Event()

    async def pump(paths: tuple[Path, ...], recursive: bool) -> None:
        async for changes in watchfiles.awatch(
            *paths,
            watch_filter=watch_filter,
            debounce=1600,
            step=debounce_ms,
            stop_event=round_stop,
            recursive=recursive,
            ignore_permission_denied=True,
        ):
            if await on_batch(changes):
                break
        round_stop.set()  # one watcher ending (its folder vanished) ends the round

    async def relay() -> None:
        await stop.wait()
        round_stop.set()

    async def catch_up() -> None:
        # What changed between two rounds (a folder created and filled at once) came
        # before these watchers: look once more when they are surely up. An empty batch
        # asks `on_batch` to reload only if the inputs differ from the last reload's.
        await anyio.sleep(CATCH_UP_SECONDS)
        if await on_batch(set()):
            round_stop.set()

    async with anyio.create_task_group() as outer:
        outer.start_soon(relay)
        outer.start_soon(catch_up)
        async with anyio.create_task_group() as pumps:
            if ws.deep:
                pumps.start_soon(pump, ws.deep, True)
            pumps.start_soon(pump, ws.shallow, False)
        outer.cancel_scope.cancel()
