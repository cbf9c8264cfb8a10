"""The resource kinds: every field of every kind is declared here, once.

JSON Schema (`aia schema`), validation of YAML documents and the API's request
bodies all derive from these models.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from aiagentics.kinds import SPEC_KINDS
from aiagentics.wire.events import WebhookEvent

API_VERSION = "aiagentics.io/v1"
KINDS = SPEC_KINDS
NAME_PATTERN = r"^[a-z][a-z0-9_-]{0,62}$"

Name = Annotated[str, Field(pattern=NAME_PATTERN, description="A resource name.")]


def _integral(value: Any) -> Any:
    """`3.0` is the integer 3 (JSON Schema's `integer` includes it); `3.5` and `true` stay errors."""
    return int(value) if type(value) is float and value.is_integer() else value


# An integer field: strict (no "5", no true) but takes an integral JSON number like 5.0.
Int = Annotated[int, BeforeValidator(_integral)]


# `Int` with bounds, for optional fields (`PositiveInt | None`): pydantic documents bounds given
# with `Field` on `Int | None` under their Python names, so they go inside, before the validator.
PositiveInt = Annotated[int, Field(ge=1), BeforeValidator(_integral)]
TokenLimit = Annotated[int, Field(ge=1, le=1_000_000), BeforeValidator(_integral)]
HistoryLimit = Annotated[int, Field(ge=1, le=10_000), BeforeValidator(_integral)]


def bounded_int(*, ge: int | None = None, le: int | None = None) -> Any:
    """`Int` with bounds made at run time, the way `PositiveInt` is made (a call is no type to
    a type checker: a named alias like `PositiveInt` is one)."""
    return Annotated[int, Field(ge=ge, le=le), BeforeValidator(_integral)]


class Strict(BaseModel):
    """Base of every spec model: unknown fields are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Metadata(Strict):
    name: Name = Field(description="Unique per kind in a project: ^[a-z][a-z0-9_-]{0,62}$")
    description: str = Field("", max_length=2000)
    labels: dict[str, str] = Field(default_factory=dict)
    protect: bool = Field(False, description="When true, `aia apply` refuses to delete it.")


class Guardrails(Strict):
    max_steps: Int = Field(10, ge=1, le=100, description="Model calls per run.")
    max_output_tokens: TokenLimit | None = None
    timeout_seconds: float = Field(300, gt=0, le=86_400)
    # None (left out) is the engine's default, so agents applied before it existed show no drift.
    max_history_messages: HistoryLimit | None = Field(
        None,
        description="Of a thread's earlier messages, how many a run on it may send the model at"
        " most (default 100); the oldest runs' exchanges are left out whole.",
    )


class ScriptedToolCall(Strict):
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class ScriptStep(Strict):
    """One model call of the `scripted` model: either content or tool calls."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"properties": {"content": {"type": "string"}}, "required": ["content"]},
                {"properties": {"tool_calls": {"type": "array"}}, "required": ["tool_calls"]},
            ]
        }
    )

    content: str | None = None
    tool_calls: list[ScriptedToolCall] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> ScriptStep:
        if (self.content is None) == (self.tool_calls is None):
            raise ValueError("a script step has exactly one of `content` or `tool_calls`")
        return self


class ModelOptions(BaseModel):
    """Options passed to the model; providers ignore the ones they do not know."""

    model_config = ConfigDict(extra="allow")

    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, ge=0, le=1)
    max_tokens: PositiveInt | None = None
    script: list[ScriptStep] | None = Field(None, description="Steps of the `scripted` model.")


# `instructions` and `instructions_template` are not both given (a null is not given).
ONE_INSTRUCTION_SOURCE: dict[str, Any] = {
    "not": {
        "properties": {
            "instructions": {"type": "string"},
            "instructions_template": {"type": "string"},
        },
        "required": ["instructions", "instructions_template"],
    }
}


class AgentSpec(Strict):
    model_config = ConfigDict(json_schema_extra=ONE_INSTRUCTION_SOURCE)

    model: str = Field(min_length=1, description="alias, provider/model or scripted (required)")
    instructions: str | None = Field(None, description="A Jinja2 template.")
    instructions_template: str | None = Field(None, description="A file under templates/.")
    tools: list[Name] = Field(default_factory=list)
    memory: Name | None = None
    files: list[Name] = Field(default_factory=list)
    guardrails: Guardrails = Field(default_factory=Guardrails)
    model_options: ModelOptions = Field(default_factory=ModelOptions)

    @model_validator(mode="after")
    def _one_instruction_source(self) -> AgentSpec:
        if self.instructions is not None and self.instructions_template is not None:
            raise ValueError("give `instructions` or `instructions_template`, not both")
        return self


# An MCP tool name as servers list it; what the model sees may add the Tool's `prefix`.
MCP_TOOL_NAME = r"^[A-Za-z0-9_.\-/]{1,128}$"
# What a model provider accepts as a function name (OpenAI: ^[a-zA-Z0-9_-]{1,64}$).
MCP_PREFIX = r"^[A-Za-z0-9_-]{0,40}$"
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_MCP_FIELDS = ("transport", "command", "env", "url", "tools", "prefix")


class ToolSpec(Strict):
    # An http tool needs handler_url (what `_handler_for_http` checks); an mcp tool needs
    # `command` (stdio) or `url` (streamable_http), as `_mcp_command` and `_mcp_url` check.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"properties": {"type": {"enum": ["client", "webhook"]}}},
                {
                    "properties": {"type": {"const": "http"}, "handler_url": {"type": "string"}},
                    "required": ["handler_url"],
                },
                {
                    "properties": {
                        "type": {"const": "mcp"},
                        "transport": {"const": "stdio"},
                        "command": {"type": "array"},
                    },
                    "required": ["command"],
                },
                {
                    "properties": {
                        "type": {"const": "mcp"},
                        "transport": {"const": "streamable_http"},
                        "url": {"type": "string"},
                    },
                    "required": ["transport", "url"],
                },
            ]
        }
    )

    type: Literal["http", "client", "webhook", "mcp"]
    description: str = Field("", max_length=4000)
    parameters: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}},
        description="JSON Schema of the arguments (type object).",
        json_schema_extra={"properties": {"type": {"const": "object"}}, "required": ["type"]},
    )
    handler_url: str | None = None
    method: Literal["POST", "PUT", "PATCH", "GET"] = "POST"
    headers: dict[str, str] = Field(
        default_factory=dict, description="Sent with every call (http and streamable_http mcp)."
    )
    timeout_seconds: float = Field(30, gt=0, le=600)
    # -- type: mcp ------------------------------------------------------------------------
    transport: Literal["stdio", "streamable_http"] = Field(
        "stdio", description="mcp: how to reach the MCP server."
    )
    command: list[Annotated[str, Field(min_length=1)]] | None = Field(
        None,
        min_length=1,
        validate_default=True,
        description="mcp stdio: the server's argv (program, then arguments); never a shell.",
    )
    env: dict[str, str] = Field(
        default_factory=dict,
        description="mcp stdio: extra environment of the server process.",
        json_schema_extra={"propertyNames": {"pattern": ENV_NAME}},
    )
    url: str | None = Field(
        None, validate_default=True, description="mcp streamable_http: the server's endpoint."
    )
    tools: list[Annotated[str, Field(pattern=MCP_TOOL_NAME)]] | None = Field(
        None, description="mcp: the server's tools to offer (default: every tool it lists)."
    )
    prefix: str = Field(
        "",
        pattern=MCP_PREFIX,
        description="mcp: put before each tool's name as the model sees it (clock_).",
    )

    @field_validator("parameters")
    @classmethod
    def _object_schema(cls, value: dict[str, Any]) -> dict[str, Any]:
        if value.get("type") != "object":
            raise ValueError("parameters must be a JSON Schema with type: object")
        return value

    @field_validator("handler_url", "url")
    @classmethod
    def _http_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"{info.field_name} must start with http:// or https://")
        return value

    @field_validator("env")
    @classmethod
    def _env_names(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if not re.fullmatch(ENV_NAME, key):
                raise ValueError(f"env: {key!r} is not an environment variable name ({ENV_NAME})")
        return value

    @field_validator("command")
    @classmethod
    def _mcp_command(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        kind, transport = info.data.get("type"), info.data.get("transport")
        if kind == "mcp" and transport == "stdio" and not value:
            raise PydanticCustomError(
                "mcp_command",
                "a stdio MCP tool needs `command`: the server's argv, e.g. "
                "[mcp-server-time, --local-timezone, UTC]",
            )
        return value

    @field_validator("url")
    @classmethod
    def _mcp_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        kind, transport = info.data.get("type"), info.data.get("transport")
        if kind == "mcp" and transport == "streamable_http" and not value:
            raise PydanticCustomError(
                "mcp_url", "a streamable_http MCP tool needs `url`, e.g. https://host/mcp"
            )
        return value

    @model_validator(mode="after")
    def _handler_for_http(self) -> ToolSpec:
        if self.type == "http" and not self.handler_url:
            raise ValueError("an http tool needs `handler_url`")
        return self

    # The fields of one type given on another are ignored, not refused: the API's schema
    # (one anyOf for what each type needs) cannot say "not on this type" for each of them.
    @model_serializer(mode="wrap")
    def _without_other_types_fields(self, handler: SerializerFunctionWrapHandler) -> Any:
        # The mcp fields exist only on mcp tools: the bodies (and spec hashes) of the other
        # types stay what they were before the type existed.
        data = handler(self)
        if self.type != "mcp" and isinstance(data, dict):
            for name in _MCP_FIELDS:
                data.pop(name, None)
        return data


class KVMemory(Strict):
    scope: Literal["user", "session", "project"] = "user"
    ttl_seconds: PositiveInt | None = None


class VectorMemory(Strict):
    files: list[Name] = Field(default_factory=list)
    top_k: Int = Field(5, ge=1, le=50)
    chunk_size: Int = Field(800, ge=50, le=20_000)
    chunk_overlap: Int = Field(100, ge=0, le=10_000, description="Must be smaller than chunk_size.")

    @model_validator(mode="after")
    def _overlap_below_size(self) -> VectorMemory:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        return self


class MemorySpec(Strict):
    kv: KVMemory | None = None
    vector: VectorMemory | None = None


class WebhookSpec(Strict):
    url: str
    events: list[WebhookEvent] = Field(min_length=1)
    secret: str | None = Field(None, description="whsec_<base64>; generated when absent")
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        return value

    @field_validator("secret")
    @classmethod
    def _whsec(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("whsec_"):
            raise ValueError("secret must look like whsec_<base64>")
        return value


class FileSpec(Strict):
    path: str = Field(min_length=1, description="Relative to the project root.")
    purpose: Literal["retrieval", "code", "attachment"] = "retrieval"


SPEC_MODELS: dict[str, type[Strict]] = {
    "Agent": AgentSpec,
    "Tool": ToolSpec,
    "Memory": MemorySpec,
    "Webhook": WebhookSpec,
    "File": FileSpec,
}


def document_model(kind: str) -> type[BaseModel]:
    """The envelope model (`apiVersion`/`kind`/`metadata`/`spec`) of one kind."""
    return _DOCUMENT_MODELS[kind]


def _make_document(kind: str, spec: type[Strict]) -> type[BaseModel]:
    return type(
        f"{kind}Document",
        (Strict,),
        {
            "__annotations__": {
                "apiVersion": Literal["aiagentics.io/v1"],
                "kind": Literal[kind],
                "metadata": Metadata,
                "spec": spec,
            },
            "__doc__": f"An {kind} resource file document.",
        },
    )


_DOCUMENT_MODELS: dict[str, type[BaseModel]] = {
    kind: _make_document(kind, model) for kind, model in SPEC_MODELS.items()
}
