"""/v1/files: multipart upload, metadata, content download, update of metadata, delete.

Content is stored as `<files_dir>/<file id>`: the user's file name is kept only as
metadata (sanitised), never used as a path. When `services.files_index` is set (the
retrieval index), it is told about uploads and deletions.
"""

# No `from __future__ import annotations`: Litestar reads these annotations at runtime.

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

import msgspec
from litestar import Controller, HttpMethod, delete, get, post, route
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import File

from aiagentics.engine import bodies as m
from aiagentics.engine.bodies import validate
from aiagentics.engine.definitions import public_metadata, refuse_if_declared
from aiagentics.gateway.auth import AuthContext, needs
from aiagentics.gateway.errors import Conflict, InvalidRequest, NotFound, PayloadTooLarge
from aiagentics.gateway.routes.common import (
    Deleted,
    Limit,
    check_cursor,
    check_id,
    cursor,
    cursor_gone,
    error_responses,
    list_body,
)
from aiagentics.gateway.services import Services
from aiagentics.gateway.statedir import open_private, private_dir
from aiagentics.storage.base import DuplicateName, Resource

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
CHUNK = 1 << 20


@dataclass
class FileUpload:
    """The multipart form of an upload."""

    # For the OpenAPI document (merged by api/openapi.py): what `create` validates. An empty
    # form field is a field not given.
    __json_schema_extra__: ClassVar[dict[str, Any]] = {
        "properties": {
            "name": {"anyOf": [{"type": "string", "pattern": m.NAME_OR_EMPTY}, {"type": "null"}]},
            "description": {"type": "string", "maxLength": 2000},
            # A JSON document in its part (see the upload encoding in openapi.py).
            "metadata": {
                "type": "object",
                "additionalProperties": {"type": "string", "maxLength": 1000},
                "maxProperties": 50,
                "description": "A JSON object of up to 50 string pairs.",
            },
        }
    }

    file: UploadFile
    purpose: Literal["retrieval", "code", "attachment"] = "retrieval"
    name: str | None = None
    description: str = ""
    metadata: str | None = None  # a JSON object of strings


def safe_filename(raw: str | None) -> str:
    """A display name without directories, control or reserved characters."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    return name[:255] or "upload"


def render_file(res: Resource) -> dict[str, Any]:
    """The API object of a stored file (internal labels left out)."""
    return public_metadata(
        {
            "id": res.id,
            "object": "file",
            "created_at": res.created_at,
            "updated_at": res.updated_at,
            "name": res.name,
            **res.data,
        }
    )


def content_path(services: Services, file_id: str) -> Any:
    """Where a file's bytes live (by id only)."""
    return services.settings.files_dir / file_id


async def _load(services: Services, auth: AuthContext, id: str) -> Resource:
    check_id(id, "file", "file")
    res = await services.store.get("file", auth.scope, id)
    if res is None:
        raise NotFound(f"no such file: {id}")
    return res


class FileController(Controller):
    path = "/v1/files"
    tags = ["files"]

    @post(
        "/",
        opt=needs("admin"),
        status_code=200,
        responses=error_responses(409, 413),
        summary="Upload a file (multipart/form-data: file, purpose, name, description, metadata)",
        operation_id="create_file",
        request_max_body_size=None,
    )
    async def create(
        self,
        data: Annotated[FileUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        services: Services,
        auth: AuthContext,
    ) -> m.FileObject:  # type: ignore[valid-type]
        if not isinstance(data.file, UploadFile):
            raise InvalidRequest("`file` must be a file part", param="file")
        meta: dict[str, Any] = {}
        if data.metadata:
            try:
                meta = msgspec.json.decode(data.metadata)
            except msgspec.DecodeError:
                raise InvalidRequest("metadata must be a JSON object", param="metadata") from None
        fields = validate(
            m.FileUpdate,
            {
                "name": data.name or None,
                "description": data.description,
                "metadata": meta,
                "purpose": data.purpose,
            },
        ).model_dump()
        settings = services.settings
        private_dir(settings.files_dir, tighten=False)
        tmp = settings.files_dir / f".upload-{os.getpid()}-{id(data)}"
        digest = hashlib.sha256()
        size = 0
        try:
            with open_private(tmp) as out:
                while chunk := await data.file.read(CHUNK):
                    size += len(chunk)
                    if size > settings.max_file_bytes:
                        raise PayloadTooLarge(
                            f"file is over the limit of {settings.max_file_bytes} bytes",
                            param="file",
                        )
                    digest.update(chunk)
                    out.write(chunk)
            record = {
                "description": fields["description"] or "",
                "metadata": fields["metadata"] or {},
                "filename": safe_filename(data.file.filename),
                "bytes": size,
                "purpose": fields["purpose"] or "retrieval",
                "content_type": data.file.content_type or "application/octet-stream",
                "sha256": digest.hexdigest(),
            }
            try:
                res = await services.store.create("file", auth.scope, fields["name"], record)
            except DuplicateName:
                raise Conflict(
                    f"a file named {fields['name']!r} already exists",
                    param="name",
                    code="name_taken",
                ) from None
            os.replace(tmp, content_path(services, res.id))
        finally:
            tmp.unlink(missing_ok=True)
            await data.file.close()
        if services.files_index is not None:
            await services.files_index.file_added(auth.scope, res, content_path(services, res.id))
        return render_file(res)  # type: ignore[return-value]

    @get(
        "/{id:str}",
        opt=needs("read"),
        responses=error_responses(404),
        summary="Retrieve a file's metadata",
        operation_id="get_file",
    )
    async def retrieve(self, id: str, services: Services, auth: AuthContext) -> m.FileObject:  # type: ignore[valid-type]
        return render_file(await _load(services, auth, id))  # type: ignore[return-value]

    @get(
        "/{id:str}/content",
        opt=needs("read"),
        responses=error_responses(404),
        summary="Download a file's content",
        operation_id="get_file_content",
        media_type="application/octet-stream",
    )
    async def content(self, id: str, services: Services, auth: AuthContext) -> File:
        res = await _load(services, auth, id)
        path = content_path(services, res.id)
        if not path.is_file():
            raise NotFound(f"the content of file {id} is gone")
        # Always octet-stream (as documented); the uploaded type is in the file object.
        return File(
            path=path,
            filename=res.data["filename"],
            media_type="application/octet-stream",
            content_disposition_type="attachment",
        )

    @route(
        "/{id:str}",
        http_method=[HttpMethod.POST, HttpMethod.PATCH],
        opt=needs("admin"),
        status_code=200,
        responses=error_responses(404, 409),
        summary="Update a file's name, description, metadata or purpose",
        operation_id=lambda _h, method, _p: f"update_file_{method.lower()}",
    )
    async def update(
        self, id: str, data: m.FileUpdate, services: Services, auth: AuthContext
    ) -> m.FileObject:  # type: ignore[valid-type]
        current = await _load(services, auth, id)
        refuse_if_declared(current, "file")
        changes = data.model_dump(exclude_unset=True)  # type: ignore[attr-defined]
        for required in ("description", "metadata", "purpose"):
            if required in changes and changes[required] is None:
                raise InvalidRequest(f"{required} cannot be null", param=required)
        name = changes.pop("name", current.name)
        try:
            res = await services.store.update(
                "file", auth.scope, id, name, {**current.data, **changes}
            )
        except DuplicateName:
            raise Conflict(
                f"a file named {name!r} already exists", param="name", code="name_taken"
            ) from None
        if res is None:
            raise NotFound(f"no such file: {id}")
        return render_file(res)  # type: ignore[return-value]

    @delete(
        "/{id:str}",
        opt=needs("admin"),
        status_code=200,
        responses=error_responses(404, 409),
        summary="Delete a file and its content",
        operation_id="delete_file",
    )
    async def remove(self, id: str, services: Services, auth: AuthContext) -> Deleted:
        refuse_if_declared(await _load(services, auth, id), "file")
        for kind, field_path in (("agent", "files"), ("memory_store", "vector.files")):
            users = await services.store.referrers(kind, auth.scope, field_path, id)  # type: ignore[arg-type]
            if users:
                raise Conflict(
                    f"this file is used by {kind.replace('_', ' ')} {users[0]}",
                    code="resource_in_use",
                )
        await services.store.delete("file", auth.scope, id)
        content_path(services, id).unlink(missing_ok=True)
        if services.files_index is not None:
            await services.files_index.file_deleted(auth.scope, id)
        return Deleted(id=id, object="file")

    @get(
        "/",
        opt=needs("read"),
        responses=error_responses(),
        summary="List files (newest first)",
        operation_id="list_files",
    )
    async def list_all(
        self,
        services: Services,
        auth: AuthContext,
        limit: int = Limit,
        starting_after: str | None = cursor("file", "file"),
    ) -> m.FileList:  # type: ignore[valid-type]
        check_cursor(starting_after, "file")
        if starting_after and await services.store.get("file", auth.scope, starting_after) is None:
            raise cursor_gone(starting_after)
        page = await services.store.list(
            "file", auth.scope, limit=limit, starting_after=starting_after
        )
        return list_body([render_file(r) for r in page.items], page.has_more)  # type: ignore[return-value]
