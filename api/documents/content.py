"""What an uploaded file is, judged from its bytes and its name, and the text it gives for the AI review.

The client's Content-Type is never trusted. A file is accepted only when its content carries the
signature of one of the accepted kinds (PDF `%PDF-`, PNG, JPEG, WebP `RIFF…WEBP`, DOCX: a ZIP holding
`word/document.xml`, DOC: an OLE compound file, RTF `{\\rtf`) **and** its name ends with an extension
of that kind. Plain text and Markdown have no signature: they are judged by the extension and by the
content looking like text (no NUL byte, hardly any control characters, no binary signature). The
content type recorded is the kind's own, whatever the client said.

Text is extracted from PDF (pypdf, page by page, stopping once the cap is reached) and from TXT/MD
(UTF-8, undecodable bytes replaced). DOC, DOCX, RTF and images are not read: the text event says so.
The text is cleaned for storage in PostgreSQL (no NUL characters, no lone surrogates) and capped at
`MAX_TEXT_CHARS` characters.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from urllib.parse import quote

from commands.documents.events import MAX_TEXT_CHARS, TextStatus


@dataclass(frozen=True)
class Kind:
    name: str
    content_type: str
    extensions: frozenset[str]
    extracted: bool


PDF = Kind("PDF", "application/pdf", frozenset({".pdf"}), True)
DOC = Kind("DOC", "application/msword", frozenset({".doc"}), False)
DOCX = Kind("DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            frozenset({".docx"}), False)
RTF = Kind("RTF", "application/rtf", frozenset({".rtf"}), False)
TXT = Kind("TXT", "text/plain", frozenset({".txt", ".text"}), True)
MD = Kind("MD", "text/markdown", frozenset({".md", ".markdown"}), True)
JPEG = Kind("JPEG", "image/jpeg", frozenset({".jpg", ".jpeg"}), False)
PNG = Kind("PNG", "image/png", frozenset({".png"}), False)
WEBP = Kind("WebP", "image/webp", frozenset({".webp"}), False)
KINDS = (PDF, DOC, DOCX, RTF, TXT, MD, JPEG, PNG, WEBP)

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\x1b")


def extension_of(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower() if dot > 0 else ""


def _signature(data: bytes) -> Kind | None:
    head = data[:1024]
    if head.lstrip().startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(_OLE):
        return DOC
    if data.startswith(b"{\\rtf"):
        return RTF
    if data.startswith(_ZIP):
        return DOCX if _is_docx(data) else None
    return None


def _is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return False
    return "word/document.xml" in names and "[Content_Types].xml" in names


def _looks_like_text(data: bytes) -> bool:
    if b"\x00" in data or data.startswith((_ZIP, _OLE)):
        return False
    sample = data[:65536]
    controls = sum(1 for byte in sample if byte < 32 and byte not in _TEXT_CONTROLS)
    return controls <= len(sample) // 100


def sniff(filename: str, data: bytes) -> Kind | None:
    """The kind of an uploaded file when its content and its name agree on an accepted kind; else None."""
    extension = extension_of(filename)
    kind = _signature(data)
    if kind is not None:
        return kind if extension in kind.extensions else None
    for text_kind in (TXT, MD):
        if extension in text_kind.extensions and _looks_like_text(data):
            return text_kind
    return None


def detected_name(data: bytes) -> str | None:
    """What the content alone looks like, for telling a caller why a file was refused."""
    kind = _signature(data)
    return kind.name if kind else None


# --- text ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExtractedText:
    status: TextStatus
    text: str | None = None
    truncated: bool = False
    reason: str | None = None


_NOT_READ = {
    "DOC": "text is not extracted from Word 97-2003 (.doc) files",
    "DOCX": "text is not extracted from Word (.docx) files",
    "RTF": "text is not extracted from RTF files",
    "JPEG": "an image holds no text to extract",
    "PNG": "an image holds no text to extract",
    "WebP": "an image holds no text to extract",
}


def _clean(text: str) -> str:
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8").strip()


def _capped(text: str, empty_reason: str) -> ExtractedText:
    text = _clean(text)
    if not text:
        return ExtractedText("empty", reason=empty_reason)
    truncated = len(text) > MAX_TEXT_CHARS
    return ExtractedText("extracted", text=text[:MAX_TEXT_CHARS] if truncated else text, truncated=truncated)


def _pdf_text(data: bytes) -> ExtractedText:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            return ExtractedText("failed", reason="the PDF is encrypted with a password")
        parts: list[str] = []
        length = 0
        for page in reader.pages:
            part = page.extract_text() or ""
            parts.append(part)
            length += len(part) + 1
            if length > MAX_TEXT_CHARS:
                break
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
            NotImplementedError, OSError, zipfile.BadZipFile) as exc:
        return ExtractedText("failed", reason=f"the PDF could not be read ({type(exc).__name__})")
    return _capped("\n".join(parts), "the PDF holds no text layer (a scanned document?)")


def extract_text(kind: Kind, data: bytes) -> ExtractedText:
    """The text of a file of this kind, for the AI review. CPU-bound: run it in a worker thread."""
    if kind is PDF:
        return _pdf_text(data)
    if kind in (TXT, MD):
        return _capped(data.decode("utf-8-sig", errors="replace"), "the file is empty but for white space")
    return ExtractedText("unsupported", reason=_NOT_READ.get(kind.name, f"text is not extracted from {kind.name}"))


# --- names -----------------------------------------------------------------------------------------------

def clean_filename(raw: str | None) -> str:
    """The name to record: the last path segment of what the client sent, without control characters, at most
    255 characters (keeping the extension); "" when nothing is left."""
    name = re.split(r"[\\/]", raw or "")[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C").strip()
    name = name.strip(". ") if set(name) <= {".", " "} else name
    if len(name) > 255:
        extension = extension_of(name)[:16]
        name = name[: 255 - len(extension)] + extension
    return name


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the UTF-8 name (RFC 6266), safe to put in a header."""
    ascii_name = re.sub(r"[^A-Za-z0-9._ -]", "_", filename).strip() or "document"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
