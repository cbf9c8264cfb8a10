"""The memory and file-index routes in-process: KV scopes and limits, search, upload indexing."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from aiagentics.engine.memory.kv import KEY_MAX_CHARS, VALUE_MAX_BYTES
from aiagentics.gateway.app import create_app
from aiagentics.gateway.settings import GatewaySettings

sys.path.insert(0, str(Path(__file__).parents[1] / "documents"))
from pdfmaker import make_pdf

KEY = "sk_test_" + "m" * 40


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient[Any]]:
    app = create_app(GatewaySettings(database=str(tmp_path / "gw.db"), bootstrap_api_key=KEY))
    with TestClient(app) as c:
        c.headers["Authorization"] = f"Bearer {KEY}"
        yield c


def _upload(c: TestClient[Any], name: str, data: bytes, purpose: str = "retrieval") -> Any:
    return c.post("/v1/files", files={"file": (name, data)}, data={"purpose": purpose})


def _memory(c: TestClient[Any], **spec: Any) -> str:
    r = c.post("/v1/memory_stores", json={"name": "mem", **spec})
    assert r.status_code == 200, r.text
    return r.json()["id"]


def test_kv_roundtrip_scoped_by_user(client: TestClient[Any]) -> None:
    mem = _memory(client, kv={"scope": "user"})
    url = f"/v1/memory_stores/{mem}/kv/favourite"
    assert (
        client.put(url, params={"user_id": "alice"}, json={"value": {"colour": "blue"}}).status_code
        == 200
    )
    assert client.put(url, params={"user_id": "bob"}, json={"value": "green"}).status_code == 200
    got = client.get(url, params={"user_id": "alice"}).json()
    assert (
        got["value"] == {"colour": "blue"} and got["scope"] == "user" and got["scope_id"] == "alice"
    )
    assert client.get(url, params={"user_id": "bob"}).json()["value"] == "green"
    assert client.get(url, params={"user_id": "carol"}).status_code == 404
    listed = client.get(f"/v1/memory_stores/{mem}/kv", params={"user_id": "alice"}).json()
    assert [e["key"] for e in listed["data"]] == ["favourite"] and listed["has_more"] is False
    r = client.get(url)
    assert r.status_code == 400 and r.json()["error"]["param"] == "user_id"
    assert client.delete(url, params={"user_id": "alice"}).json()["deleted"] is True
    assert client.get(url, params={"user_id": "alice"}).status_code == 404
    assert client.delete(url, params={"user_id": "alice"}).status_code == 404
    # Keys may hold slashes.
    slash = f"/v1/memory_stores/{mem}/kv/prefs/theme"
    assert (
        client.put(slash, params={"user_id": "alice"}, json={"value": "dark"}).json()["key"]
        == "prefs/theme"
    )
    assert client.get(slash, params={"user_id": "alice"}).json()["value"] == "dark"


def test_kv_limits_are_clear_400s(client: TestClient[Any]) -> None:
    mem = _memory(client, kv={"scope": "project", "ttl_seconds": 60})
    base = f"/v1/memory_stores/{mem}/kv/"
    ok = client.put(base + "k" * KEY_MAX_CHARS, json={"value": "v" * (VALUE_MAX_BYTES - 2)})
    assert ok.status_code == 200 and ok.json()["expires_at"] is not None
    r = client.put(base + "k" * (KEY_MAX_CHARS + 1), json={"value": 1})
    assert r.status_code == 400 and r.json()["error"]["param"] == "key"
    r = client.put(base + "big", json={"value": "v" * (VALUE_MAX_BYTES - 1)})
    assert r.status_code == 400 and r.json()["error"]["param"] == "value"
    r = client.put(base + "x", json={"value": 1, "ttl_seconds": 0})
    assert r.status_code == 400 and r.json()["error"]["param"] == "ttl_seconds"
    r = client.put(base + "x", json={"nothing": 1})
    assert r.status_code == 400
    no_kv = _memory_named(client, "vec", vector={"files": []})
    r = client.get(f"/v1/memory_stores/{no_kv}/kv/x")
    assert r.status_code == 400 and r.json()["error"]["code"] == "kv_disabled"
    assert client.get("/v1/memory_stores/mem_doesnotexist1234/kv/x").status_code == 404


def _memory_named(c: TestClient[Any], name: str, **spec: Any) -> str:
    r = c.post("/v1/memory_stores", json={"name": name, **spec})
    assert r.status_code == 200, r.text
    return r.json()["id"]


def test_upload_is_indexed_searchable_and_deleted_with_its_chunks(client: TestClient[Any]) -> None:
    policy = _upload(
        client, "policy.md", b"# Refunds\nRefunds are issued within five business days."
    )
    assert policy.status_code == 200, policy.text
    pdf = _upload(client, "fees.pdf", make_pdf(["International transfers cost two percent."]))
    assert pdf.status_code == 200, pdf.text
    attach = _upload(client, "notes.txt", b"refunds refunds", purpose="attachment")
    file_ids = [policy.json()["id"], pdf.json()["id"], attach.json()["id"]]
    mem = _memory(client, vector={"files": file_ids, "top_k": 3})
    r = client.post(f"/v1/memory_stores/{mem}/search", json={"query": "how fast are refunds?"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ranking"] == "bm25"
    # The attachment is not indexed at upload, but the memory lists it: indexed on first use.
    assert {h["file_id"] for h in body["data"]} == {file_ids[0], file_ids[2]}
    top = body["data"][0]
    assert {"score", "chunk_index", "start", "end", "text", "file_id"} <= set(top)
    fees = client.post(
        f"/v1/memory_stores/{mem}/search", json={"query": "international transfer", "top_k": 1}
    ).json()
    assert fees["data"][0]["file_id"] == file_ids[1]
    # Delete: the memory must let go of the file first, then its chunks are gone.
    client.post(f"/v1/memory_stores/{mem}", json={"vector": {"files": [file_ids[0]]}})
    assert client.delete(f"/v1/files/{file_ids[1]}").status_code == 200
    db = client.app.state.services.db
    assert (
        db.fetchone("SELECT COUNT(*) AS n FROM file_chunks WHERE file_id=?", (file_ids[1],))["n"]
        == 0
    )
    assert (
        db.fetchone("SELECT COUNT(*) AS n FROM file_texts WHERE file_id=?", (file_ids[1],))["n"]
        == 0
    )


@pytest.mark.parametrize(
    ("body", "param"),
    [({"query": ""}, "query"), ({"query": "   "}, "query"), ({"query": "x", "top_k": 0}, "top_k")],
)
def test_bad_searches(client: TestClient[Any], body: dict[str, Any], param: str) -> None:
    mem = _memory(client, vector={"files": []})
    r = client.post(f"/v1/memory_stores/{mem}/search", json=body)
    assert r.status_code == 400 and r.json()["error"]["param"] == param


def test_a_pdf_that_is_not_a_pdf_is_a_400_and_not_kept(client: TestClient[Any]) -> None:
    r = _upload(client, "report.pdf", b"this is plain text pretending")
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["param"] == "file" and "not a PDF" in err["message"]
    assert client.get("/v1/files").json()["data"] == []
    r = _upload(client, "broken.pdf", b"%PDF-1.7\n\x00\x01 garbage")
    assert r.status_code == 400 and "cannot be read" in r.json()["error"]["message"]


def test_hybrid_search_when_an_embeddings_endpoint_is_configured(
    tmp_path: Path, embeddings_server: str
) -> None:
    settings = GatewaySettings(
        database=str(tmp_path / "gw.db"),
        bootstrap_api_key=KEY,
        embeddings_base_url=embeddings_server,
        embeddings_model="fake-embed",
    )
    with TestClient(create_app(settings)) as c:
        c.headers["Authorization"] = f"Bearer {KEY}"
        auto = _upload(c, "autos.txt", b"Automobile repairs are covered by the warranty.").json()
        _upload(c, "fees.txt", b"International payments carry a conversion fee.")
        mem = _memory(c, vector={"files": []})
        body = c.post(f"/v1/memory_stores/{mem}/search", json={"query": "car fix"}).json()
    assert body["ranking"] == "hybrid"
    assert body["data"][0]["file_id"] == auto["id"]


def test_project_config_reaches_the_settings(tmp_path: Path) -> None:
    from aiagentics.project import load_project

    (tmp_path / "aiagentics.toml").write_text(
        '[project]\nname = "p"\n\n[gateway]\nwebhook_max_attempts = 3\n'
        'webhook_base_delay_seconds = 0.5\nembeddings_base_url = "http://127.0.0.1:1/v1"\n'
    )
    settings = GatewaySettings.from_project(load_project(tmp_path))
    assert settings.webhook_max_attempts == 3 and settings.webhook_base_delay_seconds == 0.5
    assert settings.embeddings_base_url == "http://127.0.0.1:1/v1"


def test_chunks_of_a_file_deleted_behind_the_index_are_not_returned(
    client: TestClient[Any],
) -> None:
    doc = _upload(client, "llamas.txt", b"Llamas are friendly animals.").json()
    mem = _memory(client, vector={"files": []})  # every file of the project
    url = f"/v1/memory_stores/{mem}/search"
    assert client.post(url, json={"query": "llamas"}).json()["data"][0]["file_id"] == doc["id"]
    services = client.app.state.services
    # Another writer of the store (not the files API) removes the file.
    assert asyncio.run(services.store.delete("file", _scope(), doc["id"]))
    assert client.post(url, json={"query": "llamas"}).json()["data"] == []
    assert (
        services.db.fetchone("SELECT COUNT(*) AS n FROM file_chunks WHERE file_id=?", (doc["id"],))[
            "n"
        ]
        == 0
    )


def _scope() -> Any:
    from aiagentics.storage.base import Scope

    return Scope("default", "test")
