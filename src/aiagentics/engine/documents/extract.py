"""Plain text out of uploaded documents: txt, md, html, json, csv and pdf.

PDF support uses pypdf from the `pdf` extra (`pip install 'aiagentics[pdf]'`); without
it a PDF upload gets a clear ExtractionError instead of a crash. Every failure is an
ExtractionError whose message is safe to show to the API caller.
"""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from pathlib import PurePosixPath
from typing import Any

__all__ = ["EXTRACTABLE", "ExtractionError", "detect_format", "extract_text"]

EXTRACTABLE = ("txt", "md", "html", "json", "csv", "pdf")
_EXTENSIONS = {
    ".txt": "txt",
    ".text": "txt",
    ".log": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".csv": "csv",
    ".pdf": "pdf",
}
_CONTENT_TYPES = {
    "text/plain": "txt",
    "text/markdown": "md",
    "text/html": "html",
    "application/json": "json",
    "text/csv": "csv",
    "application/pdf": "pdf",
}
MAX_PDF_PAGES = 2000


class ExtractionError(ValueError):
    """The document cannot be turned into text; the message says why."""


def detect_format(filename: str, content_type: str | None = None) -> str | None:
    """One of EXTRACTABLE from the file name (then the content type), or None."""
    fmt = _EXTENSIONS.get(PurePosixPath(filename or "").suffix.lower())
    if fmt is None and content_type:
        fmt = _CONTENT_TYPES.get(content_type.split(";")[0].strip().lower())
    return fmt


def extract_text(data: bytes, filename: str, content_type: str | None = None) -> str:
    """The document's text; raises ExtractionError for unreadable or unsupported content."""
    fmt = detect_format(filename, content_type)
    if fmt == "pdf":
        return _pdf(data)
    text = _decode(data, filename)
    if fmt == "html":
        return _html(text)
    if fmt == "json":
        return _json(text)
    if fmt == "csv":
        return _csv(text)
    return text  # txt, md and unknown text formats are indexed as they are


def _decode(data: bytes, filename: str) -> str:
    if b"\x00" in data[:8192]:
        raise ExtractionError(f"{filename or 'the file'} is binary, not a supported text format")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExtractionError(
            f"{filename or 'the file'} is not UTF-8 text (byte {exc.start})"
        ) from None


class _TextOfHtml(HTMLParser):
    _SKIP = frozenset({"script", "style", "noscript", "template", "head"})
    _BLOCK = frozenset(
        {
            "p",
            "div",
            "br",
            "li",
            "tr",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "section",
            "article",
            "pre",
            "blockquote",
            "table",
            "ul",
            "ol",
            "title",
            "header",
            "footer",
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def _html(text: str) -> str:
    parser = _TextOfHtml()
    parser.feed(text)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _json(text: str) -> str:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExtractionError(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    lines: list[str] = []
    _flatten(value, "", lines)
    return "\n".join(lines)


def _flatten(value: Any, path: str, out: list[str]) -> None:
    # "a.b[0].c: value" lines keep each value next to its keys, which full-text search needs.
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{path}.{key}" if path else str(key), out)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _flatten(item, f"{path}[{i}]", out)
    else:
        shown = value if isinstance(value, str) else json.dumps(value)
        out.append(f"{path}: {shown}" if path else str(shown))


def _csv(text: str) -> str:
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise ExtractionError(f"invalid CSV: {exc}") from None
    if not rows:
        return ""
    header, body = rows[0], rows[1:]
    if not body:
        return ", ".join(header)
    # One line per row, each value labelled by its column: a row stays self-describing in a chunk.
    return "\n".join(
        "; ".join(f"{h}: {v}" for h, v in zip(header, row, strict=False) if v.strip())
        for row in body
    )


def _pdf(data: bytes) -> str:
    if not data.lstrip()[:5] == b"%PDF-":
        raise ExtractionError("the file is not a PDF (it does not start with %PDF-)")
    try:
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError
    except ImportError:
        raise ExtractionError(
            "PDF text extraction needs the pdf extra: pip install 'aiagentics[pdf]'"
        ) from None
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ExtractionError("the PDF is encrypted")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise ExtractionError(f"the PDF has more than {MAX_PDF_PAGES} pages")
        return "\n\n".join((page.extract_text() or "").strip() for page in reader.pages).strip()
    except ExtractionError:
        raise
    except (
        PyPdfError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        OSError,
    ) as exc:
        # pypdf raises a spread of errors on damaged files; none of them is the caller's crash.
        raise ExtractionError(f"the PDF cannot be read: {exc}") from None
