"""Word (DOCX) loader: sections by heading style, tables kept in reading order."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from tutor.errors import DocumentError
from tutor.library.loaders.base import LoadedDocument, Section, is_reference_heading

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)


def _blocks(document: object) -> list[tuple[str, str]]:
    """(style name, text) for every paragraph and table row, in document order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    out: list[tuple[str, str]] = []
    body = document.element.body  # type: ignore[attr-defined]
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(child, document)
            style = para.style.name if para.style is not None else ""
            out.append((style or "", para.text))
        elif tag == "tbl":
            for row in Table(child, document).rows:
                cells = [cell.text.strip() for cell in row.cells]
                out.append(("table", " | ".join(dict.fromkeys(c for c in cells if c))))
    return out


def load_docx(path: Path) -> LoadedDocument:
    """Load a DOCX; "Title" and "Heading N" styles give the title and the section paths."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError("corrupt or password-protected Word file (not a readable DOCX)") from exc
    file_meta: dict[str, object] = {}
    props = document.core_properties
    if props.title:
        file_meta["title"] = props.title.strip()
    if props.author:
        file_meta["publisher"] = props.author.strip()
    if props.created:
        file_meta["year"] = props.created.year
    stack: list[tuple[int, str]] = []
    sections: list[Section] = []
    buffer: list[str] = []

    def flush() -> None:
        text = "\n\n".join(t for t in buffer if t.strip()).strip()
        buffer.clear()
        if text and not any(is_reference_heading(name) for _, name in stack):
            sections.append(Section(text=text, section=" > ".join(name for _, name in stack)))

    for style, text in _blocks(document):
        heading = _HEADING_STYLE.match(style)
        if style.lower() == "title" and text.strip():
            file_meta.setdefault("title", text.strip())
        elif heading and text.strip():
            flush()
            level = int(heading.group(1))
            stack = [(lv, nm) for lv, nm in stack if lv < level] + [(level, text.strip())]
        else:
            buffer.append(text)
    flush()
    return LoadedDocument(kind="docx", sections=sections, file_meta=file_meta).require_text()
