"""`RemoteTarget`: the apply engine's target over the /v1 API client (`aia apply`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from aiagentics.apply.engine import (
    ApplyHooks,
    ApplyInterrupted,
    ApplyResult,
    ApplyRun,
    Created,
    CreateRequest,
    StepError,
)
from aiagentics.apply.steps import ReplaceOrder
from aiagentics.client import KIND_PATHS, ApiClient, ApiError, NotFoundError
from aiagentics.compiler.state import DesiredState
from aiagentics.plan import Plan
from aiagentics.plan.sensitive import FIELDS_KEY

T = TypeVar("T")


class RemoteTarget:
    """Creates, updates and deletes objects through the API, one call each.

    The API allocates ids and names are unique, so a replace creates its successor
    first (the old object renamed aside) and deletes the old one last. Each call
    runs off the event loop (the client is synchronous).
    """

    replace_order = ReplaceOrder.CREATE_THEN_DELETE
    failures: tuple[type[Exception], ...] = (ApiError,)

    def __init__(self, client: ApiClient, read_file: Callable[[str], bytes] | None = None) -> None:
        self.client = client
        self.read_file = read_file

    async def create(self, request: CreateRequest) -> Created:
        """POST the object (a File as an upload); returns its id and any generated secret."""
        created = await _off_loop(lambda: self._create(request))
        secret = created.get("secret")
        return Created(str(created["id"]), secret if isinstance(secret, str) else None)

    async def update(self, kind: str, id: str, changes: dict[str, Any]) -> None:
        """POST the changed fields to the object."""
        await _off_loop(lambda: self.client.update(f"{KIND_PATHS[kind]}/{id}", changes))

    async def delete(self, kind: str, id: str, *, replaced: bool) -> None:
        """DELETE the object; already gone (404) is the goal reached, so a rerun converges."""
        del replaced  # the API's rules are the same for a replaced object

        def call() -> None:
            with contextlib.suppress(NotFoundError):
                self.client.delete(f"{KIND_PATHS[kind]}/{id}")

        await _off_loop(call)

    def _create(self, request: CreateRequest) -> Any:
        path, body = KIND_PATHS[request.kind], request.body
        if request.kind != "File":
            fields = list(request.sensitive_fields)
            extra = {FIELDS_KEY: fields} if fields else {}  # values from ${ENV}: write-only
            return self.client.create(path, {**body, "metadata": request.metadata, **extra})
        if self.read_file is None or request.path is None:
            raise StepError(f"{request.address}: no way to read {body.get('path')}")
        form = {
            "purpose": str(body.get("purpose") or "retrieval"),
            "name": request.name,
            "metadata": json.dumps(request.metadata),
        }
        if body.get("description"):
            form["description"] = str(body["description"])
        return self.client.upload(
            path,
            filename=request.path.rsplit("/", 1)[-1],
            content=self.read_file(request.path),
            fields=form,
        )


async def _off_loop(call: Callable[[], T]) -> T:
    """`call()` in a daemon thread, awaited.

    A daemon thread, not a pool's: at Ctrl-C the apply reports at once and the
    process exits without waiting for a call in flight (retrying a rate-limited
    request can take seconds); that call may or may not take effect, as reported.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(value: Any, error: BaseException | None) -> None:
        if future.done():  # cancelled meanwhile
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)

    def work() -> None:
        value, error = None, None
        try:
            value = call()
        except BaseException as exc:  # handed to the awaiting task, which decides
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits any more
            loop.call_soon_threadsafe(settle, value, error)

    threading.Thread(target=work, name="aia-apply-call", daemon=True).start()
    return await future


def apply_remote(
    plan: Plan,
    desired: DesiredState,
    client: ApiClient,
    *,
    read_file: Callable[[str], bytes] | None = None,
    file_hashes: Mapping[str, str] | None = None,
    hooks: ApplyHooks | None = None,
) -> ApplyResult:
    """Apply `plan` through `client`, blocking; Ctrl-C raises `ApplyInterrupted`.

    Raises `ApplyRefused` (nothing changed) when the plan has problems.
    """
    run = ApplyRun(
        plan, desired, RemoteTarget(client, read_file), file_hashes=file_hashes, hooks=hooks
    )
    try:
        return asyncio.run(run.run())
    except KeyboardInterrupt:
        # asyncio.run turns Ctrl-C into cancelling the run, then into KeyboardInterrupt.
        raise ApplyInterrupted(run.stopped()) from None
