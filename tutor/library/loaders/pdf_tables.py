"""Tables of numbers read as rows whose every number keeps its column's label.

A score table printed as a grid comes out of a text layer as one run of codes and numbers
("KOR 0.971 1.000 ... 0.935 1 DNK ..."): no sentence in it says what 0.935 measures, so no answer can
quote "Korea ranked first". Here a row becomes one sentence, "Korea (KOR): Digital by Design 0.971; ...;
Ranking 1.", from the words' positions: numbers are assigned to columns by where they sit, and each
column takes its label from the header words printed above it. Country codes are expanded
(:mod:`tutor.library.loaders.country_codes`).
"""

from __future__ import annotations

import itertools
import re
import statistics
from dataclasses import dataclass
from typing import Any

from tutor.library.loaders.country_codes import expand_code
from tutor.library.loaders.pdf_layout import _cluster_lines, fix_glyphs

_NUMERIC = re.compile(r"^[-–−]?[\d]+([.,]\d+)*%?\**$|^(n/?a|\.\.|–|-|x)$", re.IGNORECASE)
_CAPTION = re.compile(r"^(Table|Figure|Box|Chart|Graph)\s+[A-Z]?\d*(\.\d+)*\b", re.IGNORECASE)
#: A table has at least this many rows with numbers in them.
MIN_ROWS = 3


_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")


def _ordinal(column: str, value: str) -> str:
    """" (first)" after a rank of 1 to 10, so "which country ranked first" finds the row in words."""
    if re.search(r"\brank", column, re.IGNORECASE) and value.isdigit() and 1 <= int(value) <= len(_ORDINALS):
        return f" ({_ORDINALS[int(value) - 1]})"
    return ""


@dataclass
class Table:
    """A table found on a page: where it sits and the sentences its rows become."""

    top: float
    bottom: float
    x0: float
    x1: float
    rows: list[str]
    caption: str = ""

    @property
    def text(self) -> str:
        """One row a line, so a chunk boundary falls between rows and never inside one."""
        return "\n".join(self.rows)


def _sorted(group: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(group, key=lambda w: w["x0"])


def _numbers(group: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split a line into its leading label words and the numeric cells that follow them."""
    words = _sorted(group)
    label: list[dict[str, Any]] = []
    cells: list[dict[str, Any]] = []
    for word in words:
        if _NUMERIC.match(word["text"]):
            cells.append(word)
        elif cells:
            return label, []  # text after the numbers: prose, not a table row
        else:
            label.append(word)
    return label, cells


def _runs(words: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Words of one header line grouped into phrases: a gap wider than half the type size ends a phrase."""
    runs: list[list[dict[str, Any]]] = []
    for word in _sorted(words):
        if runs and word["x0"] - runs[-1][-1]["x1"] < 0.5 * word["size"]:
            runs[-1].append(word)
        else:
            runs.append([word])
    return runs


def _text(words: list[dict[str, Any]]) -> str:
    return fix_glyphs(" ".join(w["text"] for w in _sorted(words)))


def _center(word: dict[str, Any]) -> float:
    return (word["x0"] + word["x1"]) / 2


def find_tables(words: list[dict[str, Any]]) -> list[Table]:
    """Numeric tables on a page, each with one labelled sentence per row."""
    groups = sorted(_cluster_lines(words), key=lambda g: min(w["top"] for w in g))
    kinds = []
    for group in groups:
        label, cells = _numbers(group)
        kinds.append("row" if len(cells) >= 2 else "row1" if len(cells) == 1 and len(label) < 4 else "text")
    tables: list[Table] = []
    index = 0
    while index < len(groups):
        if kinds[index] not in ("row", "row1"):
            index += 1
            continue
        end, gap = index, 0
        scan = index + 1
        while scan < len(groups) and gap <= 2:
            if kinds[scan] in ("row", "row1"):
                end, gap = scan, 0
            else:
                gap += 1
            scan += 1
        block = list(range(index, end + 1))
        multi = sum(kinds[i] == "row" for i in block)
        if multi >= 2 and multi + sum(kinds[i] == "row1" for i in block) >= MIN_ROWS:
            table = _build(groups, kinds, block)
            if table is not None:
                tables.append(table)
        index = end + 1
    return tables


def _build(groups: list[list[dict[str, Any]]], kinds: list[str], block: list[int]) -> Table | None:
    rows = [i for i in block if kinds[i] in ("row", "row1")]
    cells = {i: _numbers(groups[i]) for i in rows}
    width = max(len(cells[i][1]) for i in rows)
    full = [i for i in rows if len(cells[i][1]) == width]
    centers = [statistics.median(_center(cells[i][1][k]) for i in full) for k in range(width)]
    spacing = min((b - a for a, b in itertools.pairwise(centers)), default=40.0)
    boundary = centers[0] - 0.6 * spacing  # words left of this are row labels
    # label-only lines inside the block belong to the nearest numeric row (wrapped labels)
    labels: dict[int, list[dict[str, Any]]] = {i: list(cells[i][0]) for i in rows}
    for i in block:
        if kinds[i] in ("row", "row1"):
            continue
        if any(_center(w) > boundary for w in groups[i]):
            return None  # prose inside the block: not a grid
        top = min(w["top"] for w in groups[i])
        nearest = min(rows, key=lambda r: abs(min(w["top"] for w in groups[r]) - top))
        labels[nearest].extend(groups[i])
    after = block[-1] + 1
    while after < len(groups) and after <= block[-1] + 2 and all(_center(w) < boundary for w in groups[after]):
        gap = min(w["top"] for w in groups[after]) - max(w["bottom"] for w in groups[after - 1])
        if gap > 1.5 * groups[after][0]["size"]:
            break
        labels[rows[-1]].extend(groups[after])  # the end of the last row's wrapped label
        block = [*block, after]
        after += 1
    header, caption, header_top, lead = _header(groups, block[0], centers, boundary, spacing)
    labels[rows[0]] = lead + labels[rows[0]]
    names = [header.get(k, "") for k in range(width)]
    if sum(bool(n) for n in names) < max(1, width // 2):
        return None  # numbers without column labels cannot be made into sentences
    sentences = []
    for i in rows:
        label_words = sorted(labels[i], key=lambda w: (round(w["top"]), w["x0"]))
        label = expand_code(" ".join(fix_glyphs(w["text"]) for w in label_words).strip())
        parts = []
        for word in cells[i][1]:
            column = min(range(width), key=lambda k: abs(centers[k] - _center(word)))
            name = names[column] or f"column {column + 1}"
            parts.append(f"{name} {word['text']}{_ordinal(name, word['text'])}")
        sentences.append(f"{label or 'Row'}: {'; '.join(parts)}.")
    block_words = [w for i in block for w in groups[i]]
    return Table(
        top=header_top, bottom=max(w["bottom"] for w in block_words),
        x0=min(w["x0"] for w in block_words), x1=max(w["x1"] for w in block_words),
        rows=sentences, caption=caption,
    )


def _header(groups: list[list[dict[str, Any]]], first: int, centers: list[float], boundary: float,
            spacing: float) -> tuple[dict[int, str], str, float, list[dict[str, Any]]]:
    """Column labels from up to four lines above the first row, stopping at a caption, prose or a wide gap.

    Lines just above the first row with words only in the label column are the start of that row's
    wrapped label ("Pillar 1: Data" over "availability"), returned apart.
    """
    picked: list[list[dict[str, Any]]] = []
    lead: list[dict[str, Any]] = []
    caption = ""
    top = min(w["top"] for w in groups[first])
    index = first - 1
    while index >= 0 and len(picked) < 4:
        group = groups[index]
        text = _text(group)
        bottom = max(w["bottom"] for w in group)
        if _CAPTION.match(text):
            caption = text
            break
        if top - bottom > 3 * statistics.median(w["size"] for w in group):
            break
        if max(r[-1]["x1"] - r[0]["x0"] for r in _runs(group)) > max(2.5 * spacing, 120):
            break  # a line of prose above the table
        if not picked and all(_center(w) < boundary for w in group):
            lead = group + lead
            top = min(w["top"] for w in group)
            index -= 1
            continue
        picked.append(group)
        top = min(w["top"] for w in group)
        index -= 1
    columns: dict[int, list[dict[str, Any]]] = {}
    for group in picked:
        for run in _runs(group):
            middle = (run[0]["x0"] + run[-1]["x1"]) / 2
            if middle < boundary:
                continue  # the label column's own header ("Country")
            column = min(range(len(centers)), key=lambda k: abs(centers[k] - middle))
            columns.setdefault(column, []).extend(run)
    header = {
        k: fix_glyphs(" ".join(w["text"] for w in sorted(ws, key=lambda w: (round(w["top"]), w["x0"]))))
        for k, ws in columns.items()
    }
    return header, caption, top, lead


# --- tables drawn as shaded cells (a header band, banded rows) ---------------------------------------

@dataclass
class RuledHeader:
    """Column bounds and labels of a cell table, carried to the next page when the table runs on."""

    bounds: list[tuple[float, float]]
    names: list[str]


def _cell_rows(rects: list[dict[str, Any]], width: float) -> list[list[dict[str, Any]]]:
    """Runs of filled cells side by side at one height that span half the page: rows of a drawn table."""
    groups: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for rect in rects:
        if rect["x1"] - rect["x0"] >= 12 and rect["bottom"] - rect["top"] >= 8:
            groups.setdefault((round(rect["top"]), round(rect["bottom"])), []).append(rect)
    rows = []
    for cells in groups.values():
        cells = sorted(cells, key=lambda r: r["x0"])
        best: list[dict[str, Any]] = []
        chain: list[dict[str, Any]] = []
        for cell in cells:
            if chain and abs(cell["x0"] - chain[-1]["x1"]) < 3:
                chain.append(cell)
            else:
                chain = [cell]
            if len(chain) > len(best):
                best = list(chain)
        if len(best) >= 4 and best[-1]["x1"] - best[0]["x0"] > 0.5 * width:
            rows.append(best)
    return sorted(rows, key=lambda r: r[0]["top"])


def _same_bounds(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> bool:
    return len(a) == len(b) and all(abs(x[0] - y[0]) < 4 for x, y in zip(a, b, strict=True))


def _cells_text(words: list[dict[str, Any]], bounds: list[tuple[float, float]], top: float, bottom: float
                ) -> list[str]:
    cells: list[list[dict[str, Any]]] = [[] for _ in bounds]
    for word in words:
        middle = (word["top"] + word["bottom"]) / 2
        if not top <= middle <= bottom:
            continue
        for index, (x0, x1) in enumerate(bounds):
            if x0 - 1 <= _center(word) <= x1 + 1:
                cells[index].append(word)
                break
    return [fix_glyphs(" ".join(w["text"] for w in sorted(c, key=lambda w: (round(w["top"]), w["x0"]))))
            for c in cells]


def find_ruled_tables(words: list[dict[str, Any]], rects: list[dict[str, Any]], width: float,
                      carried: RuledHeader | None) -> tuple[list[Table], RuledHeader | None]:
    """Tables drawn as a band of header cells over shaded rows; rows between shaded bands count too."""
    rows = _cell_rows(rects, width)
    if not rows:
        return [], None
    bounds = [(c["x0"], c["x1"]) for c in rows[0]]
    texts = _cells_text(words, bounds, rows[0][0]["top"], rows[0][0]["bottom"])
    header: RuledHeader | None
    if carried is not None and _same_bounds(bounds, carried.bounds):
        header, bands = carried, rows
    elif not any(re.fullmatch(r"\d+", t.strip()) for t in texts) and sum(bool(t) for t in texts) >= 3:
        header, bands = RuledHeader(bounds=bounds, names=texts), rows[1:]
    else:
        return [], None
    bands = [r for r in bands if _same_bounds([(c["x0"], c["x1"]) for c in r], header.bounds)]
    if not bands:
        return [], header
    spans = [(r[0]["top"], r[0]["bottom"]) for r in bands]
    start = rows[0][0]["bottom"] if header is not carried else 0.0
    edges: list[tuple[float, float]] = []
    cursor = start
    for top, bottom in spans:
        if top - cursor > 5:
            edges.append((cursor, top))  # an unshaded row between two shaded ones
        edges.append((top, bottom))
        cursor = bottom
    left, right = header.bounds[0][0], header.bounds[-1][1]
    below = sorted((w for w in words if w["top"] >= cursor and left <= _center(w) <= right), key=lambda w: w["top"])
    end = cursor
    for word in below:  # the last, unshaded row: words until a gap of more than two lines
        if word["top"] - end > 2 * word["size"] + 4:
            break
        end = max(end, word["bottom"])
    if end > cursor + 2:
        edges.append((cursor, end))
    sentences = []
    for top, bottom in edges:
        cells = _cells_text(words, header.bounds, top, bottom)
        if not any(cells):
            continue
        parts = []
        for index, (name, value) in enumerate(zip(header.names, cells, strict=True)):
            if value:
                parts.append(f"{name} {value}" if index == 0 else f"{name or f'column {index + 1}'}: {value}")
        sentences.append("; ".join(parts) + ".")
    if not sentences:
        return [], header
    if header is not carried:
        top = rows[0][0]["top"]
    else:  # a table running on from the last page starts with its first cell's words
        first_bottom = edges[0][1]
        top = min((w["top"] for w in words if w["bottom"] <= first_bottom + 1 and left <= _center(w) <= right),
                  default=edges[0][0])
    return [Table(top=top, bottom=edges[-1][1], x0=left, x1=right, rows=sentences)], header
