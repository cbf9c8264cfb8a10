"""Declared secret fields, dotted paths and fingerprints."""

from __future__ import annotations

from aiagentics.spec.secrets import (
    declared_paths,
    env_name,
    fingerprint,
    is_declared,
    is_fingerprint,
    matches,
    resolve,
    sensitive_paths,
)


def test_fingerprint_is_salted_and_checkable() -> None:
    a, b = fingerprint("Bearer 1234"), fingerprint("Bearer 1234")
    assert a != b and is_fingerprint(a)  # a new salt each time: equal values do not show
    assert "1234" not in a
    assert matches("Bearer 1234", a) and matches("Bearer 1234", b)
    assert not matches("Bearer 1235", a)
    assert not matches("Bearer 1234", "Bearer 1234")  # not a fingerprint


def test_a_forged_costly_fingerprint_is_refused() -> None:
    real = fingerprint("x")
    forged = real.replace("$8192$", "$1073741824$", 1)
    assert is_fingerprint(forged) and not matches("x", forged)


def test_tool_headers_are_declared_secret() -> None:
    body = {"type": "http", "headers": {"Authorization": "a", "X.Dotted": "b"}, "method": "GET"}
    assert sorted(declared_paths("Tool", body)) == ["headers.Authorization", "headers.X.Dotted"]
    assert is_declared("Tool", "headers") and is_declared("Tool", "headers.Authorization")
    assert not is_declared("Tool", "method") and not is_declared("Agent", "headers.x")


def test_dotted_paths_resolve_keys_with_dots_and_list_indices() -> None:
    body = {"headers": {"X.Dotted": "b"}, "events": ["a", "b"], "name": "n"}
    assert resolve(body, "headers.X.Dotted") == ("headers", "X.Dotted")
    assert resolve(body, "events.1") == ("events", "1")
    assert resolve(body, "headers.Missing") is None
    assert sensitive_paths("Tool", body, ["events.1", "name", "nope"]) == [
        "events.1",
        "headers.X.Dotted",
    ]


def test_env_names() -> None:
    assert env_name("crm", "X-Api-Key") == "CRM_X_API_KEY"
    assert env_name("billing-api", "handler_url") == "BILLING_API_HANDLER_URL"
    assert env_name("9lives") == "_9LIVES"
