"""Title, publisher and year of a PDF: its properties when they are plausible, else its first pages.

PDF properties are often wrong: Word writes the template's file name as the title ("60ff9487-....pdf",
"report.docx") and the last editor's name as the author ("GONZALEZ-ZAPATA Felipe"). A title that looks
like a file name and an author that looks like a person are replaced by what the first page prints in
its largest type, and by the publisher the first pages name ("© OECD 2024", "OECD PUBLIC GOVERNANCE
POLICY PAPERS", "Kenya Subsidiary Legislation"). Catalog entries still win (tutor/library/metadata.py).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from tutor.library.loaders.pdf_layout import PageLayout

_PLACEHOLDERS = frozenset({"untitled", "anonymous", "unknown", "unspecified", "none", "title", "author"})
_FILE_NAME = re.compile(r"\.(pdf|docx?|rtf|odt|indd|pptx?|xlsx?|txt)$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
                        r"|^(microsoft word|untitled)\b|^[\w-]+_[\w-]+$", re.IGNORECASE)
#: A personal name as PDF writers store it: "GONZALEZ-ZAPATA Felipe", "Jane Doe", "Doe, J.".
_PERSON = re.compile(r"^[A-Z][A-Za-z'’-]+,?\s+[A-Z][A-Za-z'’.-]*(\s+[A-Z][A-Za-z'’.-]+)?$")
_ORG_WORDS = re.compile(r"\b(OECD|office|ministry|government|commission|council|agency|authority|bank|"
                        r"organisation|organization|institute|university|school|department|gazette|"
                        r"nations|union|bureau|centre|center|foundation)\b", re.IGNORECASE)
_PUBLISHERS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"Kenya\s+Gazette|Kenya\s+Subsidiary\s+L\s?egislation|Laws\s+of\s+Kenya", re.IGNORECASE), "Government of Kenya"),
    (re.compile(r"©\s*OECD|\bOECD\s+(PUBLIC\s+GOVERNANCE|WORKING\s+PAPERS?|POLICY\s+PAPERS?)|"
                r"OECD\s+Working\s+Papers|OECD\s+Public\s+Governance", re.IGNORECASE), "OECD"),
    (re.compile(r"©\s*(World\s+Bank)", re.IGNORECASE), "World Bank"),
    (re.compile(r"©\s*(United\s+Nations|UNESCO|UNDP)", re.IGNORECASE), "United Nations"),
]
_YEAR = re.compile(r"(?:©|\(c\)|copyright)\s*(?:[A-Z][\w ]{0,40}?\s)?((?:19|20)\d\d)", re.IGNORECASE)


def plausible_title(value: str) -> bool:
    """False for a placeholder or a file name standing in for a title."""
    value = value.strip()
    return bool(value) and value.lower() not in _PLACEHOLDERS and not _FILE_NAME.search(value) and len(value) > 3


def plausible_publisher(value: str) -> bool:
    """False for a placeholder or a person's name (the last editor) standing in for a publisher."""
    value = value.strip()
    if not value or value.lower() in _PLACEHOLDERS:
        return False
    return bool(_ORG_WORDS.search(value)) or not _PERSON.match(value)


_JURISDICTION = re.compile(r"^(the\s+)?republic\s+of\s+\w+$", re.IGNORECASE)


def is_jurisdiction(line: str) -> bool:
    """"REPUBLIC OF KENYA" on a cover names the country: neither the publisher nor the title."""
    return bool(_JURISDICTION.match(" ".join(line.split())))


def publisher_line(line: str) -> str:
    """A cover line that names the publishing body ("OFFICE OF THE DATA PROTECTION COMMISSIONER"), in title
    case; "" for any other line."""
    text = " ".join(line.split())
    if is_jurisdiction(text) or not _ORG_WORDS.search(text) or len(text.split()) > 10:
        return ""
    if not text.isupper():
        return text
    small = {"of", "the", "and", "for", "on", "in"}
    return " ".join(w.lower() if i and w.lower() in small else w.capitalize() for i, w in enumerate(text.split()))


def title_from_page(page: PageLayout, body: float) -> str:
    """The text set in the largest type on the first page (lines of that size joined in reading order).

    Only type clearly larger than the body's counts: a page set in one size prints no title.
    """
    lines = [ln for ln in page.lines if sum(c.isalpha() for c in ln.text) >= 2]
    if not lines:
        return ""
    sizes: Counter[float] = Counter()
    for line in lines:
        sizes[line.size] += len(line.text)
    for size in sorted(sizes, reverse=True):
        if size < 1.2 * body:
            break
        picked = [ln for ln in lines if abs(ln.size - size) < 0.6]
        text = " ".join(ln.text.strip() for ln in sorted(picked, key=lambda ln: ln.top))
        if len(text) >= 6 and sum(c.isalpha() for c in text) >= 5:
            return re.sub(r"\s+", " ", text)[:200]
    return ""


def publisher_from_pages(texts: list[str]) -> str:
    """The publisher the first pages name, from a short list of known marks."""
    joined = "\n".join(texts)
    for pattern, name in _PUBLISHERS:
        if pattern.search(joined):
            return name
    return ""


def year_from_pages(texts: list[str]) -> int | None:
    """The year of a copyright line ("© OECD 2024") on the first pages."""
    match = _YEAR.search("\n".join(texts))
    return int(match.group(1)) if match else None


def file_meta(reader: Any, pages: list[PageLayout], first_texts: list[str], legal: bool, body: float
              ) -> dict[str, object]:
    """title, publisher and year: PDF properties when plausible, else from the first pages."""
    meta: dict[str, object] = {}
    info = getattr(reader, "metadata", None)
    title = str(getattr(info, "title", "") or "").strip() if info else ""
    author = str(getattr(info, "author", "") or "").strip() if info else ""
    if plausible_title(title):
        meta["title"] = title
    elif pages and pages[0].has_text:
        found = title_from_page(pages[0], body)
        if found:
            meta["title"] = found
    printed = publisher_from_pages(first_texts)
    if printed and (legal or not plausible_publisher(author) or printed == "OECD"):
        meta["publisher"] = printed
    elif plausible_publisher(author):
        meta["publisher"] = author
    year = year_from_pages(first_texts)
    if year is None and info:
        try:
            created = info.creation_date
        except Exception:  # noqa: BLE001 - a malformed date string must not sink the whole file
            created = None
        year = created.year if created is not None else None
    if year is not None:
        meta["year"] = year
    return meta
