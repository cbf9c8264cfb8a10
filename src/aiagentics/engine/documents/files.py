"""Files: uploads, their metadata and their bytes, with the rules the API and `aia dev` share.

A file's bytes live beside the database as `<files_dir>/<file id>`: the user's file name
is kept only as metadata (sanitised), never used as a path. Content is first staged in a
private temporary file (copied, measured and hashed in a worker thread) and moved into
place once its row exists, so a reader never finds a row whose bytes are half written.
A unit of work (the reloader) stages, writes rows, and calls `put_content`/`drop_content`
only after its transaction has committed; `create` and `delete` do the whole sequence.
"""

from __future__ import annotations

import builtins
import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

import anyio.to_thread

from aiagentics import kinds
from aiagentics.engine import bodies as m
from aiagentics.engine.bodies import validate
from aiagentics.engine.definitions import check_cursor, check_id, cursor_gone, refuse_if_declared
from aiagentics.engine.sensitive import FIELDS_KEY
from aiagentics.engine.statedir import open_private, private_dir
from aiagentics.errors import Conflict, InvalidInput, NotFound, TooLarge
from aiagentics.storage.base import DuplicateId, DuplicateName, Page, Resource, Scope, Store

__all__ = ["Files", "FilesIndex", "Staged", "safe_filename"]

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
CHUNK = 1 << 20


def safe_filename(raw: str | None) -> str:
    """A display name without directories, control or reserved characters."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    return name[:255] or "upload"


class FilesIndex(Protocol):
    """What indexes files for retrieval: told of new content and of deletions."""

    async def file_added(self, scope: Scope, res: Resource, path: Path) -> None: ...

    async def file_deleted(self, scope: Scope, file_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Staged:
    """Content copied to a private temporary file: where, how many bytes, its sha256 (hex)."""

    path: Path
    size: int
    sha256: str


class _Over(Exception):
    """The content went past the size limit (raised in the copying thread)."""


def _copy(src: IO[bytes], files_dir: Path, tmp: Path, limit: int | None) -> Staged:
    """Copy `src` to `tmp` (private mode) while hashing it. Blocking: run in a worker thread."""
    private_dir(files_dir, tighten=False)
    digest = hashlib.sha256()
    size = 0
    with open_private(tmp) as out:
        while chunk := src.read(CHUNK):
            size += len(chunk)
            if limit is not None and size > limit:
                raise _Over
            digest.update(chunk)
            out.write(chunk)
    return Staged(tmp, size, digest.hexdigest())


def _copy_upload(src: IO[bytes], files_dir: Path, tmp: Path, limit: int) -> Staged:
    src.seek(0)
    return _copy(src, files_dir, tmp, limit)


def _copy_path(source: Path, files_dir: Path, tmp: Path) -> Staged:
    with source.open("rb") as src:
        return _copy(src, files_dir, tmp, None)


class Files:
    """Create, read, list, update and delete files in a scope; their bytes beside the database."""

    def __init__(
        self,
        store: Store,
        files_dir: Path,
        max_bytes: int,
        index: FilesIndex | None = None,
    ) -> None:
        self.store = store
        self.files_dir = Path(files_dir)
        self.max_bytes = max_bytes
        self.index = index

    def content_path(self, file_id: str) -> Path:
        """Where a file's bytes live (by id only)."""
        return self.files_dir / file_id

    def staging_path(self, tag: str) -> Path:
        """A temporary name beside the contents (same file system, so the final move is atomic)."""
        return self.files_dir / f".{tag}"

    # -- reads -------------------------------------------------------------------------
    async def get(self, scope: Scope, id: str) -> Resource:
        """The file's row; NotFound when absent (or not a file id)."""
        check_id(id, "file", "file")
        res = await self.store.get("file", scope, id)
        if res is None:
            raise NotFound(f"no such file: {id}")
        return res

    async def list(
        self, scope: Scope, *, limit: int = 20, starting_after: str | None = None
    ) -> Page:
        """A page of files, newest first; InvalidInput for a cursor naming no file of the scope."""
        check_cursor(starting_after, "file")
        if starting_after and await self.store.get("file", scope, starting_after) is None:
            raise cursor_gone(starting_after)
        return await self.store.list("file", scope, limit=limit, starting_after=starting_after)

    async def content(self, scope: Scope, id: str) -> tuple[Resource, Path]:
        """The file's row and the path of its bytes; NotFound when either is gone."""
        res = await self.get(scope, id)
        path = self.content_path(res.id)
        if not await anyio.to_thread.run_sync(path.is_file):
            raise NotFound(f"the content of file {id} is gone")
        return res, path

    # -- the API's whole operations ------------------------------------------------------
    async def create(
        self,
        scope: Scope,
        src: IO[bytes],
        *,
        filename: str | None,
        content_type: str | None,
        name: str | None = None,
        description: str = "",
        metadata: dict[str, Any] | None = None,
        purpose: str = "retrieval",
    ) -> Resource:
        """Store an upload read from `src`: validate the fields, stage, write the row, index.

        TooLarge past `max_bytes`; Conflict for a name taken; InvalidInput (from the index)
        for a document that cannot be read (the file is then removed again).
        """
        fields = validate(
            m.FileUpdate,
            {
                "name": name or None,
                "description": description,
                "metadata": metadata or {},
                "purpose": purpose,
            },
        ).model_dump()
        tmp = self.staging_path(f"upload-{os.getpid()}-{id(src)}")
        try:
            try:
                staged = await anyio.to_thread.run_sync(
                    _copy_upload, src, self.files_dir, tmp, self.max_bytes
                )
            except _Over:
                raise TooLarge(
                    f"file is over the limit of {self.max_bytes} bytes", param="file"
                ) from None
            record = {
                "description": fields["description"] or "",
                "metadata": fields["metadata"] or {},
                "filename": safe_filename(filename),
                "bytes": staged.size,
                "purpose": fields["purpose"] or "retrieval",
                "content_type": content_type or "application/octet-stream",
                "sha256": staged.sha256,
            }
            res = await self.insert(scope, fields["name"], record)
            await anyio.to_thread.run_sync(os.replace, tmp, self.content_path(res.id))
        finally:
            await anyio.to_thread.run_sync(lambda: tmp.unlink(missing_ok=True))
        await self._indexed(scope, res)
        return res

    async def update(
        self, scope: Scope, id: str, changes: dict[str, Any], *, declared: bool = False
    ) -> Resource:
        """Merge metadata `changes` (name, description, metadata, purpose) over the file.

        `declared`: the caller serves the file from a project file (`aia dev`), so the
        declared-in-file refusal does not apply and fields come as the spec gives them.
        """
        current = await self.get(scope, id)
        changes = {k: v for k, v in changes.items() if k != FIELDS_KEY}
        if not declared:
            refuse_if_declared(current, "file")
            for required in ("description", "metadata", "purpose"):
                if required in changes and changes[required] is None:
                    raise InvalidInput(f"{required} cannot be null", param=required)
        name = str(changes.pop("name", current.name))
        try:
            res = await self.store.update("file", scope, id, name, {**current.data, **changes})
        except DuplicateName:
            raise Conflict(
                f"a file named {name!r} already exists", param="name", code="name_taken"
            ) from None
        if res is None:
            raise NotFound(f"no such file: {id}")
        return res

    async def delete(self, scope: Scope, id: str) -> None:
        """Delete a file (Conflict while something uses it or `aia dev` serves it), then its bytes."""
        refuse_if_declared(await self.get(scope, id), "file")
        await self.refuse_if_used(scope, id)
        await self.store.delete("file", scope, id)
        await self.drop_content(scope, id)

    # -- the steps a unit of work composes (its effects wait for the commit) -------------
    async def stage(self, source: Path, tag: str) -> Staged:
        """Copy a file of the project aside, measured and hashed, until `put_content`."""
        return await anyio.to_thread.run_sync(
            _copy_path, source, self.files_dir, self.staging_path(tag)
        )

    async def discard(self, staged: builtins.list[Path]) -> None:
        """Remove staged copies that will not be put in place (a rolled-back unit)."""

        def unlink() -> None:
            for tmp in staged:
                tmp.unlink(missing_ok=True)

        await anyio.to_thread.run_sync(unlink)

    async def insert(
        self, scope: Scope, name: str | None, data: dict[str, Any], *, id: str | None = None
    ) -> Resource:
        """Write a new file row; Conflict for a name or id taken."""
        try:
            return await self.store.create("file", scope, name, data, id=id)
        except DuplicateName:
            raise Conflict(
                f"a file named {name!r} already exists", param="name", code="name_taken"
            ) from None
        except DuplicateId:
            raise Conflict("this file id already exists", code="id_taken") from None

    async def refuse_if_used(self, scope: Scope, id: str) -> None:
        """Conflict while another object refers to the file."""
        for other, field_path in kinds.referrers("File"):
            users = await self.store.referrers(other.kind, scope, field_path, id)
            if users:
                raise Conflict(
                    f"this file is used by {other.what} {users[0]}", code="resource_in_use"
                )

    async def put_content(self, scope: Scope, id: str, staged: Path | None) -> None:
        """Move staged bytes into place (when given) and have the file (re)indexed."""
        if staged is not None:
            await anyio.to_thread.run_sync(os.replace, staged, self.content_path(id))
        res = await self.store.get("file", scope, id)
        if res is not None:
            await self._indexed(scope, res)

    async def drop_content(self, scope: Scope, id: str) -> None:
        """Remove a deleted file's bytes and its index entries."""
        path = self.content_path(id)
        await anyio.to_thread.run_sync(lambda: path.unlink(missing_ok=True))
        if self.index is not None:
            await self.index.file_deleted(scope, id)

    async def _indexed(self, scope: Scope, res: Resource) -> None:
        if self.index is not None:
            await self.index.file_added(scope, res, self.content_path(res.id))
