"""Retrieval quality on a small labelled set: recall@1, recall@5 and MRR of the gateway's ranking.

    .venv/bin/python bench/retrieval/recall.py
    .venv/bin/python bench/retrieval/recall.py --embeddings-url http://127.0.0.1:11434/v1 \
        --embeddings-model nomic-embed-text          # adds the hybrid (BM25 + dense, RRF) row

Every document is indexed through the same code path as an upload (chunking, FTS5);
the baseline, measured in the same run, ranks documents by how many distinct query
words they contain. Figures are file-level: a query counts as found at k when its
labelled document owns one of the first k distinct files of the results.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiagentics.engine.memory.embeddings import Embedder
from aiagentics.engine.memory.retrieval import Retrieval
from aiagentics.storage.sqlite import schema_memory
from aiagentics.storage.sqlite.chunks import SQLiteChunks
from aiagentics.storage.sqlite.db import Database
from aiagentics.storage.sqlite.migrations import apply_migrations

DATASET = Path(__file__).with_name("dataset.json")
P, E = "bench", "test"
Ranker = Callable[[str], Awaitable[list[str]]]


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def overlap_ranker(documents: dict[str, str]) -> Ranker:
    """Baseline: documents ordered by the number of distinct query words they contain."""
    bags = {doc_id: _words(text) for doc_id, text in documents.items()}

    async def rank(query: str) -> list[str]:
        q = _words(query)
        scored = sorted(bags, key=lambda d: (-len(q & bags[d]), d))
        return [d for d in scored if q & bags[d]]

    return rank


async def evaluate(rank: Ranker, queries: list[dict[str, str]]) -> dict[str, float]:
    """recall@1, recall@5, MRR@10 and mean latency of one ranker."""
    r1 = r5 = 0
    rr: list[float] = []
    latencies: list[float] = []
    for item in queries:
        started = time.perf_counter()
        ranked = await rank(item["q"])
        latencies.append((time.perf_counter() - started) * 1000)
        position = ranked.index(item["relevant"]) + 1 if item["relevant"] in ranked else None
        r1 += position == 1
        r5 += position is not None and position <= 5
        rr.append(1 / position if position and position <= 10 else 0.0)
    n = len(queries)
    return {
        "recall@1": r1 / n,
        "recall@5": r5 / n,
        "mrr@10": sum(rr) / n,
        "ms/query": statistics.mean(latencies),
    }


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embeddings-url", default=os.environ.get("AIAGENTICS_EMBEDDINGS_URL"))
    parser.add_argument(
        "--embeddings-model",
        default=os.environ.get("AIAGENTICS_EMBEDDINGS_MODEL", "text-embedding-3-small"),
    )
    parser.add_argument("--embeddings-key-env", default="OPENAI_API_KEY")
    args = parser.parse_args()

    data = json.loads(DATASET.read_text())
    documents = {d["id"]: d["text"] for d in data["documents"]}
    queries = data["queries"]
    rows: list[tuple[str, dict[str, float], float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "bench.db")
        apply_migrations(db, {schema_memory.COMPONENT: schema_memory.MIGRATIONS})
        configs: list[tuple[str, Embedder | None]] = [("bm25 (fts5)", None)]
        if args.embeddings_url:
            embedder = Embedder(
                args.embeddings_url, args.embeddings_model, os.environ.get(args.embeddings_key_env)
            )
            configs.append(("hybrid (bm25+dense, rrf)", embedder))
        rows.append(
            ("baseline: word overlap", await evaluate(overlap_ranker(documents), queries), 0.0)
        )
        for label, embedder in configs:
            env = E if embedder is None else E + "-hybrid"
            retrieval = Retrieval(SQLiteChunks(db), embedder)
            started = time.perf_counter()
            for doc_id, text in documents.items():
                await retrieval.index_text(
                    doc_id + ("" if embedder is None else "#h"), P, env, text
                )
            index_ms = (time.perf_counter() - started) * 1000

            async def rank(query: str, r: Retrieval = retrieval, env: str = env) -> list[str]:
                hits = await r.search(P, env, query, top_k=20)
                return list(dict.fromkeys(h.file_id.split("#")[0] for h in hits))

            rows.append((label, await evaluate(rank, queries), index_ms))
        db.close()

    print(f"retrieval quality: {len(documents)} documents, {len(queries)} labelled queries")
    print(
        f"{'ranking':28} {'recall@1':>9} {'recall@5':>9} {'mrr@10':>8} {'ms/query':>9} {'index ms':>9}"
    )
    for label, m, index_ms in rows:
        print(
            f"{label:28} {m['recall@1']:9.3f} {m['recall@5']:9.3f} {m['mrr@10']:8.3f}"
            f" {m['ms/query']:9.2f} {index_ms:9.1f}"
        )
    base = rows[0][1]["recall@5"] or 1e-9
    for label, m, _ in rows[1:]:
        print(f"{label}: recall@5 = {m['recall@5']:.3f} ({m['recall@5'] / base:.2f}x the baseline)")
    if not args.embeddings_url:
        print(
            "hybrid: not configured (pass --embeddings-url of an OpenAI-compatible /embeddings endpoint)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
