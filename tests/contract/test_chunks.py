"""The `Chunks` contract: texts, chunk sets per profile, BM25, embeddings, deletes, big writes."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from tests.contract.conftest import Backend

from aiagentics.storage.memory import Chunks

P, E = "proj", "test"
SIZE, OVERLAP = 800, 100
# Small slices, so that even these small files are written in several transactions.
SLICE = 7


@dataclass(frozen=True)
class Span:
    index: int
    start: int
    end: int
    text: str


def spans(*texts: str) -> list[Span]:
    """Chunks laid end to end, as a chunker would cut them."""
    out: list[Span] = []
    at = 0
    for i, text in enumerate(texts):
        out.append(Span(i, at, at + len(text), text))
        at += len(text) + 1
    return out


@pytest.fixture
async def chunks(backend: Backend) -> AsyncIterator[Chunks]:
    storage = await backend.open(chunk_slice_rows=SLICE)
    yield storage.chunks
    await storage.close()


async def index(
    store: Chunks,
    file_id: str,
    *texts: str,
    project: str = P,
    size: int = SIZE,
    blobs: list[bytes | None] | None = None,
) -> int:
    await store.store_text(file_id, project, E, " ".join(texts))
    return await store.replace_chunks(file_id, project, E, size, OVERLAP, spans(*texts), blobs)


async def test_text_is_kept_and_replaced(chunks: Chunks) -> None:
    assert await chunks.text_of("file_a") is None and not await chunks.has_text("file_a")
    await chunks.store_text("file_a", P, E, "first text")
    assert await chunks.text_of("file_a") == "first text" and await chunks.has_text("file_a")
    await chunks.store_text("file_a", P, E, "")
    assert await chunks.text_of("file_a") == "" and await chunks.has_text("file_a")
    await chunks.store_text("file_b", P, "live", "b")
    assert await chunks.file_ids(P, E) == ["file_a"]
    assert await chunks.file_ids(P, "live") == ["file_b"]


async def test_bm25_orders_best_first_with_positions(chunks: Chunks) -> None:
    await index(chunks, "file_refunds", "Refunds are issued within five days.", "Cards only.")
    await index(chunks, "file_fees", "Fees apply to refunds of refunds, refunds everywhere.")
    await index(chunks, "file_other", "Nothing relevant here at all.")
    hits = await chunks.bm25(P, E, "refunds", None, SIZE, OVERLAP, 10)
    assert [h.file_id for h in hits] == ["file_fees", "file_refunds"]
    assert all(h.score > 0 for h in hits)
    assert all(a.score >= b.score for a, b in itertools.pairwise(hits))
    best = hits[1]
    assert (best.chunk_index, best.start, best.text) == (
        0,
        0,
        "Refunds are issued within five days.",
    )
    assert best.end == len(best.text)
    assert len({h.row_id for h in hits}) == 2
    assert len(await chunks.bm25(P, E, "refunds", None, SIZE, OVERLAP, 1)) == 1
    # Any word may match (OR), stemmed: "issue" finds "issued".
    assert [h.file_id for h in await chunks.bm25(P, E, "issue", None, SIZE, OVERLAP, 5)] == [
        "file_refunds"
    ]


async def test_queries_are_words_never_operators(chunks: Chunks) -> None:
    await index(chunks, "file_a", "refund policy details")
    for query in ['refund" OR NEAR(x', "refund AND (", "refund*", "-refund", "^refund"]:
        hits = await chunks.bm25(P, E, query, None, SIZE, OVERLAP, 5)
        assert [h.file_id for h in hits] == ["file_a"], query
    assert await chunks.bm25(P, E, "?!", None, SIZE, OVERLAP, 5) == []


async def test_search_is_scoped_by_project_environment_files_and_profile(chunks: Chunks) -> None:
    await index(chunks, "file_a", "llamas graze")
    await index(chunks, "file_b", "llamas sleep")
    await index(chunks, "file_c", "llamas abroad", project="other")
    await chunks.replace_chunks("file_a", P, E, 60, 5, spans("llamas graze"))

    async def found(
        file_ids: list[str] | None = None,
        environment: str = E,
        profile: tuple[int, int] = (SIZE, OVERLAP),
    ) -> set[str]:
        hits = await chunks.bm25(P, environment, "llamas", file_ids, *profile, 10)
        return {h.file_id for h in hits}

    assert await found() == {"file_a", "file_b"}
    assert await found(file_ids=["file_b", "file_c"]) == {"file_b"}
    assert await found(file_ids=[]) == set()
    assert await found(environment="live") == set()
    assert await found(profile=(60, 5)) == {"file_a"}


async def test_indexed_files_are_the_complete_sets_of_a_profile(chunks: Chunks) -> None:
    await index(chunks, "file_a", "one")
    await index(chunks, "file_empty")  # no chunks at all is a complete set too
    assert await chunks.indexed_files(["file_a", "file_empty", "file_x"], SIZE, OVERLAP) == {
        "file_a",
        "file_empty",
    }
    assert await chunks.indexed_files(["file_a"], 60, 5) == set()
    assert await chunks.indexed_files([], SIZE, OVERLAP) == set()


async def test_new_text_drops_every_profile(chunks: Chunks) -> None:
    await index(chunks, "file_x", "old words about llamas")
    await chunks.replace_chunks("file_x", P, E, 60, 5, spans("old words about llamas"))
    assert await chunks.chunk_count("file_x") == 2
    await chunks.store_text("file_x", P, E, "new words about alpacas")
    assert await chunks.chunk_count("file_x") == 0
    assert await chunks.indexed_files(["file_x"], 60, 5) == set()
    assert await chunks.bm25(P, E, "llamas", None, 60, 5, 5) == []


async def test_replacing_a_profile_replaces_its_chunks(chunks: Chunks) -> None:
    words = [f"alpha{i}" for i in range(3 * SLICE + 2)]
    assert await index(chunks, "file_x", *words) == len(words)
    assert await chunks.chunk_count("file_x") == len(words)
    fewer = ["beta one", "beta two"]
    assert await chunks.replace_chunks("file_x", P, E, SIZE, OVERLAP, spans(*fewer)) == 2
    assert await chunks.chunk_count("file_x") == 2
    assert await chunks.bm25(P, E, "alpha3", None, SIZE, OVERLAP, 5) == []
    hits = await chunks.bm25(P, E, "beta", None, SIZE, OVERLAP, 5)
    assert sorted(h.text for h in hits) == fewer


async def test_a_big_set_appears_all_at_once(chunks: Chunks) -> None:
    """Readers during a sliced write see nothing of the new set, then all of it."""
    n = 30 * SLICE + 3
    texts = [f"needle chunk {i}" for i in range(n)]
    seen: list[int] = []
    done = asyncio.Event()

    async def reader() -> None:
        while not done.is_set():
            hits = await chunks.bm25(P, E, "needle", None, SIZE, OVERLAP, 50)
            embedded = await chunks.embedded_chunks(P, E, None, SIZE, OVERLAP)
            seen.append(len(hits))
            assert len(embedded) in (0, n)
            await asyncio.sleep(0)

    async def writer() -> None:
        try:
            await index(chunks, "file_big", *texts, blobs=[b"\x00" * 8] * n)
        finally:
            done.set()

    await asyncio.gather(reader(), writer())
    assert set(seen) <= {0, 50}
    assert len(await chunks.bm25(P, E, "needle", None, SIZE, OVERLAP, 50)) == 50
    assert await chunks.chunk_count("file_big") == n


async def test_the_latest_writer_of_a_set_wins(chunks: Chunks) -> None:
    first = [f"first {i}" for i in range(40 * SLICE)]
    await chunks.store_text("file_x", P, E, "text")
    writing = asyncio.create_task(
        chunks.replace_chunks("file_x", P, E, SIZE, OVERLAP, spans(*first))
    )
    while await chunks.chunk_count("file_x") == 0:  # the first writer is under way
        await asyncio.sleep(0)
    assert await chunks.replace_chunks("file_x", P, E, SIZE, OVERLAP, spans("second")) == 1
    # The first writer stops at its next slice and says it wrote nothing.
    assert await writing == 0
    hits = await chunks.bm25(P, E, "first second", None, SIZE, OVERLAP, 50)
    assert [h.text for h in hits] == ["second"]
    assert await chunks.chunk_count("file_x") == 1
    assert await chunks.indexed_files(["file_x"], SIZE, OVERLAP) == {"file_x"}


async def test_new_text_stops_a_writer_of_the_old_one(chunks: Chunks) -> None:
    # Long enough that, even on a loaded machine, the poll below sees the first slice
    # well before the writer has written the last one.
    old = [f"stale {i}" for i in range(300 * SLICE)]
    await chunks.store_text("file_x", P, E, "old")
    writing = asyncio.create_task(chunks.replace_chunks("file_x", P, E, SIZE, OVERLAP, spans(*old)))
    while await chunks.chunk_count("file_x") == 0:
        await asyncio.sleep(0)
    await chunks.store_text("file_x", P, E, "new")
    assert await writing == 0
    # Nothing of the stopped set stays behind.
    assert await chunks.chunk_count("file_x") == 0
    assert await chunks.bm25(P, E, "stale", None, SIZE, OVERLAP, 5) == []
    assert await chunks.indexed_files(["file_x"], SIZE, OVERLAP) == set()
    assert await chunks.text_of("file_x") == "new"
    await chunks.replace_chunks("file_x", P, E, SIZE, OVERLAP, spans("fresh"))
    assert await chunks.chunk_count("file_x") == 1


async def test_delete_file_takes_text_chunks_and_search_rows(chunks: Chunks) -> None:
    words = [f"needle{i} hay" for i in range(4 * SLICE)]
    await index(chunks, "file_x", *words)
    await chunks.replace_chunks("file_x", P, E, 60, 5, spans(*words[:3]))
    await index(chunks, "file_y", "hay bale")
    assert await chunks.delete_file("file_x") == len(words) + 3
    assert await chunks.chunk_count("file_x") == 0
    assert await chunks.text_of("file_x") is None
    assert await chunks.indexed_files(["file_x"], SIZE, OVERLAP) == set()
    hits = await chunks.bm25(P, E, "hay needle3", None, SIZE, OVERLAP, 10)
    assert [h.file_id for h in hits] == ["file_y"]
    assert await chunks.delete_file("file_x") == 0


async def test_delete_profile_keeps_listed_files_and_other_profiles(chunks: Chunks) -> None:
    for file_id in ("file_a", "file_b", "file_c"):
        await index(chunks, file_id, f"{file_id} text")
        await chunks.replace_chunks(file_id, P, E, 60, 5, spans(f"{file_id} small", "more words"))
    await chunks.replace_chunks("file_o", "other", E, 60, 5, spans("elsewhere"))
    assert await chunks.delete_profile(P, E, 60, 5, keep_files=["file_b"]) == 4
    assert await chunks.indexed_files(["file_a", "file_b", "file_c"], 60, 5) == {"file_b"}
    assert await chunks.indexed_files(["file_a", "file_c"], SIZE, OVERLAP) == {"file_a", "file_c"}
    assert await chunks.indexed_files(["file_o"], 60, 5) == {"file_o"}
    assert await chunks.chunk_count("file_a") == 1 and await chunks.chunk_count("file_b") == 3
    assert await chunks.delete_profile(P, E, 60, 5) == 2
    assert await chunks.text_of("file_b") == "file_b text"


async def test_embedded_chunks_carry_their_vectors(chunks: Chunks) -> None:
    await index(chunks, "file_v", "vector one", "vector two", blobs=[b"\x01" * 8, None])
    await index(chunks, "file_w", "plain")
    got = await chunks.embedded_chunks(P, E, None, SIZE, OVERLAP)
    assert [(h.file_id, h.chunk_index, h.text, h.score, blob) for h, blob in got] == [
        ("file_v", 0, "vector one", 0.0, b"\x01" * 8)
    ]
    assert await chunks.embedded_chunks(P, E, ["file_w"], SIZE, OVERLAP) == []
    assert await chunks.embedded_chunks(P, E, [], SIZE, OVERLAP) == []
    assert await chunks.embedded_chunks(P, E, None, 60, 5) == []
