"""The storage of threads (conversations across runs): `Threads`, over plain data types.

A thread belongs to a project and environment (`Scope`: another scope's thread does not
exist), holds the messages of the runs made on it, in order, and remembers which runs
were made on it. At most one run holds a thread at a time: `claim` is a compare-and-set
on the holder, and `finish_run` appends a run's exchange and lets the thread go in one
write. Both join the caller's unit of work (`Storage.transaction()`), so the engine claims
a thread and inserts its run, or ends a run and appends its exchange, all or none.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from aiagentics.storage.base import Page, Scope

__all__ = ["Claim", "ThreadMessage", "ThreadRecord", "Threads"]


@dataclass(slots=True)
class ThreadRecord:
    """One thread: its scope, metadata, and the run that holds it now (None when free)."""

    id: str
    project: str
    environment: str
    created_at: float
    metadata: dict[str, Any] = field(default_factory=dict)
    run_id: str | None = None


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    """One message of a thread (the run message format) and the run that added it."""

    run_id: str
    message: dict[str, Any]
    created_at: float


@dataclass(frozen=True, slots=True)
class Claim:
    """What `claim` found: whether the thread exists, and who holds it now.

    `holder` is the claiming run when the claim succeeded, another run's id when that run
    holds the thread, None when there is no such thread."""

    found: bool
    holder: str | None


class Threads(Protocol):
    """Threads, their messages and their runs."""

    async def create_thread(self, thread: ThreadRecord) -> ThreadRecord:
        """Insert a thread (its id is new)."""
        ...

    async def get_thread(self, scope: Scope, thread_id: str) -> ThreadRecord | None:
        """One thread of the scope, or None (also for another scope's)."""
        ...

    async def list_threads(
        self, scope: Scope, *, limit: int = 20, starting_after: str | None = None
    ) -> Page:
        """Threads of the scope, newest first (`items` are ThreadRecords)."""
        ...

    async def delete_thread(self, scope: Scope, thread_id: str) -> bool:
        """Delete a thread with its messages and run list; False when absent."""
        ...

    async def claim(
        self, scope: Scope, thread_id: str, run_id: str, *, stale: str | None = None
    ) -> Claim:
        """Make `run_id` the thread's holder when it has none (or when its holder is `stale`,
        a run known to have ended), and add the run to the thread's runs; in one write."""
        ...

    async def finish_run(
        self, thread_id: str, run_id: str, messages: Sequence[dict[str, Any]], at: float
    ) -> bool:
        """Append a run's messages to the thread and release it if `run_id` holds it, in one
        write; False (nothing written) when the thread is gone."""
        ...

    async def messages(self, thread_id: str) -> builtins.list[ThreadMessage]:
        """Every message of the thread, oldest first."""
        ...

    async def run_ids(
        self, scope: Scope, thread_id: str, *, limit: int = 20, starting_after: str | None = None
    ) -> tuple[builtins.list[str], bool]:
        """Ids of the runs made on the thread, newest first, and whether there are more."""
        ...
