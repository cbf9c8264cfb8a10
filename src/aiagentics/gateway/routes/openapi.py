"""/schema/openapi.json: Litestar's document with the pydantic bodies described by pydantic itself.

Litestar's own rendering of pydantic models drops patterns, `additionalProperties: false`
and dict value types; the document must be truthful (clients and schemathesis rely on
it), so every pydantic model used as a body or a response is replaced by
`pydantic.json_schema.models_json_schema` output (validation mode for request bodies,
serialization mode for responses) under the same component names.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.openapi.plugins import JsonRenderPlugin
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from aiagentics.wire.errors import ErrorBody
from aiagentics.wire.events import SSE_EVENT_SCHEMA
from aiagentics.wire.memory import KVDeleted, KVEntry, KVList, SearchResults
from aiagentics.wire.webhooks import Delivery, DeliveryList

REF = "#/components/schemas/{model}"
STRUCT_REF = "#/components/schemas/{name}"
# A handler's `opt` key naming the Struct of its JSON answer, for handlers whose return
# annotation cannot say it (those that answer with JSON or with a stream).
JSON_ANSWER = "json_answer"
# The wire Structs of the answers of handlers that build them as plain dicts (annotated
# `dict[str, Any]`), by operation id; tests/e2e checks real answers against them.
ANSWERS_BY_OPERATION: dict[str, type[msgspec.Struct]] = {
    "list_memory_kv": KVList,
    "get_memory_kv": KVEntry,
    "put_memory_kv": KVEntry,
    "delete_memory_kv": KVDeleted,
    "search_memory": SearchResults,
    "list_webhook_deliveries": DeliveryList,
    "get_webhook_delivery": Delivery,
    "redeliver_webhook_delivery": Delivery,
}


def _models(annotation: Any) -> list[type[BaseModel]]:
    """Pydantic model classes inside an annotation (Annotated, unions, lists)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found += _models(arg)
    return found


def _structs(annotation: Any) -> list[type[msgspec.Struct]]:
    """msgspec Struct classes inside an annotation."""
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return [annotation]
    found: list[type[msgspec.Struct]] = []
    for arg in typing.get_args(annotation):
        found += _structs(arg)
    return found


def _operations(app: Litestar) -> Iterator[tuple[str, str, Any]]:
    """(document path, lower-case method, handler) of every documented operation."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if not handler.resolve_include_in_schema():
                continue
            for method in handler.http_methods:
                yield route.path_format, method.lower(), handler


def document_struct_bodies(app: Litestar, document: dict[str, Any]) -> None:
    """msgspec request bodies as msgspec describes them, plus what their handlers check.

    Litestar's rendering drops `additionalProperties: false` of `forbid_unknown_fields`;
    a struct's `__json_schema_extra__` adds the rules its handler enforces (its
    `properties` entries replace the generated ones). A body the handler may omit (a
    `data` with a default) is not required.
    """
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    structs: set[type[msgspec.Struct]] = set()
    for path, method, handler in _operations(app):
        data = handler.parsed_fn_signature.parameters.get("data")
        if data is None:
            continue
        structs.update(_structs(data.annotation))
        _merge_extra(schemas, data.annotation)
        if data.has_default:
            body = document["paths"].get(path, {}).get(method, {}).get("requestBody")
            if body is not None:
                body["required"] = False
    if not structs:
        return
    (_, defs) = msgspec.json.schema_components(
        sorted(structs, key=lambda t: t.__name__), ref_template="#/components/schemas/{name}"
    )
    for name, schema in defs.items():
        struct = next((t for t in structs if t.__name__ == name), None)
        extra = dict(getattr(struct, "__json_schema_extra__", {}) or {})
        schema["properties"] = {**schema.get("properties", {}), **extra.pop("properties", {})}
        schema.update(extra)
        for required in schema.get("required", []):
            schema["properties"].get(required, {}).pop("default", None)
        schemas[name] = schema


def document_struct_responses(app: Litestar, document: dict[str, Any]) -> None:
    """The JSON answer of every handler that returns a wire Struct, as msgspec describes it.

    The Struct comes from the return annotation, or from `opt[JSON_ANSWER]` when the handler
    may also stream. Every field is sent, defaults included, so every field is required.
    """
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    answers: dict[tuple[str, str], type[msgspec.Struct]] = {}
    for path, method, handler in _operations(app):
        declared = handler.opt.get(JSON_ANSWER) or ANSWERS_BY_OPERATION.get(
            str(handler.operation_id)
        )
        found = (
            [declared] if declared else _structs(handler.parsed_fn_signature.return_type.annotation)
        )
        if len(found) == 1:
            answers[(path, method)] = found[0]
    if not answers:
        return
    structs = sorted(set(answers.values()), key=lambda t: t.__name__)
    (_, defs) = msgspec.json.schema_components(structs, ref_template=STRUCT_REF)
    for name, sent in _always_sent(structs).items():
        schema = defs.get(name, {})
        schema["required"] = sent
        for field in sent:
            schema.get("properties", {}).get(field, {}).pop("default", None)
    schemas.update(defs)
    for (path, method), struct in answers.items():
        op = document["paths"].get(path, {}).get(method)
        if op is None:
            continue
        for status, response in op.get("responses", {}).items():
            if status[:1] == "2":
                content = response.setdefault("content", {})
                content["application/json"] = {
                    "schema": {"$ref": STRUCT_REF.format(name=struct.__name__)}
                }


def _always_sent(structs: list[type[msgspec.Struct]]) -> dict[str, list[str]]:
    """Struct name -> the fields its encoding always has (all but those left UNSET)."""
    out: dict[str, list[str]] = {}
    pending: list[Any] = list(msgspec.inspect.multi_type_info(structs))
    while pending:
        info = pending.pop()
        if isinstance(info, msgspec.inspect.StructType):
            if info.cls.__name__ in out:
                continue
            tag = [info.tag_field] if info.tag_field else []
            out[info.cls.__name__] = tag + [
                f.encode_name
                for f in info.fields
                if f.required
                or f.default is not msgspec.NODEFAULT
                or f.default_factory is not msgspec.NODEFAULT
            ]
            pending += [f.type for f in info.fields]
        elif isinstance(info, msgspec.inspect.UnionType):
            pending += list(info.types)
        elif isinstance(info, msgspec.inspect.ListType | msgspec.inspect.DictType):
            pending += [getattr(info, "item_type", None) or info.value_type]  # type: ignore[union-attr]
    return out


def _merge_extra(schemas: dict[str, Any], annotation: Any) -> None:
    """Merge the `__json_schema_extra__` of a (non-struct) body class into its component."""
    for cls in [annotation, *typing.get_args(annotation)]:
        extra = getattr(cls, "__json_schema_extra__", None)
        target = schemas.get(getattr(cls, "__name__", ""))
        if not extra or target is None or _structs(cls):
            continue
        extra = dict(extra)
        target["properties"] = {**target.get("properties", {}), **extra.pop("properties", {})}
        target.update(extra)


# Operations that answer with server-sent events (the POSTs when the body says `stream: true`).
STREAMING_OPERATIONS = frozenset({"create_run", "submit_tool_outputs", "run_events"})
STREAM_ONLY = frozenset({"run_events"})
# One server-sent event (its `data` is the JSON text of the event, with `run_id`).
SSE_EVENT = SSE_EVENT_SCHEMA
# The part types of uploads. A part without a Content-Type is text/plain (RFC 7578), and a
# text part must hold text when the file is indexed for retrieval; any bytes go as
# application/octet-stream.
UPLOAD_ENCODINGS = {
    "create_file": {
        "file": {
            "contentType": "application/octet-stream",
            "description": "Other types are accepted too: text types (and .txt, .md, .html,"
            " .json, .csv names) must be UTF-8 text, and application/pdf a PDF, when purpose"
            " is retrieval.",
        },
        "metadata": {"contentType": "application/json"},
    }
}
# SQLite integers (ids of versions and events, offsets) are signed 64-bit.
INT64_MAX = 2**63 - 1
# Last-Modified is an HTTP-date (RFC 9110), not an RFC 3339 date-time.
HTTP_DATE = "^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$"


_KEYWORDS = {
    "integer": ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"),
    "string": ("pattern", "minLength", "maxLength"),
}


def _push_down(schema: dict[str, Any]) -> None:
    """Move Litestar's bounds of an optional parameter (`{"oneOf": [int, null], "minimum": 0}`)
    into the option of their type, where every generator reads them."""
    for option in schema.get("oneOf", []):
        for keyword in _KEYWORDS.get(option.get("type"), ()):
            if keyword in schema:
                option.setdefault(keyword, schema.pop(keyword))


_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def document_query_bounds(app: Litestar, document: dict[str, Any]) -> None:
    """The ge/le/gt/lt of every query parameter, on its integer option (Litestar leaves them
    out of the document for some optional parameters, though it enforces them)."""
    for path, method, handler in _operations(app):
        op = document["paths"].get(path, {}).get(method)
        if op is None:
            continue
        documented = {p["name"]: p for p in op.get("parameters", []) if p.get("in") == "query"}
        for field in handler.parsed_fn_signature.parameters.values():
            kwarg = field.kwarg_definition
            name = getattr(kwarg, "query", None) or field.name
            if kwarg is None or name not in documented:
                continue
            schema = documented[name]["schema"]
            for option in [schema, *schema.get("oneOf", [])]:
                if option.get("type") != "integer":
                    continue
                for attr, keyword in _BOUNDS.items():
                    value = getattr(kwarg, attr, None)
                    if value is not None:
                        option[keyword] = value


def document_parameters(document: dict[str, Any]) -> None:
    """Integer query parameters are bounded by 64 bits; date headers are HTTP-dates."""
    for item in document.get("paths", {}).values():
        for op in item.values():
            if not isinstance(op, dict):
                continue
            for param in op.get("parameters", []):
                schema = param.get("schema", {})
                _push_down(schema)
                for option in [schema, *schema.get("oneOf", []), *schema.get("anyOf", [])]:
                    if option.get("type") == "integer":
                        option.setdefault("maximum", INT64_MAX)
            if op.get("operationId") in UPLOAD_ENCODINGS:
                form = op["requestBody"]["content"]["multipart/form-data"]
                form["encoding"] = UPLOAD_ENCODINGS[op["operationId"]]
            if op.get("operationId") in STREAMING_OPERATIONS:
                content = op["responses"]["200"].setdefault("content", {})
                if op["operationId"] in STREAM_ONLY:
                    content.clear()
                content["text/event-stream"] = {"schema": SSE_EVENT}
            for response in op.get("responses", {}).values():
                header = response.get("headers", {}).get("last-modified")
                if header is not None:
                    header["schema"] = {"type": "string", "pattern": HTTP_DATE}
                    header["description"] = "When the content last changed (an HTTP-date)."


def body_models(app: Litestar) -> tuple[set[type[BaseModel]], set[type[BaseModel]]]:
    """(request body models, response models) of every route handler of the app."""
    inputs: set[type[BaseModel]] = set()
    outputs: set[type[BaseModel]] = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            signature = handler.parsed_fn_signature
            data = signature.parameters.get("data")
            if data is not None:
                inputs.update(_models(data.annotation))
            outputs.update(_models(signature.return_type.annotation))
    return inputs, outputs


def document_errors(document: dict[str, Any]) -> None:
    """Every error response of every operation has our one error shape (`ErrorBody`).

    The middleware and the single exception handler render every 4xx/5xx of every route
    (also Litestar's own validation errors) as `{"error": {...}}`, and any /v1 route can
    answer 400, 401 (not /v1/health), 403, 413, 429 and 500, plus 404 when it takes an id.
    """
    from aiagentics.gateway.routes.common import _DESCRIPTIONS

    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    if "ErrorBody" not in schemas:
        (_, defs) = msgspec.json.schema_components([ErrorBody], ref_template=REF)
        schemas.update(defs)
    error_content = {"application/json": {"schema": {"$ref": REF.format(model="ErrorBody")}}}
    for path, item in document.get("paths", {}).items():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            responses = op["responses"]
            if path.startswith("/v1/"):
                codes = {400, 403, 413, 429, 500}
                if path != "/v1/health":
                    codes.add(401)
                if "{" in path:
                    codes.add(404)
                if method in ("post", "patch", "put", "delete"):
                    codes.add(409)
                for code in codes:
                    responses.setdefault(str(code), {"description": _DESCRIPTIONS[code]})
            for status, response in responses.items():
                if status[:1] in ("4", "5"):
                    response["content"] = error_content
                response["headers"] = {**response.get("headers", {}), **_headers(path, status)}


def _int_header(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    }


def _headers(path: str, status: str) -> dict[str, Any]:
    """The headers the middleware adds to every response (and Retry-After to a 429)."""
    headers: dict[str, Any] = {
        "X-Request-Id": {
            "description": "Identifies the request (also `request_id` in errors and the log).",
            "required": True,
            "schema": {"type": "string", "pattern": "^req_[0-9a-f]+$"},
        },
        "X-RateLimit-Limit": _int_header("Requests the caller's bucket holds when full."),
        "X-RateLimit-Remaining": _int_header("Requests left in the bucket."),
        "X-RateLimit-Reset": _int_header("Seconds until the bucket is full again."),
    }
    if status == "429":
        headers["Retry-After"] = _int_header("Seconds to wait before retrying.")
    if path.startswith("/v1/") and status[:1] == "2":
        headers["Idempotent-Replayed"] = {
            "description": "`true` when this is the stored response of an earlier POST with the same Idempotency-Key.",
            "required": False,
            "schema": {"type": "string", "enum": ["true"]},
        }
    return headers


def _admits_null(schema: dict[str, Any]) -> bool:
    if schema.get("type") == "null" or "null" in (schema.get("type") or []):
        return True
    return any(_admits_null(o) for o in [*schema.get("anyOf", []), *schema.get("oneOf", [])])


def _drop_null_defaults(schema: dict[str, Any]) -> None:
    """An optional field of an update body may be omitted, not null: no `default: null` there
    (a generator would send it, and the API refuses it)."""
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None and not _admits_null(prop):
            del prop["default"]


def document_model_requirement(document: dict[str, Any], default_model: str | None) -> None:
    """An agent's `model` may be left out only where the gateway names a default: say so."""
    create = document.get("components", {}).get("schemas", {}).get("AgentCreate")
    if default_model is None and isinstance(create, dict):
        required = create.setdefault("required", [])
        if "model" not in required:
            required.append("model")


def truthful_schema(
    app: Litestar, document: dict[str, Any], default_model: str | None = None
) -> dict[str, Any]:
    """`document` with the components of pydantic models regenerated by pydantic, and the
    rules this gateway's settings add (`default_model`)."""
    document_errors(document)
    document_parameters(document)
    document_query_bounds(app, document)
    document_struct_bodies(app, document)
    document_struct_responses(app, document)
    inputs, outputs = body_models(app)
    pairs = [(m, "validation") for m in sorted(inputs, key=lambda m: m.__name__)]
    pairs += [(m, "serialization") for m in sorted(outputs, key=lambda m: m.__name__)]
    if not pairs:
        return document
    refs, defs = models_json_schema(pairs, ref_template=REF)  # type: ignore[arg-type]
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for schema in defs.get("$defs", {}).values():
        _drop_null_defaults(schema)
    schemas.update(defs.get("$defs", {}))
    for (model, _mode), ref in refs.items():
        target = ref["$ref"].rsplit("/", 1)[1]
        if target != model.__name__:
            # Same model used as input and output with different shapes: Litestar points
            # both at one name; the request side keeps the validation schema.
            schemas.setdefault(model.__name__, {"$ref": ref["$ref"]})
            if model in inputs:
                schemas[model.__name__] = {"$ref": ref["$ref"]}
    document_model_requirement(document, default_model)
    return document


class TruthfulJsonPlugin(JsonRenderPlugin):
    """Serves the corrected document (computed once per app)."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        cached = getattr(request.app.state, "openapi_bytes", None)
        if cached is None:
            services = getattr(request.app.state, "services", None)
            fixed = truthful_schema(
                request.app,
                msgspec.json.decode(msgspec.json.encode(openapi_schema)),
                getattr(getattr(services, "settings", None), "default_model", None),
            )
            cached = msgspec.json.encode(fixed)
            request.app.state.openapi_bytes = cached
        return cached
