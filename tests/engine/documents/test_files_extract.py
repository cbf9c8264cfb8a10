"""Text extraction of every supported format, and clear errors for bad documents."""

from __future__ import annotations

import json

import pytest
from pdfmaker import make_pdf

from aiagentics.engine.documents.extract import ExtractionError, detect_format, extract_text


def test_txt_and_md_pass_through() -> None:
    assert extract_text(b"Refunds take 5 days.\n", "a.txt") == "Refunds take 5 days.\n"
    assert extract_text("\ufeff# Title\nbody".encode(), "b.md") == "# Title\nbody"


def test_html_strips_tags_scripts_and_entities() -> None:
    html = (
        "<html><head><title>T</title><style>p{color:red}</style></head><body>"
        "<h1>Refund&nbsp;policy</h1><script>alert('x')</script>"
        "<p>Refunds take <b>5</b> days &amp; more.</p></body></html>"
    )
    text = extract_text(html.encode(), "page.html")
    assert text == "Refund policy\nRefunds take 5 days & more."
    assert "alert" not in text and "color" not in text


def test_json_flattened_with_paths() -> None:
    doc = {"plan": {"name": "Gold", "limits": [10, {"refund_days": 5}]}, "ok": True}
    text = extract_text(json.dumps(doc).encode(), "x.json")
    assert text.splitlines() == [
        "plan.name: Gold",
        "plan.limits[0]: 10",
        "plan.limits[1].refund_days: 5",
        "ok: true",
    ]


def test_csv_rows_labelled_by_header() -> None:
    text = extract_text(b"country,currency\nFrance,EUR\nJapan,JPY\n", "c.csv")
    assert text.splitlines() == ["country: France; currency: EUR", "country: Japan; currency: JPY"]


def test_pdf_text_per_page() -> None:
    data = make_pdf(["Chargebacks are disputed within 30 days.", "Second page (here)."])
    text = extract_text(data, "policy.pdf")
    assert "Chargebacks are disputed within 30 days." in text
    assert "Second page (here)." in text


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"hello, I am text", "fake.pdf", "not a PDF"),
        (b"%PDF-1.4\n garbage garbage", "broken.pdf", "cannot be read"),
        (b"\xff\xfe\xfa bad", "x.txt", "not UTF-8"),
        (b"\x00\x01\x02", "x.txt", "binary"),
        (b'{"a": ', "x.json", "invalid JSON at line 1"),
    ],
)
def test_bad_documents_are_clear_errors(data: bytes, name: str, message: str) -> None:
    with pytest.raises(ExtractionError, match=message):
        extract_text(data, name)


def test_format_from_content_type_when_no_extension() -> None:
    assert detect_format("upload", "application/pdf; charset=binary") == "pdf"
    assert detect_format("notes.MD") == "md"
    assert detect_format("blob.bin") is None
