"""/v1/files: multipart upload, metadata, content download, update of metadata, delete.

The rules and the bytes are the engine's (`aiagentics.engine.documents.files`); this
module parses the request, checks the key's role, calls the service and encodes.
"""

# No `from __future__ import annotations`: Litestar reads these annotations at runtime.

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

import msgspec
from litestar import Controller, HttpMethod, delete, get, post, route
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import File

from aiagentics.engine import bodies as m
from aiagentics.engine.definitions import public_metadata
from aiagentics.gateway.auth import AuthContext, needs
from aiagentics.gateway.errors import InvalidRequest
from aiagentics.gateway.routes.common import Deleted, Limit, cursor, error_responses, list_body
from aiagentics.gateway.services import Services
from aiagentics.storage.base import Resource


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
        try:
            if data.metadata:
                try:
                    meta = msgspec.json.decode(data.metadata)
                except msgspec.DecodeError:
                    raise InvalidRequest(
                        "metadata must be a JSON object", param="metadata"
                    ) from None
            res = await services.files.create(
                auth.scope,
                data.file.file,
                filename=data.file.filename,
                content_type=data.file.content_type,
                name=data.name,
                description=data.description,
                metadata=meta,
                purpose=data.purpose,
            )
        finally:
            await data.file.close()
        return render_file(res)  # type: ignore[return-value]

    @get(
        "/{id:str}",
        opt=needs("read"),
        responses=error_responses(404),
        summary="Retrieve a file's metadata",
        operation_id="get_file",
    )
    async def retrieve(self, id: str, services: Services, auth: AuthContext) -> m.FileObject:  # type: ignore[valid-type]
        return render_file(await services.files.get(auth.scope, id))  # type: ignore[return-value]

    @get(
        "/{id:str}/content",
        opt=needs("read"),
        responses=error_responses(404),
        summary="Download a file's content",
        operation_id="get_file_content",
        media_type="application/octet-stream",
    )
    async def content(self, id: str, services: Services, auth: AuthContext) -> File:
        res, path = await services.files.content(auth.scope, id)
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
        changes = data.model_dump(exclude_unset=True)  # type: ignore[attr-defined]
        return render_file(await services.files.update(auth.scope, id, changes))  # type: ignore[return-value]

    @delete(
        "/{id:str}",
        opt=needs("admin"),
        status_code=200,
        responses=error_responses(404, 409),
        summary="Delete a file and its content",
        operation_id="delete_file",
    )
    async def remove(self, id: str, services: Services, auth: AuthContext) -> Deleted:
        await services.files.delete(auth.scope, id)
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
        page = await services.files.list(auth.scope, limit=limit, starting_after=starting_after)
        return list_body([render_file(r) for r in page.items], page.has_more)  # type: ignore[return-value]
