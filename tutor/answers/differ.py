"""Dated figures that differ: "22,510 services (7 Dec 2025)" against "more than 5,000 services (June 2023)".

A count that changes over time (services on a portal, countries in an index) is often stated several times
in the library, each time with the date it held. The lead then picks the newest (:mod:`tutor.answers.lead`), but an
official quoting it should also see that the library holds other figures and when each held. This module
finds, in the sentences that answer a "how many" or "how much" question about equally well, each figure of
what was asked beside the date nearest to it, and writes the note that opens the lead:

    "The figures differ by date: 22,510 services (7 Dec 2025) [1]; more than 5,000 services (June 2023) [1]."

Every figure and every date in that note is cut out of a quoted sentence, and each part carries the marker
of the passage it was cut from; only the frame ("The figures differ by date:") is the tutor's own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from tutor.answers.candidates import Candidate
from tutor.answers.spans import _MONTH_NUMBER, _MONTHS, _YEAR
from tutor.text import content_terms

#: What opens the note; the parts follow, newest first.
FRAME = "The figures differ by date:"
#: At most this many dated figures in the note (the newest first); the sentences behind them all stay.
MAX_PARTS = 3
#: A date further than this many characters from a figure is not the date that figure held on.
NEAREST_CHARS = 90
#: A "how many" or "how much" question: a count or an amount that may have changed over time.
COUNT_QUESTION = re.compile(r"\bhow (many|much)\b|\b(number|total) of\b", re.IGNORECASE)

_QUALIFIER = r"(?:(?:more than|over|about|around|nearly|almost|at least|some|roughly|up to)\s+)?"
_CURRENCY = r"(?P<money>KSh\.?\s?|Kshs?\.?\s?|KES\s?|Sh\.?\s?|USD\s?|US\$\s?|\$|€|£)?"
_FIGURE = re.compile(rf"(?<![\w.\[]){_QUALIFIER}{_CURRENCY}(?P<number>\d[\d,.]*\d|\d)"
                     r"(?:\s(?:million|billion|m|bn)\b)?(?P<after>(?:\s+[\w-]+){0,2})", re.IGNORECASE)
#: A date a figure held on: a day or a month with its year, or a year that follows "in", "as of", "by",
#: "since" or an opening bracket (not a plan's "2022–2032", not "Act 2019").
_DATE = re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS}\s*,?\s+{_YEAR}\b|\b{_MONTHS}\s+\d{{1,2}},\s*{_YEAR}\b|"
                   rf"\b{_MONTHS}\s+{_YEAR}\b|(?<=\bin\s)({_YEAR})\b(?!\s*[–-]\s*\d)|"
                   rf"(?<=\bas of\s)({_YEAR})\b|(?<=\bby\s)({_YEAR})\b(?!\s*[–-]\s*\d)|(?<=\()({_YEAR})\)",
                   re.IGNORECASE)


@dataclass(frozen=True)
class DatedFigure:
    """One figure of what was asked, as written ("more than 5,000 services"), the date beside it as written
    ("June 2023"), that date as (year, month) for ordering (month 0 for a bare year), and its sentence."""

    figure: str
    date: str
    when: tuple[int, int]
    source: Candidate

    @property
    def value(self) -> str:
        """The digits alone, so "5,000" and "more than 5,000 services" are one figure."""
        found = re.search(r"\d[\d,.]*", self.figure)
        return re.sub(r"\D", "", found.group(0)) if found else ""


def _when(date: str) -> tuple[int, int]:
    year = re.search(_YEAR, date)
    month = next((n for w, n in _MONTH_NUMBER.items() if re.search(rf"\b{w}\b", date, re.IGNORECASE)), 0)
    return (int(year.group(0)) if year else 0, month)


def dated_figures(cand: Candidate, asked: Collection[str], own: Collection[str] = (),
                  money: bool = False) -> list[DatedFigure]:
    """Each figure in the sentence that counts what was asked (a word of ``asked`` within two words after
    it: "22,510 services"), or, when ``money`` (a "how much" question), is an amount of money, with the
    date it held on. A date belongs to the figure nearest to it ("from 5,000 (June 2023) to 10,513 (as of 4
    Oct 2023) and then to 22,510 (as of 7 Dec 2025)"); a figure keeps the nearest date it owns, and one that
    owns none is left out, as are the question's own numbers (``own``)."""
    text = re.sub(r"\s*\[\d+\]", "", cand.text)
    dates = [(m.start(), m.end(), m.group(0).strip("()")) for m in _DATE.finditer(text)]
    if not dates:
        return []
    figures = [m for m in _FIGURE.finditer(text) if not re.fullmatch(_YEAR, m.group("number"))
               and not _inside_date(m.start("number"), dates)]
    if not figures:
        return []
    counts = [[i for i, w in enumerate(m.group("after").split()) if set(content_terms(w)) & set(asked)]
              for m in figures]
    wanted = [bool(c) or (money and bool(m.group("money"))) for c, m in zip(counts, figures)]
    # "22,510 services from 583 agencies (as of 7 Dec 2025)": a figure inside the phrase of a wanted one
    # does not compete for that phrase's date.
    phrases = [(m.start(), _phrase_end(text, m.end("number"))) for m, w in zip(figures, wanted) if w]
    rivals = [i for i, m in enumerate(figures)
              if wanted[i] or not any(a < m.start() < b for a, b in phrases)]
    spans = [(m.start(), m.end("number")) for m in figures]
    owner = {date: _owner(text, date, rivals, spans) for date in dates}
    out = []
    for index, match in enumerate(figures):
        owned = [d for d in dates if owner[d] == index and _distance(spans[index], d) <= NEAREST_CHARS]
        if match.group("number") in own or not owned or not wanted[index]:
            continue
        words, counted = match.group("after").split(), counts[index]
        kept = words[: counted[0] + 1] if counted else []
        figure = text[match.start(): match.start("after")] + "".join(f" {w}" for w in kept)
        date = min(owned, key=lambda d: _distance(spans[index], d))[2]
        out.append(DatedFigure(re.sub(r"\s+", " ", figure).strip(" ,"), date, _when(date), cand))
    return out


def _owner(text: str, date: tuple[int, int, str], rivals: Sequence[int], spans: Sequence[tuple[int, int]]) -> int:
    """The figure a date belongs to: the nearest one, except that a date in brackets ("5,000 services (June
    2023) to 10,513") annotates the figure before it."""
    if re.search(r"\((?:as of|as at|in|by|since|at)?\s*$", text[: date[0]], re.IGNORECASE):
        before = [i for i in rivals if spans[i][1] <= date[0]]
        if before:
            return max(before, key=lambda i: spans[i][1])
    return min(rivals, key=lambda i: _distance(spans[i], date))


def _phrase_end(text: str, start: int) -> int:
    """Where the phrase that starts a figure ends: the next comma, semicolon or bracket (or the text's end)."""
    found = re.search(r"[,;()]", text[start:])
    return start + found.start() if found else len(text)


def _distance(figure: tuple[int, int], date: tuple[int, int, str]) -> int:
    """Characters between a figure and a date, whichever comes first."""
    return max(date[0] - figure[1], figure[0] - date[1], 0)


def _inside_date(position: int, dates: Sequence[tuple[int, int, str]]) -> bool:
    return any(start <= position < end for start, end, _ in dates)


def differing(cands: Sequence[Candidate], asked: Collection[str], own: Collection[str] = (),
              money: bool = False) -> list[DatedFigure]:
    """The dated figures of these sentences when they differ: at least two values on at least two dates,
    one per value (its newest statement), newest first, at most :data:`MAX_PARTS`. Empty when they agree."""
    by_value: dict[str, DatedFigure] = {}
    for cand in cands:
        for found in dated_figures(cand, asked, own, money):
            held = by_value.get(found.value)
            if found.value and (held is None or found.when > held.when):
                by_value[found.value] = found
    figures = sorted(by_value.values(), key=lambda f: f.when, reverse=True)
    if len(figures) < 2 or len({f.when for f in figures}) < 2:
        return []
    return figures[:MAX_PARTS]


def note(figures: Sequence[DatedFigure], marker: Callable[[Candidate], int]) -> str:
    """The sentence that opens the lead, each part followed by the marker of the passage it was cut from
    (``marker`` gives a sentence's source number); "" when there is nothing to say."""
    if not figures:
        return ""
    parts = [f"{f.figure} ({f.date}) [{marker(f.source)}]" for f in figures]
    return f"{FRAME} " + "; ".join(parts) + "."
