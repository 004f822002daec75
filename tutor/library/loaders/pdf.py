"""PDF loader: text in reading order, tables as labelled rows, sections with printed page numbers.

pypdf opens the file (encryption, outline, properties, page labels); pdfplumber gives the words with
their fonts and positions, from which the layout modules rebuild what an official reads: columns in
order, running heads and footers gone, footnotes and captions apart, headings as section paths, Acts
and regulations split by subsection, tables as sentences. docs/pdf-reading.md says why and how fast.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from tutor.errors import DocumentError
from tutor.library.loaders.base import LoadedDocument
from tutor.library.loaders.pdf_glyphs import find_strips, ocr_available, read_strips
from tutor.library.loaders.pdf_layout import Line, PageLayout, lay_out, read_page
from tutor.library.loaders.pdf_legal import is_legislation, legal_sections
from tutor.library.loaders.pdf_meta import file_meta
from tutor.library.loaders.pdf_pages import assign_labels, strip_edges
from tutor.library.loaders.pdf_paragraphs import body_size, paragraphs, vocabulary
from tutor.library.loaders.pdf_structure import page_roles, read_outline, report_sections
from tutor.library.loaders.pdf_tables import RuledHeader, find_ruled_tables, find_tables

log = logging.getLogger(__name__)

_EDGE_LINES = 3  # lines at the top and bottom of a page that may be a running header or footer
_DIGITS = re.compile(r"\d+")
_HYPHEN_BREAK = re.compile(r"(\w)-\n\s*([a-z])")
_SOFT_BREAK = re.compile(r"(?<!\n)\n(?!\n)")
#: Loggers of the PDF libraries: their font and syntax warnings say nothing an official can act on.
_NOISY_LOGGERS = ("pypdf", "pdfminer", "pdfplumber", "PIL")
_NUMERICISH = re.compile(r"^[-–]?\d+([.,]\d+)*%?\**$")


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


@contextlib.contextmanager
def quiet_parsers() -> Iterator[None]:
    """Silence the PDF libraries' warnings ("fontTools is required", CropBox...) while a file is read."""
    saved = {name: logging.getLogger(name).level for name in _NOISY_LOGGERS}
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def _open(path: Path) -> object:
    """A pypdf reader for ``path``; :class:`DocumentError` for encrypted or corrupt files."""
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
        _guard_content(reader)
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
        raise DocumentError(f"corrupt PDF: {exc}".splitlines()[0][:200]) from exc
    return reader


#: Page content streams longer than this are parsed by pypdf first: a normal page holds tens of KB of
#: operators, a crafted one millions; pypdf's decompression limit and recursion make those fail fast.
_GUARD_BYTES = 256_000


def _guard_content(reader: object) -> None:
    """Let pypdf refuse decompression bombs and nesting bombs before pdfminer interprets them."""
    from pypdf.generic import ContentStream

    for page in reader.pages:  # type: ignore[attr-defined]
        contents = page.get_contents()
        if contents is None:
            continue
        if len(contents.get_data()) > _GUARD_BYTES:
            ContentStream(contents, reader).operations  # noqa: B018 - parsed for its limits only


def _vector_text_reader(path: Path, number: int):  # type: ignore[no-untyped-def]
    """A callback that OCRs the letter outlines on page ``number`` that sit inside lines of text."""
    def read(words: list[dict[str, object]], curves: list[dict[str, object]]) -> list[dict[str, object]]:
        strips = find_strips(words, curves)  # type: ignore[arg-type]
        return read_strips(path, number - 1, strips) if strips else []
    return read


def _read_layouts(path: Path, encrypted: bool) -> list[PageLayout]:
    """Every page's words laid out, via pdfplumber (an empty password for permissions-only encryption)."""
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError

    ocr = ocr_available()
    try:
        with pdfplumber.open(path, password="" if encrypted else None) as pdf:
            layouts = []
            for number, page in enumerate(pdf.pages, start=1):
                layouts.append(read_page(page, number, _vector_text_reader(path, number) if ocr else None))
                page.close()
            return layouts
    except (PDFSyntaxError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
        raise DocumentError(f"corrupt PDF: {exc}".splitlines()[0][:200]) from exc


def _place_tables(page: PageLayout, carried: RuledHeader | None) -> RuledHeader | None:
    """Replace the lines of each table on the page by one line holding its row sentences.

    Returns the header of a drawn table that may run on to the next page.
    """
    tables, header = find_ruled_tables(page.words, page.rects, page.width, carried) if page.rects else ([], None)
    if sum(bool(_NUMERICISH.match(w["text"])) for w in page.words) >= 12:  # else too few numbers for a grid
        taken = [(t.top, t.bottom) for t in tables]
        free = [w for w in page.words if not any(top - 1 <= w["top"] <= bottom + 1 for top, bottom in taken)]
        tables += find_tables(free)
    for table in tables:
        inside = [ln for ln in page.lines
                  if ln.top >= table.top - 1 and ln.bottom <= table.bottom + 1 and ln.x1 >= table.x0 - 2
                  and ln.x0 <= table.x1 + 2]
        if not inside:
            continue
        at = page.lines.index(inside[0])
        drop = {id(ln) for ln in inside}
        text = table.text
        if table.caption:  # the caption heads the rows, so the chunk holding them says what they are
            key = re.sub(r"\s+", "", table.caption)
            caption = [ln for ln in page.lines if ln.bottom <= table.top + 1 and re.sub(r"\s+", "", ln.text) == key]
            if caption:
                drop.add(id(caption[-1]))
                at = min(at, page.lines.index(caption[-1]))
                text = f"{table.caption}\n{text}"
        stand_in = Line(text=text, x0=table.x0, x1=table.x1, top=table.top, bottom=table.bottom,
                        size=inside[0].size, bold=False, page=page.number, column=inside[0].column,
                        kind="table", caption=table.caption)
        kept = [ln for ln in page.lines if id(ln) not in drop]
        kept.insert(min(at, len(kept)), stand_in)
        page.lines = kept
    return header


def _page_labels(reader: object) -> list[str]:
    try:
        return list(reader.page_labels)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - damaged label trees are common and harmless
        return []


def load_pdf(path: Path) -> LoadedDocument:
    """Read a PDF as an official reads it. Raises :class:`DocumentError` for corrupt or encrypted files.

    A page without a text layer (a scan) is not an error here: it is listed in ``image_pages`` for the
    OCR step, which also decides whether a document with no text at all is refused.
    """
    with quiet_parsers():
        reader = _open(path)
        layouts = _read_layouts(path, bool(reader.is_encrypted))  # type: ignore[attr-defined]
        text_pages = [p for p in layouts if p.has_text]
        image_pages = [p.number for p in layouts if not p.has_text]
        first_texts = [" ".join(ln.text for ln in p.lines) for p in layouts[:3]]
        size = body_size(text_pages)
        legal = bool(text_pages) and is_legislation(text_pages, "\n".join(first_texts))
        if legal:
            text_pages = [lay_out(p.words, p.number, p.width, p.height, size, legal=True) for p in text_pages]
        assign_labels(text_pages, _page_labels(reader))
        strip_edges(text_pages)
        carried: RuledHeader | None = None
        for page in text_pages:
            if not legal:
                carried = _place_tables(page, carried)
        vocab = vocabulary(text_pages)
        if legal:
            regulations = bool(re.search(r"\bRegulations?\b|sub-regulation", "\n".join(first_texts)))
            sections = legal_sections(text_pages, vocab, regulations)
        else:
            paras = paragraphs(text_pages, vocab, size)
            page_roles(text_pages, paras, size)
            sections = report_sections(text_pages, paras, read_outline(reader))
        meta = file_meta(reader, text_pages, first_texts, legal, size)
    sections = [s for s in sections if s.text.strip()]
    log.debug("%s: %d pages, %d sections, %d without text", path.name, len(layouts), len(sections), len(image_pages))
    return LoadedDocument(kind="pdf", sections=sections, file_meta=meta, pages=len(layouts), image_pages=image_pages)
