"""A real SQLite database with the memory migrations, and a fake /embeddings server."""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from aiagentics.storage.sqlite import schema_memory
from aiagentics.storage.sqlite.db import Database
from aiagentics.storage.sqlite.migrations import apply_migrations


@pytest.fixture
def db(tmp_path) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    database = Database(tmp_path / "gateway.db")
    apply_migrations(database, {schema_memory.COMPONENT: schema_memory.MIGRATIONS})
    yield database
    database.close()


# Words that mean the same thing land on the same dimension, so the fake model
# "understands" synonyms that BM25 cannot match.
SYNONYMS = {
    "car": "auto",
    "automobile": "auto",
    "vehicle": "auto",
    "fix": "repair",
    "mend": "repair",
    "repairs": "repair",
}
DIMS = 64


def fake_embedding(text: str) -> list[float]:
    vec = [0.0] * DIMS
    for word in re.findall(r"\w+", text.lower()):
        word = SYNONYMS.get(word, word)
        vec[int(hashlib.sha1(word.encode()).hexdigest(), 16) % DIMS] += 1.0
    norm = math.sqrt(sum(x * x for x in vec)) or 1.0
    return [x / norm for x in vec]


class _Embeddings(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.calls.append(body)  # type: ignore[attr-defined]
        if self.path != "/v1/embeddings" or not isinstance(body.get("input"), list):
            self.send_response(400)
            self.end_headers()
            return
        data = [
            {"object": "embedding", "index": i, "embedding": fake_embedding(t)}
            for i, t in enumerate(body["input"])
        ]
        payload = json.dumps({"object": "list", "data": data, "model": body["model"]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def embeddings_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Embeddings)
    server.calls = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()
