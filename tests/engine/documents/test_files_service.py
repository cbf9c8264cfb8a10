"""The files service's rules and byte handling, against a real SQLite store and directory."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiagentics.engine.definitions import DEV_SOURCE_KEY
from aiagentics.engine.documents.files import Files, safe_filename
from aiagentics.errors import Conflict, InvalidInput, NotFound, TooLarge
from aiagentics.storage.base import Resource, Scope
from aiagentics.storage.sqlite import schema_resources
from aiagentics.storage.sqlite.db import Database
from aiagentics.storage.sqlite.definitions import SQLiteStore
from aiagentics.storage.sqlite.migrations import apply_migrations

SCOPE = Scope("p", "test")


class Index:
    """A files index that records what it is told."""

    def __init__(self) -> None:
        self.added: list[tuple[str, bytes]] = []
        self.deleted: list[str] = []

    async def file_added(self, scope: Scope, res: Resource, path: Path) -> None:
        self.added.append((res.id, path.read_bytes()))

    async def file_deleted(self, scope: Scope, file_id: str) -> None:
        self.deleted.append(file_id)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "gateway.db")
    apply_migrations(database, {schema_resources.COMPONENT: schema_resources.MIGRATIONS})
    yield database
    database.close()


@pytest.fixture
def index() -> Index:
    return Index()


@pytest.fixture
def files(db: Database, tmp_path: Path, index: Index) -> Files:
    return Files(SQLiteStore(db), tmp_path / "files", max_bytes=1000, index=index)


def leftovers(files: Files) -> list[str]:
    return sorted(p.name for p in files.files_dir.iterdir() if p.name.startswith("."))


async def upload(files: Files, data: bytes, **fields: object) -> Resource:
    return await files.create(
        SCOPE, io.BytesIO(data), filename="../a/report.txt", content_type="text/plain", **fields
    )  # type: ignore[arg-type]


async def test_create_stores_bytes_by_id_hashes_and_indexes(files: Files, index: Index) -> None:
    res = await upload(files, b"hello world", name="report", metadata={"k": "v"})
    assert res.data["bytes"] == 11
    assert res.data["sha256"] == hashlib.sha256(b"hello world").hexdigest()
    assert res.data["filename"] == "report.txt"  # the directories of the user's name are gone
    assert files.content_path(res.id).read_bytes() == b"hello world"
    assert index.added == [(res.id, b"hello world")]
    assert leftovers(files) == []
    got, path = await files.content(SCOPE, res.id)
    assert got.id == res.id and path == files.content_path(res.id)


async def test_over_the_limit_is_too_large_and_leaves_nothing(files: Files) -> None:
    with pytest.raises(TooLarge) as err:
        await upload(files, b"x" * 1001)
    assert err.value.param == "file"
    assert (await files.list(SCOPE)).items == []
    assert leftovers(files) == []


async def test_name_taken_is_a_conflict_and_leaves_no_temp(files: Files) -> None:
    await upload(files, b"one", name="doc")
    with pytest.raises(Conflict) as err:
        await upload(files, b"two", name="doc")
    assert err.value.code == "name_taken"
    assert leftovers(files) == []


async def test_update_merges_and_refuses_nulls_and_declared(files: Files) -> None:
    res = await upload(files, b"abc", name="doc")
    updated = await files.update(SCOPE, res.id, {"name": "renamed", "description": "d"})
    assert updated.name == "renamed" and updated.data["description"] == "d"
    assert updated.data["sha256"] == res.data["sha256"]
    with pytest.raises(InvalidInput):
        await files.update(SCOPE, res.id, {"purpose": None})
    await files.update(SCOPE, res.id, {"metadata": {DEV_SOURCE_KEY: "files/doc.yaml"}})
    with pytest.raises(Conflict) as err:
        await files.update(SCOPE, res.id, {"description": "x"})
    assert err.value.code == "declared_in_file"
    # The reloader serves it from that file, so it may change it.
    await files.update(SCOPE, res.id, {"description": "x"}, declared=True)


async def test_delete_refuses_while_in_use_then_removes_bytes(
    files: Files, index: Index, db: Database
) -> None:
    res = await upload(files, b"abc")
    store = SQLiteStore(db)
    user = await store.create("memory_store", SCOPE, "mem", {"vector": {"files": [res.id]}})
    with pytest.raises(Conflict) as err:
        await files.delete(SCOPE, res.id)
    assert err.value.code == "resource_in_use"
    assert files.content_path(res.id).exists()
    await store.delete("memory_store", SCOPE, user.id)
    await files.delete(SCOPE, res.id)
    assert not files.content_path(res.id).exists()
    assert index.deleted == [res.id]
    with pytest.raises(NotFound):
        await files.get(SCOPE, res.id)


async def test_staged_content_is_put_in_place_only_when_asked(
    files: Files, index: Index, tmp_path: Path
) -> None:
    source = tmp_path / "project.txt"
    source.write_bytes(b"from the project")
    staged = await files.stage(source, "dev-file_x")
    assert staged.size == 16 and staged.path.read_bytes() == b"from the project"
    res = await files.insert(SCOPE, "proj", {"filename": "project.txt", "bytes": staged.size})
    assert not files.content_path(res.id).exists()
    await files.put_content(SCOPE, res.id, staged.path)
    assert files.content_path(res.id).read_bytes() == b"from the project"
    assert index.added == [(res.id, b"from the project")]
    assert leftovers(files) == []


def test_safe_filename() -> None:
    assert safe_filename("C:\\dir\\a<b>.txt") == "a_b_.txt"
    assert safe_filename("  ..  ") == "upload"
