"""Warnings about an agent's model whose runs would fail: an unknown provider, or no key set."""

from __future__ import annotations

from tests.project_helpers import where


def agent(model: str) -> str:
    return f"apiVersion: aiagentics.io/v1\nkind: Agent\nmetadata: {{name: a}}\nspec:\n  model: {model}\n"


def test_a_public_provider_without_its_key_is_a_warning_at_the_model(compile_files) -> None:
    result = compile_files({"agents/a.yaml": agent("openai/gpt-4.1")}, environ={})
    assert where(result) == [("agents/a.yaml", 5, 10, "missing-provider-key")]
    (warning,) = result.diagnostics
    assert warning.severity == "warning" and result.ok  # valid files: nothing blocks
    assert "OPENAI_API_KEY" in warning.message and "not set" in warning.message
    assert warning.hint is not None
    assert "[providers.openai] api_key_env" in warning.hint and "base_url" in warning.hint
    keyed = compile_files(
        {"agents/a.yaml": agent("openai/gpt-4.1")}, environ={"OPENAI_API_KEY": "k"}
    )
    assert keyed.diagnostics == []


def test_an_alias_to_a_provider_with_a_named_key_env(compile_files) -> None:
    config = (
        '[models]\nfast = "acme/llama-3"\n'
        '[providers.acme]\nbase_url = "http://10.0.0.5:8000/v1"\napi_key_env = "ACME_KEY"\n'
    )
    result = compile_files({"agents/a.yaml": agent("fast")}, config=config, environ={})
    assert where(result) == [("agents/a.yaml", 5, 10, "missing-provider-key")]
    message = result.diagnostics[0].message
    assert message.startswith("model 'fast' (= 'acme/llama-3') needs the API key in ACME_KEY")
    assert "remove api_key_env" in (result.diagnostics[0].hint or "")
    ok = compile_files({"agents/a.yaml": agent("fast")}, config=config, environ={"ACME_KEY": "k"})
    assert ok.diagnostics == []


def test_a_keyless_local_endpoint_is_not_warned_about(compile_files) -> None:
    config = '[providers.openai]\nbase_url = "http://127.0.0.1:11434/v1"\n'
    result = compile_files({"agents/a.yaml": agent("openai/llama3")}, config=config, environ={})
    assert result.diagnostics == []
    scripted = compile_files({"agents/a.yaml": agent("scripted")}, environ={})
    assert scripted.diagnostics == []


def test_an_unknown_provider_is_a_warning_with_a_hint(compile_files) -> None:
    result = compile_files(
        {
            "agents/a.yaml": agent("opnai/gpt-4.1"),
            "agents/b.yaml": agent("nowhere/x").replace("a}", "b}"),
        },
        environ={},
    )
    assert where(result) == [
        ("agents/a.yaml", 5, 10, "unknown-provider"),
        ("agents/b.yaml", 5, 10, "unknown-provider"),
    ]
    assert all(d.severity == "warning" for d in result.diagnostics) and result.ok
    first, second = result.diagnostics
    assert "provider 'opnai', which is not configured" in first.message
    assert first.hint == "did you mean 'openai'?"
    assert second.hint == (
        "add [providers.nowhere] with a base_url to aiagentics.toml "
        "(known providers: anthropic, openai)"
    )
