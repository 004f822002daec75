"""Lines into paragraphs, and what each paragraph is: body, heading, caption, footnote or table.

A heading is a short paragraph set apart by its type (larger, or bold on its own) or by its numbering
("2.3", "Annex A"); it is never joined to the sentence after it. Captions ("Figure 3.", "Box 2.1",
"Table A.1") and footnotes are paragraphs of their own, so a footnote never interrupts the sentence that
carries its marker.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass

from tutor.library.loaders.pdf_layout import Line, PageLayout

CAPTION = re.compile(r"^(Figure|Box|Table|Chart|Graph|Infographic|Map)\s+([A-Z]\.?)?\d+(\.\d+)*[A-Za-z]?"
                     r"(\s*[.:]|\s+[-–—])")
_NUMBERED = re.compile(r"^(\d{1,2}(\.\d{1,2}){0,3})\.?\s+\S")
_ANNEX = re.compile(r"^(Annex|Appendix|Chapter)\s+[A-Z0-9]{1,3}\b", re.IGNORECASE)
_ITEM = re.compile(r"^(\(?[a-z]{1,4}\)|\(?\d{1,2}\)|[•●▪■\-–—*o]\s|\d{1,2}\.\s)")
_FOOTNOTE_START = re.compile(r"^(\d{1,3}|[*†‡])\s+\S")
_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")


@dataclass
class Paragraph:
    """Consecutive lines of one style, joined; ``kind`` says what the reader takes it for."""

    lines: list[Line]
    kind: str = "body"  # body, heading, caption, footnote, table
    level: int = 0  # heading depth, 1 = top
    text: str = ""

    @property
    def page(self) -> int:
        return self.lines[0].page

    @property
    def top(self) -> float:
        return self.lines[0].top


def body_size(pages: list[PageLayout]) -> float:
    """The type size most of the document's characters are set in."""
    sizes: Counter[float] = Counter()
    for page in pages:
        for line in page.lines:
            sizes[round(line.size)] += len(line.text)
    return float(sizes.most_common(1)[0][0]) if sizes else 10.0


def vocabulary(pages: list[PageLayout]) -> set[str]:
    """Every word form printed in the document, to tell "re-use" (printed so) from "transfor-mation"."""
    words: set[str] = set()
    for page in pages:
        for line in page.lines:
            words.update(w.lower() for w in _WORD.findall(line.text))
    return words


def join_lines(texts: list[str], vocab: set[str]) -> str:
    """Join a paragraph's lines, rejoining a word hyphenated across a line end unless printed with a hyphen."""
    out = ""
    for text in texts:
        text = text.strip()
        if not out:
            out = text
            continue
        match = re.search(r"([A-Za-z]+)-$", out)
        compound = match is not None and out[: match.start()].endswith("-")  # "whole-of-" + "government"
        if match and text[:1].islower() and compound:
            out += text
        elif match and text[:1].islower():
            head = match.group(1)
            tail = re.match(r"[A-Za-z]+", text)
            rest = tail.group(0) if tail else ""
            joined, hyphened = (head + rest).lower(), f"{head}-{rest}".lower()
            if hyphened in vocab and joined not in vocab:
                out += text
            else:
                out = out[:-1] + text
        else:
            out += " " + text
    return re.sub(r"\s+", " ", out).strip()


def footnote_lines(page: PageLayout, size: float) -> list[Line]:
    """The footnotes at the foot of a page: a tail of smaller lines whose first one starts with a marker."""
    tail: list[Line] = []
    for line in reversed(page.lines):
        if line.size <= 0.92 * size and line.kind == "body" and line.column != 3:
            tail.insert(0, line)
        else:
            break
    for index, line in enumerate(tail):
        if line.starts_with_marker or _FOOTNOTE_START.match(line.text):
            notes = tail[index:]
            above = [ln for ln in page.lines if ln.bottom <= line.top and ln not in notes]
            gap = line.top - max((ln.bottom for ln in above), default=0.0)
            if len(notes) <= 12 and page.height - line.top <= 0.35 * page.height and gap >= 0.8 * line.size:
                return notes  # a short block set off at the foot of the page, not a small-type table
            return []
    return []


def _style(line: Line) -> tuple[float, bool]:
    return (round(line.size), line.bold)


def _breaks(previous: Line, line: Line, spacing: float) -> bool:
    """Whether ``line`` starts a new paragraph after ``previous``."""
    if line.kind != previous.kind or line.column != previous.column or line.page != previous.page:
        return True
    if _style(line) != _style(previous):
        return True
    gap = line.top - previous.bottom
    if gap > max(spacing * 1.6, 0.6 * line.size) or gap < -2 * line.size:
        return True
    if CAPTION.match(line.text) or line.starts_with_marker:
        return True
    return bool(_ITEM.match(line.text) and line.x0 <= previous.x0 + 30)


def paragraphs(pages: list[PageLayout], vocab: set[str], size: float) -> list[Paragraph]:
    """Every page's lines as paragraphs, in reading order, with footnotes moved to their page's end."""
    out: list[Paragraph] = []
    for page in pages:
        notes = footnote_lines(page, size)
        for line in notes:
            line.kind = "footnote"
        gaps = [b.top - a.bottom for a, b in zip(page.lines, page.lines[1:])
                if b.kind == a.kind == "body" and 0 < b.top - a.bottom < 2 * a.size]
        page_spacing = statistics.median(gaps) if gaps else 3.0
        by_size: dict[float, list[float]] = {}
        for a, b in zip(page.lines, page.lines[1:]):  # a double-spaced lead paragraph has its own pitch
            if a.kind == b.kind == "body" and round(a.size) == round(b.size) and 0 < b.top - a.bottom < 2.5 * a.size:
                by_size.setdefault(round(a.size), []).append(b.top - a.bottom)
        pitch = {k: statistics.median(v) for k, v in by_size.items() if len(v) >= 3}
        current: list[Line] = []
        for line in page.lines:
            starts_note = line.kind == "footnote" and bool(line.starts_with_marker or _FOOTNOTE_START.match(line.text))
            spacing = max(page_spacing, pitch.get(round(line.size), page_spacing))
            if current and (_breaks(current[-1], line, spacing) or line.kind == "table" or starts_note):
                out.append(_classify(Paragraph(current), vocab, size))
                current = []
            current.append(line)
        if current:
            out.append(_classify(Paragraph(current), vocab, size))
    return out


def _classify(paragraph: Paragraph, vocab: set[str], size: float) -> Paragraph:
    lines = paragraph.lines
    first = lines[0]
    if first.kind == "table":
        paragraph.kind, paragraph.text = "table", "\n".join(ln.text for ln in lines)
        return paragraph
    paragraph.text = join_lines([ln.text for ln in lines], vocab)
    if first.kind == "footnote":
        marker = first.starts_with_marker
        paragraph.kind = "footnote"
        if marker:
            paragraph.text = f"{marker} {paragraph.text}"
        return paragraph
    text = paragraph.text
    if CAPTION.match(text) or (first.bold and re.match(r"^(Figure|Box|Table)\s+([A-Z]\.?)?\d", text)):
        paragraph.kind = "caption"
        return paragraph
    short = len(text) <= 150 and len(lines) <= 3
    bigger = first.size >= 1.15 * size
    numbered = _NUMBERED.match(text) or _ANNEX.match(text)
    styled = bigger or (first.bold and (numbered or not text.endswith((".", ":", ";", ","))))
    if short and styled and any(ch.isalpha() for ch in text) and not text.startswith(("•", "●", "-", "–", "(")):
        paragraph.kind = "heading"
        number = _NUMBERED.match(text)
        if number:
            paragraph.level = number.group(1).count(".") + 1
        elif _ANNEX.match(text):
            paragraph.level = 1
        else:
            paragraph.level = 0  # ranked by size later
    return paragraph
