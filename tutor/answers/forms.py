"""The forms of sentence that answer a question by their shape, not by their topic: a list and how many
items it gives of what was asked ("The four dimensions are a; b; c; and d"), a series that only counts
("ten risks, ten benefits and ten priorities"), the names of persons and bodies ("NC4", "Cabinet Secretary
Joe Mucheru"; not "the Data Protection Act"), place names after "at" or "in", and the years a question asks
about rather than those in a title it names. :mod:`tutor.answers.cues` weighs them by question type.
"""

from __future__ import annotations

import re

from tutor.text import content_terms

_YEAR = re.compile(r"(?:1[89]|20)\d{2}")
#: "The core components of DPI are...": words that announce the parts of something.
_PARTS = re.compile(r"\b(components|characteristics|elements|parts|pillars|features|principles|dimensions|functions|"
                    r"types|kinds|categories|models|building blocks)\b", re.IGNORECASE)
_COUNT_WORD = re.compile(r"\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d{1,2})\s+[a-z][\w-]*",
                         re.IGNORECASE)
#: "ten priority benefits, ten priority risks and ten priorities for policy": items that are only counts.
_COUNT_ITEM = re.compile(r"^\s*(?:and\s+|or\s+)?(?:the\s+)?(?:two|three|four|five|six|seven|eight|nine|ten|eleven|"
                         r"twelve|\d+)\s+\w+", re.IGNORECASE)
#: Where a list starts: "The four dimensions are ...", "... include ...", "... rests on three pillars: ...".
_LIST_OPENER = re.compile(r"\s(?:are|were|include|includes|comprise|comprises|consist of|consists of)\s|:\s")
#: "Strategy 2025-2030", "Index 2017": a year that is part of a title, not a time the question asks about.
_TITLE_YEAR = re.compile(r"\b[A-Z][\w’'-]*\s+((?:1[89]|20)\d{2})(?:\s*[–-]\s*((?:1[89]|20)\d{2}))?|"
                         r"\b((?:1[89]|20)\d{2})\s+(?=[A-Z])")
#: The last words of a name that is a thing (a law, a plan, a report), not a person or a body.
_THING = re.compile(r"\b(Act|Acts|Regulations?|Bill|Policy|Strategy|Plan|Framework|Code|Guidelines?|Report|Index|"
                    r"Blueprint|Recommendation|Principles|Profile|Paper|Papers|Summit|Agenda|Convention)$")
_BODY = re.compile(r"\b(Committee|Council|Commission|Commissioner|Ministry|Minister|Office|Authority|Agency|Bank|"
                   r"Union|Institute|Foundation|Department|Secretariat|Parliament|Assembly|Board|Court|Group|"
                   r"Organisation|Organization|Programme|Corporation|University|School|Centre|Center|President|"
                   r"Secretary|Cabinet|Director|Dr|Prof)\b")
_RUN = re.compile(r"\b(?:[A-Z][\w’'-]+)(?:\s+(?:(?:of|for|and|the|on)\s+)*(?:[A-Z][\w’'-]+))*")
#: Capitalised pairs that are not a person's name: months, days, places' and documents' words.
_NOT_NAMES = re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|November|December|"
                        r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|County|City|Africa|Kenya|Summit)\b")
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9]+$")
_GENERIC_ACRONYMS = frozenset({"AI", "ICT", "IT", "LLM", "LLMs", "PDF", "URL", "FAQ", "USSD", "SMS"})
_MONTHS = re.compile(r"^(January|February|March|April|May|June|July|August|September|October|November|December|"
                     r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)$")
_LOCATIVE = re.compile(r"\b(?:at|in|near|from|to|across|between)\s+(?:the\s+)?(?=[A-Z])")


def list_items(text: str) -> int:
    """How many items follow the point where a list starts ("a, b and c": 3; "x, and y": 2); 0 if none."""
    match = _LIST_OPENER.search(text)
    if not match:
        return 0
    items = text[match.end():]
    parts = re.split(r"[;,•]", items)
    count = len(parts)
    if count > 1 and re.search(r"\s(and|or)\s", parts[-1]) and not re.match(r"\s*(and|or)\s", parts[-1]):
        count += 1  # "b and c" after the last comma: one more item
    return count if count > 1 else 0


def list_form(text: str, asked: set[str], announced: bool = False) -> float:
    """0 to 1: how fully the sentence lists what was asked. The words just before the list ("The four
    dimensions are", "The three pillars of Kenya's National AI Strategy are", or what follows its last "of")
    name one of the question's terms, and three items score 0.5, five or more 1.0 ("The OECD AI Principles
    contain two parts: ..." lists parts, not principles). With ``announced`` (a question that does not ask for
    a list by name: "What is in the strategy?") the list must also be announced by a count, a colon or a word
    for parts ("The three pillars of ... are", "rests on three pillars:", "The core components of ... are"),
    not only follow an "are" ("the same data sets are shared between ...")."""
    plain = re.sub(r"\s*\[\d+\]", "", text)
    match = _LIST_OPENER.search(plain)
    if not match or match.start() > 200:
        return 0.0
    subject = plain[: match.start()]
    head = subject.split()[-3:] + (subject.rsplit(" of ", 1)[1].split()[:4] if " of " in subject else [])
    if not set(content_terms(" ".join(head))) & asked:
        return 0.0
    if announced and ":" not in match.group(0) and not _COUNT_WORD.search(subject) and not _PARTS.search(subject):
        return 0.0
    items = list_items(plain)
    return min(1.0, (items - 1) / 4) if items >= 3 else 0.0


def counts_only(text: str) -> bool:
    """"identifies ten priority benefits of AI, ten priority risks of AI, and ten priorities for policy":
    a series whose items are all counts announces lists, it gives none."""
    parts = [p for p in re.split(r"[;,]|\s(?:and|or)\s", text) if p.strip()]
    counted = [p for p in parts[1:] if _COUNT_ITEM.match(p)]
    return len(parts) >= 3 and len(counted) >= len(parts) - 2 and bool(re.search(
        r"\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d+)\s+\w+", parts[0], re.IGNORECASE))


def names(text: str, own: frozenset[str], acts: frozenset[str] = frozenset()) -> tuple[int, bool]:
    """The names of persons and bodies the sentence gives that the question does not, and whether one of
    them is the doer of what was asked (``acts``: the question's stemmed words, "coordinates", "launched"):
    the name just before such a word ("NC4 also coordinates") or after "by" ("supported by the European
    Union"). A name is an acronym ("NC4", "GIZ") or a run of capitalised words with a title or a body's word
    in it ("Cabinet Secretary Joe Mucheru"); not the name of a law or a plan ("the Data Protection Act"),
    and not the source a sentence cites ("according to City Mirror")."""
    plain = re.sub(r"\s*\[\d+\]", "", text)
    found, doer, thing_ends = 0, False, -1
    for match in _RUN.finditer(plain):
        run, before = match.group(0), plain[: match.start()]
        words = [w for w in run.split() if w not in own and w.lower() not in {"of", "for", "and", "the", "on"}]
        if _THING.search(run):
            thing_ends = match.end()
            continue
        if not words or re.search(r"\baccording to\s+(the\s+)?$", before, re.IGNORECASE) or \
                re.fullmatch(r"\s*\(", plain[thing_ends:match.start()]):  # "Act (CMCA)": the law's own acronym
            continue
        person = re.fullmatch(r"[A-Z][a-z’'-]+(\s[A-Z][a-z’'-]+){1,2}", run) and match.start() > 0 \
            and not _NOT_NAMES.search(run)
        if not (_BODY.search(run) or person or any(_ACRONYM.match(w) and w not in _GENERIC_ACRONYMS for w in words)):
            continue
        found += 1
        after = re.match(r"\s+(?:\([^)]*\)\s+)?(?:\w+ly\s+|also\s+)?(\w+)", plain[match.end():])
        if re.search(r"\bby\s+(the\s+)?$", before) or (after and set(content_terms(after.group(1))) & acts):
            doer = True
    return found, doer


def places(text: str, own: frozenset[str]) -> int:
    """Capitalised words after the first "at", "in", "near"... that leads to one: "campuses are at
    Mombasa, Matuga, Embu and Baringo" gives four."""
    plain = re.sub(r"\s*\[\d+\]", "", text)
    match = _LOCATIVE.search(plain)
    if not match:
        return 0
    found = re.findall(r"\b[A-Z][\w’'-]+", plain[match.end():])
    return sum(1 for w in found if w not in own and not _MONTHS.match(w))


def asked_years(question: str, numbers: tuple[str, ...]) -> list[str]:
    """The years the question asks about ("What changed in 2025?", "its 2023 paper"), not those that are part
    of a title it names ("Kenya's National AI Strategy 2025-2030", "the 2017 OURdata Index")."""
    titled = {y for m in _TITLE_YEAR.finditer(question) for y in m.groups() if y}
    return [n for n in numbers if _YEAR.fullmatch(n) and n not in titled]
