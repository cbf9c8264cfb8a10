"""API request bodies and response objects, derived from the spec models in `spec/kinds.py`.

A create body is a kind's spec fields plus `name`, `description` and `metadata`, with
references as ids (`tools: ["tool_..."]`). Each field is declared once in kinds.py; only
the reference fields are re-declared here (ids instead of names). An update body has the
same fields, all optional; the merged result is validated against the create body.
Response objects add `id`, `object`, `created_at`, `updated_at` (and `version`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from aiagentics.gateway.errors import InvalidRequest, param_from_key
from aiagentics.spec.kinds import (
    NAME_PATTERN,
    AgentSpec,
    FileSpec,
    MemorySpec,
    Strict,
    ToolSpec,
    VectorMemory,
    WebhookSpec,
)

Name = Annotated[
    str, Field(pattern=NAME_PATTERN, description="Unique per kind in a project and environment.")
]
Description = Annotated[str, Field(max_length=2000)]
MetadataValue = Annotated[str, Field(max_length=1000)]
MetadataDict = Annotated[
    dict[str, MetadataValue],
    Field(max_length=50, description="Up to 50 string pairs, e.g. aia.project, aia.source."),
]


def _id(prefix: str) -> Any:
    return Annotated[
        str, Field(pattern=rf"^{prefix}_[0-9A-Za-z]{{8,64}}$", description=f"A {prefix}_ id.")
    ]


ToolId = _id("tool")
MemId = _id("mem")
FileId = _id("file")

SensitivePath = Annotated[str, Field(min_length=1, max_length=300)]

_COMMON: dict[str, Any] = {
    "name": (Name, ...),
    "description": (Description, ""),
    "metadata": (MetadataDict, Field(default_factory=dict)),
    # Write-only fields besides the declared secret ones (tool headers): dotted paths of
    # string values, e.g. the ones `aia apply` filled from ${ENV}. Stored sealed; an
    # object reports every write-only path here and a fingerprint in place of the value.
    "sensitive_fields": (
        list[SensitivePath],
        Field(
            default_factory=list,
            max_length=100,
            description="Dotted paths of write-only string fields (stored sealed, read back "
            "as a fingerprint). An object lists every such path, the declared ones "
            "(tool headers) included.",
        ),
    ),
}


def _body(model_name: str, base: type[BaseModel], **overrides: Any) -> type[BaseModel]:
    fields = {**_COMMON, **overrides}
    model = create_model(model_name, __base__=base, **fields)  # type: ignore[call-overload]
    model.__doc__ = f"{model_name}: the spec fields plus name, description and metadata."
    return model


def _partial(name: str, full: type[BaseModel]) -> type[BaseModel]:
    """Every field of `full`, optional; only the fields sent are applied."""
    fields: dict[str, Any] = {
        fname: (info.annotation | None, Field(None, description=info.description))
        for fname, info in full.model_fields.items()
    }
    model = create_model(name, __base__=Strict, **fields)  # type: ignore[call-overload]
    model.__doc__ = f"{name}: the fields to change; the others keep their values."
    return model


def _object(
    name: str, object_name: str, body: type[BaseModel], extra: dict[str, Any] | None = None
) -> type[BaseModel]:
    fields: dict[str, Any] = {
        "id": (str, ...),
        "object": (Literal[object_name], ...),  # type: ignore[valid-type]
        "created_at": (int, Field(..., description="Unix seconds.")),
        "updated_at": (int, Field(..., description="Unix seconds.")),
    }
    for fname, info in body.model_fields.items():
        fields[fname] = (info.annotation, ...)
    fields.update(extra or {})
    model = create_model(name, __config__=ConfigDict(extra="forbid"), **fields)  # type: ignore[call-overload]
    model.__doc__ = f"{name} object."
    return model


def _list(name: str, item: type[BaseModel]) -> type[BaseModel]:
    model = create_model(
        name,
        object=(Literal["list"], ...),
        data=(list[item], ...),  # type: ignore[valid-type]
        has_more=(bool, ...),
    )
    model.__doc__ = f"A page of {item.__name__} objects."
    return model


_Version = {"version": (int, Field(..., description="Grows by one on every change."))}

# -- agents -------------------------------------------------------------------------------
# `model` may be left out only when the gateway names a default (`[gateway] default_model`);
# the agents' `prepare` hook fills it in or answers 400, so a stored agent always has one.
AgentCreate = _body(
    "AgentCreate",
    AgentSpec,
    model=(
        str | None,
        Field(
            None,
            min_length=1,
            description="alias, provider/model or scripted; required unless the gateway "
            "sets [gateway] default_model",
        ),
    ),
    tools=(list[ToolId], Field(default_factory=list)),
    memory=(MemId | None, None),
    files=(list[FileId], Field(default_factory=list)),
)
AgentUpdate = _partial("AgentUpdate", AgentCreate)
AgentObject = _object(
    "Agent", "agent", AgentCreate, {"model": (str, Field(..., min_length=1)), **_Version}
)
AgentList = _list("AgentList", AgentObject)

# -- tools --------------------------------------------------------------------------------
ToolCreate = _body("ToolCreate", ToolSpec)
ToolUpdate = _partial("ToolUpdate", ToolCreate)
ToolObject = _object("Tool", "tool", ToolCreate, _Version)
ToolList = _list("ToolList", ToolObject)

# -- memory stores ------------------------------------------------------------------------
VectorMemoryBody = create_model(
    "VectorMemoryBody", __base__=VectorMemory, files=(list[FileId], Field(default_factory=list))
)
MemoryStoreCreate = _body("MemoryStoreCreate", MemorySpec, vector=(VectorMemoryBody | None, None))
MemoryStoreUpdate = _partial("MemoryStoreUpdate", MemoryStoreCreate)
MemoryStoreObject = _object("MemoryStore", "memory_store", MemoryStoreCreate)
MemoryStoreList = _list("MemoryStoreList", MemoryStoreObject)

# -- webhooks (the secret is write-only: shown once, in the create response) ---------------
# Only `url` and `events` are needed: a webhook created through the API may have no name.
WebhookCreate = _body("WebhookCreate", WebhookSpec, name=(Name | None, None))
WebhookUpdate = _partial("WebhookUpdate", WebhookCreate)
_WebhookPublic = create_model(
    "_WebhookPublic",
    **{k: (v.annotation, v) for k, v in WebhookCreate.model_fields.items() if k != "secret"},
)
WebhookObject = _object("Webhook", "webhook", _WebhookPublic)
WebhookCreated = _object(
    "WebhookCreated",
    "webhook",
    _WebhookPublic,
    {"secret": (str, Field(..., description="whsec_...: shown only in this response."))},
)
WebhookList = _list("WebhookList", WebhookObject)

# -- files (content arrives as multipart; these are the metadata fields) -------------------
FileUpdate = create_model(
    "FileUpdate",
    __base__=Strict,
    name=(Name | None, None),
    description=(Description | None, None),
    metadata=(MetadataDict | None, None),
    purpose=(FileSpec.model_fields["purpose"].annotation | None, None),
)
FileObject = create_model(
    "File",
    __config__=ConfigDict(extra="forbid"),
    id=(str, ...),
    object=(Literal["file"], ...),
    created_at=(int, ...),
    updated_at=(int, ...),
    name=(str | None, ...),
    description=(str, ...),
    metadata=(dict[str, str], ...),
    filename=(str, Field(..., description="The uploaded file's base name (sanitised).")),
    bytes=(int, ...),
    purpose=(FileSpec.model_fields["purpose"].annotation, ...),
    content_type=(str, ...),
    sha256=(str, ...),
)
FileList = _list("FileList", FileObject)

# -- API keys --------------------------------------------------------------------------------
ScopeName = Literal["read", "run", "admin"]


class KeyCreate(Strict):
    """A new key of the caller's project and environment."""

    name: str = Field("", max_length=200)
    scopes: list[ScopeName] = Field(default_factory=lambda: ["read", "run"], min_length=1)
    expires_in_seconds: int | None = Field(None, ge=1, le=10 * 365 * 86_400)
    metadata: MetadataDict = Field(default_factory=dict)


class KeyRoll(Strict):
    """Roll a key: a new secret; the old one stays valid for `expires_in_seconds`."""

    expires_in_seconds: int = Field(3600, ge=0, le=30 * 86_400)


class KeyObject(BaseModel):
    """An API key (never its secret)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    object: Literal["api_key"]
    created_at: int
    name: str
    scopes: list[ScopeName]
    project: str
    environment: str
    hint: str = Field(description="The secret's first and last characters.")
    expires_at: int | None
    revoked_at: int | None
    metadata: dict[str, str]


class KeyCreated(KeyObject):
    """A new key, with its secret: shown only in this response."""

    secret: str


KeyList = _list("KeyList", KeyObject)


def validate(model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    """Validate merged data; the first error becomes a 400 with `param`."""
    try:
        return model.model_validate(data, strict=True)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        param = param_from_key(key)
        message = err["msg"]
        raise InvalidRequest(f"{param}: {message}" if param else message, param=param) from None
