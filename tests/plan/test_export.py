"""Remote objects -> resource documents (pure)."""

from __future__ import annotations

from aiagentics.plan.export import escape_template, to_document


def test_agent_document_uses_names_and_drops_defaults_and_labels() -> None:
    obj = {
        "id": "agt_1",
        "name": "support",
        "description": "Helps",
        "model": "scripted",
        "instructions": "Hi\n",
        "tools": ["tool_1"],
        "memory": None,
        "files": [],
        "guardrails": {"max_steps": 4, "max_output_tokens": None, "timeout_seconds": 300},
        "model_options": {"temperature": None},
        "metadata": {"team": "x", "aia.project": "p", "aia.spec_hash": "h", "aia.protect": "true"},
    }
    doc = to_document("Agent", obj, "support", {"tool_1": "refund"}.get)
    assert doc["metadata"] == {
        "name": "support",
        "description": "Helps",
        "labels": {"team": "x"},
        "protect": True,
    }
    assert doc["spec"] == {
        "model": "scripted",
        "instructions": "Hi\n",
        "tools": ["refund"],
        "guardrails": {"max_steps": 4},
    }


def test_tool_parameters_are_kept_whole() -> None:
    params = {"type": "object", "properties": {"a": {"type": "string"}}}
    obj = {
        "id": "tool_1",
        "name": "t",
        "type": "client",
        "parameters": params,
        "method": "POST",
        "metadata": {},
    }
    assert to_document("Tool", obj, "t", str)["spec"] == {"type": "client", "parameters": params}


def test_jinja_markers_are_escaped() -> None:
    assert escape_template("plain") == "plain"
    assert escape_template("Hi {{ x }}") == "{% raw %}Hi {{ x }}{% endraw %}"


def test_write_only_fields_become_env_placeholders() -> None:
    from aiagentics.plan.export import secret_placeholders
    from aiagentics.spec.secrets import fingerprint

    obj = {
        "id": "tool_1",
        "name": "crm",
        "type": "http",
        "handler_url": fingerprint("https://crm.test/?key=k"),
        "headers": {"Authorization": fingerprint("Bearer x"), "X-Team": fingerprint("ops")},
        "sensitive_fields": ["handler_url", "headers.Authorization", "headers.X-Team"],
        "metadata": {},
    }
    taken = {"CRM_X_TEAM"}  # another resource's variable already has this name
    shown, names = secret_placeholders("Tool", obj, "crm", taken)
    assert names == {
        "handler_url": "CRM_HANDLER_URL",
        "headers.Authorization": "CRM_AUTHORIZATION",
        "headers.X-Team": "CRM_X_TEAM_2",
    }
    doc = to_document("Tool", shown, "crm", {}.get)
    assert doc["spec"]["handler_url"] == "${CRM_HANDLER_URL}"
    assert doc["spec"]["headers"] == {
        "Authorization": "${CRM_AUTHORIZATION}",
        "X-Team": "${CRM_X_TEAM_2}",
    }
    assert "scrypt$" not in str(doc)


def test_tool_description_is_exported_under_spec_only() -> None:
    obj = {
        "id": "tool_1",
        "name": "t",
        "type": "client",
        "description": "Refund it",
        "metadata": {},
    }
    doc = to_document("Tool", obj, "t", str)
    assert doc["metadata"] == {"name": "t"}
    assert doc["spec"] == {"type": "client", "description": "Refund it"}


def test_reserved_labels_are_never_exported() -> None:
    meta = {"team": "x", "aia.dev_source": "agents/a.yaml", "aia.source": "agents/a.yaml"}
    obj = {"id": "agt_1", "name": "a", "model": "scripted", "metadata": meta}
    assert to_document("Agent", obj, "a", str)["metadata"] == {"name": "a", "labels": {"team": "x"}}
