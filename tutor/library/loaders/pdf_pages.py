"""Running heads, footers and printed page numbers: what repeats at a page's edges is not its text.

The number printed on a page is what an official quotes ("page 25"), and it is rarely the PDF page
index: a report's cover is unnumbered, a Kenya Gazette supplement continues the volume's numbering
("1997", "1998"). The printed number is found among the edge lines as the one number that keeps a
constant offset from the page index across the document.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from tutor.library.loaders.pdf_layout import Line, PageLayout

_NUMBER = re.compile(r"(?<![\w.,/(\[])(\d{1,4})(?![\w.,/%)\]])")
_PAGE_ONLY = re.compile(r"^\W*(page\s*)?\d{1,4}(\s*(of|/)\s*\d{1,4})?\W*$", re.IGNORECASE)
_GAZETTE = re.compile(r"kenya\s*subsidiary\s*l\s*egislation|kenya\s*gazette\s*supplement", re.IGNORECASE)
#: How many lines at the top and at the bottom of a page may be running heads or footers.
_EDGE_LINES = 3
#: The top and bottom fractions of the page where running heads and footers sit.
_TOP_ZONE, _BOTTOM_ZONE = 0.16, 0.15


def edge_key(text: str) -> str:
    """A running line's identity: its letters only, so "1997 Kenya ... L egislation" and "Kenya ... 1998" match."""
    return re.sub(r"[^a-z]", "", text.lower())


def _edges(page: PageLayout) -> list[Line]:
    """The lines that sit in the top or bottom zone and are among the first or last lines of the page."""
    ordered = sorted(page.lines, key=lambda ln: ln.top)
    top = [ln for ln in ordered[:_EDGE_LINES] if ln.top < _TOP_ZONE * page.height]
    bottom = [ln for ln in ordered[-_EDGE_LINES:] if ln.bottom > (1 - _BOTTOM_ZONE) * page.height]
    return top + [ln for ln in bottom if ln not in top]


def _outermost(page: PageLayout) -> list[Line]:
    """The first two and last two edge lines: where a printed page number sits."""
    edges = sorted(_edges(page), key=lambda ln: ln.top)
    return edges[:2] + [ln for ln in edges[-2:] if ln not in edges[:2]]


def _label_offset(pages: list[PageLayout]) -> int | None:
    """The constant difference between printed numbers and page indexes, when the edges agree on one."""
    offsets: Counter[int] = Counter()
    for page in pages:
        seen = set()
        for line in _outermost(page):
            for match in _NUMBER.finditer(line.text):
                seen.add(int(match.group(1)) - page.number)
        offsets.update(seen)
    if not offsets:
        return None
    offset, count = offsets.most_common(1)[0]
    return offset if count >= max(2, math.ceil(0.3 * len(pages))) else None


def assign_labels(pages: list[PageLayout], pypdf_labels: list[str]) -> None:
    """Set each page's printed number: found on the page, else inferred between numbered pages, else pypdf's."""
    offset = _label_offset(pages)
    printed: dict[int, str] = {}
    if offset is not None:
        for page in pages:
            wanted = str(page.number + offset)
            if any(wanted in _NUMBER.findall(line.text) for line in _outermost(page)):
                printed[page.number] = wanted
    if printed:
        first, last = min(printed), max(printed)
        for page in pages:
            if page.number in printed:
                page.label = printed[page.number]
            elif first <= page.number <= last and page.number + (offset or 0) > 0:
                page.label = str(page.number + (offset or 0))  # an unnumbered page inside the numbered run
    trivial = pypdf_labels == [str(n) for n in range(1, len(pypdf_labels) + 1)]
    if not trivial and len(pypdf_labels) == len(pages):
        for page in pages:
            if not page.label:
                page.label = pypdf_labels[page.number - 1]


def strip_edges(pages: list[PageLayout]) -> None:
    """Remove running heads and footers (repeated on many pages) and lone page numbers at the edges."""
    counts: Counter[str] = Counter()
    for page in pages:
        counts.update({edge_key(ln.text) for ln in _edges(page)})
    needed = max(3, math.ceil(0.4 * len(pages))) if len(pages) >= 3 else len(pages) + 1
    running = {key for key, n in counts.items() if n >= needed and key}
    for page in pages:
        edges = _edges(page)
        drop = {id(ln) for ln in edges
                if edge_key(ln.text) in running or _PAGE_ONLY.match(ln.text) or _GAZETTE.search(ln.text)}
        if page.label:
            drop |= {id(ln) for ln in edges if ln.text.strip(" |-–") == page.label}
        page.lines = [ln for ln in page.lines if id(ln) not in drop]
