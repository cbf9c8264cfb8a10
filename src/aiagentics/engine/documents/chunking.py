"""Split text into overlapping chunks of about `chunk_size` characters, on word boundaries."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Chunk", "chunk_text"]


@dataclass(frozen=True, slots=True)
class Chunk:
    """One chunk: its index in the file and its [start, end) character span in the text."""

    index: int
    start: int
    end: int
    text: str


def chunk_text(text: str, chunk_size: int = 800, chunk_overlap: int = 100) -> list[Chunk]:
    """Chunks of at most `chunk_size` characters; consecutive chunks share about `chunk_overlap`.

    A cut falls on whitespace when there is any in the second half of the window;
    a single word longer than `chunk_size` is cut hard.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    if not 0 <= chunk_overlap < chunk_size:
        raise ValueError("chunk_overlap must be >= 0 and smaller than chunk_size")
    chunks: list[Chunk] = []
    n = len(text)
    start = _skip_space(text, 0)
    while start < n:
        end = min(start + chunk_size, n)
        if end < n and not text[end].isspace():
            cut = _last_space(text, start + chunk_size // 2, end)
            if cut is not None:
                end = cut
        stripped_end = end
        while stripped_end > start and text[stripped_end - 1].isspace():
            stripped_end -= 1
        chunks.append(Chunk(len(chunks), start, stripped_end, text[start:stripped_end]))
        if end >= n:
            break
        nxt = max(end - chunk_overlap, start + 1)
        # Move the next start to the beginning of a word so no chunk starts mid-word.
        if nxt > 0 and not text[nxt - 1].isspace():
            after = _next_space(text, nxt, end)
            nxt = after if after is not None else nxt
        start = _skip_space(text, nxt)
    return chunks


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _last_space(text: str, lo: int, hi: int) -> int | None:
    for i in range(hi - 1, lo - 1, -1):
        if text[i].isspace():
            return i
    return None


def _next_space(text: str, lo: int, hi: int) -> int | None:
    for i in range(lo, hi):
        if text[i].isspace():
            return i
    return None
