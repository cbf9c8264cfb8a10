"""Memory and files against `aia serve`: retrieval in a run, memory tools, user isolation."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from tests.e2e.conftest import Gateway

pytestmark = pytest.mark.e2e

POLICY = (
    "Acme payments handbook.\n\n"
    "Chargebacks: a cardholder may dispute a charge within 120 days; we answer each dispute "
    "with the receipt and the delivery proof.\n\n"
    "Refunds: refunds reach the original card within five business days. Partial refunds are "
    "allowed once per order.\n\n"
    "Currency: international payments carry a conversion fee of 2 percent."
)


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from tests.e2e.conftest import start_gateway

    gateway = start_gateway(tmp_path_factory.mktemp("memory"))
    yield gateway
    gateway.stop()


def _ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    return r.json()


def _finished_run(c: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    run = _ok(c.post("runs", json=body))
    deadline = time.time() + 20
    while run["status"] in ("queued", "in_progress"):
        assert time.time() < deadline, run
        time.sleep(0.05)
        run = _ok(c.get(f"runs/{run['id']}"))
    return run


def test_retrieval_answers_from_an_uploaded_document(gw: Gateway) -> None:
    with gw.client() as c:
        doc = _ok(c.post("files", files={"file": ("handbook.md", POLICY.encode())}))
        mem = _ok(
            c.post(
                "memory_stores",
                json={
                    "name": "handbook",
                    "vector": {
                        "files": [doc["id"]],
                        "top_k": 2,
                        "chunk_size": 200,
                        "chunk_overlap": 20,
                    },
                },
            )
        )
        found = _ok(
            c.post(
                f"memory_stores/{mem['id']}/search",
                json={"query": "how many days to dispute a chargeback", "top_k": 1},
            )
        )
        assert "120 days" in found["data"][0]["text"]
        assert found["data"][0]["file_id"] == doc["id"] and found["data"][0]["score"] > 0
        agent = _ok(
            c.post(
                "agents",
                json={
                    "name": "support",
                    "model": "scripted",
                    "memory": mem["id"],
                    "model_options": {
                        "script": [
                            {
                                "tool_calls": [
                                    {
                                        "name": "memory_search",
                                        "arguments": {"query": "refund card business days"},
                                    }
                                ]
                            },
                            {"content": "Refunds take five business days."},
                        ]
                    },
                },
            )
        )
        run = _finished_run(c, {"agent_id": agent["id"], "input": "When will my refund arrive?"})
        assert run["status"] == "completed", run
        assert run["output"] == "Refunds take five business days."
        roles = [m["role"] for m in run["messages"]]
        # Retrieved passages injected as context before the question, then the tool round.
        assert roles[0] == "system" and "user" in roles and "tool" in roles
        assert "five business days" in run["messages"][0]["content"]
        trace = _ok(c.get(f"traces/{run['id']}"))
        tool_steps = [s for s in trace["steps"] if s["type"] == "tool"]
        assert len(tool_steps) == 1
        results = tool_steps[0]["output"]["results"]
        assert "five business days" in results[0]["text"] and results[0]["file_id"] == doc["id"]
        # The model's first call already saw the injected passage.
        first_model = next(s for s in trace["steps"] if s["type"] == "model")
        assert "five business days" in str(first_model["input"])
        # Deleting the file is refused while the memory uses it, then drops its chunks.
        assert c.delete(f"files/{doc['id']}").status_code == 409
        _ok(c.delete(f"agents/{agent['id']}"))
        _ok(c.delete(f"memory_stores/{mem['id']}"))
        _ok(c.delete(f"files/{doc['id']}"))
        other = _ok(c.post("memory_stores", json={"name": "after", "vector": {"files": []}}))
        gone = _ok(c.post(f"memory_stores/{other['id']}/search", json={"query": "refunds"}))
        assert all(h["file_id"] != doc["id"] for h in gone["data"])


def test_memory_is_isolated_between_users(gw: Gateway) -> None:
    with gw.client() as c:
        mem = _ok(c.post("memory_stores", json={"name": "prefs", "kv": {"scope": "user"}}))
        writer = _ok(
            c.post(
                "agents",
                json={
                    "name": "writer",
                    "model": "scripted",
                    "memory": mem["id"],
                    "model_options": {
                        "script": [
                            {
                                "tool_calls": [
                                    {
                                        "name": "memory_set",
                                        "arguments": {"key": "plan", "value": {"tier": "gold"}},
                                    }
                                ]
                            },
                            {"content": "saved"},
                        ]
                    },
                },
            )
        )
        reader = _ok(
            c.post(
                "agents",
                json={
                    "name": "reader",
                    "model": "scripted",
                    "memory": mem["id"],
                    "model_options": {
                        "script": [
                            {"tool_calls": [{"name": "memory_get", "arguments": {"key": "plan"}}]},
                            {"content": "read"},
                        ]
                    },
                },
            )
        )
        wrote = _finished_run(
            c,
            {"agent_id": writer["id"], "input": "remember gold", "metadata": {"user_id": "alice"}},
        )
        assert wrote["status"] == "completed", wrote

        def read_as(user: str) -> Any:
            run = _finished_run(
                c, {"agent_id": reader["id"], "input": "what plan?", "metadata": {"user_id": user}}
            )
            steps = _ok(c.get(f"traces/{run['id']}"))["steps"]
            return next(s for s in steps if s["type"] == "tool")["output"]

        assert read_as("alice") == {"key": "plan", "found": True, "value": {"tier": "gold"}}
        assert read_as("bob") == {"key": "plan", "found": False, "value": None}
        # The API sees the same scratchpads.
        url = f"memory_stores/{mem['id']}/kv/plan"
        assert _ok(c.get(url, params={"user_id": "alice"}))["value"] == {"tier": "gold"}
        assert c.get(url, params={"user_id": "bob"}).status_code == 404
        _ok(c.put(url, params={"user_id": "bob"}, json={"value": {"tier": "silver"}}))
        assert read_as("bob")["value"] == {"tier": "silver"}
        assert read_as("alice")["value"] == {"tier": "gold"}
        # No user id in the run: the tool reports it to the model, the run still completes.
        run = _finished_run(c, {"agent_id": reader["id"], "input": "what plan?"})
        steps = _ok(c.get(f"traces/{run['id']}"))["steps"]
        assert "user_id" in str(next(s for s in steps if s["type"] == "tool")["output"])


def test_a_100_mb_upload_is_refused_and_nothing_is_kept(gw: Gateway, tmp_path: Any) -> None:
    big = tmp_path / "big.txt"
    with open(big, "wb") as f:
        f.truncate(100 * 1024 * 1024)  # sparse: no 100 MB written to the disk
    with open(big, "rb") as fh:
        r = httpx.post(
            gw.url("/files"), files={"file": ("big.txt", fh)}, headers=gw.headers, timeout=60
        )
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
    with gw.client() as c:
        assert all(
            f["filename"] != "big.txt" for f in _ok(c.get("files", params={"limit": 100}))["data"]
        )


def test_a_pdf_that_is_not_a_pdf_is_a_clear_400(gw: Gateway) -> None:
    with gw.client() as c:
        r = c.post("files", files={"file": ("statement.pdf", b"<html>not a pdf</html>")})
        assert r.status_code == 400
        err = r.json()["error"]
        assert err["param"] == "file" and "not a PDF" in err["message"] and err["request_id"]


def _rows(gw: Gateway, sql: str, *params: Any) -> int:
    import sqlite3

    with sqlite3.connect(gw.database) as db:
        return int(db.execute(sql, params).fetchone()[0])


def test_deleting_a_memory_store_drops_its_kv_and_its_chunk_profile(gw: Gateway) -> None:
    with gw.client() as c:
        doc = _ok(c.post("files", files={"file": ("policy.md", POLICY.encode())}))
        other_doc = _ok(c.post("files", files={"file": ("other.md", POLICY.encode())}))

        def store(name: str, files: list[str]) -> dict[str, Any]:
            vector = {"files": files, "chunk_size": 150, "chunk_overlap": 15}
            body = {"name": name, "kv": {"scope": "project"}, "vector": vector}
            return _ok(c.post("memory_stores", json=body))

        doomed, kept = (
            store("doomed", [doc["id"], other_doc["id"]]),
            store("kept", [other_doc["id"]]),
        )
        for mem in (doomed, kept):
            _ok(c.put(f"memory_stores/{mem['id']}/kv/k1", json={"value": 1}))
            _ok(c.put(f"memory_stores/{mem['id']}/kv/k2", json={"value": 2}))
            _ok(c.post(f"memory_stores/{mem['id']}/search", json={"query": "refunds"}))
        kv = "SELECT COUNT(*) FROM memory_kv WHERE memory_id=?"
        chunks = "SELECT COUNT(*) FROM file_chunks WHERE file_id=? AND chunk_size=?"
        assert _rows(gw, kv, doomed["id"]) == 2 and _rows(gw, chunks, doc["id"], 150) > 0
        _ok(c.delete(f"memory_stores/{doomed['id']}"))
        assert _rows(gw, kv, doomed["id"]) == 0
        assert _rows(gw, chunks, doc["id"], 150) == 0  # only the deleted store used it
        assert _rows(gw, chunks, other_doc["id"], 150) > 0  # "kept" still searches it
        assert _rows(gw, kv, kept["id"]) == 2
        assert _rows(gw, chunks, doc["id"], 800) > 0  # the upload's default profile stays
        assert _ok(c.get(f"memory_stores/{kept['id']}/kv/k1"))["value"] == 1
        _ok(c.delete(f"memory_stores/{kept['id']}"))
        assert _rows(gw, kv, kept["id"]) == 0 and _rows(gw, chunks, other_doc["id"], 150) == 0
