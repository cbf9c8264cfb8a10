"""JSON Schema of each kind, derived from the pydantic models (for editors' YAML completion)."""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import Field, TypeAdapter

from aiagentics.spec.kinds import API_VERSION, KINDS, document_model

DRAFT = "https://json-schema.org/draft/2020-12/schema"
ANY_KIND_FILE = "resource.schema.json"


def schema_filename(kind: str) -> str:
    """`agent.schema.json` for `Agent`."""
    return f"{kind.lower()}.schema.json"


def kind_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one kind's whole document (envelope and spec)."""
    schema = document_model(kind).model_json_schema()
    return {
        "$schema": DRAFT,
        "$id": schema_filename(kind),
        **schema,
        "title": f"aiagentics {kind} ({API_VERSION})",
    }


def any_kind_schema() -> dict[str, Any]:
    """One schema for a document of any kind, chosen by its `kind` (for folders that mix kinds)."""
    # Built at run time from the kinds: a value to pydantic, not a type a checker can read.
    members = tuple(document_model(k) for k in KINDS)
    union: Any = Annotated[Union[members], Field(discriminator="kind")]  # noqa: UP007
    return {
        "$schema": DRAFT,
        "$id": ANY_KIND_FILE,
        "title": f"aiagentics resource ({API_VERSION})",
        **TypeAdapter(union).json_schema(),
    }


def all_schemas() -> dict[str, dict[str, Any]]:
    """Kind -> JSON Schema, for every kind."""
    return {kind: kind_schema(kind) for kind in KINDS}
