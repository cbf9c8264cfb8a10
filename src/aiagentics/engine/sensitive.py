"""Write-only fields in storage: sealed values, fingerprints in their place.

A stored resource's `data` keeps, at each sensitive path, the value's fingerprint
(`aiagentics.spec.secrets.fingerprint`), lists the paths in `sensitive_fields` (which
the API returns: it tells a client which fields are write-only) and holds the values
themselves in `_sealed`, one Fernet token of `{path: value}` (never returned). What
needs the values (a tool call, a run's instructions) asks `reveal` for them.

Which paths are sensitive: the kind's declared secret fields (`SECRET_FIELDS`) that hold
a string, plus the paths a client names in `sensitive_fields` (values from `${ENV}`).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aiagentics.errors import InvalidInput
from aiagentics.spec.secrets import (
    declared_paths,
    fingerprint,
    get_path,
    resolve,
    sensitive_paths,
    set_path,
)

# The spec kind of each stored kind (SECRET_FIELDS is keyed by spec kind).
SPEC_KIND = {
    "agent": "Agent",
    "tool": "Tool",
    "memory_store": "Memory",
    "webhook": "Webhook",
    "file": "File",
}
SEALED_KEY = "_sealed"
MASK = "(sensitive)"
FIELDS_KEY = "sensitive_fields"


def check_requested(
    body: Mapping[str, Any], requested: Iterable[str], references: Iterable[str] = ()
) -> None:
    """400 (param `sensitive_fields[i]`) for a path that does not name a string of the body.

    The name and reference fields (ids the API resolves) cannot be write-only.
    """
    refs = tuple(references)
    for i, dotted in enumerate(requested):
        path = resolve(body, dotted)
        if (
            path is None
            or not isinstance(get_path(body, path), str)
            or path[0] == "name"
            or any(".".join(path) == r or ".".join(path).startswith(r + ".") for r in refs)
        ):
            raise InvalidInput(
                f"sensitive_fields[{i}]: {dotted!r} does not name a string field of this body "
                "(give dotted paths such as handler_url or headers.Authorization; "
                "not name or a reference)",
                param=f"sensitive_fields[{i}]",
            )


def _opened(sealer: Any, data: Mapping[str, Any]) -> dict[str, str]:
    token = data.get(SEALED_KEY)
    if not token:
        return {}
    opened = json.loads(sealer.unseal(str(token)))
    return {str(k): str(v) for k, v in opened.items()}


def seal_fields(
    sealer: Any,
    kind: str,
    data: dict[str, Any],
    current: Mapping[str, Any] | None,
    requested: Iterable[str] = (),
) -> dict[str, Any]:
    """`data` ready to store: fingerprints at the sensitive paths, the values sealed.

    `kind` is the spec kind (`Tool`). `current` is the stored data being replaced: a
    value equal to its stored fingerprint, or to its stored value, keeps the stored
    fingerprint (no new hash, and a client may send back what it read). CPU-bound
    (scrypt for each new value): call it off the event loop.
    """
    paths = sensitive_paths(kind, data, requested)
    if not paths:  # the common case: nothing to seal, no copy
        return {**{k: v for k, v in data.items() if k != SEALED_KEY}, FIELDS_KEY: []}
    out = copy.deepcopy({k: v for k, v in data.items() if k not in (SEALED_KEY, FIELDS_KEY)})
    before = _opened(sealer, current) if current else {}
    plain: dict[str, str] = {}
    for dotted in paths:
        path = resolve(out, dotted)
        if path is None:
            continue
        value = str(get_path(out, path))
        old_fp = get_path(current, path) if current else None
        if dotted in before and value == old_fp:
            value = before[dotted]  # the fingerprint sent back: unchanged
        keep = dotted in before and before[dotted] == value and isinstance(old_fp, str)
        set_path(out, path, old_fp if keep else fingerprint(value))
        plain[dotted] = value
    out[FIELDS_KEY] = paths
    if plain:
        out[SEALED_KEY] = sealer.seal(json.dumps(plain, sort_keys=True))
    return out


def reveal(
    sealer: Any, data: Mapping[str, Any], keep: Callable[[str], bool] | None = None
) -> dict[str, Any]:
    """`data` with the sealed values back in place (those `keep` accepts stay sealed)."""
    if not data.get(SEALED_KEY):
        return dict(data)
    out = copy.deepcopy({k: v for k, v in data.items() if k != SEALED_KEY})
    kept: dict[str, str] = {}
    for dotted, value in _opened(sealer, data).items():
        if keep is not None and keep(dotted):
            kept[dotted] = value
            continue
        path = resolve(out, dotted)
        if path is not None:
            set_path(out, path, value)
    if kept:
        out[SEALED_KEY] = sealer.seal(json.dumps(kept, sort_keys=True))
    return out


def public(data: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """What the API shows of stored data (`kind` is the spec kind): the sealed values left out.

    Data stored before write-only fields existed holds declared secrets in plain text
    until its next update: they are masked as `(sensitive)` (no fingerprint to give).
    """
    out = {k: v for k, v in data.items() if k != SEALED_KEY}
    if FIELDS_KEY not in out:
        paths = declared_paths(kind, out)
        if paths:
            out = copy.deepcopy(out)
            for dotted in paths:
                path = resolve(out, dotted)
                if path is not None:
                    set_path(out, path, MASK)
        out[FIELDS_KEY] = paths
    return out
