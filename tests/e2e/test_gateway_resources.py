"""Every resource route over real HTTP against `aia serve`: create, retrieve, update, delete, list, versions."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e


def _name(prefix: str = "r") -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


@pytest.fixture
def api(module_gateway: Any) -> httpx.Client:
    with module_gateway.client() as client:
        yield client


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()


def _error(
    response: httpx.Response, status: int, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    err = response.json()["error"]
    assert set(err) == {"type", "code", "message", "param", "request_id"}
    assert err["request_id"] == response.headers["x-request-id"]
    if code is not None:
        assert err["code"] == code
    if param is not None:
        assert err["param"] == param
    return err


def test_tool_lifecycle_with_versions(api: httpx.Client) -> None:
    name = _name("sql")
    tool = _ok(
        api.post(
            "tools",
            json={
                "name": name,
                "type": "http",
                "handler_url": "https://example.com/t",
                "metadata": {"team": "pay"},
            },
        )
    )
    assert tool["id"].startswith("tool_") and tool["object"] == "tool" and tool["version"] == 1
    assert tool["name"] == name and tool["metadata"] == {"team": "pay"} and tool["method"] == "POST"
    assert isinstance(tool["created_at"], int)
    assert _ok(api.get(f"tools/{tool['id']}")) == tool

    v2 = _ok(api.post(f"tools/{tool['id']}", json={"description": "runs SQL"}))
    assert (
        v2["version"] == 2
        and v2["description"] == "runs SQL"
        and v2["handler_url"] == "https://example.com/t"
    )
    v3 = _ok(api.patch(f"tools/{tool['id']}", json={"timeout_seconds": 5}))
    assert v3["version"] == 3 and v3["timeout_seconds"] == 5 and v3["description"] == "runs SQL"

    versions = _ok(api.get(f"tools/{tool['id']}/versions"))
    assert versions["object"] == "list" and not versions["has_more"]
    assert [v["version"] for v in versions["data"]] == [3, 2, 1]
    assert versions["data"][2]["description"] == ""
    page = _ok(api.get(f"tools/{tool['id']}/versions", params={"limit": 1, "starting_after": 3}))
    assert [v["version"] for v in page["data"]] == [2] and page["has_more"]

    # An update valid on its own that breaks the merged object clashes with the stored fields.
    _error(
        api.post(f"tools/{tool['id']}", json={"handler_url": None}), 400, "conflicts_with_current"
    )
    _error(
        api.patch(f"tools/{tool['id']}", json={"timeout_seconds": "soon"}),
        400,
        param="timeout_seconds",
    )

    deleted = _ok(api.delete(f"tools/{tool['id']}"))
    assert deleted == {"id": tool["id"], "object": "tool", "deleted": True}
    _error(api.get(f"tools/{tool['id']}"), 404, code="resource_missing")
    _error(api.delete(f"tools/{tool['id']}"), 404)
    _error(api.get(f"tools/{tool['id']}/versions"), 404)


def test_agent_references_are_checked(api: httpx.Client) -> None:
    tool = _ok(api.post("tools", json={"name": _name("t"), "type": "client"}))
    mem = _ok(api.post("memory_stores", json={"name": _name("m"), "kv": {"scope": "session"}}))
    body = {
        "name": _name("a"),
        "model": "scripted",
        "instructions": "Be brief.",
        "tools": [tool["id"]],
        "memory": mem["id"],
    }
    agent = _ok(api.post("agents", json=body))
    assert (
        agent["id"].startswith("agt_")
        and agent["tools"] == [tool["id"]]
        and agent["memory"] == mem["id"]
    )
    assert agent["guardrails"]["max_steps"] == 10

    missing = "tool_" + "Z" * 20
    _error(
        api.post("agents", json={**body, "name": _name(), "tools": [tool["id"], missing]}),
        400,
        "resource_missing",
        "tools[1]",
    )
    _error(
        api.post("agents", json={**body, "name": _name(), "memory": "mem_" + "Q" * 20}),
        400,
        "resource_missing",
        "memory",
    )
    _error(
        api.post("agents", json={**body, "name": _name(), "files": ["file_" + "Q" * 20]}),
        400,
        "resource_missing",
        "files[0]",
    )
    # An id with the wrong prefix is a validation error on that element.
    _error(
        api.post("agents", json={**body, "name": _name(), "tools": [agent["id"]]}),
        400,
        param="tools[0]",
    )
    _error(
        api.patch(f"agents/{agent['id']}", json={"tools": [missing]}),
        400,
        "resource_missing",
        "tools[0]",
    )

    # A tool or memory store in use cannot be deleted.
    _error(api.delete(f"tools/{tool['id']}"), 409, "resource_in_use")
    _error(api.delete(f"memory_stores/{mem['id']}"), 409, "resource_in_use")
    _ok(api.post(f"agents/{agent['id']}", json={"tools": [], "memory": None}))
    _ok(api.delete(f"tools/{tool['id']}"))
    _ok(api.delete(f"memory_stores/{mem['id']}"))
    _ok(api.delete(f"agents/{agent['id']}"))


def test_duplicate_names_conflict(api: httpx.Client) -> None:
    name = _name("dup")
    first = _ok(api.post("agents", json={"name": name, "model": "scripted"}))
    _error(api.post("agents", json={"name": name, "model": "scripted"}), 409, "name_taken", "name")
    other = _ok(api.post("agents", json={"name": _name("dup"), "model": "scripted"}))
    _error(api.post(f"agents/{other['id']}", json={"name": name}), 409, "name_taken", "name")
    # The same name for another kind is fine.
    _ok(api.post("tools", json={"name": name, "type": "client"}))
    _ok(api.delete(f"agents/{first['id']}"))
    _ok(api.post("agents", json={"name": name, "model": "scripted"}))


def test_concurrent_duplicate_creates_exactly_one_wins(module_gateway: Any) -> None:
    name = _name("race")

    def create(_: int) -> int:
        with module_gateway.client() as client:
            return client.post("tools", json={"name": name, "type": "client"}).status_code

    with ThreadPoolExecutor(12) as pool:
        statuses = sorted(pool.map(create, range(12)))
    assert statuses == [200] + [409] * 11


def test_list_pagination(api: httpx.Client) -> None:
    prefix = _name("page")
    created = [
        _ok(api.post("memory_stores", json={"name": f"{prefix}-{i}"}))["id"] for i in range(5)
    ]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["starting_after"] = cursor
        page = _ok(api.get("memory_stores", params=params))
        assert page["object"] == "list" and len(page["data"]) <= 2
        seen += [o["id"] for o in page["data"]]
        if not page["has_more"]:
            break
        cursor = page["data"][-1]["id"]
    assert [i for i in seen if i in created] == created[::-1]
    assert len(seen) == len(set(seen))
    default = _ok(api.get("memory_stores"))
    assert len(default["data"]) == min(20, len(seen))
    for bad in ("0", "101", "-1", "many"):
        _error(api.get("memory_stores", params={"limit": bad}), 400, param="limit")
    _error(
        api.get("memory_stores", params={"starting_after": "agt_" + "A" * 20}),
        400,
        param="starting_after",
    )
    # A cursor that names no object (e.g. deleted between pages) is an error, not an empty page.
    gone = _ok(api.post("memory_stores", json={"name": f"{prefix}-gone"}))["id"]
    _ok(api.delete(f"memory_stores/{gone}"))
    for path in ("memory_stores", "files", "keys"):
        missing = {"memory_stores": gone, "files": "file_" + "G" * 20, "keys": "key_" + "G" * 20}[
            path
        ]
        _error(
            api.get(path, params={"starting_after": missing}),
            400,
            "resource_missing",
            "starting_after",
        )


def test_memory_store_vector_files(api: httpx.Client) -> None:
    up = _ok(
        api.post(
            "files",
            files={"file": ("kb.txt", b"refunds take 5 days", "text/plain")},
            data={"name": _name("kb")},
        )
    )
    mem = _ok(
        api.post(
            "memory_stores", json={"name": _name("m"), "vector": {"files": [up["id"]], "top_k": 3}}
        )
    )
    assert mem["object"] == "memory_store" and mem["id"].startswith("mem_")
    assert mem["vector"]["files"] == [up["id"]] and mem["vector"]["chunk_size"] == 800
    _error(
        api.post(
            "memory_stores", json={"name": _name(), "vector": {"files": ["file_" + "N" * 20]}}
        ),
        400,
        "resource_missing",
        "vector.files[0]",
    )
    _error(
        api.post(
            "memory_stores",
            json={"name": _name(), "vector": {"chunk_size": 100, "chunk_overlap": 200}},
        ),
        400,
    )
    _error(api.delete(f"files/{up['id']}"), 409, "resource_in_use")
    _ok(api.delete(f"memory_stores/{mem['id']}"))
    _ok(api.delete(f"files/{up['id']}"))


def test_webhook_secret_shown_once_and_sealed(module_gateway: Any, api: httpx.Client) -> None:
    hook = _ok(
        api.post(
            "webhooks",
            json={
                "name": _name("w"),
                "url": "https://example.com/hook",
                "events": ["run.completed"],
            },
        )
    )
    assert (
        hook["id"].startswith("whk_")
        and hook["secret"].startswith("whsec_")
        and hook["enabled"] is True
    )
    fetched = _ok(api.get(f"webhooks/{hook['id']}"))
    assert "secret" not in fetched and "secret_sealed" not in fetched
    updated = _ok(api.post(f"webhooks/{hook['id']}", json={"enabled": False}))
    assert updated["enabled"] is False and "secret" not in updated
    listed = _ok(api.get("webhooks"))
    assert all("secret" not in w and "secret_sealed" not in w for w in listed["data"])
    given = "whsec_" + "A" * 32
    mine = _ok(
        api.post(
            "webhooks",
            json={
                "name": _name("w"),
                "url": "https://example.com/h2",
                "events": ["tool.requested"],
                "secret": given,
            },
        )
    )
    assert mine["secret"] == given
    # Stored sealed: the plaintext secret is nowhere in the database file.
    raw = module_gateway.database.read_bytes() + b"".join(
        p.read_bytes() for p in module_gateway.database.parent.glob("gateway.db-wal")
    )
    assert given.encode() not in raw and hook["secret"].encode() not in raw
    _error(
        api.post("webhooks", json={"name": _name(), "url": "ftp://x", "events": ["run.completed"]}),
        400,
        param="url",
    )
    _error(
        api.post("webhooks", json={"name": _name(), "url": "https://x", "events": ["run.started"]}),
        400,
        param="events[0]",
    )


def test_webhook_needs_only_url_and_events(api: httpx.Client) -> None:
    body = {"url": "https://example.com/seed", "events": ["run.completed"]}
    hook = _ok(api.post("webhooks", json=body))
    assert hook["name"] is None and hook["secret"].startswith("whsec_")
    assert hook["url"] == body["url"] and hook["events"] == body["events"]
    fetched = _ok(api.get(f"webhooks/{hook['id']}"))
    assert fetched["name"] is None and "secret" not in fetched
    # Nameless webhooks do not collide with each other, and keep no name through an update.
    second = _ok(api.post("webhooks", json=body))
    assert second["id"] != hook["id"] and second["name"] is None
    updated = _ok(api.post(f"webhooks/{hook['id']}", json={"enabled": False}))
    assert updated["name"] is None and updated["enabled"] is False
    named = _ok(api.post(f"webhooks/{second['id']}", json={"name": _name("w")}))
    assert named["name"] and named["url"] == body["url"]
    _error(api.post("webhooks", json={"events": ["run.completed"]}), 400, param="url")
    for h in (hook, second):
        _ok(api.delete(f"webhooks/{h['id']}"))


def test_agent_model_is_required_unless_the_gateway_names_a_default(
    api: httpx.Client, gateway_factory: Any
) -> None:
    err = _error(api.post("agents", json={"name": _name("nomodel")}), 400, param="model")
    assert "model: required" in err["message"] and "scripted" in err["message"]
    agent = _ok(api.post("agents", json={"name": _name("m"), "model": "scripted"}))
    _error(api.post(f"agents/{agent['id']}", json={"model": None}), 400, param="model")
    assert _ok(api.get(f"agents/{agent['id']}"))["model"] == "scripted"
    _ok(api.delete(f"agents/{agent['id']}"))

    gw = gateway_factory(settings={"default_model": "openai/gpt-4.1-mini"})
    with gw.client() as other:
        made = _ok(other.post("agents", json={"name": "defaulted"}))
        assert made["model"] == "openai/gpt-4.1-mini"
        assert _ok(other.get(f"agents/{made['id']}"))["model"] == "openai/gpt-4.1-mini"
        chosen = _ok(other.post("agents", json={"name": "chosen", "model": "scripted"}))
        assert chosen["model"] == "scripted"


def test_files_upload_download_delete(module_gateway: Any, api: httpx.Client) -> None:
    content = b"%PDF-ish\x00binary\xff content"
    up = _ok(
        api.post(
            "files",
            files={"file": ("../../../etc/evil name.pdf", content, "application/pdf")},
            data={"purpose": "attachment", "description": "a doc", "metadata": '{"k": "v"}'},
        )
    )
    assert up["id"].startswith("file_") and up["object"] == "file" and up["bytes"] == len(content)
    assert (
        up["filename"] == "evil name.pdf"
        and up["purpose"] == "attachment"
        and up["metadata"] == {"k": "v"}
    )
    # Content is stored by id under the files directory, never by the user's name.
    files_dir = module_gateway.database.parent / "files"
    assert (files_dir / up["id"]).read_bytes() == content
    assert not list(module_gateway.root.parent.rglob("evil name.pdf"))
    got = api.get(f"files/{up['id']}/content")
    assert got.status_code == 200 and got.content == content
    assert got.headers["content-type"] == "application/octet-stream"
    assert up["content_type"] == "application/pdf"
    assert "attachment" in got.headers["content-disposition"]
    assert _ok(api.get(f"files/{up['id']}"))["sha256"] == up["sha256"]
    renamed = _ok(
        api.patch(f"files/{up['id']}", json={"name": _name("doc"), "purpose": "retrieval"})
    )
    assert renamed["purpose"] == "retrieval" and renamed["bytes"] == len(content)
    _error(api.post(f"files/{up['id']}", json={"purpose": "nonsense"}), 400, param="purpose")
    _error(api.post("files", data={"purpose": "retrieval"}), 400)
    _error(
        api.post("files", files={"file": ("x.txt", b"x")}, data={"metadata": "not json"}),
        400,
        param="metadata",
    )
    assert any(f["id"] == up["id"] for f in _ok(api.get("files", params={"limit": 100}))["data"])
    _ok(api.delete(f"files/{up['id']}"))
    assert not (files_dir / up["id"]).exists()
    _error(api.get(f"files/{up['id']}/content"), 404)


def test_unknown_ids_and_wrong_prefixes_are_404(api: httpx.Client) -> None:
    for path in (
        "agents/agt_" + "X" * 20,
        "agents/tool_" + "X" * 20,
        "agents/..%2F..%2Fetc",
        "files/nothing",
        "keys/key_zz",
    ):
        _error(api.get(path), 404)


def test_a_handler_url_no_client_could_call_is_a_400(api: httpx.Client) -> None:
    for url in ("http://[::.]/x", "http://[::1/x", "http://[::1]:99999/x", "https:///path"):
        body = {"name": _name(), "type": "http", "handler_url": url}
        _error(api.post("tools", json=body), 400, param="handler_url")
    ok = _ok(
        api.post(
            "tools", json={"name": _name(), "type": "http", "handler_url": "http://[::1]:8080/x"}
        )
    )
    _error(
        api.post(f"tools/{ok['id']}", json={"handler_url": "http://[zz]/"}),
        400,
        param="handler_url",
    )
