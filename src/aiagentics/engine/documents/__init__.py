"""Uploaded documents as text: extraction per format and chunking for the retrieval index."""

from aiagentics.engine.documents.chunking import Chunk, chunk_text
from aiagentics.engine.documents.extract import (
    EXTRACTABLE,
    ExtractionError,
    detect_format,
    extract_text,
)

__all__ = ["EXTRACTABLE", "Chunk", "ExtractionError", "chunk_text", "detect_format", "extract_text"]
