"""`DevReloader`: compile the files, sync the store, and do it again on every change."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

from aiagentics.apply.engine import ApplyRefused
from aiagentics.compiler import ParseCache, compile_project
from aiagentics.compiler.state import DesiredState
from aiagentics.gateway.reload.local_apply import apply_files
from aiagentics.gateway.reload.watch import (
    Batch,
    InputStamp,
    ProjectFilter,
    input_stamp,
    watch_round,
    watch_set,
)
from aiagentics.gateway.services import Services
from aiagentics.plan import Plan
from aiagentics.project import ConfigError, Project, load_project
from aiagentics.spec.diagnostics import Diagnostic
from aiagentics.storage.base import Scope

log = logging.getLogger("aiagentics.dev")


@dataclass(frozen=True, slots=True)
class ReloadOutcome:
    """One reload: either the plan it applied, or why the last good state stays served."""

    ok: bool
    at: float
    duration_ms: float
    trigger: tuple[str, ...] = ()
    plan: Plan | None = None
    diagnostics: tuple[Diagnostic, ...] = ()
    error: str | None = None
    # Signing secrets generated for webhooks this reload created, by address: for the dev
    # terminal to show once; never part of `as_json` (the API never returns them again).
    secrets: dict[str, str] = field(default_factory=dict, repr=False)

    def as_json(self) -> dict[str, Any]:
        """The shape of `GET /v1/dev/status`."""
        summary = None
        changes: list[dict[str, Any]] = []
        if self.plan is not None:
            from aiagentics.plan.render import plan_to_json

            rendered = plan_to_json(self.plan)
            summary = rendered.get("summary")
            changes = [
                {"action": a.type.value, "address": a.address, "id": a.id}
                for a in self.plan.changes
            ]
        return {
            "object": "dev.reload",
            "ok": self.ok,
            "at": int(self.at),
            "duration_ms": round(self.duration_ms, 2),
            "trigger": list(self.trigger),
            "summary": summary,
            "changes": changes,
            "error": self.error,
            "diagnostics": [
                {
                    "file": d.file,
                    "line": d.line,
                    "column": d.column,
                    "code": d.code,
                    "message": d.message,
                    "hint": d.hint,
                    "severity": d.severity,
                }
                for d in self.diagnostics
            ],
        }


Listener = Callable[[ReloadOutcome], None]


@dataclass
class DevReloader:
    """A gateway component: serves the project at `root`; `on_reload` hears every outcome."""

    services: Services
    root: Path
    env: str | None = None
    environ: Mapping[str, str] | None = None
    on_reload: Listener | None = None
    debounce_ms: int = 40
    last: ReloadOutcome | None = None
    last_good: DesiredState | None = None
    _stop: anyio.Event | None = None
    _task: asyncio.Task[None] | None = None
    _lock: anyio.Lock = field(default_factory=anyio.Lock)
    _cache: ParseCache = field(default_factory=ParseCache)  # unchanged files are not re-parsed
    _stamp: InputStamp | None = None  # the inputs the last reload read

    @property
    def scope(self) -> Scope:
        settings = self.services.settings
        return Scope(settings.default_project, settings.default_environment)

    async def start(self) -> None:
        """Sync once, then watch in the background."""
        await self.reload(("start",))
        self._stop = anyio.Event()
        self._task = asyncio.create_task(self._watch(), name="aia-dev-watch")

    async def stop(self) -> None:
        """Stop watching (a reload in progress finishes first)."""
        if self._stop is not None:
            self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _watch(self) -> None:
        assert self._stop is not None
        while not self._stop.is_set():
            try:
                await self._watch_round(load_project(self.root), self._stop)
            except ConfigError:
                await anyio.sleep(0.2)  # reload() reported it; wait for the config to come back
            except Exception:  # the watcher must outlive any surprise
                log.exception("the file watcher failed; restarting it")
                await anyio.sleep(0.5)

    async def _watch_round(self, project: Project, stop: anyio.Event) -> None:
        watch_filter = ProjectFilter(project)
        watch_filter.inputs = self._file_inputs()
        current = watch_set(project, watch_filter.inputs)

        async def on_batch(changes: Batch) -> bool:
            if not changes:  # the catch-up look: reload only if something moved meanwhile
                inputs = self._file_inputs()
                now = await anyio.to_thread.run_sync(input_stamp, project, inputs)
                if now == self._stamp:
                    return False
            paths = tuple(sorted({_relative(p, project.root) for _, p in changes}))
            await self.reload(paths)
            watch_filter.inputs = self._file_inputs()
            # A new config, a spec folder created or removed, a File elsewhere: watch anew.
            return "aiagentics.toml" in paths or watch_set(project, watch_filter.inputs) != current

        await watch_round(current, watch_filter, stop, on_batch, self.debounce_ms)

    def _file_inputs(self) -> frozenset[Path]:
        if self.last_good is None:
            return frozenset()
        root = self.root.resolve()
        return frozenset(
            (root / str(r.body.get("path"))).resolve() for r in self.last_good.of_kind("File")
        )

    async def reload(self, trigger: tuple[str, ...] = ()) -> ReloadOutcome:
        """Compile and sync now; an invalid project leaves the store as it was."""
        async with self._lock:
            started = time.perf_counter()
            outcome = await self._reload(trigger, started)
            self.last = outcome
        if self.on_reload is not None:
            self.on_reload(outcome)
        return outcome

    async def _reload(self, trigger: tuple[str, ...], started: float) -> ReloadOutcome:
        def done(**kw: Any) -> ReloadOutcome:
            ms = (time.perf_counter() - started) * 1000
            return ReloadOutcome(at=time.time(), duration_ms=ms, trigger=trigger, **kw)

        try:
            project = load_project(self.root)
        except ConfigError as exc:
            diag = Diagnostic(exc.file, exc.line, exc.column, "invalid-config", exc.message)
            return done(ok=False, diagnostics=(diag,))
        environ = dict(os.environ if self.environ is None else self.environ)

        def stamp_and_compile() -> Any:
            # The stamp comes first: an edit made while compiling makes the next look differ.
            self._stamp = input_stamp(project, self._file_inputs())
            return compile_project(project, self.env, environ, self._cache)

        # Compiling is CPU work (parsing, templates): keep it off the event loop.
        result = await anyio.to_thread.run_sync(stamp_and_compile)
        if result.state is None:
            return done(ok=False, diagnostics=tuple(result.diagnostics))
        try:
            applied = await apply_files(self.services, self.scope, result.state, project.root)
        except ApplyRefused as exc:
            return done(ok=False, error=str(exc))
        except OSError as exc:  # a File's content vanished between compile and apply
            return done(ok=False, error=f"{exc.filename}: {exc.strerror}")
        failed = applied.result.failed
        if failed is not None:  # nothing of this reload took effect
            return done(ok=False, error=f"{failed.address}: {applied.result.error}")
        self.last_good = result.state
        return done(
            ok=True,
            plan=applied.plan,
            diagnostics=tuple(result.diagnostics),
            secrets=applied.result.secrets,
        )


def _relative(path: str, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return path
