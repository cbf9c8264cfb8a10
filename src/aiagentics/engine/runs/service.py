"""`RunService`: creates, resumes, cancels and serves runs; owns the running tasks.

Seams for other components:
- `add_listener(async fn(run: RunRecord, event: RunEvent))`: called after each event
  except `token` is persisted (webhook outbox: run.completed, run.failed, tool.requested;
  `tool.requested` data carries the tool `type`, so `webhook` tools can be told apart).
- `add_context_provider(async fn(agent: dict, run: RunRecord) -> list[message dict])`:
  messages inserted after the system instructions when a run starts (retrieval).
- `add_tool_provider(async fn(agent: dict, run: RunRecord) -> list[tool dict])`: extra
  tools pinned into a run at creation (`{name, type, description, parameters}`), run by
  the executor registered for their `type` with `tools.register(type, executor)`.
- `scrubber.add(secret)` and `add_secret_source(fn(run: RunRecord) -> Iterable[str])`:
  more values to keep out of every error a run records (see scrub.py).
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, TypeVar

import httpx

from aiagentics.engine.outbound_client import outbound_client
from aiagentics.engine.providers import ProviderError, ProviderRegistry
from aiagentics.engine.runs import submit
from aiagentics.engine.runs.emitter import Listener, RunEmitter
from aiagentics.engine.runs.events import (
    RUN_CANCELLED,
    RUN_COMPLETED,
    RUN_CREATED,
    RUN_FAILED,
    RUN_REQUIRES_ACTION,
    RunChannel,
    RunEvent,
)
from aiagentics.engine.runs.follow import (
    cancel_elsewhere,
    follow_batches,
    follow_run,
    watch_cancel_requests,
)
from aiagentics.engine.runs.loop import run_segment
from aiagentics.engine.runs.owners import owner_alive
from aiagentics.engine.runs.records import ACTIVE, TERMINAL, RunRecord, RunState
from aiagentics.engine.runs.scrub import Scrubber, environment_secrets, tool_secrets
from aiagentics.engine.runs.snapshot import SnapshotCache, agent_snapshot, initial_messages
from aiagentics.engine.runs.threads import ThreadService, check_thread_id
from aiagentics.engine.runs.trace import build_trace
from aiagentics.engine.sealing import Sealer
from aiagentics.engine.sensitive import reveal
from aiagentics.engine.tools.base import ToolRegistry
from aiagentics.errors import Busy, Conflict, NotFound
from aiagentics.ids import new_id
from aiagentics.project import GatewaySettings
from aiagentics.storage.base import Definitions, RunJournal, Scope, Storage
from aiagentics.telemetry import Telemetry, valid_traceparent

log = logging.getLogger("aiagentics.runtime")

ContextProvider = Callable[[dict[str, Any], RunRecord], Awaitable[list[dict[str, Any]]]]
ToolProvider = Callable[[dict[str, Any], RunRecord], Awaitable[list[dict[str, Any]]]]
SecretSource = Callable[[RunRecord], Iterable[str]]
T = TypeVar("T")


def _sent_by_the_call(path: str) -> bool:
    # What only the tool call uses (an mcp server's command, env and url too) stays sealed.
    return path.split(".", 1)[0] in ("headers", "handler_url", "command", "env", "url")


class RunService:
    """The run engine of one gateway process."""

    def __init__(
        self,
        settings: GatewaySettings,
        storage: Storage,
        *,
        providers: ProviderRegistry | None = None,
        known_secrets: Iterable[str] = (),
        sealer: Sealer | None = None,
        telemetry: Telemetry | None = None,
    ) -> None:
        """`known_secrets`: values known to the caller (the sealing key) to scrub from errors;
        `telemetry`: where spans and metrics go (none by default)."""
        self.settings = settings
        self.sealer = sealer or Sealer.from_settings(settings)
        self.storage = storage
        self.store: Definitions = storage.definitions
        self._snapshots = SnapshotCache()
        self.runs: RunJournal = storage.runs
        self.providers = providers or ProviderRegistry(
            settings.model_aliases,
            settings.providers,
            read_timeout=settings.model_read_timeout_seconds,
        )
        self.scrubber = Scrubber(
            [
                *environment_secrets(
                    self.providers.environ, settings.providers, [settings.embeddings_api_key_env]
                ),
                settings.bootstrap_api_key,
                settings.secret_key,
                *known_secrets,
            ]
        )
        self._secret_sources: list[SecretSource] = []
        max_bytes = settings.tool_max_response_bytes
        self.tools = ToolRegistry(max_bytes, self.sealer)
        self.keepalive_seconds = settings.sse_keepalive_seconds
        self.poll_seconds = 0.2
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._max_bytes = max_bytes
        self._client: httpx.AsyncClient | None = None
        self._context_providers: list[ContextProvider] = []
        self._tool_providers: list[ToolProvider] = []
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._live: dict[str, RunRecord] = {}
        self.events = RunEmitter(storage)
        self.threads = ThreadService(storage)
        self.events.end_hooks.append(self.threads.run_ended)
        self._stopping = False
        self._watcher: asyncio.Task[None] | None = None
        self.telemetry = telemetry or Telemetry()
        self.telemetry.scrub = self.scrub  # captured contents never show a secret

    # -- seams ----------------------------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        """Call `listener(run, event)` after every persisted event except `token`."""
        self.events.listeners.append(listener)

    def add_context_provider(self, provider: ContextProvider) -> None:
        """Let `provider(agent, run)` add messages to a run's thread when it starts."""
        self._context_providers.append(provider)

    def add_tool_provider(self, provider: ToolProvider) -> None:
        """Let `provider(agent, run)` pin extra tool definitions into a new run."""
        self._tool_providers.append(provider)

    def add_secret_source(self, source: SecretSource) -> None:
        """Let `source(run)` name more secrets of a run (e.g. unsealed tool headers)."""
        self._secret_sources.append(source)

    def scrub(self, run: RunRecord, value: T) -> T:
        """`value` (an error message or payload) without any secret the run could leak: the
        gateway's known secrets, its tools' header values, its model provider's key."""
        # A run's pinned tools keep their secret fields sealed: open them to know what to hide.
        tools = [t for t in run.agent.get("tools") or [] if isinstance(t, dict)]
        extra = tool_secrets(reveal(self.sealer, t) for t in tools)
        try:
            provider, _ = self.providers.resolve(str(run.agent.get("model") or "scripted"))
            extra.append(getattr(provider, "api_key", None) or "")
        except ProviderError:
            pass
        for source in self._secret_sources:
            try:
                extra.extend(source(run))
            except Exception:  # a broken source must not stop the error from being recorded
                log.exception("secret source %r failed", source)
        return self.scrubber.scrub(value, extra)  # type: ignore[no-any-return]

    # -- lifecycle ------------------------------------------------------------------------
    @property
    def client(self) -> httpx.AsyncClient:
        """The outbound client of `http` tools (created on first use)."""
        if self._client is None:
            self._client = outbound_client(self.settings, self._max_bytes)
        return self._client

    async def start(self) -> None:
        """Fail the runs a previous process left in progress (requires_action ones stay)."""
        self._stopping = False
        for run in await self.runs.active():
            if owner_alive(run.owner, self.owner):
                continue
            run.last_seq = await self.runs.last_seq(run.id)
            run.state.error = {
                "code": "gateway_restarted",
                "message": "the gateway stopped while this run was in progress; start a new run",
            }
            await self._end(run, "failed")
        self._watcher = asyncio.create_task(watch_cancel_requests(self), name="cancel requests")

    async def stop(self) -> None:
        """Fail the runs still going (the process is leaving) and close connections."""
        self._stopping = True
        if self._watcher is not None:
            self._watcher.cancel()
            self._watcher = None
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        await self.providers.aclose()
        await self.telemetry.aclose()

    # -- the event log ---------------------------------------------------------------------
    async def emit(self, run: RunRecord, event: str, data: dict[str, Any]) -> RunEvent:
        """Append an event to the run's log, publish it, tell the listeners (see emitter.py)."""
        return await self.events.emit(run, event, data)

    async def context_messages(self, run: RunRecord) -> list[dict[str, Any]]:
        """Messages the context providers add when the run starts."""
        messages: list[dict[str, Any]] = []
        for provider in self._context_providers:
            messages.extend(await provider(run.agent, run))
        return messages

    async def finish(
        self, run: RunRecord, status: str, error: dict[str, Any] | None = None
    ) -> None:
        """End the segment with a terminal status (called by the loop)."""
        if status == "cancelled" and self._stopping:
            status, error = (
                "failed",
                {
                    "code": "gateway_restarted",
                    "message": "the gateway stopped while this run was in progress; start a new run",
                },
            )
        run.state.error = self.scrub(run, error)
        await self._end(run, status)

    async def await_tool_outputs(self, run: RunRecord) -> None:
        """Park the run in requires_action (called by the loop)."""
        run.status = "requires_action"
        await self.events.flush(run.id)  # the row changes after the events that led to it
        await self.runs.save(run)
        await self.emit(
            run,
            RUN_REQUIRES_ACTION,
            {"status": run.status, "required_action": run.state.required_action},
        )

    async def _end(self, run: RunRecord, status: str) -> None:
        run.status = status
        run.completed_at = time.time()
        run.state.pending = {}
        run.state.required_action = None
        if status == "completed":
            event = RUN_COMPLETED
            data = {"status": status, "output": run.state.output, "usage": run.state.usage}
        elif status == "failed":
            event, data = RUN_FAILED, {"status": status, "error": run.state.error}
        else:
            event, data = RUN_CANCELLED, {"status": status}
        await self.events.end(run, event, data)
        self.telemetry.run_ended(run)

    # -- runs -------------------------------------------------------------------------------
    async def create(
        self,
        scope: Scope,
        *,
        agent_id: str | None = None,
        agent_name: str | None = None,
        input: Any,
        metadata: dict[str, Any] | None = None,
        thread_id: str | None = None,
        traceparent: str | None = None,
    ) -> RunRecord:
        """Start a run of an agent (by id or name), on a thread when given (see
        threads.py); it runs in the background. `traceparent` (W3C, the caller's): the
        run's spans join that trace (a malformed one is ignored)."""
        initial_messages({}, input)  # a bad input is reported before a missing agent
        if thread_id is not None:
            check_thread_id(thread_id)
        # The token is taken before the read: a write in between moves it for the next run.
        token = await self.storage.change_token()
        key = (scope.project, scope.environment, agent_id, agent_name)
        snapshot = self._snapshots.get(key, token)
        if snapshot is None:
            snapshot = await agent_snapshot(self.store, scope, agent_id, agent_name)
            self._snapshots.put(key, token, *snapshot)
        agent, tools = snapshot
        # What the model reads is opened now; what only the tool call sends stays sealed.
        agent = reveal(self.sealer, agent)
        tools = [reveal(self.sealer, t, keep=_sent_by_the_call) for t in tools]
        run = RunRecord(
            id=new_id("run"),
            project=scope.project,
            environment=scope.environment,
            agent_id=agent["id"],
            agent_version=int(agent["version"]),
            agent=agent,
            status="in_progress",
            input=input,
            metadata=dict(metadata or {}),
            created_at=time.time(),
            owner=self.owner,
        )
        for provider in self._tool_providers:
            tools.extend(await provider(agent, run))
        agent["tools"] = tools
        run.started_at = run.created_at
        run.state = RunState(
            messages=initial_messages(agent, input),
            thread_id=thread_id,
            traceparent=valid_traceparent(traceparent),
        )
        if thread_id is None:
            inserted = await self._insert(run)
        else:
            inserted = await self.threads.insert_run(run, self._insert)
        if not inserted:
            raise Busy(
                f"this project already has {self.settings.max_concurrent_runs} runs in progress"
                f" in its {scope.environment} environment",
                retry_after=1,
                code="too_many_runs",
            )
        self.events.open(run.id)
        await self.emit(
            run,
            RUN_CREATED,
            {
                "id": run.id,
                "object": "run",
                "status": run.status,
                "agent_id": run.agent_id,
                "agent_version": run.agent_version,
                "created_at": int(run.created_at),
            },
        )
        self.telemetry.run_started(run)
        self._launch(run)
        return run

    async def _insert(self, run: RunRecord) -> bool:
        return await self.runs.insert(run, max_active=self.settings.max_concurrent_runs)

    def _launch(self, run: RunRecord) -> None:
        self._live[run.id] = run
        if not self.events.is_open(run.id):
            self.events.open(run.id)
        task = asyncio.create_task(self._drive(run), name=f"run {run.id}")
        self._tasks[run.id] = task
        # Cleanup in a callback: a task cancelled before it started never runs its body.
        task.add_done_callback(lambda _t: self._forget(run.id, task))

    async def _drive(self, run: RunRecord) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            try:
                await run_segment(self, run)
            except Exception:
                # E.g. the journal refusing an end another process already wrote. Logged here:
                # a task error nobody retrieves is only reported when the task is collected,
                # at any later moment, in the middle of whatever runs then.
                log.exception("run %s stopped on an engine error", run.id)

    def _forget(self, run_id: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(run_id) is task:
            self._tasks.pop(run_id, None)
            self._live.pop(run_id, None)
            self.events.close(run_id)

    async def get(self, scope: Scope, run_id: str) -> RunRecord:
        """The run (the live one while it runs here); NotFound otherwise."""
        live = self._live.get(run_id)
        if live is not None and (live.project, live.environment) == (
            scope.project,
            scope.environment,
        ):
            return live
        run = await self.runs.get(run_id, scope.project, scope.environment)
        if run is None:
            raise NotFound(f"no run {run_id!r}", param="run_id")
        return run

    async def list(
        self,
        scope: Scope,
        *,
        limit: int = 20,
        starting_after: str | None = None,
        agent_id: str | None = None,
        status: str | None = None,
    ) -> tuple[list[RunRecord], bool]:
        """Runs of the scope, newest first, and whether there are more."""
        runs, more = await self.runs.list(
            scope.project,
            scope.environment,
            limit=limit,
            starting_after=starting_after,
            agent_id=agent_id,
            status=status,
        )
        return [self._live.get(r.id, r) for r in runs], more

    async def wait(self, run_id: str) -> None:
        """Wait until the run's current segment (if it runs here) has ended."""
        task = self._tasks.get(run_id)
        if task is not None:
            await asyncio.wait({task})

    async def cancel(self, scope: Scope, run_id: str) -> RunRecord:
        """Stop a run: its model stream and pending tool calls are aborted."""
        run = await self.get(scope, run_id)
        if run_id in self._tasks:
            live = await self.cancel_local(run_id)
            if live is not None and live.status == "cancelled":
                return live
            run = await self.get(scope, run_id)
        if run.status in ACTIVE and run.owner != self.owner and owner_alive(run.owner, self.owner, same_process=True):
            # Another worker process drives it: flag it and wait for that process to stop it.
            return await cancel_elsewhere(self, run_id)
        if run.status in TERMINAL:
            raise Conflict(f"the run is already {run.status}", code="run_finished", param="run_id")
        if not await self.runs.transition(run_id, run.status, "cancelled", self.owner):
            raise Conflict("the run changed while being cancelled; retry", code="run_changed")
        run = await self.runs.get(run_id) or run
        run.last_seq = await self.runs.last_seq(run_id)
        await self._end(run, "cancelled")
        return run

    async def cancel_local(self, run_id: str) -> RunRecord | None:
        """Cancel the task driving a run here; the run as it ended (None if none ran)."""
        task = self._tasks.get(run_id)
        if task is None:
            return None
        live = self._live[run_id]
        task.cancel()
        await asyncio.wait({task}, timeout=10)
        if live.status in ACTIVE:  # cancelled before its first step: nobody recorded it
            await self._end(live, "cancelled")
        return live

    async def submit_tool_outputs(
        self, scope: Scope, run_id: str, tool_outputs: Any
    ) -> tuple[RunRecord, int]:
        """Resume a run waiting in requires_action; returns (run, seq before the resume)."""
        run = await self.runs.get(run_id, scope.project, scope.environment)
        if run is None:
            raise NotFound(f"no run {run_id!r}", param="run_id")
        if run.status != "requires_action":
            raise Conflict(
                f"the run is {run.status}, not waiting for tool outputs",
                code="run_not_waiting",
                param="run_id",
            )
        outputs = submit.check_outputs(run, tool_outputs)
        if not await self.runs.transition(run_id, "requires_action", "in_progress", self.owner):
            raise Conflict(
                "tool outputs were already submitted for this run", code="run_not_waiting"
            )
        run.status = "in_progress"
        run.owner = self.owner
        run.last_seq = await self.runs.last_seq(run_id)
        after = run.last_seq
        self.events.open(run.id)
        self._live[run.id] = run
        await submit.apply_outputs(self, run, outputs)
        self._launch(run)
        return run, after

    # -- watching -----------------------------------------------------------------------------
    def follow(
        self, run_id: str, after: int = 0, *, pause_ends: bool = False
    ) -> AsyncIterator[RunEvent | None]:
        """Replay the run's public events after `after`, then follow live ones through pauses;
        yields None as a keep-alive when idle. Ends after a terminal event (or, with
        `pause_ends`, after the next requires_action: the streams of POST requests)."""
        return follow_run(self, run_id, after, pause_ends=pause_ends)

    def follow_batches(
        self, run_id: str, after: int = 0, *, pause_ends: bool = False
    ) -> AsyncIterator[builtins.list[RunEvent] | None]:
        """`follow`, a batch at a time: the events that were ready together (one socket
        write for an SSE stream); None as a keep-alive."""
        return follow_batches(self, run_id, after, pause_ends=pause_ends)

    def channel(self, run_id: str) -> RunChannel | None:
        """The live channel of a run driven here, if any."""
        return self.events.channel(run_id)

    def is_live(self, run_id: str) -> bool:
        """True while this process drives the run."""
        return run_id in self._live

    async def trace(self, scope: Scope, run_id: str) -> dict[str, Any]:
        """The run's trace: every model and tool step with timings, inputs, outputs, tokens."""
        run = await self.get(scope, run_id)
        events = await self.runs.events_after(run_id, 0, limit=1_000_000)
        return build_trace(run, events + await self.runs.internal_events(run_id))
