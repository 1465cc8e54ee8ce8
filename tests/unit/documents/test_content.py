"""Judging an upload by its bytes and its name, the text it gives, and the names it is stored and served under
(api/documents/content.py: pure functions, no I/O)."""

from __future__ import annotations

import io
import zipfile

import pytest

from api.documents.content import (
    DOC,
    DOCX,
    JPEG,
    MD,
    PDF,
    PNG,
    RTF,
    TXT,
    WEBP,
    clean_filename,
    content_disposition,
    extract_text,
    sniff,
)
from commands.documents.events import MAX_TEXT_CHARS


def _zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


DOCX_BYTES = _zip("[Content_Types].xml", "word/document.xml")
SAMPLES = {
    PDF: ("cv.pdf", b"%PDF-1.7\n..."),
    DOC: ("cv.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32),
    DOCX: ("cv.docx", DOCX_BYTES),
    RTF: ("cv.rtf", b"{\\rtf1\\ansi Hello}"),
    TXT: ("cv.txt", b"Plain text\n"),
    MD: ("cv.md", b"# Title\n"),
    JPEG: ("me.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 16),
    PNG: ("me.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 16),
    WEBP: ("me.webp", b"RIFF\x10\x00\x00\x00WEBPVP8 "),
}


@pytest.mark.parametrize("kind", list(SAMPLES), ids=lambda k: k.name)
def test_each_kind_is_known_by_content_and_name(kind) -> None:
    filename, data = SAMPLES[kind]
    assert sniff(filename, data) is kind
    assert sniff(filename.upper(), data) is kind
    assert sniff("renamed.bin", data) is None
    assert sniff("renamed", data) is None


@pytest.mark.parametrize(("filename", "data"), [
    ("cv.pdf", SAMPLES[PNG][1]),  # the name lies
    ("cv.docx", _zip("xl/workbook.xml", "[Content_Types].xml")),  # a spreadsheet
    ("cv.docx", b"PK\x03\x04 not really a zip"),
    ("cv.txt", b"\x00\x01\x02binary"),
    ("cv.txt", bytes(range(1, 32)) * 10),  # control characters throughout
    ("cv.md", DOCX_BYTES),
    ("setup.exe", b"MZ\x90\x00"),
    ("cv.pdf", b"PDF-1.4 without its percent sign"),
])
def test_content_and_name_that_disagree_or_are_unknown_are_refused(filename: str, data: bytes) -> None:
    assert sniff(filename, data) is None


def test_text_is_capped_cleaned_and_decoded_with_replacement() -> None:
    long = extract_text(TXT, b"a" * (MAX_TEXT_CHARS + 10))
    assert (long.status, len(long.text or ""), long.truncated) == ("extracted", MAX_TEXT_CHARS, True)
    odd = extract_text(MD, b"\xef\xbb\xbf# R\xc3\xa9sum\xc3\xa9 \xff\xfe\n")
    assert (odd.text, odd.truncated) == ("# R\u00e9sum\u00e9 \ufffd\ufffd", False)
    assert extract_text(TXT, b"  \n\t ").status == "empty"


def test_files_without_extractable_text_say_why() -> None:
    for kind in (DOC, DOCX, RTF, JPEG, PNG, WEBP):
        result = extract_text(kind, SAMPLES[kind][1])
        assert (result.status, result.text) == ("unsupported", None) and result.reason
    broken = extract_text(PDF, b"%PDF-1.4 but nothing else")
    assert broken.status == "failed" and "could not be read" in (broken.reason or "")


@pytest.mark.parametrize(("raw", "clean"), [
    ("resume.pdf", "resume.pdf"),
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\me\\cv.docx", "cv.docx"),
    ("cv\r\n\x00.pdf", "cv.pdf"),
    ("..", ""),
    ("  ", ""),
    (None, ""),
    ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
])
def test_filenames_keep_only_their_last_segment_and_no_control_characters(raw: str | None, clean: str) -> None:
    assert clean_filename(raw) == clean


def test_the_download_name_is_safe_in_a_header() -> None:
    header = content_disposition('Lebenslauf "Müller";\u202e.pdf')
    assert header.startswith('attachment; filename="Lebenslauf _M_ller__')
    assert "filename*=UTF-8''Lebenslauf%20%22M%C3%BCller%22%3B%E2%80%AE.pdf" in header
    assert all(32 <= ord(c) < 127 for c in header)
