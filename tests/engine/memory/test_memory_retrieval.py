"""BM25 over FTS5, hybrid with a fake /embeddings server, profiles, deletion."""

from __future__ import annotations

import itertools

import pytest

from aiagentics.engine.memory.embeddings import Embedder
from aiagentics.engine.memory.kv import MemoryInputError
from aiagentics.engine.memory.retrieval import Retrieval
from aiagentics.storage.sqlite.chunks import SQLiteChunks, fts_query

P, E = "proj", "test"
DOCS = {
    "file_refunds": "Refunds are issued within five business days to the original card.",
    "file_chargeback": "A chargeback is a dispute opened by the cardholder with their bank.",
    "file_autos": "Automobile repairs are covered by the extended warranty plan.",
    "file_fees": "International payments carry a currency conversion fee of two percent.",
}


async def _index_all(r: Retrieval) -> None:
    for file_id, text in DOCS.items():
        assert await r.index_text(file_id, P, E, text) == 1


async def test_bm25_ranks_the_relevant_chunk_first(db) -> None:  # type: ignore[no-untyped-def]
    r = Retrieval(SQLiteChunks(db))
    await _index_all(r)
    hits = await r.search(P, E, "how long do refunds take?", top_k=3)
    assert hits[0].file_id == "file_refunds"
    assert hits[0].chunk_index == 0 and hits[0].text == DOCS["file_refunds"]
    assert hits[0].score > 0 and all(a.score >= b.score for a, b in itertools.pairwise(hits))
    # Porter stemming: "disputes" finds "dispute".
    assert (await r.search(P, E, "disputes", top_k=1))[0].file_id == "file_chargeback"


async def test_search_scoped_to_files_project_and_environment(db) -> None:  # type: ignore[no-untyped-def]
    r = Retrieval(SQLiteChunks(db))
    await _index_all(r)
    await r.index_text("file_other", "other", E, "Refunds refunds refunds.")
    hits = await r.search(P, E, "refunds", top_k=5, file_ids=["file_fees"])
    assert hits == []
    hits = await r.search(P, E, "refunds", top_k=5)
    assert {h.file_id for h in hits} == {"file_refunds"}
    assert await r.search(P, "live", "refunds", top_k=5) == []


@pytest.mark.parametrize("query", ["", "   ", None, 5])
async def test_empty_query_is_an_error_on_param_query(db, query) -> None:  # type: ignore[no-untyped-def]
    r = Retrieval(SQLiteChunks(db))
    with pytest.raises(MemoryInputError) as err:
        await r.search(P, E, query)
    assert err.value.param == "query"


async def test_bad_top_k(db) -> None:  # type: ignore[no-untyped-def]
    r = Retrieval(SQLiteChunks(db))
    for top_k in (0, 51, "3", True):
        with pytest.raises(MemoryInputError) as err:
            await r.search(P, E, "x", top_k=top_k)
        assert err.value.param == "top_k"


async def test_fts_operators_in_queries_are_plain_words(db) -> None:  # type: ignore[no-untyped-def]
    assert fts_query('refund" OR NEAR(x') == '"refund" OR "or" OR "near" OR "x"'
    assert fts_query("?!") is None
    r = Retrieval(SQLiteChunks(db))
    await _index_all(r)
    assert (await r.search(P, E, 'refunds" AND (', top_k=1))[0].file_id == "file_refunds"
    assert await r.search(P, E, "?!", top_k=1) == []


async def test_profiles_rechunk_from_stored_text_and_delete_removes_chunks(db) -> None:  # type: ignore[no-untyped-def]
    index = SQLiteChunks(db)
    r = Retrieval(index)
    long_text = " ".join(f"word{i}" for i in range(400)) + " needle"
    await r.index_text("file_long", P, E, long_text)
    default_count = await index.chunk_count("file_long")
    hits = await r.search(
        P, E, "needle", top_k=1, file_ids=["file_long"], chunk_size=100, chunk_overlap=10
    )
    assert hits and hits[0].text.endswith("needle") and len(hits[0].text) <= 100
    assert long_text[hits[0].start : hits[0].end] == hits[0].text
    assert await index.chunk_count("file_long") > default_count
    total = await index.chunk_count("file_long")
    assert await r.delete_file("file_long") == total
    assert await index.chunk_count("file_long") == 0
    assert await r.search(P, E, "needle", top_k=1) == []
    assert (
        db.fetchone(
            "SELECT COUNT(*) AS n FROM file_chunks_fts WHERE file_chunks_fts MATCH 'needle'"
        )["n"]
        == 0
    )


async def test_hybrid_finds_synonyms_bm25_cannot(db, embeddings_server: str) -> None:  # type: ignore[no-untyped-def]
    bm25_only = Retrieval(SQLiteChunks(db))
    hybrid = Retrieval(SQLiteChunks(db), Embedder(embeddings_server, "fake-embed"))
    assert hybrid.ranking == "hybrid" and bm25_only.ranking == "bm25"
    await _index_all(hybrid)
    assert await bm25_only.search(P, E, "car fix", top_k=3) == []
    hits = await hybrid.search(P, E, "car fix", top_k=3)
    assert hits[0].file_id == "file_autos"
    # Lexical matches still come first when they exist.
    assert (await hybrid.search(P, E, "refunds card", top_k=1))[0].file_id == "file_refunds"


async def test_unreachable_embeddings_fall_back_to_bm25(db) -> None:  # type: ignore[no-untyped-def]
    r = Retrieval(SQLiteChunks(db), Embedder("http://127.0.0.1:9", "x", timeout=1))
    await _index_all(r)
    hits = await r.search(P, E, "refunds", top_k=2)
    assert hits[0].file_id == "file_refunds"


async def test_new_content_replaces_every_profile(db) -> None:  # type: ignore[no-untyped-def]
    index = SQLiteChunks(db)
    r = Retrieval(index)
    await r.index_text("file_x", P, E, "old words about llamas")
    assert await r.search(P, E, "llamas", file_ids=["file_x"], chunk_size=60, chunk_overlap=5)
    await r.index_text("file_x", P, E, "new words about alpacas")
    for size, overlap in ((800, 100), (60, 5)):
        assert (
            await r.search(
                P, E, "llamas", file_ids=["file_x"], chunk_size=size, chunk_overlap=overlap
            )
            == []
        )
        hits = await r.search(
            P, E, "alpacas", file_ids=["file_x"], chunk_size=size, chunk_overlap=overlap
        )
        assert hits[0].text == "new words about alpacas"


async def test_chunks_indexed_before_chunk_sets_stay_searchable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from aiagentics.storage.sqlite import schema_memory
    from aiagentics.storage.sqlite.db import Database
    from aiagentics.storage.sqlite.migrations import apply_migrations

    db = Database(tmp_path / "old.db")
    try:
        apply_migrations(db, {schema_memory.COMPONENT: schema_memory.MIGRATIONS[:2]})
        text = DOCS["file_refunds"]
        db.execute(
            "INSERT INTO file_texts (file_id, project, environment, text, created_at)"
            " VALUES (?,?,?,?,0)",
            ("file_refunds", P, E, text),
        )
        db.execute(
            "INSERT INTO file_chunks (file_id, project, environment, chunk_size, chunk_overlap,"
            " chunk_index, start, end, text) VALUES (?,?,?,800,100,0,0,?,?)",
            ("file_refunds", P, E, len(text), text),
        )
        apply_migrations(db, {schema_memory.COMPONENT: schema_memory.MIGRATIONS})
        r = Retrieval(SQLiteChunks(db))
        hits = await r.search(P, E, "refunds", top_k=1, file_ids=["file_refunds"])
        assert [h.text for h in hits] == [text]
        # Already complete: the search used the old set instead of indexing the file again
        # (which would have claimed the set with a token of its own).
        (row,) = db.fetchall("SELECT token, complete FROM file_chunk_sets")
        assert (row["token"], row["complete"]) == ("", 1)
    finally:
        db.close()
