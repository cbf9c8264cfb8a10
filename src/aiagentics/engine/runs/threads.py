"""`ThreadService`: conversations across runs, and what a run on a thread sees and leaves.

A run made with `thread_id` claims the thread (one run at a time: another one still in
progress or paused is `thread_busy`) in the same transaction that inserts the run, so two
concurrent requests cannot both win. Its model sees the thread's earlier exchange after
the system instructions, trimmed by whole runs, oldest first, to the agent's
`guardrails.max_history_messages`. When the run ends, inside the transaction that writes
its terminal event, a completed run's own exchange (its input, the assistant's answers,
the tool calls and their results) is appended to the thread and the thread is freed;
a failed or cancelled run frees it and adds nothing (its exchange may end in a tool call
nobody answered, which providers refuse to be sent).
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiagentics.errors import Conflict, NotFound
from aiagentics.ids import has_prefix, new_id
from aiagentics.storage.base import Page, RunJournal, Scope, Storage
from aiagentics.storage.records import ACTIVE, RunRecord, RunState
from aiagentics.storage.threads import ThreadMessage, ThreadRecord, Threads

__all__ = [
    "DEFAULT_MAX_HISTORY_MESSAGES",
    "THREAD_PREFIX",
    "ThreadService",
    "earlier_turns",
    "own_exchange",
    "trim_history",
]

THREAD_PREFIX = "thr"
# When an agent sets no guardrails.max_history_messages: long threads still stay bounded.
DEFAULT_MAX_HISTORY_MESSAGES = 100
# A thread is held by a run in one of these statuses (in progress or paused).
_HOLDING = (*ACTIVE, "requires_action")
# What a thread keeps of a message (system messages are per run, never carried over).
_KEPT_ROLES = ("user", "assistant", "tool")


class _Refused(Exception):
    """The run was not inserted (the concurrency limit): undo the claim with it."""


def check_thread_id(thread_id: str) -> None:
    """NotFound (param thread_id) for a value that cannot be a thread's id."""
    if not isinstance(thread_id, str) or not has_prefix(thread_id, THREAD_PREFIX):
        raise NotFound(f"no thread {str(thread_id)[:80]!r}", param="thread_id")


def trim_history(
    messages: list[ThreadMessage], max_messages: int
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The thread's messages within `max_messages`, dropping whole runs' exchanges oldest
    first; and what was left out (`{"messages": n, "runs": [ids]}`, None when nothing)."""
    turns: list[tuple[str, list[dict[str, Any]]]] = []
    for m in messages:
        if not turns or turns[-1][0] != m.run_id:
            turns.append((m.run_id, []))
        turns[-1][1].append(m.message)
    total = len(messages)
    omitted_runs: list[str] = []
    omitted = 0
    while turns and total > max_messages:
        run_id, dropped = turns.pop(0)
        omitted_runs.append(run_id)
        omitted += len(dropped)
        total -= len(dropped)
    kept = [message for _, turn in turns for message in turn]
    return kept, ({"messages": omitted, "runs": omitted_runs} if omitted_runs else None)


def _leading_system(messages: list[dict[str, Any]]) -> int:
    n = 0
    while n < len(messages) and messages[n].get("role") == "system":
        n += 1
    return n


def attach_history(state: RunState, history: list[dict[str, Any]]) -> None:
    """Put the thread's earlier messages after the leading system messages of a new run."""
    at = _leading_system(state.messages)
    state.messages[at:at] = history
    state.history = len(history)


def earlier_turns(state: RunState) -> int:
    """Assistant messages of earlier runs in the run's messages (the scripted model counts
    its steps without them)."""
    if not state.history:
        return 0
    at = _leading_system(state.messages)
    return sum(1 for m in state.messages[at : at + state.history] if m.get("role") == "assistant")


def own_exchange(state: RunState) -> list[dict[str, Any]]:
    """The run's own messages (its input onwards), without system messages or history."""
    at = _leading_system(state.messages) + state.history
    return [m for m in state.messages[at:] if m.get("role") in _KEPT_ROLES]


class ThreadService:
    """Threads of every scope, and the run engine's thread seam (`insert_run`, `run_ended`)."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.threads: Threads = storage.threads
        self.runs: RunJournal = storage.runs

    # -- the API's threads ------------------------------------------------------------------
    async def create(self, scope: Scope, metadata: dict[str, Any] | None = None) -> ThreadRecord:
        """A new, empty thread."""
        thread = ThreadRecord(
            id=new_id(THREAD_PREFIX),
            project=scope.project,
            environment=scope.environment,
            created_at=time.time(),
            metadata=dict(metadata or {}),
        )
        return await self.threads.create_thread(thread)

    async def get(self, scope: Scope, thread_id: str) -> ThreadRecord:
        """The thread; NotFound (also for another scope's)."""
        check_thread_id(thread_id)
        thread = await self.threads.get_thread(scope, thread_id)
        if thread is None:
            raise NotFound(f"no thread {thread_id!r}", param="thread_id")
        return thread

    async def messages(self, thread: ThreadRecord) -> list[dict[str, Any]]:
        """The thread's messages in order, each with the run that added it."""
        return [
            {**m.message, "run_id": m.run_id, "created_at": int(m.created_at)}
            for m in await self.threads.messages(thread.id)
        ]

    async def list(
        self, scope: Scope, *, limit: int = 20, starting_after: str | None = None
    ) -> Page:
        """Threads of the scope, newest first."""
        return await self.threads.list_threads(scope, limit=limit, starting_after=starting_after)

    async def delete(self, scope: Scope, thread_id: str) -> None:
        """Delete a thread and its messages (its runs stay); refused while a run holds it."""
        thread = await self.get(scope, thread_id)
        if thread.run_id and await self._holds(thread.run_id):
            raise _busy(thread.run_id, "delete it")
        if not await self.threads.delete_thread(scope, thread_id):
            raise NotFound(f"no thread {thread_id!r}", param="thread_id")

    async def run_ids(
        self, scope: Scope, thread_id: str, *, limit: int = 20, starting_after: str | None = None
    ) -> tuple[builtins.list[str], bool]:
        """Ids of the thread's runs, newest first."""
        await self.get(scope, thread_id)
        return await self.threads.run_ids(
            scope, thread_id, limit=limit, starting_after=starting_after
        )

    async def _holds(self, run_id: str) -> bool:
        return await self.runs.status(run_id) in _HOLDING

    # -- the run engine's seam --------------------------------------------------------------
    async def insert_run(
        self, run: RunRecord, insert: Callable[[RunRecord], Awaitable[bool]]
    ) -> bool:
        """Claim the run's thread, give the run the thread's history, and `insert(run)`, in
        one transaction; False (nothing written) when `insert` refused the run."""
        state = run.state
        thread_id = state.thread_id
        assert thread_id is not None
        check_thread_id(thread_id)
        scope = Scope(run.project, run.environment)
        try:
            async with self.storage.transaction():
                claim = await self.threads.claim(scope, thread_id, run.id)
                if not claim.found:
                    raise NotFound(f"no thread {thread_id!r}", param="thread_id")
                if claim.holder != run.id:
                    holder = str(claim.holder)
                    if await self._holds(holder):
                        raise _busy(holder, "start another run on it")
                    # Its holder ended without freeing it (an older process): take it over.
                    claim = await self.threads.claim(scope, thread_id, run.id, stale=holder)
                # Read inside the claim: no run can append to the thread until this one ends.
                history = await self.threads.messages(thread_id)
                limit = (run.agent.get("guardrails") or {}).get("max_history_messages")
                kept, omitted = trim_history(history, int(limit or DEFAULT_MAX_HISTORY_MESSAGES))
                attach_history(state, kept)
                state.history_omitted = omitted
                if not await insert(run):
                    raise _Refused
        except _Refused:
            return False
        return True

    async def run_ended(self, run: RunRecord) -> None:
        """Inside the run's terminal transaction: append a completed run's exchange, free
        the thread."""
        thread_id = run.state.thread_id
        if not thread_id:
            return
        exchange = own_exchange(run.state) if run.status == "completed" else []
        await self.threads.finish_run(thread_id, run.id, exchange, time.time())


def _busy(run_id: str, what: str) -> Conflict:
    return Conflict(
        f"the thread is in use by run {run_id} (in progress or waiting for tool outputs);"
        f" wait for it to end, or cancel it, before you {what}",
        code="thread_busy",
        param="thread_id",
    )
