"""The definitions' bodies and objects as the API takes and returns them, from `spec/kinds.py`.

A create body is a kind's spec fields plus `name`, `description` and `metadata`, with
references as ids (`tools: ["tool_..."]`). Each field is declared once in kinds.py; only
the reference fields are re-declared here (ids instead of names). An update body has the
same fields, all optional; the merged result is validated against the create body.
Response objects add `id`, `object`, `created_at`, `updated_at` (and `version`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from pydantic.fields import FieldInfo

from aiagentics.errors import InvalidInput
from aiagentics.kinds import BY_KIND
from aiagentics.spec.kinds import (
    NAME_PATTERN,
    ONE_INSTRUCTION_SOURCE,
    AgentSpec,
    FileSpec,
    Int,
    MemorySpec,
    Strict,
    ToolSpec,
    VectorMemory,
    WebhookSpec,
    bounded_int,
)

Name = Annotated[
    str, Field(pattern=NAME_PATTERN, description="Unique per kind in a project and environment.")
]
# A name, or the empty string of a form field left blank.
NAME_OR_EMPTY = f"(?:{NAME_PATTERN})|^$"
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


ToolId = _id(BY_KIND["tool"].prefix)
MemId = _id(BY_KIND["memory_store"].prefix)
FileId = _id(BY_KIND["file"].prefix)

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


def _optional(info: FieldInfo) -> tuple[Any, Any]:
    """The field with its type and constraints, not required (a null only where the type has it;
    the document drops the `default: null` of the others, see openapi.py)."""
    annotation: Any = info.annotation
    if info.metadata:
        annotation = Annotated[(annotation, *info.metadata)]
    return annotation, Field(
        None, description=info.description, json_schema_extra=info.json_schema_extra
    )


def _partial(
    name: str, full: type[BaseModel], schema_extra: dict[str, Any] | None = None
) -> type[BaseModel]:
    """Every field of `full`, optional; only the fields sent are applied."""
    fields: dict[str, Any] = {fname: _optional(info) for fname, info in full.model_fields.items()}
    model = create_model(  # type: ignore[call-overload]
        name,
        __config__=ConfigDict(extra="forbid", json_schema_extra=schema_extra),
        **fields,
    )
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
        # Optional but never null: left out, the gateway's default (or a 400) takes its place.
        str,
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
AgentUpdate = _partial("AgentUpdate", AgentCreate, ONE_INSTRUCTION_SOURCE)
AgentObject = _object(
    "Agent", "agent", AgentCreate, {"model": (str, Field(..., min_length=1)), **_Version}
)
AgentList = _list("AgentList", AgentObject)

# A webhook URL: http(s), a host, an optional port, and a path and query of RFC 3986
# characters (no user info, no fragment). As documented (the default, allow_private_network
# off) the host is a DNS name with an alphabetic top-level label; the API also takes a
# literal IP address (then refused if private) and, with allow_private_network, any name.
_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PORT = "(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
_PCHARS = "(?:[A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2})"
_QCHARS = "(?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})"
_REST = rf"(?::{_PORT})?(?:/{_PCHARS}*)?(?:\?{_QCHARS}*)?$"
WEBHOOK_URL_PATTERN = rf"^https?://(?:{_LABEL}\.)+[A-Za-z]{{2,63}}{_REST}"
WEBHOOK_URL_ANY_HOST_PATTERN = (
    rf"^https?://(?:(?:{_LABEL}\.)*{_LABEL}\.?|\[[0-9A-Fa-f:.]+\]){_REST}"
)


# -- tools --------------------------------------------------------------------------------
# A tool's handler_url, as the tools' prepare hook checks it (the YAML schema cannot say it:
# files may use ${ENV}): http(s), optional user info, a host name of letters, digits and
# hyphens, a port in range, then no spaces or control characters. (A bracketed IPv6
# address is accepted too.)
_USERINFO = "(?:(?:[A-Za-z0-9._~!$&'()*+,;=:-]|%[0-9A-Fa-f]{2})*@)?"
HTTP_URL_PATTERN = (
    rf"^https?://{_USERINFO}(?:{_LABEL}\.)*{_LABEL}\.?(?::{_PORT})?(?:[/?#][^\x00-\x20\x7f]*)?$"
)
ToolCreate = _body(
    "ToolCreate",
    ToolSpec,
    handler_url=(str | None, Field(None, json_schema_extra={"pattern": HTTP_URL_PATTERN})),
    url=(
        str | None,
        Field(
            None,
            validate_default=True,
            description="mcp streamable_http: the server's endpoint.",
            json_schema_extra={"pattern": HTTP_URL_PATTERN},
        ),
    ),
)
ToolUpdate = _partial("ToolUpdate", ToolCreate)
# The mcp fields appear on mcp tools only (ToolSpec leaves them out of the others' bodies).
_MCP_ONLY = ("transport", "command", "env", "url", "tools", "prefix")
ToolObject = _object(
    "Tool",
    "tool",
    ToolCreate,
    {
        **_Version,
        **{f: (ToolCreate.model_fields[f].annotation, None) for f in _MCP_ONLY},
    },
)
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
# whsec_ + base64 of 16 to 64 bytes, as webhooks.signing.secret_key reads it (padding is
# optional; it tolerates surplus `=` after complete groups).
_B64 = "[A-Za-z0-9+/]"
_TAIL = f"(?:{_B64}{{2}}={{0,2}}|{_B64}{{3}}=?)"
_GROUPS = f"(?:{_B64}{{4}})"
WEBHOOK_SECRET_PATTERN = (
    f"^whsec_(?:{_GROUPS}{{5}}{_TAIL}|{_GROUPS}{{6,20}}(?:{_TAIL}|=*)"
    f"|{_GROUPS}{{21}}(?:{_B64}{{2}}={{0,2}}|=*))$"
)
# Only `url` and `events` are needed: a webhook created through the API may have no name.
WebhookCreate = _body(
    "WebhookCreate",
    WebhookSpec,
    name=(Name | None, None),
    url=(
        str,
        Field(
            json_schema_extra={"pattern": WEBHOOK_URL_PATTERN},
            description="http(s) URL with a DNS name (names under .localhost and cloud"
            " metadata names are refused; a literal public IP address is accepted too, and"
            " private hosts with allow_private_network).",
        ),
    ),
    secret=(
        str | None,
        Field(
            None,
            json_schema_extra={"pattern": WEBHOOK_SECRET_PATTERN},
            description="whsec_<base64 of 16 to 64 bytes>; generated when absent.",
        ),
    ),
)
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
    description=(Description, None),
    metadata=(MetadataDict, None),
    purpose=(FileSpec.model_fields["purpose"].annotation, None),
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
    expires_in_seconds: bounded_int(ge=1, le=10 * 365 * 86_400) | None = None  # type: ignore[valid-type]
    metadata: MetadataDict = Field(default_factory=dict)


class KeyRoll(Strict):
    """Roll a key: a new secret; the old one stays valid for `expires_in_seconds`."""

    expires_in_seconds: Int = Field(3600, ge=0, le=30 * 86_400)


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


def param_from_key(key: str | None) -> str | None:
    """A dotted pydantic location (`tools.0.name`) as the API names it: `tools[0].name`."""
    if not key:
        return None
    out = ""
    for part in key.split("."):
        if part.isdigit():
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or None


def validate(model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    """Validate merged data; the first error becomes an InvalidInput with `param`."""
    try:
        return model.model_validate(data, strict=True)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        param = param_from_key(key)
        message = err["msg"]
        raise InvalidInput(f"{param}: {message}" if param else message, param=param) from None
