"""/schema/openapi.json: Litestar's document with the pydantic bodies described by pydantic itself.

Litestar's own rendering of pydantic models drops patterns, `additionalProperties: false`
and dict value types; the document must be truthful (clients and schemathesis rely on
it), so every pydantic model used as a body or a response is replaced by
`pydantic.json_schema.models_json_schema` output (validation mode for request bodies,
serialization mode for responses) under the same component names.
"""

from __future__ import annotations

import typing
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.openapi.plugins import JsonRenderPlugin
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

REF = "#/components/schemas/{model}"


def _models(annotation: Any) -> list[type[BaseModel]]:
    """Pydantic model classes inside an annotation (Annotated, unions, lists)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found += _models(arg)
    return found


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
    from aiagentics.gateway.api.common import _DESCRIPTIONS
    from aiagentics.gateway.errors import ErrorBody

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
                if method in ("post", "patch"):
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


def truthful_schema(app: Litestar, document: dict[str, Any]) -> dict[str, Any]:
    """`document` with the components of pydantic models regenerated by pydantic."""
    document_errors(document)
    inputs, outputs = body_models(app)
    pairs = [(m, "validation") for m in sorted(inputs, key=lambda m: m.__name__)]
    pairs += [(m, "serialization") for m in sorted(outputs, key=lambda m: m.__name__)]
    if not pairs:
        return document
    refs, defs = models_json_schema(pairs, ref_template=REF)  # type: ignore[arg-type]
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(defs.get("$defs", {}))
    for (model, _mode), ref in refs.items():
        target = ref["$ref"].rsplit("/", 1)[1]
        if target != model.__name__:
            # Same model used as input and output with different shapes: Litestar points
            # both at one name; the request side keeps the validation schema.
            schemas.setdefault(model.__name__, {"$ref": ref["$ref"]})
            if model in inputs:
                schemas[model.__name__] = {"$ref": ref["$ref"]}
    return document


class TruthfulJsonPlugin(JsonRenderPlugin):
    """Serves the corrected document (computed once per app)."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        cached = getattr(request.app.state, "openapi_bytes", None)
        if cached is None:
            fixed = truthful_schema(
                request.app, msgspec.json.decode(msgspec.json.encode(openapi_schema))
            )
            cached = msgspec.json.encode(fixed)
            request.app.state.openapi_bytes = cached
        return cached
