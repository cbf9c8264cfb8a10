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

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio

from aiagentics import kinds
from aiagentics.apply.engine import ApplyResult, ApplyRun, Created, CreateRequest
from aiagentics.apply.steps import ReplaceOrder
from aiagentics.engine.definitions import Definitions, stable_id
from aiagentics.engine.sensitive import FIELDS_KEY
from aiagentics.engine.statedir import open_private, private_dir
from aiagentics.errors import Conflict, DomainError, NotFound
from aiagentics.gateway.services import Services
from aiagentics.storage.base import DuplicateId, DuplicateName, Resource, Scope

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
        shared = services.definitions
        # The API's rules without its after-delete hooks: those clean what lives outside
        # the rows, which must wait until the transaction commits (see `_after_commit`).
        self.rules = Definitions(
            shared.store,
            shared.sealer,
            default_model=shared.default_model,
            allow_private_network=shared.allow_private_network,
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

        def unlink() -> None:
            for tmp in staged:
                tmp.unlink(missing_ok=True)

        await anyio.to_thread.run_sync(unlink)

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
                await self._refuse_if_used(kind, id)
            await self.store.delete(store_kind, self.scope, id)
        else:
            try:
                gone = await self.rules.delete(store_kind, self.scope, id, declared=True)
            except NotFound:
                return  # already gone: the goal of a delete is reached
        if kind == "File":
            self._after_commit.append(lambda: self._file_deleted(id))
        else:
            shared, scope = self.services.definitions, self.scope
            self._after_commit.append(lambda: shared.deleted(scope, gone))

    # -- files (their bytes live beside the database) -------------------------------------
    async def _refuse_if_used(self, kind: str, id: str) -> None:
        for other, field_path in kinds.referrers(kind):
            users = await self.store.referrers(other.kind, self.scope, field_path, id)
            if users:
                raise Conflict(
                    f"this file is used by {other.what} {users[0]}", code="resource_in_use"
                )

    async def _create_file(self, rid: str, request: CreateRequest) -> None:
        assert request.path is not None and request.content_hash is not None
        source = self.root / request.path
        files_dir = self.services.settings.files_dir
        tmp = files_dir / f".dev-{rid}"
        private_dir(files_dir, tighten=False)
        with open_private(tmp) as out:
            out.write(source.read_bytes())
        self._staged.append(tmp)
        body = request.body
        data = {
            "description": body.get("description") or "",
            "metadata": request.metadata,
            "filename": source.name,
            "bytes": tmp.stat().st_size,
            "purpose": body.get("purpose") or "retrieval",
            "content_type": "application/octet-stream",
            "sha256": request.content_hash,
        }
        await self._write_file(rid, request.name, data, create=True)
        self._after_commit.append(lambda: self._file_written(rid, tmp))

    async def _update_file(self, id: str, changes: dict[str, Any]) -> None:
        current = await self.store.get("file", self.scope, id)
        if current is None:
            raise NotFound(f"no such file: {id}")
        changes = {k: v for k, v in changes.items() if k != FIELDS_KEY}
        name = str(changes.pop("name", current.name))
        await self._write_file(id, name, {**current.data, **changes}, create=False)
        self._after_commit.append(lambda: self._file_written(id, None))

    async def _write_file(self, rid: str, name: str, data: dict[str, Any], *, create: bool) -> None:
        try:
            if create:
                await self.store.create("file", self.scope, name, data, id=rid)
            else:
                await self.store.update("file", self.scope, rid, name, data)
        except DuplicateName:
            raise Conflict(
                f"a file named {name!r} already exists", param="name", code="name_taken"
            ) from None
        except DuplicateId:
            raise Conflict("this file id already exists", code="id_taken") from None

    async def _file_written(self, rid: str, tmp: Path | None) -> None:
        final = self.services.settings.files_dir / rid
        if tmp is not None:
            await anyio.to_thread.run_sync(os.replace, tmp, final)
            self._staged.remove(tmp)
        index = self.services.files_index
        if index is not None:
            res = await self.store.get("file", self.scope, rid)
            if res is not None:
                await index.file_added(self.scope, res, final)

    async def _file_deleted(self, rid: str) -> None:
        path = self.services.settings.files_dir / rid
        await anyio.to_thread.run_sync(lambda: path.unlink(missing_ok=True))
        if self.services.files_index is not None:
            await self.services.files_index.file_deleted(self.scope, rid)
