"""The kind table: one row per kind, in an order an apply can follow."""

from __future__ import annotations

from aiagentics import ids, kinds
from aiagentics.client import KIND_PATHS
from aiagentics.spec.kinds import SPEC_MODELS


def test_a_kind_comes_after_every_kind_it_references() -> None:
    seen: set[str] = set()
    for info in kinds.TABLE:
        assert {r.spec_kind for r in info.references} <= seen, info.spec_kind
        seen.add(info.spec_kind)


def test_names_prefixes_and_paths_are_unique_and_used_everywhere() -> None:
    for attr in ("spec_kind", "kind", "path", "prefix"):
        values = [getattr(k, attr) for k in kinds.TABLE]
        assert len(set(values)) == len(values), attr
    assert set(kinds.SPEC_KINDS) == set(SPEC_MODELS) == set(KIND_PATHS)
    assert {k.kind: k.prefix for k in kinds.TABLE}.items() <= ids.PREFIXES.items()


def test_referrers_name_the_fields_pointing_at_a_kind() -> None:
    assert [(k.kind, path) for k, path in kinds.referrers("File")] == [
        ("agent", "files"),
        ("memory_store", "vector.files"),
    ]
    assert kinds.referrers("Webhook") == ()
