"""`LocalTarget`: the apply engine's target inside the gateway (`aia dev`), one transaction.

It calls the same definitions service as the API, so a reload meets the same rules
(validation, references, unique names, update merge, in-use checks, sealing). Ids
are derived from the names (`stable_id`), so they survive reloads and restarts; a
replace therefore deletes the old object first and its successor takes the id, in
the same transaction, so no reader ever sees the gap and references stay valid.
What lives outside the rows (a file's bytes, a memory store's entries, the search
index) changes only once the transaction has committed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from aiagentics import kinds
from aiagentics.apply.engine import ApplyResult, ApplyRun, Created, CreateRequest
from aiagentics.apply.steps import ReplaceOrder
from aiagentics.engine.definitions import Definitions, stable_id
from aiagentics.engine.sensitive import FIELDS_KEY
from aiagentics.errors import DomainError, NotFound
from aiagentics.gateway.services import Services
from aiagentics.storage.base import Resource, Scope

T = TypeVar("T")
Effect = Callable[[], Awaitable[None]]


class _RollBack(Exception):
    """Leaves the transaction without committing: a step failed."""

    def __init__(self, result: ApplyResult) -> None:
        super().__init__("a step failed")
        self.result = result


class LocalTarget:
    """Carries steps out against the gateway's own store, for one scope, from `root`."""

    replace_order = ReplaceOrder.DELETE_THEN_CREATE
    failures: tuple[type[Exception], ...] = (DomainError,)

    def __init__(self, services: Services, scope: Scope, root: Path) -> None:
        self.services, self.scope, self.root = services, scope, root
        self.store = services.store
        self.files = services.files
        shared = services.definitions
        # The API's rules without its after-delete hooks: those clean what lives outside
        # the rows, which must wait until the transaction commits (see `_after_commit`).
        self.rules = Definitions(
            shared.store,
            shared.sealer,
            default_model=shared.default_model,
            allow_private_network=shared.allow_private_network,
            allow_stdio_tools=shared.allow_stdio_tools,
        )
        self._after_commit: list[Effect] = []
        self._staged: list[Path] = []  # file contents written aside until the commit

    async def apply(self, run: ApplyRun) -> ApplyResult:
        """Carry `run` out as one unit: every step commits together, or none does."""
        try:
            result = await self._in_one_transaction(run)
        except _RollBack as back:
            await self._discard()
            return back.result
        except BaseException:
            await self._discard()
            raise
        for effect in self._after_commit:
            await effect()
        self._after_commit.clear()
        return result

    async def _in_one_transaction(self, run: ApplyRun) -> ApplyResult:
        """The transaction boundary of a reload: every step's rows commit together.

        Other tasks' writes wait for the unit of work (their reads do not); a step must
        not await another task that writes, as that task would wait for this unit.
        """
        async with self.services.storage.transaction():
            result = await run.run()
            if not result.ok:
                raise _RollBack(result)
            return result

    async def _discard(self) -> None:
        staged, self._staged = self._staged, []
        self._after_commit.clear()
        await self.files.discard(staged)

    # -- the steps -----------------------------------------------------------------------
    async def create(self, request: CreateRequest) -> Created:
        """Create the object under its stable id."""
        rid = stable_id(self.scope, request.kind, request.name)
        if request.kind == "File":
            await self._create_file(rid, request)
            return Created(rid)
        body: dict[str, Any] = {**request.body, "metadata": request.metadata}
        if request.sensitive_fields:
            body[FIELDS_KEY] = list(request.sensitive_fields)  # values from ${ENV}: write-only
        store_kind = kinds.STORE_KIND[request.kind]
        saved = await self.rules.create(store_kind, self.scope, body, id=rid)
        return Created(saved.resource.id, saved.secret)

    async def update(self, kind: str, id: str, changes: dict[str, Any]) -> None:
        """Merge `changes` over the stored object (it is declared in these files)."""
        if kind == "File":
            await self._update_file(id, changes)
            return
        await self.rules.update(kinds.STORE_KIND[kind], self.scope, id, changes, declared=True)

    async def delete(self, kind: str, id: str, *, replaced: bool) -> None:
        """Delete the object; `replaced`: its successor takes the id in this transaction,
        so whatever uses it keeps a valid reference and the in-use check does not apply."""
        store_kind = kinds.STORE_KIND[kind]
        gone: Resource | None
        if replaced or kind == "File":
            gone = await self.store.get(store_kind, self.scope, id)
            if gone is None:
                return
            if not replaced:
                await self.files.refuse_if_used(self.scope, id)
            await self.store.delete(store_kind, self.scope, id)
        else:
            try:
                gone = await self.rules.delete(store_kind, self.scope, id, declared=True)
            except NotFound:
                return  # already gone: the goal of a delete is reached
        if kind == "File":
            files, scope = self.files, self.scope
            self._after_commit.append(lambda: files.drop_content(scope, id))
        else:
            shared, scope = self.services.definitions, self.scope
            self._after_commit.append(lambda: shared.deleted(scope, gone))

    # -- files (their bytes live beside the database; moved or removed after the commit) --
    async def _create_file(self, rid: str, request: CreateRequest) -> None:
        assert request.path is not None and request.content_hash is not None
        source = self.root / request.path
        staged = await self.files.stage(source, f"dev-{rid}")
        self._staged.append(staged.path)
        body = request.body
        data = {
            "description": body.get("description") or "",
            "metadata": request.metadata,
            "filename": source.name,
            "bytes": staged.size,
            "purpose": body.get("purpose") or "retrieval",
            "content_type": "application/octet-stream",
            "sha256": request.content_hash,
        }
        await self.files.insert(self.scope, request.name, data, id=rid)
        self._after_commit.append(lambda: self._file_written(rid, staged.path))

    async def _update_file(self, id: str, changes: dict[str, Any]) -> None:
        await self.files.update(self.scope, id, changes, declared=True)
        self._after_commit.append(lambda: self._file_written(id, None))

    async def _file_written(self, rid: str, tmp: Path | None) -> None:
        await self.files.put_content(self.scope, rid, tmp)
        if tmp is not None:
            self._staged.remove(tmp)
