"""The API's objects as resource documents (for `aia export`): pure, references by name."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from aiagentics.plan.model import PROTECT_KEY
from aiagentics.plan.refs import map_refs
from aiagentics.spec.kinds import API_VERSION, SPEC_MODELS
from aiagentics.spec.secrets import declared_paths, env_name, resolve, set_path
from aiagentics.spec.validate import RESERVED_LABEL_PREFIX as RESERVED_PREFIX

JINJA_MARKS = ("{{", "{%", "{#")
# Nested settings models whose keys each have a default (not free-form dicts like `parameters`).
MODEL_FIELDS = frozenset({"guardrails", "model_options", "kv", "vector"})


def _strip_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_none(v) for v in value]
    return value


def _default(kind: str, field: str) -> Any:
    info = SPEC_MODELS[kind].model_fields[field]
    value = info.get_default(call_default_factory=True)
    return _strip_none(value.model_dump(mode="json")) if hasattr(value, "model_dump") else value


def escape_template(text: str) -> str:
    """Text that Jinja2 renders back to exactly `text` (instructions are templates)."""
    if not any(mark in text for mark in JINJA_MARKS):
        return text
    return "{% raw %}" + text + "{% endraw %}"


def secret_placeholders(
    kind: str, obj: Mapping[str, Any], name: str, taken: set[str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """`obj` with a `${NAME}` placeholder at each write-only path, and {path: NAME}.

    The API reports write-only fields (declared secrets, values once from `${ENV}`) by
    fingerprint only, so an exported file names an environment variable instead. NAME is
    the resource name and the field (`crm` + `headers.Authorization` -> CRM_AUTHORIZATION),
    made unique against `taken` (updated).
    """
    out = copy.deepcopy(dict(obj))
    paths = set(obj.get("sensitive_fields") or ()) | set(declared_paths(kind, obj))
    names: dict[str, str] = {}
    for dotted in sorted(paths):
        path = resolve(out, dotted)
        if path is None or path[0] in ("name", "id", "sensitive_fields"):
            continue
        tail = path[1:] if path[0] in ("headers", "metadata") and len(path) > 1 else path
        base = env_name(name, *tail)
        var, n = base, 2
        while var in taken:
            var, n = f"{base}_{n}", n + 1
        taken.add(var)
        set_path(out, path, "${" + var + "}")
        names[".".join(path)] = var
    return out, names


def to_document(
    kind: str,
    obj: Mapping[str, Any],
    name: str,
    id_to_name: Callable[[str], str],
    file_path: str | None = None,
) -> dict[str, Any]:
    """One resource document (`apiVersion`, `kind`, `metadata`, `spec`) for a remote object.

    Spec fields equal to their default are left out; `aia.*` labels are dropped
    (apply writes them back). A File's `path` is `file_path`, where the caller
    saved its content.
    """
    body = map_refs(kind, dict(obj), lambda _k, value: id_to_name(value))
    spec: dict[str, Any] = {}
    for field in SPEC_MODELS[kind].model_fields:
        if field == "path" and kind == "File":
            spec["path"] = file_path
            continue
        if field not in body or (field == "description" and kind != "Tool"):
            continue
        value = _strip_none(body[field])
        default = _default(kind, field)
        if value is None or (field != "type" and value == default):
            continue
        if isinstance(value, dict) and isinstance(default, dict) and field in MODEL_FIELDS:
            # keep only what differs from the defaults: files stay short
            value = {k: v for k, v in value.items() if k not in default or default[k] != v}
        if field == "instructions" and isinstance(value, str):
            value = escape_template(value)
        spec[field] = value
    meta = obj.get("metadata") or {}
    metadata: dict[str, Any] = {"name": name}
    if obj.get("description") and kind != "Tool":  # a Tool's description is spec.description
        metadata["description"] = obj["description"]
    # `aia.*` labels are reserved (the validator refuses them in files): apply writes its own.
    labels = {k: v for k, v in meta.items() if not k.startswith(RESERVED_PREFIX)}
    if labels:
        metadata["labels"] = labels
    if str(meta.get(PROTECT_KEY, "")).lower() == "true":
        metadata["protect"] = True
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": metadata, "spec": spec}
