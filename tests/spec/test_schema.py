"""The exported JSON Schemas accept what the validator accepts and refuse what it refuses."""

from __future__ import annotations

from pathlib import Path

import jsonschema_rs
import pytest
import yaml

from aiagentics.spec.kinds import KINDS
from aiagentics.spec.schema import any_kind_schema, kind_schema

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(
    p
    for folder in ("agents", "tools", "memory", "webhooks")
    for p in (REPO / folder).glob("*.yaml")
)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_documents_match_their_kind_schema(path: Path) -> None:
    for document in yaml.safe_load_all(path.read_text()):
        assert jsonschema_rs.validator_for(kind_schema(document["kind"])).is_valid(document)
        assert jsonschema_rs.validator_for(any_kind_schema()).is_valid(document)


@pytest.mark.parametrize("kind", KINDS)
def test_schema_refuses_unknown_fields_and_wrong_kind(kind: str) -> None:
    validator = jsonschema_rs.validator_for(kind_schema(kind))
    base = {"apiVersion": "aiagentics.io/v1", "kind": kind, "metadata": {"name": "x"}, "spec": {}}
    assert not validator.is_valid({**base, "extra": 1})
    assert not validator.is_valid({**base, "kind": "Other"})
    assert not validator.is_valid({**base, "metadata": {"name": "Not Valid"}})
