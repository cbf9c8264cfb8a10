"""`RunEmitter`: a run's events on their way out: stamped, persisted, published, told.

Each live run has a channel (its followers in this process) and a `RunLog` (group commit
of its events). Events of a run without a live log (ended by another path, e.g. at start
after a crash) are written one by one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiagentics.engine.runs.events import INTERNAL_EVENTS, TOKEN, RunChannel, RunEvent
from aiagentics.engine.runs.log import MAX_BACKLOG, RunLog
from aiagentics.engine.runs.records import RunRecord
from aiagentics.storage.base import Storage

log = logging.getLogger("aiagentics.runtime")

Listener = Callable[[RunRecord, RunEvent], Awaitable[None]]
# Storage writes that belong with a run's end (its thread's exchange): awaited inside the
# terminal transaction, so they commit with the terminal event or not at all.
EndHook = Callable[[RunRecord], Awaitable[None]]


class RunEmitter:
    """Channels, logs and listeners of the runs of one process."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.runs = storage.runs
        self.listeners: list[Listener] = []
        self.end_hooks: list[EndHook] = []
        self._channels: dict[str, RunChannel] = {}
        self._logs: dict[str, RunLog] = {}

    def open(self, run_id: str) -> None:
        """A fresh channel and log for the run's next segment (closing a stale channel)."""
        stale = self._channels.get(run_id)
        if stale is not None:
            stale.close()
        channel = self._channels[run_id] = RunChannel(run_id)
        self._logs[run_id] = RunLog(self.runs, channel)

    def is_open(self, run_id: str) -> bool:
        """True while the run has a channel here."""
        return run_id in self._channels

    def close(self, run_id: str) -> None:
        """Forget the run's log and end its channel (its followers go to the journal)."""
        self._logs.pop(run_id, None)
        channel = self._channels.pop(run_id, None)
        if channel is not None:
            channel.close()

    def channel(self, run_id: str) -> RunChannel | None:
        """The live channel of a run driven here, if any."""
        return self._channels.get(run_id)

    async def flush(self, run_id: str) -> None:
        """Return once every event of the run handed over so far is written."""
        runlog = self._logs.get(run_id)
        if runlog is not None:
            await runlog.flush()

    async def emit(self, run: RunRecord, event: str, data: dict[str, Any]) -> RunEvent:
        """Append an event to the run's log, publish it to watchers, tell the listeners.

        Internal events (model steps, for the trace) are kept beside the log, not in it: they
        take no event id (ids stay dense, 1, 2, 3, ...) and no watcher ever sees them.
        A live run's events go through its `RunLog` (group commit): a token returns once
        handed over, any other event once it and everything before it are written."""
        internal = event in INTERNAL_EVENTS
        record = self._stamp(run, event, data, internal)
        runlog = self._logs.get(run.id)
        if runlog is None:
            if internal:
                await self.runs.append_internal(record)
            else:
                await self.runs.append(record)
                self._publish(run, record)
        elif event == TOKEN:
            runlog.add(record)
            if runlog.backlog > MAX_BACKLOG:
                await runlog.flush()
            return record
        else:
            await runlog.add_and_flush(record, internal)
        await self._tell_listeners(run, record)
        return record

    async def end(self, run: RunRecord, event: str, data: dict[str, Any]) -> None:
        """Write the run's row, its terminal event and the end hooks' writes in one
        transaction, then publish."""
        await self.flush(run.id)  # the log stays in order: what the run streamed goes first
        record = self._stamp(run, event, data, internal=False)
        # Whoever reads a terminal status finds the terminal event too.
        async with self.storage.transaction():
            await self.runs.save(run)
            await self.runs.append(record)
            for hook in self.end_hooks:
                await hook(run)
        self._publish(run, record)
        await self._tell_listeners(run, record)

    @staticmethod
    def _stamp(run: RunRecord, event: str, data: dict[str, Any], internal: bool) -> RunEvent:
        if not internal:
            run.last_seq += 1
        return RunEvent.new(run.id, run.last_seq, event, data, time.time())

    def _publish(self, run: RunRecord, record: RunEvent) -> None:
        channel = self._channels.get(run.id)
        if channel is not None:
            channel.publish(record)

    async def _tell_listeners(self, run: RunRecord, record: RunEvent) -> None:
        if record.event != TOKEN:
            for listener in self.listeners:
                try:
                    await listener(run, record)
                except Exception:  # a listener's failure is its own, never the run's
                    log.exception("run listener %r failed on %s", listener, record.event)
