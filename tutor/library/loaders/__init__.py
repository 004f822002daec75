"""File loaders: one module per format, chosen by extension and checked against the file's content."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tutor.errors import DocumentError
from tutor.library.loaders.base import LoadedDocument, Section
from tutor.library.loaders.docx import load_docx
from tutor.library.loaders.html import load_html
from tutor.library.loaders.markdown import load_markdown, load_text
from tutor.library.loaders.ocr import OcrOptions, read_scanned_pages
from tutor.library.loaders.pdf import load_pdf
from tutor.library.loaders.sandbox import run_bounded

__all__ = ["SUPPORTED", "LoadedDocument", "OcrOptions", "Section", "kind_for", "load_file", "sniff_kind"]

#: Extension -> format. Anything else is reported as unsupported.
SUPPORTED = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
}
_LOADERS = {"pdf": load_pdf, "docx": load_docx, "html": load_html, "markdown": load_markdown, "text": load_text}
#: Binary formats are parsed in a bounded child process; text formats are bounded by the size limit.
_SANDBOXED = {"pdf", "docx"}


def kind_for(path: Path) -> str:
    """The format named by the extension, or a :class:`DocumentError` for unsupported types."""
    kind = SUPPORTED.get(path.suffix.lower())
    if kind is None:
        allowed = ", ".join(sorted(SUPPORTED))
        raise DocumentError(f"unsupported file type '{path.suffix or 'no extension'}' (supported: {allowed})")
    return kind


def sniff_kind(head: bytes) -> str | None:
    """Guess a format from the first bytes: 'pdf', 'docx' (a zip), 'html', 'text', or None for other binaries."""
    if head.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx"
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    lowered = head[:2048].lower()
    if b"<html" in lowered or b"<!doctype html" in lowered:
        return "html"
    return "text"


def check_content(path: Path, kind: str) -> None:
    """Refuse a file whose bytes contradict its extension (a renamed binary, a fake PDF...)."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    if not head.strip():
        raise DocumentError("empty file")
    sniffed = sniff_kind(head)
    if kind == "pdf" and sniffed != "pdf":
        raise DocumentError("corrupt PDF: the file does not start like a PDF")
    if kind == "docx" and (sniffed != "docx" or not zipfile.is_zipfile(path)):
        raise DocumentError("corrupt or password-protected Word file (not a readable DOCX)")
    if kind in {"markdown", "text", "html"} and sniffed not in {"text", "html"}:
        raise DocumentError(f"binary content in a {path.suffix} file")


def load_file(path: Path, timeout_s: float = 60.0, memory_mb: int = 2048,
              ocr: OcrOptions | None = None) -> LoadedDocument:
    """Load any supported file, or raise :class:`DocumentError` with a one-line reason.

    A PDF's scanned pages are read by OCR after the bounded parse (``ocr``: default options, i.e. on,
    English), in a bounded process of their own whose time limit grows with the number of pages.
    """
    kind = kind_for(path)
    check_content(path, kind)
    loader = _LOADERS[kind]
    if kind == "pdf":
        parsed = run_bounded(loader, path, timeout_s, memory_mb)
        return read_scanned_pages(parsed, path, ocr or OcrOptions(), memory_mb)
    if kind in _SANDBOXED:
        return run_bounded(loader, path, timeout_s, memory_mb)
    return loader(path)
