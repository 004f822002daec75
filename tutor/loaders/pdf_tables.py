"""Tables of numbers read as rows whose every number keeps its column's label.

A score table printed as a grid comes out of a text layer as one run of codes and numbers
("KOR 0.971 1.000 ... 0.935 1 DNK ..."): no sentence in it says what 0.935 measures, so no answer can
quote "Korea ranked first". Here a row becomes one sentence, "Korea (KOR): Digital by Design 0.971; ...;
Ranking 1.", from the words' positions: numbers are assigned to columns by where they sit, and each
column takes its label from the header words printed above it. Country codes are expanded
(:mod:`tutor.loaders.country_codes`).
"""

from __future__ import annotations

import itertools
import re
import statistics
from dataclasses import dataclass
from typing import Any

from tutor.loaders.country_codes import expand_code
from tutor.loaders.pdf_layout import _cluster_lines, fix_glyphs

_NUMERIC = re.compile(r"^[-–−]?[\d]+([.,]\d+)*%?\**$|^(n/?a|\.\.|–|-|x)$", re.IGNORECASE)
_CAPTION = re.compile(r"^(Table|Figure|Box|Chart|Graph)\s+[A-Z]?\d*(\.\d+)*\b", re.IGNORECASE)
#: A table has at least this many rows with numbers in them.
MIN_ROWS = 3


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
            parts.append(f"{name} {word['text']}")
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
