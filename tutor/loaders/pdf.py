"""PDF loader: one section per page, running headers/footers removed, hyphenated words rejoined."""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from pathlib import Path

from tutor.errors import DocumentError
from tutor.loaders.base import LoadedDocument, Section

log = logging.getLogger(__name__)

_EDGE_LINES = 3  # lines at the top and bottom of a page that may be a running header or footer
_DIGITS = re.compile(r"\d+")
_HYPHEN_BREAK = re.compile(r"(\w)-\n\s*([a-z])")
_SOFT_BREAK = re.compile(r"(?<!\n)\n(?!\n)")
#: Placeholders that PDF writers (reportlab, some scanners) put in the info dictionary: not metadata.
_PLACEHOLDERS = frozenset({"untitled", "anonymous", "unknown", "unspecified", "none", "title", "author"})


def _edge_key(line: str) -> str:
    """Normalise a line so "Page 3 of 9" and "Page 4 of 9" count as the same running line."""
    return _DIGITS.sub("#", line.strip().lower())


def strip_running_lines(pages: list[str]) -> list[str]:
    """Remove lines that repeat at the top or bottom of at least half the pages (3 pages at least)."""
    if len(pages) < 3:
        return pages
    split = [[ln for ln in page.splitlines() if ln.strip()] for page in pages]
    counts: Counter[str] = Counter()
    for lines in split:
        counts.update({_edge_key(ln) for ln in lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]})
    needed = max(3, math.ceil(len(pages) / 2))
    running = {key for key, n in counts.items() if n >= needed}
    if not running:
        return pages
    cleaned = []
    for lines in split:
        top, bottom = 0, len(lines)
        while top < min(_EDGE_LINES, bottom) and _edge_key(lines[top]) in running:
            top += 1
        while bottom > top and bottom > len(lines) - _EDGE_LINES and _edge_key(lines[bottom - 1]) in running:
            bottom -= 1
        cleaned.append("\n".join(lines[top:bottom]))
    return cleaned


def tidy_page_text(text: str) -> str:
    """Rejoin words hyphenated across line ends and turn layout line breaks into spaces."""
    text = _HYPHEN_BREAK.sub(r"\1\2", text)
    text = _SOFT_BREAK.sub(" ", text)
    return re.sub(r"[ \t]+", " ", text).strip()


def _file_meta(reader: object) -> dict[str, object]:
    meta: dict[str, object] = {}
    info = getattr(reader, "metadata", None)
    if not info:
        return meta
    if info.title and str(info.title).strip().lower() not in _PLACEHOLDERS:
        meta["title"] = str(info.title).strip()
    if info.author and str(info.author).strip().lower() not in _PLACEHOLDERS:
        meta["publisher"] = str(info.author).strip()
    try:
        created = info.creation_date
    except Exception:  # noqa: BLE001 - a malformed date string must not sink the whole file
        created = None
    if created is not None:
        meta["year"] = created.year
    return meta


def load_pdf(path: Path) -> LoadedDocument:
    """Extract page texts with pypdf. Raises :class:`DocumentError` for corrupt, encrypted or image-only files."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception:  # noqa: BLE001 - any failure here means we cannot open it
                opened = 0
            if not opened:
                raise DocumentError("encrypted PDF: remove the password and try again")
        raw_pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
        raise DocumentError(f"corrupt PDF: {exc}".splitlines()[0][:200]) from exc
    pages = [tidy_page_text(text) for text in strip_running_lines(raw_pages)]
    sections = [Section(text=text, page=number) for number, text in enumerate(pages, start=1) if text]
    return LoadedDocument(
        kind="pdf", sections=sections, file_meta=_file_meta(reader), pages=len(raw_pages)
    ).require_text()
