"""Field-by-field comparison of a desired body with the normalized remote object."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aiagentics.plan.model import (
    CONTENT_HASH_KEY,
    HASH_KEY,
    SENSITIVE,
    FieldChange,
)
from aiagentics.plan.refs import map_refs
from aiagentics.plan.sensitive import sensitive_on_either_side
from aiagentics.spec.secrets import is_fingerprint, matches

# Fields the server sets; never part of a desired body.
SERVER_FIELDS = frozenset(
    {"id", "object", "created_at", "updated_at", "version", "metadata", "bytes", "filename"}
)
# Fields that cannot change in place: a change means delete, then create.
REPLACE_FIELDS: dict[str, frozenset[str]] = {
    "Tool": frozenset({"type"}),
    "File": frozenset({"content"}),
}
# Long text shown as a unified diff rather than before/after.
TEXT_FIELDS = frozenset({"instructions", "description"})
# Metadata keys that change with every edit; compared through the fields themselves instead.
VOLATILE_LABELS = frozenset({HASH_KEY, CONTENT_HASH_KEY})


def normalize_remote(
    kind: str, obj: Mapping[str, Any], id_to_name: Callable[[str], str]
) -> dict[str, Any]:
    """The remote object shaped like a desired body: server fields dropped, ids mapped to names."""
    body = {k: v for k, v in obj.items() if k not in SERVER_FIELDS}
    return map_refs(kind, body, lambda _kind, value: id_to_name(value))


def is_sensitive(path: str, sensitive: Iterable[str]) -> bool:
    """Whether a dotted path is, contains, or lies inside a sensitive path."""
    return any(path == s or path.startswith(s + ".") or s.startswith(path + ".") for s in sensitive)


def _empty(value: Any) -> bool:
    return value is None or value == {} or value == []


def _pruned(value: Any) -> Any:
    """`value` without None-valued keys at any depth: an absent key and a null are the same."""
    if isinstance(value, Mapping):
        return {k: _pruned(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def _same(want: Any, have: Any) -> bool:
    if _empty(want) and _empty(have):
        return True
    if is_fingerprint(have) and isinstance(want, str):
        return matches(want, have)  # a write-only value: compared by its fingerprint
    if isinstance(want, bool) or isinstance(have, bool):
        return want is have
    return bool(want == have or _pruned(want) == _pruned(have))


def _walk(path: str, want: Any, have: Any, out: list[tuple[str, Any, Any]]) -> None:
    if isinstance(want, Mapping) and isinstance(have, Mapping):
        for key in sorted(set(want) | set(have), key=str):
            _walk(f"{path}.{key}", want.get(key), have.get(key), out)
    elif not _same(want, have):
        out.append((path, want, have))


def text_diff(before: str | None, after: str | None) -> tuple[str, ...]:
    """Unified-diff lines (without the ---/+++ header) from `before` to `after`."""
    lines = difflib.unified_diff(
        (before or "").splitlines(), (after or "").splitlines(), lineterm="", n=3
    )
    return tuple(line for line in lines if not line.startswith(("---", "+++")))


def field_change(
    kind: str, path: str, before: Any, after: Any, sensitive: Iterable[str]
) -> FieldChange:
    """One change, made display-safe (sensitive values hidden, text fields diffed).

    A value is hidden when it is sensitive on either side: from `${ENV}` in the files,
    write-only at the API (listed in `sensitive`, or a fingerprint), or a declared secret.
    """
    top = path.split(".")[0]
    forces = top in REPLACE_FIELDS.get(kind, ())
    if sensitive_on_either_side(kind, path, before, after, sensitive):
        return FieldChange(
            path,
            SENSITIVE if before is not None else None,
            SENSITIVE if after is not None else None,
            sensitive=True,
            forces_replace=forces,
        )
    diff: tuple[str, ...] = ()
    if path in TEXT_FIELDS and isinstance(after, str) and ("\n" in after or "\n" in (before or "")):
        diff = text_diff(before if isinstance(before, str) else None, after)
    return FieldChange(path, before, after, diff=diff, forces_replace=forces)


def diff_body(
    kind: str,
    desired: Mapping[str, Any],
    remote: Mapping[str, Any],
    sensitive: Iterable[str] = (),
) -> tuple[list[FieldChange], list[str]]:
    """Changed fields of `desired` (names) against `remote` (normalized), and write-only fields.

    Only the fields the desired body sets are compared (plus keys found inside
    them remotely, so a manual edit nested in `guardrails` shows as drift). A
    field the remote never reports (a webhook secret) is write-only: it cannot
    be compared and is returned in the second list.
    """
    raw: list[tuple[str, Any, Any]] = []
    write_only: list[str] = []
    for key in desired:
        if key in SERVER_FIELDS:
            continue
        if key not in remote:
            if not _empty(desired[key]):
                write_only.append(key)
            continue
        _walk(key, desired[key], remote[key], raw)
    changes = [field_change(kind, path, have, want, sensitive) for path, want, have in raw]
    return changes, write_only


def diff_metadata(
    kind: str, want: Mapping[str, Any], have: Mapping[str, Any], sensitive: Iterable[str] = ()
) -> list[FieldChange]:
    """Changed metadata keys, ignoring the hashes (they follow the fields, compared above)."""
    changes = []
    for key in sorted(set(want) | set(have)):
        if key in VOLATILE_LABELS:
            continue
        if not _same(want.get(key), have.get(key)):
            path = f"metadata.{key}"
            changes.append(field_change(kind, path, have.get(key), want.get(key), sensitive))
    return changes
