"""The scrubber: which values count as secrets and how they are replaced."""

from __future__ import annotations

from aiagentics.engine.runs.scrub import (
    REDACTED,
    Scrubber,
    environment_secrets,
    tool_secrets,
)


def test_known_secrets_and_their_quoted_forms_are_replaced_in_nested_values() -> None:
    scrubber = Scrubber(["sk-live/abc+def=123", None, "short"])
    value = {
        "message": "bad key sk-live/abc+def=123 (sent as key=sk-live%2Fabc%2Bdef%3D123)",
        "list": ["sk-live/abc+def=123", 7, None],
    }
    out = scrubber.scrub(value)
    assert out == {
        "message": f"bad key {REDACTED} (sent as key={REDACTED})",
        "list": [REDACTED, 7, None],
    }
    assert value["list"][0] == "sk-live/abc+def=123"  # the input is not changed
    # Values too short to be a credential would blank ordinary words.
    assert scrubber.scrub("a short answer") == "a short answer"


def test_extra_secrets_apply_to_one_call_only() -> None:
    scrubber = Scrubber()
    assert scrubber.scrub("token tok-12345678", ["tok-12345678"]) == f"token {REDACTED}"
    assert scrubber.scrub("token tok-12345678") == "token tok-12345678"
    scrubber.add("tok-12345678")
    assert scrubber.scrub("token tok-12345678") == f"token {REDACTED}"


def test_a_longer_secret_containing_a_shorter_one_goes_whole() -> None:
    scrubber = Scrubber(["abcdefgh", "abcdefgh-ijkl"])
    assert scrubber.scrub("x abcdefgh-ijkl y") == f"x {REDACTED} y"


def test_environment_secrets_cover_configured_default_and_secret_looking_names() -> None:
    environ = {
        "MY_PROVIDER_CRED": "cred-value-1",  # configured by name
        "GROQ_API_KEY": "groq-value-2",  # NAME_API_KEY of a configured provider
        "OPENAI_API_KEY": "openai-value-3",  # a default provider's
        "GITHUB_TOKEN": "ghp-value-4",  # looks like a secret
        "EMBED_WITH": "embed-value-5",  # the embeddings key variable
        "HOME": "/home/someone",  # not a secret
    }
    found = environment_secrets(
        environ, {"custom": {"api_key_env": "MY_PROVIDER_CRED"}, "groq": {}}, ["EMBED_WITH"]
    )
    assert sorted(found) == sorted(v for k, v in environ.items() if k != "HOME")


def test_tool_secrets_are_header_and_env_values() -> None:
    tools = [
        {"name": "a", "headers": {"Authorization": "Bearer x-123456789", "X-N": 5}},
        {"name": "b", "env": {"TOKEN": "env-123456789"}},
        {"name": "c"},
        "not a tool",
    ]
    assert tool_secrets(tools) == ["Bearer x-123456789", "env-123456789"]


def test_the_run_engine_knows_the_gateways_own_secrets(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.engine.runs.conftest import Engine

    sealing = "Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg="
    eng = Engine(tmp_path / "gw.db", secret_key=sealing, bootstrap_api_key="sk_test_" + "b" * 40)
    try:
        assert sealing in eng.service.scrubber
        assert "sk_test_" + "b" * 40 in eng.service.scrubber
    finally:
        eng.db.close()


def test_a_secret_cut_off_at_the_end_of_a_truncated_message_goes_too() -> None:
    scrubber = Scrubber(["sk-proj-0123456789abcdef"])
    message = "the tool handler answered HTTP 500: key=" + "sk-proj-0123456789abcdef"[:12]
    assert scrubber.scrub(message) == f"the tool handler answered HTTP 500: key={REDACTED}"
    # Fewer characters than a secret can have are left alone.
    assert scrubber.scrub("ends with sk-proj") == "ends with sk-proj"
