"""Sealing write-only fields for storage and opening them for use."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet

from aiagentics.engine.definitions import render
from aiagentics.engine.sealing import Sealer
from aiagentics.engine.sensitive import check_requested, reveal, seal_fields
from aiagentics.errors import InvalidInput
from aiagentics.spec.secrets import matches
from aiagentics.storage.base import Resource

SECRET = "Bearer s3cr3t"


@pytest.fixture
def sealer() -> Sealer:
    return Sealer(Fernet.generate_key())


def tool_data(**extra: object) -> dict:
    return {
        "type": "http",
        "handler_url": "https://crm.test/?key=k3y~x",
        "headers": {"Authorization": SECRET},
        "metadata": {},
        **extra,
    }


def test_sealed_data_holds_fingerprints_and_opens_back(sealer: Sealer) -> None:
    stored = seal_fields(sealer, "Tool", tool_data(), None, ["handler_url"])
    text = json.dumps(stored)
    assert "s3cr3t" not in text and "k3y~x" not in text
    assert stored["sensitive_fields"] == ["handler_url", "headers.Authorization"]
    assert matches(SECRET, stored["headers"]["Authorization"])
    opened = reveal(sealer, stored)
    assert opened["headers"] == {"Authorization": SECRET}
    assert opened["handler_url"] == "https://crm.test/?key=k3y~x"
    # Kept paths stay sealed (a run's pinned copy of the tool).
    partly = reveal(sealer, stored, keep=lambda p: p.startswith("headers"))
    assert partly["handler_url"].endswith("k3y~x") and "s3cr3t" not in json.dumps(partly)
    assert reveal(sealer, partly)["headers"]["Authorization"] == SECRET


def test_an_unchanged_value_keeps_its_fingerprint(sealer: Sealer) -> None:
    first = seal_fields(sealer, "Tool", tool_data(), None)
    fp = first["headers"]["Authorization"]
    assert seal_fields(sealer, "Tool", tool_data(), first)["headers"]["Authorization"] == fp
    # The fingerprint sent back (a client editing what it read) means "unchanged".
    echoed = seal_fields(sealer, "Tool", tool_data(headers={"Authorization": fp}), first)
    assert echoed["headers"]["Authorization"] == fp
    assert reveal(sealer, echoed)["headers"]["Authorization"] == SECRET
    other = seal_fields(sealer, "Tool", tool_data(headers={"Authorization": "x"}), first)
    assert other["headers"]["Authorization"] != fp


def test_requested_paths_must_name_strings() -> None:
    body = {"name": "t", "description": "", "tools": ["tool_1"], "guardrails": {"max_steps": 3}}
    check_requested(body, ["description"])
    for bad in (["name"], ["guardrails.max_steps"], ["nope"], ["tools.0"]):
        with pytest.raises(InvalidInput):
            check_requested(body, bad, ["tools"])


def test_rows_stored_before_sealing_are_masked() -> None:
    legacy = Resource("tool_1", "tool", "p", "test", "crm", 1, 1, 1, data=tool_data())
    shown = render("tool", legacy)
    assert shown["headers"] == {"Authorization": "(sensitive)"}
    assert shown["sensitive_fields"] == ["headers.Authorization"]
