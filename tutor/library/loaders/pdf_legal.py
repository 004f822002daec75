"""Acts and regulations: one Section per subsection, cited "s. 25(1)" or "reg. 37(1)".

Kenyan legislation is printed as Parts ("PART VI NOTIFICATION OF PERSONAL DATA BREACHES"), numbered
sections ("37. (1) For the purpose of ...") with their title as a marginal note in the outer margin
("Categories of notifiable data breach."). Read as plain text, the heading runs into the sentence after
it and the marginal note lands in the middle of a subsection. Here the Part heading and the marginal
note become the section path, the subsection its own Section, and a subsection that runs over a page
break is split there, so every Section's page holds its sentences. A subsection whose first sentence is
still unfinished at the foot of the page (its opening lines orphaned there) is not split: its second half
would be a fragment ("safeguards if that country has (a) ratified ...") that no answer can quote, and that
half holds what is asked. It is one Section, cited to both pages ("pp. 1999–2000").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tutor.library.loaders.base import Section
from tutor.library.loaders.pdf_layout import Line, PageLayout
from tutor.library.loaders.pdf_paragraphs import join_lines

_PART = re.compile(r"^PART\s+([IVXLC]+)\b\s*[-—–]*\s*(.*)$")
_SCHEDULE = re.compile(r"^((FIRST|SECOND|THIRD|FOURTH|FIFTH|SIXTH|SEVENTH)\s+SCHEDULE)\b\s*(.*)$")
_SECTION = re.compile(r"^(\d{1,3}[A-Z]?)\.\s+(?:\((\d{1,2}[A-Z]?)\)\s*)?(.*)$")
_SUBSECTION = re.compile(r"^\((\d{1,2}[A-Z]?)\)\s+(.*)$")
_SENTENCE_ENDS = re.compile(r"[.;:?!][\"')\]]*(?=\s)")
_LEGAL_MARKS = re.compile(r"Kenya\s+Subsidiary\s+L\s?egislation|Kenya\s+Gazette\s+Supplement|Legal\s+Notice\s+No",
                          re.IGNORECASE)
#: Words kept capitalised when a Part heading printed in capitals is turned into sentence case.
_PROPER = {"kenya": "Kenya", "kenyan": "Kenyan", "act": "Act", "commissioner": "Commissioner",
           "data commissioner": "Data Commissioner", "cabinet": "Cabinet", "secretary": "Secretary"}


def is_legislation(pages: list[PageLayout], first_text: str) -> bool:
    """Acts and regulations: Gazette or Subsidiary Legislation marks, or Parts with numbered sections."""
    if _LEGAL_MARKS.search(first_text):
        return True
    lines = [ln.text for p in pages[:6] for ln in p.lines]
    parts = sum(bool(_PART.match(t)) for t in lines)
    numbered = sum(bool(re.match(r"^\d{1,3}\.\s+\(1\)\s", t)) for t in lines)
    margins = sum(len(p.marginal) for p in pages[:6])
    return (parts >= 1 and numbered >= 2) or (numbered >= 2 and margins >= 3)


def _sentence_case(text: str) -> str:
    words = text.split()
    out = []
    for index, word in enumerate(words):
        lower = word.lower()
        out.append(_PROPER.get(lower.strip(",.;:"), lower.capitalize() if index == 0 else lower)
                   if word.isupper() else word)
    return " ".join(out)


@dataclass
class _Unit:
    part: str = ""
    number: str = ""
    sub: str = ""
    title: str = ""
    page: int = 0
    lines: list[str] = field(default_factory=list)
    ocr: bool = False
    #: The page the unit started on when its opening lines were carried over a page break, and whether
    #: lines of the next page went on with it.
    carried_from: int | None = None
    continued: bool = False


def _notes(page: PageLayout) -> list[tuple[float, str]]:
    """Marginal notes of a page as (top, text), lines of one note joined."""
    notes: list[tuple[float, str]] = []
    last_bottom = -100.0
    for line in sorted(page.marginal, key=lambda ln: ln.top):
        if notes and line.top - last_bottom < 1.2 * line.size:
            top, text = notes[-1]
            notes[-1] = (top, join_lines([text, line.text], set()))
        else:
            notes.append((line.top, line.text))
        last_bottom = line.bottom
    return [(top, text.rstrip(". ").strip()) for top, text in notes]


def _orphaned(text: str) -> bool:
    """True when not one sentence of ``text`` is finished: the opening lines of a unit at a page's foot."""
    return not _SENTENCE_ENDS.search(text + " ")


def legal_sections(pages: list[PageLayout], vocab: set[str], regulations: bool) -> list[Section]:
    """Sections per subsection of an Act ("s.") or regulations ("reg."), split at page breaks."""
    prefix = "reg." if regulations else "s."
    labels = {p.number: p.label for p in pages}
    sections: list[Section] = []
    unit = _Unit()
    part = ""

    def emit(page_break: bool = False) -> None:
        if not unit.lines:
            return
        text = join_lines(unit.lines, vocab)
        if page_break and _orphaned(text) and unit.carried_from is None:
            unit.carried_from = unit.page  # read on with the next page's lines
            return
        page, label = unit.page, labels.get(unit.page, "")
        if unit.carried_from is not None:
            page, first = unit.carried_from, labels.get(unit.carried_from, "")
            label = f"{first}–{label}" if unit.continued and first and label else first
        citation = ""
        if unit.number:
            citation = f"{prefix} {unit.number}" + (f"({unit.sub})" if unit.sub else "")
        heading = f"{unit.number}. {unit.title}".strip() if unit.number and unit.title else (
            f"{unit.number}." if unit.number else "")
        path = " > ".join(x for x in (unit.part, heading) if x)
        sections.append(Section(text=text, page=page, section=path, page_label=label,
                                citation=citation, ocr=unit.ocr))
        unit.lines, unit.ocr, unit.carried_from, unit.continued = [], False, None, False

    for page in pages:
        notes = _notes(page)
        emit(page_break=True)  # a subsection running over the page break goes on in a new Section, same citation
        unit.page = page.number
        lines: list[Line] = sorted(page.lines, key=lambda ln: ln.top)
        index = 0
        while index < len(lines):
            line = lines[index]
            text = line.text.strip()
            part_match = _PART.match(text) or _SCHEDULE.match(text)
            if part_match:
                title = [part_match.group(0)]
                while index + 1 < len(lines) and lines[index + 1].text.isupper() and not _SECTION.match(
                        lines[index + 1].text) and lines[index + 1].top - lines[index].bottom < 1.5 * line.size:
                    index += 1
                    title.append(lines[index].text.strip())
                emit()
                words = " ".join(title).replace("—", " ").replace("–", " ")
                head = re.match(r"^(PART\s+[IVXLC]+|\w+\s+SCHEDULE)\s*(.*)$", words)
                part = f"{head.group(1).title()} {_sentence_case(head.group(2))}".strip() if head else words
                part = re.sub(r"^Part\s+([ivxlc]+)\b", lambda m: "Part " + m.group(1).upper(), part, flags=re.IGNORECASE)
                unit.part, unit.number, unit.sub, unit.title = part, "", "", ""
                index += 1
                continue
            section_match = _SECTION.match(text)
            sub_match = _SUBSECTION.match(text)
            if section_match and line.x0 > min(ln.x0 for ln in lines) + 5:
                emit()
                note = min((n for n in notes if n[0] > line.top - 12), key=lambda n: abs(n[0] - line.top),
                           default=None)
                if note is not None and abs(note[0] - line.top) < 40:
                    notes.remove(note)
                unit.part = part
                unit.number, unit.sub = section_match.group(1), section_match.group(2) or ""
                unit.title = note[1] if note is not None and abs(note[0] - line.top) < 40 else ""
                unit.page = page.number
                rest = section_match.group(3)
                unit.lines = [f"({unit.sub}) {rest}" if unit.sub else rest]
            elif sub_match and unit.number and line.x0 > min(ln.x0 for ln in lines) + 5:
                emit()
                unit.sub, unit.page = sub_match.group(1), page.number
                unit.lines = [text]
            else:
                unit.lines.append(text)
                unit.continued = unit.carried_from is not None
            unit.ocr = unit.ocr or line.ocr  # after emit(): the flag belongs to the unit this line is in
            index += 1
    emit()
    return sections
