"""The served OpenAPI document and the API agree: what one says, the other does.

Each test pairs a statement of /schema/openapi.json with the behaviour of the running
gateway (`aia serve`), for the places where they used to disagree.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def doc(module_gateway: Any) -> dict[str, Any]:
    return httpx.get(module_gateway.url("/schema/openapi.json")).json()  # type: ignore[no-any-return]


@pytest.fixture
def api(module_gateway: Any) -> httpx.Client:
    return module_gateway.client()  # type: ignore[no-any-return]


def _methods(doc: dict[str, Any], path: str) -> set[str]:
    return {m.upper() for m in doc["paths"][path] if m in ("get", "post", "patch", "put", "delete")}


def test_options_and_405_allow_every_documented_method(
    doc: dict[str, Any], api: httpx.Client
) -> None:
    agent = api.post("agents", json={"name": "allow-me", "model": "scripted"}).json()
    key = api.post("keys", json={"name": "allow-key"}).json()
    for doc_path, real in [
        ("/v1/agents", "agents"),
        ("/v1/agents/{id}", f"agents/{agent['id']}"),
        ("/v1/keys/{id}", f"keys/{key['id']}"),
    ]:
        expected = _methods(doc, doc_path) | {"OPTIONS"}
        options = api.options(real)
        assert options.status_code == 204
        assert {m.strip() for m in options.headers["allow"].split(",")} == expected, doc_path
        wrong = api.put(real)
        assert wrong.status_code == 405
        assert {m.strip() for m in wrong.headers["allow"].split(",")} == expected, doc_path


def test_update_fields_are_optional_but_not_nullable(
    doc: dict[str, Any], api: httpx.Client
) -> None:
    props = doc["components"]["schemas"]["AgentUpdate"]["properties"]
    # `model` may be left out, not sent as null: no null type and no `default: null`.
    assert props["model"].get("type") == "string" and "default" not in props["model"]
    assert "null" in str(props["memory"])  # memory can be cleared
    # With no [gateway] default_model, creating an agent needs a model, and the document says so.
    assert "model" in doc["components"]["schemas"]["AgentCreate"]["required"]
    r = api.post("agents", json={"name": "modelless"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "model"
    agent = api.post("agents", json={"name": "nullable", "model": "scripted"}).json()
    r = api.patch(f"agents/{agent['id']}", json={"model": None})
    assert r.status_code == 400 and r.json()["error"]["param"] == "model"
    assert api.patch(f"agents/{agent['id']}", json={"memory": None}).status_code == 200
    file_props = doc["components"]["schemas"]["FileUpdate"]["properties"]
    assert file_props["description"]["type"] == "string"


def test_integral_numbers_are_integers(api: httpx.Client) -> None:
    # JSON Schema's "integer" includes 3600.0; strings and fractions stay errors.
    assert api.post("keys", json={"expires_in_seconds": 3600.0}).status_code == 200
    for bad in (3600.5, "3600", True):
        r = api.post("keys", json={"expires_in_seconds": bad})
        assert r.status_code == 400 and r.json()["error"]["param"] == "expires_in_seconds"
    agent = api.post(
        "agents", json={"name": "floaty", "model": "scripted", "guardrails": {"max_steps": 3.0}}
    )
    assert agent.status_code == 200 and agent.json()["guardrails"]["max_steps"] == 3


def test_webhook_secret_is_checked_and_applied_on_update(
    doc: dict[str, Any], api: httpx.Client
) -> None:
    pattern = doc["components"]["schemas"]["WebhookCreate"]["properties"]["secret"]["pattern"]
    body = {"name": "signed", "url": "https://example.com/hook", "events": ["run.completed"]}
    bad = "whsec_!!"
    assert not re.search(pattern, bad)
    r = api.post("webhooks", json={**body, "secret": bad})
    assert r.status_code == 400 and r.json()["error"]["param"] == "secret"
    hook = api.post("webhooks", json=body).json()
    r = api.patch(f"webhooks/{hook['id']}", json={"secret": bad})
    assert r.status_code == 400 and r.json()["error"]["param"] == "secret"
    good = "whsec_" + "A" * 32
    assert re.search(pattern, good)
    assert api.patch(f"webhooks/{hook['id']}", json={"secret": good}).status_code == 200


def test_runs_document_what_they_need_and_stream(doc: dict[str, Any], api: httpx.Client) -> None:
    run_create = doc["components"]["schemas"]["RunCreate"]
    assert run_create["required"] == ["input"] and run_create["additionalProperties"] is False
    agent = api.post("agents", json={"name": "runner", "model": "scripted"}).json()
    r = api.post("runs", json={"agent_id": agent["id"], "input": None})
    assert r.status_code == 400 and r.json()["error"]["param"] == "input"
    r = api.post("runs", json={"agent_id": agent["id"], "input": "hi", "extra": 1})
    assert r.status_code == 400
    events = doc["paths"]["/v1/runs/{run_id}/events"]["get"]["responses"]["200"]["content"]
    assert list(events) == ["text/event-stream"]
    run = api.post("runs", json={"agent_id": agent["id"], "input": "hi"}).json()
    with api.stream("GET", f"runs/{run['id']}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
    create = doc["paths"]["/v1/runs"]["post"]["responses"]["200"]["content"]
    assert {"application/json", "text/event-stream"} <= set(create)
    rotate = doc["paths"]["/v1/webhooks/{id}/rotate_secret"]["post"]["requestBody"]
    assert rotate["required"] is False


def test_missing_references_are_a_400_resource_missing_with_param(
    doc: dict[str, Any], api: httpx.Client
) -> None:
    missing = "tool_" + "M" * 20
    r = api.post("agents", json={"name": "refs", "model": "scripted", "tools": [missing]})
    assert r.status_code == 400
    assert (
        r.json()["error"]["code"] == "resource_missing" and r.json()["error"]["param"] == "tools[0]"
    )
    assert (
        "resource_missing" in doc["paths"]["/v1/agents"]["post"]["responses"]["400"]["description"]
    )
    cursor = doc["paths"]["/v1/tools"]["get"]["parameters"]
    schema = next(p for p in cursor if p["name"] == "starting_after")["schema"]
    pattern = schema["oneOf"][0]["pattern"]
    assert re.search(pattern, missing) and not re.search(pattern, "agt_" + "M" * 20)
    r = api.get("tools", params={"starting_after": missing})
    assert r.status_code == 400 and r.json()["error"]["param"] == "starting_after"
    assert r.json()["error"]["code"] == "resource_missing"


def test_file_content_headers_and_blank_form_fields(doc: dict[str, Any], api: httpx.Client) -> None:
    upload = api.post(
        "files",
        files={"file": ("a.txt", b"hello", "text/plain")},
        data={"name": "", "description": ""},
    )
    assert upload.status_code == 200 and upload.json()["name"] is None
    headers = doc["paths"]["/v1/files/{id}/content"]["get"]["responses"]["200"]["headers"]
    content = api.get(f"files/{upload.json()['id']}/content")
    assert content.status_code == 200
    assert re.search(
        headers["last-modified"]["schema"]["pattern"], content.headers["last-modified"]
    )


def test_run_input_is_blank_exactly_when_the_document_says(api: httpx.Client) -> None:
    agent = api.post("agents", json={"name": "blanks", "model": "scripted"}).json()
    refused = api.post("runs", json={"agent_id": agent["id"], "input": " \t\u3000"})
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "input"
    # Not whitespace to JSON Schema, so not blank to the API either.
    taken = api.post("runs", json={"agent_id": agent["id"], "input": "\x1c\x1c"})
    assert taken.status_code == 200, taken.text
