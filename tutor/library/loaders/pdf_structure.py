"""Sections of a report: heading paths from the PDF outline or from detected headings, and page roles.

An outline (bookmarks) is the author's own table of contents and wins when there is one; entries that
are plainly not headings (a file name such as "60ff9487-....pdf") are dropped and their children moved
up. Without an outline, headings detected by type and numbering build the path. Pages and sections that
are not answers (cover, contents, lists of figures, references, acknowledgements, index) carry a role
from :data:`tutor.library.loaders.base.NON_ANSWER_ROLES`: kept searchable, never quoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from tutor.library.loaders.base import NON_ANSWER_ROLES, Section
from tutor.library.loaders.pdf_layout import PageLayout
from tutor.library.loaders.pdf_paragraphs import Paragraph

_JUNK_TITLE = re.compile(r"\.(pdf|docx?|indd|pptx?)$|^[0-9a-f]{8}-[0-9a-f]{4}-|^untitled", re.IGNORECASE)
#: Headings whose text is not an answer, by role.
ROLE_HEADINGS = {
    "contents": re.compile(r"^(table of contents|contents)$", re.IGNORECASE),
    "figures-list": re.compile(r"^(list of (figures|tables|boxes|charts|annexes)|figures|tables|boxes)$", re.IGNORECASE),
    "references": re.compile(r"^(references|bibliography|sources|works cited|further reading|notes)$", re.IGNORECASE),
    "acknowledgements": re.compile(r"^acknowledge?ments?$", re.IGNORECASE),
    "index": re.compile(r"^index$", re.IGNORECASE),
}
#: Headings under which nothing else nests (a bookmark tree that puts "Annex A" under "References" is wrong).
_LEAF_HEADINGS = re.compile(r"^(references|bibliography|acknowledge?ments?|abstract|foreword|notes)$", re.IGNORECASE)
#: Unnumbered headings that always open a top-level part of a report.
_TOP_LEVEL = re.compile(r"^(abstract|foreword|executive summary|summary|annex|appendix|glossary|preface)\b", re.IGNORECASE)
_CHAPTER = re.compile(r"^(Annex|Appendix|Chapter|Part)\s+[A-Z0-9]{1,3}\b|^\d{1,2}\.?\s+[A-Z][a-z]")
_LEADER = re.compile(r"(\.{3,}|…{2,}|\s)\s*\d{1,4}\s*$")


@dataclass
class Heading:
    """One entry of the heading tree."""

    title: str
    level: int
    page: int


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def read_outline(reader: Any) -> list[Heading]:
    """The PDF's bookmarks as headings with 1-based pages; junk entries dropped, bad nesting repaired."""
    try:
        outline = reader.outline
    except Exception:  # noqa: BLE001 - a damaged outline only costs us the bookmarks
        return []
    entries: list[Heading] = []

    def walk(items: list[Any], level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            title = re.sub(r"\s+", " ", str(getattr(item, "title", "") or "")).strip()
            try:
                page = reader.get_destination_page_number(item)
            except Exception:  # noqa: BLE001 - an entry pointing nowhere is skipped
                page = None
            if not title or page is None or page < 0:
                entries.append(Heading(title="", level=level, page=-1))  # keeps children's depth known
                continue
            entries.append(Heading(title=title, level=level, page=page + 1))

    walk(outline if isinstance(outline, list) else [], 1)
    fixed: list[Heading] = []
    shift: list[tuple[int, int]] = []  # (level of a dropped entry, how far its children move up)
    leaf_level: int | None = None
    for entry in entries:
        while shift and entry.level <= shift[-1][0]:
            shift.pop()
        if not entry.title or _JUNK_TITLE.search(entry.title):
            shift.append((entry.level, 1))
            continue
        level = max(1, entry.level - sum(s for _, s in shift))
        if leaf_level is not None and level > leaf_level:
            level = leaf_level
        if _CHAPTER.match(entry.title):
            level = 1  # "Annex B", "2 Overall results": always a top-level part, whatever the nesting says
        leaf_level = level if _LEAF_HEADINGS.match(entry.title) else None
        fixed.append(Heading(title=entry.title, level=level, page=entry.page))
    return fixed


def match_outline(headings: list[Heading], paragraphs: list[Paragraph]) -> dict[int, Heading]:
    """Which paragraph each outline entry is printed as (by id); unmatched entries start at their page's top."""
    found: dict[int, Heading] = {}
    by_page: dict[int, list[Paragraph]] = {}
    for paragraph in paragraphs:
        by_page.setdefault(paragraph.page, []).append(paragraph)
    for heading in headings:
        want = _norm(heading.title)
        candidates = by_page.get(heading.page, [])
        for index, paragraph in enumerate(candidates):
            have = _norm(paragraph.text)
            if id(paragraph) in found or not have or paragraph.kind not in ("heading", "body"):
                continue
            parts = [paragraph]
            # a title wrapped over lines that the layout split into paragraphs ("... lawful data" / "transfers")
            while want.startswith(have) and have != want and index + len(parts) < len(candidates):
                following = candidates[index + len(parts)]
                longer = _norm(f"{have} {following.text}")
                if not want.startswith(longer) or following.kind not in ("heading", "body"):
                    break
                parts.append(following)
                have = longer
            if have == want or (len(have) < len(want) + 40 and have.startswith(want)) or (
                    len(want) > 12 and want.startswith(have) and len(have) > 0.6 * len(want)):
                for part in parts:
                    found[id(part)] = heading
                    part.kind = "heading"
                break
    return found


def rank_levels(paragraphs: list[Paragraph]) -> None:
    """Give detected headings without numbering a level by type size: the largest size is level 1."""
    sizes = sorted({p.lines[0].size for p in paragraphs if p.kind == "heading" and not p.level}, reverse=True)
    for paragraph in paragraphs:
        if paragraph.kind == "heading" and not paragraph.level:
            paragraph.level = min(sizes.index(paragraph.lines[0].size) + 1, 3)


def page_roles(pages: list[PageLayout], paragraphs: list[Paragraph], size: float) -> None:
    """Mark cover pages (first pages in display type, little text) and contents pages (dot leaders)."""
    by_page: dict[int, list[Paragraph]] = {}
    for paragraph in paragraphs:
        by_page.setdefault(paragraph.page, []).append(paragraph)
    for page in pages:
        paras = by_page.get(page.number, [])
        words = sum(len(p.text.split()) for p in paras)
        longest = max((len(p.text.split()) for p in paras if p.kind == "body"), default=0)
        large = any(ln.size >= 1.4 * size for ln in page.lines)
        if len(pages) >= 4 and page.number <= 3 and words < 90 and longest < 30 and (large or words < 40) and all(
                pages[i].role == "cover" for i in range(page.number - 1)):
            page.role = "cover"
            continue
        lines = [ln.text for ln in page.lines]
        leaders = sum(bool(_LEADER.search(t)) and len(t) > 12 for t in lines)
        if lines and leaders >= max(4, 0.4 * len(lines)):
            captions = sum(bool(re.match(r"^(Figure|Table|Box)\s", t, re.IGNORECASE)) for t in lines)
            page.role = "figures-list" if captions > 0.5 * leaders else "contents"


def heading_role(title: str) -> str:
    """The non-answer role a heading announces ("References" -> references), or ""."""
    bare = re.sub(r"^[\dIVX.\s]+", "", title).strip(" :")
    for role, pattern in ROLE_HEADINGS.items():
        if pattern.match(bare):
            return role
    return ""


def report_sections(pages: list[PageLayout], paragraphs: list[Paragraph], outline: list[Heading]
                    ) -> list[Section]:
    """One Section per run of body text under one heading on one page; captions, tables, footnotes apart."""
    labels = {p.number: p.label for p in pages}
    roles = {p.number: p.role for p in pages}
    matched = match_outline(outline, paragraphs) if outline else {}
    if not outline:
        rank_levels(paragraphs)
    pending = sorted(outline, key=lambda h: h.page)  # entries not printed as a paragraph start at page top
    printed = {id(h) for h in matched.values()}
    pending = [h for h in pending if id(h) not in printed]
    path: list[tuple[int, str]] = []
    role = ""
    sections: list[Section] = []
    buffer: list[str] = []
    buffer_page: int | None = None
    buffer_ocr = False
    notes: list[Paragraph] = []

    def enter(title: str, level: int) -> None:
        nonlocal path, role
        path = [(lv, t) for lv, t in path if lv < level] + [(level, title)]
        role = heading_role(title)

    def section_path() -> str:
        return " > ".join(t for _, t in path)

    def emit(text: str, page: int, kind: str = "body", caption: str = "", ocr: bool = False) -> None:
        own = roles.get(page, "body")
        final = own if own != "body" else role or ("body" if kind == "body" else kind)
        where = " > ".join(x for x in (section_path(), caption) if x)
        last = sections[-1] if sections else None
        if last and final in NON_ANSWER_ROLES and (last.page, last.role, last.section) == (page, final, where):
            sections[-1] = replace(last, text=f"{last.text}\n{text}")  # one contents page, one Section
            return
        sections.append(Section(text=text, page=page, section=where, page_label=labels.get(page, ""), role=final,
                                ocr=ocr))

    def flush() -> None:
        nonlocal buffer, buffer_page, buffer_ocr
        if buffer and buffer_page is not None:
            emit("\n\n".join(buffer), buffer_page, ocr=buffer_ocr)
        buffer, buffer_page, buffer_ocr = [], None, False

    def flush_notes() -> None:
        for note in notes:
            emit(note.text, note.page, "footnote")
        notes.clear()

    current_page = 0
    for paragraph in paragraphs:
        if paragraph.page != current_page:
            flush()
            flush_notes()
            current_page = paragraph.page
            while pending and pending[0].page <= current_page:
                heading = pending.pop(0)
                enter(heading.title, heading.level)
        if paragraph.kind == "footnote":
            notes.append(paragraph)
            continue
        if paragraph.kind == "heading" and roles.get(paragraph.page) == "cover":
            paragraph.kind = "body"  # a cover's display type is a title, not a section heading
        if paragraph.kind == "heading":
            flush()
            found = matched.get(id(paragraph))
            if found is not None:
                enter(found.title, found.level)
            elif not outline:
                top = heading_role(paragraph.text) or _TOP_LEVEL.match(paragraph.text)
                enter(paragraph.text, 1 if top else paragraph.level or 1)
            else:
                buffer_page = paragraph.page
                buffer.append(paragraph.text)  # a heading the outline does not list: kept as its own paragraph
            continue
        if paragraph.kind in ("caption", "table"):
            flush()
            emit(paragraph.text, paragraph.page, paragraph.kind, paragraph.lines[0].caption)
            continue
        buffer_page = paragraph.page if buffer_page is None else buffer_page
        buffer.append(paragraph.text)
        buffer_ocr = buffer_ocr or any(ln.ocr for ln in paragraph.lines)
    flush()
    flush_notes()
    return sections
