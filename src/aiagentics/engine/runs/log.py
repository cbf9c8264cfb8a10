"""`RunLog`: group commit of one live run's events.

Tokens stream faster than one write each can keep up with (a write is a hop to the
database thread and a commit). So events are handed to the log, and one drain task per
run writes whatever piled up since its last write in one `append_batch`, then publishes
that batch to the run's channel. While a write is in flight the next batch gathers, so
under load a write carries many events and when idle an event waits for no timer.

What stays promised: an event is published only once it is persisted (so a follower
that reconnects with `Last-Event-ID` finds every event it saw in the log), batches go
out in order, and `flush()` (called for every event that is not a token, and before a
run's row changes) returns once everything handed over so far is written. A crash
loses at most the tokens not yet written, of a model call that is issued again anyway.
"""

from __future__ import annotations

import asyncio
import logging

from aiagentics.engine.runs.events import RunChannel, RunEvent
from aiagentics.storage.base import RunJournal

log = logging.getLogger("aiagentics.runtime")

# Past this many unwritten events the producer waits for the write in flight: a model
# streaming faster than the database writes is slowed down, not buffered without end.
MAX_BACKLOG = 512


class RunLog:
    """The write side of one live run's event log."""

    __slots__ = ("_drain", "_error", "_internal", "_public", "channel", "journal")

    def __init__(self, journal: RunJournal, channel: RunChannel) -> None:
        self.journal = journal
        self.channel = channel
        self._public: list[RunEvent] = []
        self._internal: list[RunEvent] = []
        self._drain: asyncio.Task[None] | None = None
        self._error: BaseException | None = None

    def add(self, event: RunEvent, internal: bool = False) -> None:
        """Hand an event over; it is written (and then published) soon, in order."""
        self._check()
        (self._internal if internal else self._public).append(event)
        if self._drain is None:
            self._drain = asyncio.get_running_loop().create_task(self._write_all())

    @property
    def backlog(self) -> int:
        """Events handed over and not written yet."""
        return len(self._public) + len(self._internal)

    async def flush(self) -> None:
        """Return once every event handed over so far is written and published."""
        while self._drain is not None:
            # Shielded: a cancelled caller (a cancelled run) must not cut a write in half;
            # the drain goes on and the caller's own cleanup flushes again.
            await asyncio.shield(self._drain)
        self._check()

    async def add_and_flush(self, event: RunEvent, internal: bool = False) -> None:
        """`add` then `flush`: for events whose listeners need them persisted."""
        self.add(event, internal)
        await self.flush()

    def _check(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    async def _write_all(self) -> None:
        try:
            while self._public or self._internal:
                public, internal = self._public, self._internal
                self._public, self._internal = [], []
                try:
                    await self.journal.append_batch(public, internal)
                except BaseException as exc:  # handed to the run's next flush
                    self._error = exc
                    log.error(
                        "writing %d events of run %s failed", len(public), self.channel.run_id
                    )
                    return
                if public:
                    self.channel.publish_many(public)
        finally:
            self._drain = None
