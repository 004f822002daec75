"""OCR text into sections: running heads and feet dropped, printed page numbers read, headings found.

Tesseract returns a page as plain lines; :func:`ocr_sections` turns the pages of one scan into
:class:`~tutor.library.loaders.base.Section` objects as the PDF loader does for a text layer: one per heading
run on a page, with the heading path carried across pages and each page's printed number as its label.
"""

from __future__ import annotations

import re

from tutor.library.loaders.base import Section

#: A line that is only a printed page number ("12", "Page 3 of 40", "iv").
PAGE_NUMBER = re.compile(r"^[\W_]*(?:page\s+)?(\d{1,4}|[ivxlcdm]{1,7})(?:\s+of\s+\d+)?[\W_]*$", re.IGNORECASE)



#: A running head or foot that ends with the page number: "| ODPC — DATA SHARING CODE 10 |".
TRAILING_NUMBER = re.compile(r"\s(\d{1,4})[\W_]*$")



_NUMBERED_HEADING = re.compile(r"^(\d{1,2}\.|\d{1,2}(?:\.\d{1,2}){1,3}\.?)\s+([A-Z][^\n]{1,90})$")



_HYPHEN_BREAK = re.compile(r"(\w)[-\u00ad]\n(?=[a-z])")



#: An edge line seen on this many pages is a running head or foot, not content.
_RUNNING_PAGES = 3



def _key(line: str) -> str:
    """A line's words of two letters or more, upper-cased: OCR specks around a running head fall away."""
    return "".join(w for w in ("".join(ch for ch in token if ch.isalpha()).upper() for token in line.split())
                   if len(w) >= 2)



def _edges(lines: list[str]) -> list[int]:
    """The first two and last three lines that hold anything: where running heads and feet sit (with
    specks or a stamp read as stray letters sometimes below them)."""
    content = [i for i, line in enumerate(lines) if line.strip()]
    return sorted({*content[:2], *content[-3:]})



def _running_keys(pages: dict[int, list[str]]) -> set[str]:
    """Letters of the first and last lines that recur on several pages: the running heads and feet."""
    counts: dict[str, int] = {}
    for lines in pages.values():
        for key in {_key(lines[i]) for i in _edges(lines)}:
            if len(key) >= 4:
                counts[key] = counts.get(key, 0) + 1
    return {key for key, count in counts.items() if count >= min(_RUNNING_PAGES, max(2, len(pages)))}



def _is_running(line: str, running: set[str]) -> bool:
    """Whether a line is one of the running heads or feet, give or take a speck read as letters ("fj ODPC")."""
    key = _key(line)
    return len(key) >= 4 and any(known in key or key in known for known in running)



def _page_number(lines: list[str], running: set[str]) -> tuple[str | None, bool, list[str]]:
    """The number read at the foot (or head) of the page ("" if that line has none, None if there is no
    such line), whether it stood on a line of its own, and the lines without running heads and feet
    (nor the specks beyond them)."""
    label: str | None = None
    alone = False
    edges = _edges(lines)
    middle = (edges[0] + edges[-1]) / 2 if edges else 0
    head = foot = None
    for index in reversed(edges):  # the foot first: that is where most documents print it
        text = lines[index].strip()
        bare = PAGE_NUMBER.match(text)
        if not (bare or _is_running(text, running)):
            continue
        if index > middle:
            foot = index if foot is None else min(foot, index)
        else:
            head = index if head is None else max(head, index)
        found = bare.group(1) if bare else (m.group(1) if (m := TRAILING_NUMBER.search(text)) else "")
        if not label:
            label, alone = found, bool(bare)
    keep = range(0 if head is None else head + 1, len(lines) if foot is None else foot)
    return label, alone, [lines[i] for i in keep]



#: A number read whose offset from the page index is this far from its neighbours' is a misreading.
_MISREAD_OFFSET = 3



def _page_labels(numbers: dict[int, tuple[str | None, bool]]) -> dict[int, str]:
    """Printed page numbers, checked against each other.

    A number read in the running foot is kept: printed numbering need not follow the page index (pages
    of a scan are often out of order: the ODPC code's PDF pages 11 and 12 are printed 12 and 11). A
    number whose offset from the page index is far from that of both neighbours read, which agree with
    each other, is a misreading ("2" on page 9 between 8 and 10) and takes theirs. A page with a running
    foot but no number read takes the offset of the nearest page read, unless the nearest on either
    side are as near and disagree: then it gets no label, as does a page with neither. Better none than
    a guess.
    """
    read = {page: int(label) - page for page, (label, _) in numbers.items() if label and label.isdigit()}
    ordered = sorted(read)
    for i, page in enumerate(ordered[1:-1], start=1):
        before, after = read[ordered[i - 1]], read[ordered[i + 1]]
        if before == after and abs(read[page] - before) >= _MISREAD_OFFSET:
            read[page] = before
    labels: dict[int, str] = {}
    for page, (label, alone) in numbers.items():
        if page in read:
            labels[page] = str(page + read[page])
        elif label is not None and (offset := _nearest_offset(page, ordered, read)) is not None:
            labels[page] = str(page + offset) if page + offset > 0 else ""
        elif label and alone:
            labels[page] = label  # a roman numeral on a line of its own
        else:
            labels[page] = ""
    return labels



def _nearest_offset(page: int, ordered: list[int], read: dict[int, int]) -> int | None:
    """The offset of the nearest page read, None if there is none or the two nearest disagree."""
    before = [other for other in ordered if other < page]
    after = [other for other in ordered if other > page]
    left, right = (before[-1] if before else None), (after[0] if after else None)
    if left is None or right is None:
        side = left if right is None else right
        return None if side is None else read[side]
    if read[left] == read[right]:
        return read[left]
    if page - left == right - page:
        return None
    return read[left] if page - left < right - page else read[right]



def _heading(line: str, alone: bool) -> tuple[int, str] | None:
    """(depth, title) for a plain heading standing alone: "2.3 Title", "2. TITLE", or a short all-caps line."""
    text = line.strip()
    if not alone or len(text) > 90 or text.endswith((",", ";", ":", ".")):
        return None
    match = _NUMBERED_HEADING.match(text)
    if match and len(match.group(2).split()) <= 12:
        return match.group(1).rstrip(".").count(".") + 1, text
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) >= 6 and sum(ch.isupper() for ch in letters) / len(letters) > 0.9 and len(text.split()) <= 12:
        return 1, text
    return None



def _join_lines(block: str) -> str:
    """A paragraph's lines as one line: words cut by a hyphen at a line end are put back together."""
    return re.sub(r"\s*\n\s*", " ", _HYPHEN_BREAK.sub(r"\1", block)).strip()



def _worth_keeping(paragraph: str) -> bool:
    """Specks and stamps read as two or three stray letters ("& G", "Rw") are not text."""
    return sum(ch.isalpha() for ch in paragraph) >= 4



def ocr_sections(pages: dict[int, str]) -> list[Section]:
    """Sections of OCR text, one per heading run on a page, with the heading path carried across pages."""
    split = {number: text.replace("\f", "").splitlines() for number, text in pages.items()}
    running = _running_keys(split)
    read = {number: _page_number(lines, running) for number, lines in split.items()}
    labels = _page_labels({number: (label, alone) for number, (label, alone, _) in read.items()})
    sections: list[Section] = []
    path: list[tuple[int, str]] = []
    for number in sorted(split):
        label, lines = labels[number], read[number][2]
        paragraphs: list[str] = []
        current: list[str] = []
        padded = ["", *lines, ""]
        for i in range(1, len(padded)):
            line = padded[i]
            alone = not padded[i - 1].strip() and (i + 1 >= len(padded) or not padded[i + 1].strip())
            heading = _heading(line, alone) if line.strip() else None
            if heading is not None:
                _flush(sections, paragraphs, number, label, path)
                path[:] = [*(item for item in path if item[0] < heading[0]), heading]
                paragraphs.append(heading[1])
            elif line.strip():
                current.append(line.rstrip())
            elif current:
                paragraphs.append("\n".join(current))
                current = []
        _flush(sections, paragraphs, number, label, path)
    return sections



def _flush(sections: list[Section], paragraphs: list[str], page: int, label: str,
           path: list[tuple[int, str]]) -> None:
    """The paragraphs gathered under the current heading become one OCR section."""
    text = "\n\n".join(p for p in (_join_lines(b) for b in paragraphs) if _worth_keeping(p))
    if text:
        sections.append(Section(text=text, page=page, page_label=label, ocr=True,
                                section=" > ".join(title for _, title in path)))
    paragraphs.clear()
