"""/v1/threads: conversations across runs. Thin: the run engine's ThreadService does the work."""

# No `from __future__ import annotations`: Litestar reads these annotations at runtime.

from typing import Any

import msgspec
from litestar import Controller, delete, get, post
from litestar.params import Parameter

from aiagentics import errors
from aiagentics.engine.runs.service import RunService
from aiagentics.engine.runs.threads import THREAD_PREFIX
from aiagentics.gateway.auth import AuthContext, require
from aiagentics.gateway.routes.common import (
    Deleted,
    Limit,
    check_cursor,
    cursor,
    cursor_gone,
    error_responses,
)
from aiagentics.gateway.routes.runs import wire_run
from aiagentics.storage.threads import ThreadRecord
from aiagentics.wire.runs import RunList
from aiagentics.wire.threads import Thread, ThreadDetail, ThreadList, ThreadMessage


class ThreadCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new, empty thread."""

    metadata: dict[str, str] = msgspec.field(default_factory=dict)


def wire_thread(record: ThreadRecord) -> Thread:
    """The public thread object (without its messages)."""
    return Thread(
        id=record.id,
        created_at=int(record.created_at),
        metadata=record.metadata,
        active_run_id=record.run_id,
    )


def wire_detail(record: ThreadRecord, messages: list[dict[str, Any]]) -> ThreadDetail:
    """The public thread object with its messages."""
    return ThreadDetail(
        id=record.id,
        created_at=int(record.created_at),
        metadata=record.metadata,
        active_run_id=record.run_id,
        messages=msgspec.convert(messages, list[ThreadMessage]),
    )


class ThreadController(Controller):
    path = "/v1/threads"
    tags = ["threads"]

    @post(
        "/",
        guards=[require("run")],
        status_code=200,
        responses=error_responses(),
        summary="Create a thread (a conversation that runs made on it continue)",
        operation_id="create_thread",
    )
    async def create(self, data: ThreadCreate, runs: RunService, auth: AuthContext) -> ThreadDetail:
        """A new thread, with no messages yet."""
        return wire_detail(await runs.threads.create(auth.scope, data.metadata), [])

    @get(
        "/",
        guards=[require("read")],
        summary="List threads, newest first",
        operation_id="list_threads",
    )
    async def list_threads(
        self,
        runs: RunService,
        auth: AuthContext,
        limit: int = Limit,
        starting_after: str | None = cursor(THREAD_PREFIX, "thread"),
    ) -> ThreadList:
        """Threads of the key's project and environment (without their messages)."""
        check_cursor(starting_after, THREAD_PREFIX)
        if starting_after is not None:
            try:
                await runs.threads.get(auth.scope, starting_after)
            except errors.NotFound:
                raise cursor_gone(starting_after) from None
        page = await runs.threads.list(auth.scope, limit=limit, starting_after=starting_after)
        return ThreadList(data=[wire_thread(t) for t in page.items], has_more=page.has_more)

    @get(
        "/{thread_id:str}",
        guards=[require("read")],
        responses=error_responses(404),
        summary="Retrieve a thread with its messages",
        operation_id="get_thread",
    )
    async def retrieve(self, thread_id: str, runs: RunService, auth: AuthContext) -> ThreadDetail:
        """One thread and its messages, oldest first."""
        thread = await runs.threads.get(auth.scope, thread_id)
        return wire_detail(thread, await runs.threads.messages(thread))

    @delete(
        "/{thread_id:str}",
        guards=[require("run")],
        status_code=200,
        responses=error_responses(404, 409),
        summary="Delete a thread and its messages (refused while a run holds it: thread_busy)",
        operation_id="delete_thread",
    )
    async def remove(self, thread_id: str, runs: RunService, auth: AuthContext) -> Deleted:
        """Delete; its runs stay."""
        await runs.threads.delete(auth.scope, thread_id)
        return Deleted(id=thread_id, object="thread")

    @get(
        "/{thread_id:str}/runs",
        guards=[require("read")],
        responses=error_responses(404),
        summary="List the runs made on a thread, newest first",
        operation_id="list_thread_runs",
    )
    async def thread_runs(
        self,
        thread_id: str,
        runs: RunService,
        auth: AuthContext,
        limit: int = Parameter(int, query="limit", ge=1, le=100, default=20, required=False),
        starting_after: str | None = cursor("run", "run"),
    ) -> RunList:
        """Runs of the thread."""
        check_cursor(starting_after, "run")
        ids, more = await runs.threads.run_ids(
            auth.scope, thread_id, limit=limit, starting_after=starting_after
        )
        page = [wire_run(await runs.get(auth.scope, run_id)) for run_id in ids]
        return RunList(data=page, has_more=more)
