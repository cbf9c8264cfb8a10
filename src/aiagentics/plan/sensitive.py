"""Which fields of a resource are write-only, as `aia apply` declares them to the API.

The API seals the declared secret fields (`aiagentics.spec.secrets.SECRET_FIELDS`) by
itself; `aia apply` adds the paths whose values came from `${ENV}` in the
`sensitive_fields` list of the create/update body. An object reports every write-only
path in `sensitive_fields`, with a fingerprint in place of each value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from aiagentics.compiler.state import CompiledResource
from aiagentics.plan.refs import REF_FIELDS
from aiagentics.spec.secrets import is_declared, is_fingerprint, sensitive_paths

FIELDS_KEY = "sensitive_fields"
# Top-level fields never sealed in place: the name, references (ids the API resolves) and
# fields the API keeps hidden anyway (a webhook's secret is write-only already).
_NOT_SEALED = frozenset({"name", "secret"})


def _sealable(kind: str, path: str) -> bool:
    if path.split(".", 1)[0] in _NOT_SEALED:
        return False
    return not any(path == r or path.startswith(r + ".") for r in REF_FIELDS.get(kind, {}))


def requested_fields(resource: CompiledResource) -> list[str]:
    """The `sensitive_fields` apply sends: the `${ENV}` paths the API can seal."""
    if resource.kind == "File":
        return []
    return sorted(p for p in resource.sensitive if _sealable(resource.kind, p))


def wanted_fields(
    resource: CompiledResource, metadata: Mapping[str, Any], reported: Iterable[str]
) -> list[str]:
    """The write-only paths the API should report after apply (only fields it reports)."""
    body = {**resource.body, "metadata": dict(metadata)}
    shown = set(reported)
    return [
        p
        for p in sensitive_paths(resource.kind, body, requested_fields(resource))
        if p.split(".", 1)[0] in shown or p.startswith("metadata.")
    ]


def _holds_fingerprint(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(_holds_fingerprint(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_fingerprint(v) for v in value)
    return is_fingerprint(value)


def sensitive_on_either_side(
    kind: str, path: str, before: Any, after: Any, sensitive: Iterable[str]
) -> bool:
    """Whether a change must be hidden: declared secret, sensitive here or remotely, or a fingerprint."""
    if is_declared(kind, path) or _holds_fingerprint(before) or _holds_fingerprint(after):
        return True
    return any(path == s or path.startswith(s + ".") or s.startswith(path + ".") for s in sensitive)
