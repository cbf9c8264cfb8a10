"""Chunking on word boundaries with overlap; positions point back into the text."""

from __future__ import annotations

import itertools
import random

import pytest

from aiagentics.engine.documents.chunking import chunk_text


def _words(n: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    return " ".join(
        "".join(rng.choice("abcdefghij") for _ in range(rng.randint(1, 9))) for _ in range(n)
    )


@pytest.mark.parametrize(("size", "overlap"), [(50, 0), (50, 10), (200, 40), (800, 100)])
def test_chunks_respect_size_positions_and_word_boundaries(size: int, overlap: int) -> None:
    text = _words(800)
    chunks = chunk_text(text, size, overlap)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    for c in chunks:
        assert 0 < len(c.text) <= size
        assert text[c.start : c.end] == c.text
        assert c.start == 0 or text[c.start - 1] == " "  # starts at a word
        assert c.end == len(text) or text[c.end] == " "  # ends at a word
    # Every word of the text is in some chunk, and chunks move forward.
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    for a, b in itertools.pairwise(chunks):
        assert a.start < b.start <= a.end + 1
        if overlap:
            assert b.start < a.end  # they share text
            assert a.end - b.start <= overlap


def test_long_word_is_cut_hard_and_empty_text_has_no_chunks() -> None:
    chunks = chunk_text("x" * 120, 50, 10)
    assert [len(c.text) for c in chunks] == [50, 50, 40]
    assert chunk_text("   \n ", 50, 10) == []


def test_invalid_parameters() -> None:
    with pytest.raises(ValueError):
        chunk_text("abc", 10, 10)
