"""References between resources: which body fields hold names (files) or ids (API)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

# kind -> dotted body path -> the kind it references. Lists and single values both occur.
from aiagentics.kinds import REF_FIELDS as REF_FIELDS


def get_path(body: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path, or None when any step is missing."""
    node: Any = body
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def map_refs(
    kind: str, body: Mapping[str, Any], lookup: Callable[[str, str], str]
) -> dict[str, Any]:
    """A copy of `body` with every reference passed through `lookup(ref_kind, value)`."""
    out = copy.deepcopy(dict(body))
    for path, ref_kind in REF_FIELDS.get(kind, {}).items():
        *parents, leaf = path.split(".")
        node: Any = out
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict) or node.get(leaf) is None:
            continue
        value = node[leaf]
        if isinstance(value, list):
            node[leaf] = [lookup(ref_kind, v) for v in value]
        else:
            node[leaf] = lookup(ref_kind, value)
    return out


def referenced(kind: str, body: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(kind, value) pairs of every reference in a body."""
    found: set[tuple[str, str]] = set()
    for path, ref_kind in REF_FIELDS.get(kind, {}).items():
        value = get_path(body, path)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                found.add((ref_kind, item))
    return found
