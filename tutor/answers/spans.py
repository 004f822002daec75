"""The exact answer inside a sentence: "16 November 2020", "KSh 5 million", "72 hours", "0.935".

The span is cut out of a sentence that is quoted anyway, never written: the chat highlights it in the lead
and in the Sources panel, ``/ask_full`` returns it, and the extractive answerer prefers a lead sentence
that holds one. Only types whose answer is a value or a name have spans; a definition or an explanation
is the whole sentence.
"""

from __future__ import annotations

import re
from collections.abc import Collection

_MONTHS = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
           r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?")
_YEAR = r"(?:1[89]|20)\d{2}"
#: Most precise first: "16 November 2020", "November 16, 2020", "16/11/2020", "November 2023", "2019".
_DATES = [re.compile(p) for p in (
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?(?:\s*[–-]\s*\d{{1,2}}(?:st|nd|rd|th)?)?\s+{_MONTHS}\s*,?\s+{_YEAR}\b",
    rf"\b{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?\s*,\s*{_YEAR}\b",
    rf"\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b\d{{1,2}}/\d{{1,2}}/{_YEAR}\b",
    rf"\b{_MONTHS}\s+{_YEAR}\b",
    rf"\b{_YEAR}\b",
)]
_NUMBER_WORDS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
                 r"sixty|seventy|eighty|ninety|hundred")
_FIGURE = rf"(?:\d[\d,]*(?:\.\d+)?|(?:{_NUMBER_WORDS})(?:-(?:{_NUMBER_WORDS}))?)"
_SCALE = r"(?:\s+(?:thousand|million|billion|trillion|bn|m)\b)?"
_CURRENCY = r"(?:KSh\.?|Kshs?\.?|KES|USD|US\$|EUR|GBP|\$|€|£)"
_UNIT = (r"(?:per\s?cent|percent|%|percentage points?|shillings?|dollars?|euros?|hours?|days?|weeks?|months?|"
         r"years?|minutes?|people|persons|officials|countries|counties|members|users|institutions|points?|"
         r"languages|principles|recommendations|dimensions|pillars|domains|times)")
#: Money first ("KSh 5 million", "USD 1.2 billion"), then a figure with its unit ("72 hours", "61 per cent"),
#: then "ten (10) years"-style figures, then a bare figure that is not a year.
_AMOUNTS = [re.compile(p, re.IGNORECASE) for p in (
    rf"{_CURRENCY}\s?{_FIGURE}{_SCALE}",
    rf"\b{_FIGURE}{_SCALE}\s*{_CURRENCY}",
    rf"\b{_FIGURE}\s*(?:\(\d[\d,.]*\)\s*)?{_SCALE}\s*-?\s*{_UNIT}(?![\w])",
)]
_BARE = re.compile(r"(?<![\w.])(?<!section )(?<!regulation )(?<!article )(?<!paragraph )(?<!schedule )"
                   r"(?<!chapter )(?<!part )(?<!no\. )(?<!s\. )(?<!reg\. )\d[\d,]*(?:\.\d+)?(?![\w])", re.IGNORECASE)
_YEAR_ONLY = re.compile(rf"^{_YEAR}$")
#: Names: a run of capitalised words, "of"/"for"/"and"/"the" allowed inside ("Office of the Data Protection
#: Commissioner"), or an acronym ("ODPC").
_NAME = re.compile(r"\b(?:[A-Z][\w’'-]+|[A-Z]{2,})(?:\s+(?:(?:of|for|and|the|on|in)\s+)*(?:[A-Z][\w’'-]+|[A-Z]{2,}))*")
_YESNO = re.compile(r"^\W*(yes|no)\b|\b(must not|shall not|may not|cannot|is not required|are not required|"
                    r"need not|does not|do not|must|shall|may|is required|are required)\b", re.IGNORECASE)
_JOINERS = {"of", "for", "and", "the", "on", "in"}
_OPENERS = {"The", "A", "An", "In", "Under", "On", "By", "For", "This", "It", "Its", "These", "Such", "Each"}


def _first(patterns: list[re.Pattern[str]], sentence: str, skip: Collection[str] = ()) -> str:
    for pattern in patterns:
        for match in pattern.finditer(sentence):
            text = match.group(0).strip(" ,.")
            if text and text not in skip:
                return text
    return ""


def find_span(question_type: str, sentence: str, own: Collection[str] = ()) -> str:
    """The words of ``sentence`` that answer a question of this type ("" when it states none).

    ``own`` holds the names and numbers the question itself gives: they are not the answer ("When was the
    2019 Recommendation revised?" is not answered by "2019").
    """
    sentence = re.sub(r"\s*\[\d+\]", "", sentence)
    if question_type == "date":
        return _first(_DATES, sentence, own)
    if question_type == "number":
        undated = sentence
        for pattern in _DATES[:4]:  # "26 Apr 2019" holds no figure: blank the dates out first
            undated = pattern.sub(lambda m: " " * len(m.group(0)), undated)
        found = _first(_AMOUNTS, undated, own)
        if found:
            return found
        return next((m.group(0).rstrip(",") for m in _BARE.finditer(undated)
                     if m.group(0).rstrip(",") not in own and not _YEAR_ONLY.match(m.group(0).rstrip(","))), "")
    if question_type == "person":
        for match in _NAME.finditer(sentence):
            name = _name(match.group(0), own)
            if name:
                return name
        return ""
    if question_type == "yesno":
        match = _YESNO.search(sentence)
        return match.group(0).strip() if match else ""
    return ""


def _name(found: str, own: Collection[str]) -> str:
    """A run of capitalised words without its sentence opener ("The"); "" when it only repeats the question."""
    parts = found.split()
    while parts and (parts[0] in _OPENERS or parts[0].lower() in _JOINERS):
        parts.pop(0)
    while parts and parts[-1].lower() in _JOINERS:
        parts.pop()
    if not parts or all(p in own or p.lower() in _JOINERS for p in parts):
        return ""
    return " ".join(parts)


_MONTH_NUMBER = {m: i for i, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")], start=1) for m in names}


def latest_date(sentence: str) -> tuple[int, int]:
    """The latest (year, month) among the sentence's dates with a month ("7 Dec 2025", "June 2023");
    (0, 0) when it has none. Bare years are left out: "2022–2032" names a plan, not when a figure held."""
    found = []
    for pattern in _DATES[:2] + _DATES[3:4]:
        for match in pattern.finditer(sentence):
            text = match.group(0)
            month = next((n for w, n in _MONTH_NUMBER.items() if re.search(rf"\b{w}\b", text, re.IGNORECASE)), 0)
            year = re.search(_YEAR, text)
            if year and month:
                found.append((int(year.group(0)), month))
    return max(found, default=(0, 0))


def precision(question_type: str, span: str) -> float:
    """How exact a span is, from 0 to 1: a full date beats a month, which beats a bare year; a figure with
    its unit or currency beats a bare figure. The lead prefers the more exact answer."""
    if not span:
        return 0.0
    if question_type == "date":
        if _DATES[0].fullmatch(span) or _DATES[1].fullmatch(span) or _DATES[2].fullmatch(span):
            return 1.0
        return 0.7 if _DATES[3].fullmatch(span) else 0.4
    if question_type == "number":
        return 0.5 if _BARE.fullmatch(span) else 1.0
    return 1.0


def holds_value(question_type: str, sentence: str, own: Collection[str] = ()) -> bool:
    """Does the sentence state a value of the expected type (types without spans: always)?"""
    if question_type not in {"date", "number", "person", "yesno"}:
        return True
    return bool(find_span(question_type, sentence, own))
