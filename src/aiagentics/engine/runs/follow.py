"""Watching runs across the process boundary: following a run's log, and cancels
requested by another worker process.

A run driven in this process is followed through its in-memory `RunChannel`; any
other run (finished, waiting, or driven by another worker on the same database) is
followed by polling its persisted log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from aiagentics.engine.runs.events import (
    INTERNAL_EVENTS,
    STOP_EVENTS,
    TERMINAL_EVENTS,
    RunEvent,
)
from aiagentics.engine.runs.records import ACTIVE, TERMINAL, RunRecord
from aiagentics.errors import Conflict

if TYPE_CHECKING:
    from aiagentics.engine.runs.service import RunService

log = logging.getLogger("aiagentics.runtime")
CANCEL_POLL_SECONDS = 0.25
CANCEL_WAIT_SECONDS = 10.0


async def follow_run(
    service: RunService, run_id: str, after: int, *, pause_ends: bool = False
) -> AsyncIterator[RunEvent | None]:
    """Public events after `after`, live; None is a keep-alive. Ends after a terminal event
    (after `run.requires_action` too with `pause_ends`); a pause is followed through, and a
    resume, here or in another worker, continues the same stream."""
    async for batch in follow_batches(service, run_id, after, pause_ends=pause_ends):
        if batch is None:
            yield None
            continue
        for event in batch:
            yield event


async def follow_batches(
    service: RunService, run_id: str, after: int, *, pause_ends: bool = False
) -> AsyncIterator[list[RunEvent] | None]:
    """`follow_run`, yielding the events that were ready together as one list."""
    stops = STOP_EVENTS if pause_ends else TERMINAL_EVENTS
    seq = after
    idle_since = time.monotonic()
    while True:
        channel = service.channel(run_id)
        if channel is not None and channel.events and channel.events[0].seq <= seq + 1:
            batch = channel.after(seq)
        else:
            batch = await service.runs.events_after(run_id, seq)
        if batch:
            seq = batch[-1].seq
            # Internal records in the log come from logs written before they had their own table.
            out = [e for e in batch if e.event not in INTERNAL_EVENTS]
            for n, event in enumerate(out):
                if event.event in stops:
                    yield out[: n + 1]
                    return
            if out:
                yield out
            idle_since = time.monotonic()
            continue
        if channel is None and not service.is_live(run_id):
            status = await service.runs.status(run_id)
            if status is None:
                return
            if status in TERMINAL:
                # The run may have ended (status and last event, in one transaction) between
                # the read above and this one: read once more, and end when nothing is left.
                if not await service.runs.events_after(run_id, seq, limit=1):
                    return
                continue
        left = service.keepalive_seconds - (time.monotonic() - idle_since)
        if left <= 0:
            idle_since = time.monotonic()
            yield None
            continue
        if channel is not None:
            await channel.wait(left)
        else:
            await asyncio.sleep(min(service.poll_seconds, left))


async def cancel_elsewhere(service: RunService, run_id: str) -> RunRecord:
    """Flag a run another worker drives and wait until that worker has cancelled it."""
    await service.runs.request_cancel(run_id)
    deadline = time.monotonic() + CANCEL_WAIT_SECONDS
    while time.monotonic() < deadline:
        await asyncio.sleep(CANCEL_POLL_SECONDS / 2)
        run = await service.runs.get(run_id)
        if run is None or run.status in ACTIVE:
            continue
        if run.status == "cancelled":
            return run
        raise Conflict(f"the run is already {run.status}", code="run_finished", param="run_id")
    raise Conflict(
        "the gateway process running this run did not stop it in time; retry",
        code="cancel_pending",
        param="run_id",
    )


async def watch_cancel_requests(service: RunService) -> None:
    """Cancel this process's runs that another worker was asked to cancel."""
    while True:
        await asyncio.sleep(CANCEL_POLL_SECONDS)
        try:
            for run_id in await service.runs.cancel_requests(service.owner):
                await service.cancel_local(run_id)
        except Exception:  # keep watching; a transient database error must not end it
            log.exception("watching cancel requests failed")
