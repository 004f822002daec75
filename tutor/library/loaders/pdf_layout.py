"""Page layout for PDF reading: words with their fonts and positions grouped into lines in reading order.

pypdf's plain text follows the content stream, which is not reading order: it runs columns together,
splits words that a printer spaced out ("runs of spaces"), and keeps superscript footnote markers glued to
the word before them ("December 20161"). pdfplumber (on pdfminer.six) gives every word with its box, font
and size, which is what reading order, headings, footnotes and tables need (see docs/pdf-reading.md).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Typographic ligatures and private-use glyphs that text layers keep as single code points.
_GLYPHS = str.maketrans({
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st",
    "\ufb06": "st", "\u00ad": "", "\uf0b7": "•", "\uf0a7": "•", "\uf0d8": "•", "\uf076": "•", "\uf0fc": "•",
    "\u2010": "-", "\u2011": "-", "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u200b": "",
})
_BOLD = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
_MARKER = re.compile(r"^(\d{1,3}|[*†‡§]|[a-z])$")
#: Fewer characters than this on a page means it has no text layer worth the name (a scan, a photo).
MIN_PAGE_CHARS = 20


def fix_glyphs(text: str) -> str:
    """Expand ligatures (ﬁ ﬂ), drop soft hyphens and map private-use bullets to "•"."""
    return text.translate(_GLYPHS)


@dataclass
class Line:
    """One printed line of one column: its text, box and font, and what the reader made of it."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool
    page: int
    column: int = 0  # 0 spans the page, 1 left column, 2 right column
    kind: str = "body"  # body, heading, caption, footnote, marginal, table
    markers: list[str] = field(default_factory=list)  # superscript footnote markers removed from the text
    caption: str = ""  # a table's caption, for a line that stands for a whole table
    ocr: bool = False  # some of its words were drawn as outlines and read by OCR
    starts_with_marker: str = ""  # a footnote line's own leading marker


@dataclass
class PageLayout:
    """The lines of one page in reading order, and the marginal notes set apart."""

    number: int
    width: float
    height: float
    chars: int
    lines: list[Line]
    marginal: list[Line] = field(default_factory=list)
    words: list[dict[str, Any]] = field(default_factory=list)
    rects: list[dict[str, float]] = field(default_factory=list)  # filled rectangles: table cells, shading
    label: str = ""
    role: str = "body"

    @property
    def has_text(self) -> bool:
        """False for a page with (almost) no extractable characters: a scan the OCR step must read."""
        return self.chars >= MIN_PAGE_CHARS


def _is_bold(fontname: str) -> bool:
    return bool(_BOLD.search(fontname or ""))


def _cluster_lines(words: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Group words whose vertical middles fall within one another's band: one group per printed line."""
    groups: list[list[dict[str, Any]]] = []
    bands: list[tuple[float, float]] = []
    for word in sorted(words, key=lambda w: (round(w["top"], 1), w["x0"])):
        mid = (word["top"] + word["bottom"]) / 2
        for index in range(len(groups) - 1, max(-1, len(groups) - 4), -1):
            top, bottom = bands[index]
            if top - 0.5 <= mid <= bottom + 0.5:
                groups[index].append(word)
                if word["size"] >= 0.8 * (bottom - top):  # superscripts do not widen the band
                    bands[index] = (min(top, word["top"]), max(bottom, word["bottom"]))
                break
        else:
            groups.append([word])
            bands.append((word["top"], word["bottom"]))
    return groups


def _make_line(words: list[dict[str, Any]], page: int, column: int) -> Line:
    """Join a line's words, setting apart superscript markers and joining pieces a font change split."""
    words = sorted(words, key=lambda w: w["x0"])
    sizes = [w["size"] for w in words for _ in w["text"]]
    size = statistics.median(sizes) if sizes else 0.0
    main = [w for w in words if w["size"] >= 0.8 * size] or words
    baseline = statistics.median(w["bottom"] for w in main)
    parts: list[str] = []
    markers: list[str] = []
    lead = ""
    previous: dict[str, Any] | None = None
    for index, word in enumerate(words):
        text = fix_glyphs(word["text"])
        raised = word["size"] < 0.8 * size and word["bottom"] < baseline - 0.15 * size
        if raised and _MARKER.match(text.strip("()[]")):
            if index == 0:
                lead = text.strip("()[]")
            else:
                markers.append(text.strip("()[]"))
            previous = word
            continue
        if previous is not None and parts and word["x0"] - previous["x1"] < 0.12 * size:
            parts[-1] += text  # a bold or italic run inside one word
        else:
            parts.append(text)
        previous = word
    text = " ".join(parts)
    bold_chars = sum(len(w["text"]) for w in main if _is_bold(w.get("fontname", "")))
    return Line(
        text=text, x0=words[0]["x0"], x1=words[-1]["x1"], top=min(w["top"] for w in main),
        bottom=max(w["bottom"] for w in main), size=round(size, 1),
        bold=bold_chars * 2 > sum(len(w["text"]) for w in main), page=page, column=column,
        markers=markers, starts_with_marker=lead, ocr=any(w.get("ocr") for w in words),
    )


def _gutter(groups: list[list[dict[str, Any]]], width: float) -> float | None:
    """The x of the gap between two columns of prose, or None for a one-column page.

    A page has two columns when many lines break into exactly two wide runs of words with a gap
    between them near the middle; tables break into many narrow runs and are not columns.
    """
    gaps: list[float] = []
    for words in groups:
        words = sorted(words, key=lambda w: w["x0"])
        runs: list[list[float]] = []
        for word in words:
            if runs and word["x0"] - runs[-1][1] < max(8.0, 1.2 * word["size"]):
                runs[-1][1] = max(runs[-1][1], word["x1"])
            else:
                runs.append([word["x0"], word["x1"]])
        if len(runs) == 2 and all(r[1] - r[0] > 0.22 * width for r in runs):
            middle = (runs[0][1] + runs[1][0]) / 2
            if 0.3 * width < middle < 0.7 * width:
                gaps.append(middle)
    if len(gaps) < 5 or len(gaps) < 0.3 * len(groups):
        return None
    return statistics.median(gaps)


def split_marginal(groups: list[list[dict[str, Any]]], width: float, body_size: float
                   ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Words of marginal notes (small type in the outer margin, as Kenyan legislation prints) and the rest."""
    notes: list[dict[str, Any]] = []
    rest: list[dict[str, Any]] = []
    for words in groups:
        for word in words:
            if word["x0"] > 0.66 * width and word["size"] < 0.85 * body_size:
                notes.append(word)
            else:
                rest.append(word)
    return rest, notes


def read_page(page: Any, number: int,
              vector_text: Callable[[list[dict[str, Any]], list[dict[str, Any]]], list[dict[str, Any]]] | None = None
              ) -> PageLayout:
    """Lay out one pdfplumber page: lines in reading order (columns left then right within each band).

    ``vector_text(words, curves)`` may return words read from letter outlines, laid out with the rest.
    """
    words = page.extract_words(extra_attrs=["size", "fontname"], keep_blank_chars=False, x_tolerance=2.0)
    if vector_text is not None and words:
        curves = page.curves
        if curves:
            words = words + vector_text(words, curves)
    layout = lay_out(words, number, float(page.width), float(page.height))
    layout.rects = [{k: float(r[k]) for k in ("x0", "x1", "top", "bottom")} for r in page.rects]
    return layout


def lay_out(words: list[dict[str, Any]], number: int, width: float, height: float,
            body_size: float | None = None, legal: bool = False) -> PageLayout:
    """Words into lines in reading order; for legislation, marginal notes set apart first."""
    chars = sum(len(w["text"]) for w in words)
    layout = PageLayout(number=number, width=width, height=height, chars=chars, lines=[], words=words)
    if not words:
        return layout
    size = body_size or statistics.median(w["size"] for w in words)
    groups = _cluster_lines(words)
    if legal:
        rest, notes = split_marginal(groups, width, size)
        if notes:
            layout.marginal = [_make_line(g, number, 3) for g in _cluster_lines(notes)]
            groups = _cluster_lines(rest)
    gutter = _gutter(groups, width)
    lines: list[Line] = []
    if gutter is None:
        lines = [_make_line(g, number, 0) for g in groups]
    else:
        bands: list[list[Line]] = [[]]
        for group in groups:
            left = [w for w in group if w["x1"] <= gutter]
            right = [w for w in group if w["x0"] >= gutter]
            if len(left) + len(right) < len(group):  # a line across the gutter: a title, a full-width table
                bands.append([_make_line(group, number, 0)])
                bands.append([])
                continue
            if left:
                bands[-1].append(_make_line(left, number, 1))
            if right:
                bands[-1].append(_make_line(right, number, 2))
        for band in bands:
            lines.extend(sorted(band, key=lambda ln: (ln.column, ln.top)))
    layout.lines = [ln for ln in lines if ln.text.strip()]
    return layout
