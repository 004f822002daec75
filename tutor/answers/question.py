"""What a question asks for: the kind of answer it expects and the words it is about.

Retrieval similarity cannot tell "What fine applies under regulation 48?" from a question the library
answers: the passages on fines and regulations are close either way. What tells them apart is whether any
sentence of the passages states a value of the kind asked for (an amount, a date, a number, a duration)
beside the question's own subject. :func:`analyse` reads the question once; :func:`states_answer` checks
one sentence against it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tutor.answers.entities import asked_class, names_one
from tutor.text import STOPWORDS, content_terms, mentions_name

#: Answer types whose answer is a value that a sentence either states or does not.
FACTOID = frozenset({"number", "amount", "date", "duration"})

_WHAT = r"(what|which)( is| was| are| were)?( the| a)?"
_TYPES: list[tuple[str, re.Pattern[str]]] = [
    ("duration", re.compile(rf"\b(how long|how many (hours|days|weeks|months|years)|within how many|"
                            rf"{_WHAT} (prison term|term of imprisonment|period|deadline|time limit))\b", re.IGNORECASE)),
    ("amount", re.compile(rf"\b(how much|{_WHAT} (fine|fee|penalty|budget|amount|cost|price|charge|sum)s?)\b",
                          re.IGNORECASE)),
    ("date", re.compile(r"^\W*when (and\b|did|was|were|will|does|do|has|have|is|are)\b|"
                        r"\b(what date|which date|(what|which|in what) year)\b", re.IGNORECASE)),
    ("number", re.compile(rf"\b(how many|{_WHAT} (percentage|share|proportion|number|score|rank|ranking)|"
                          r"what (was|is|were|are) \w+(['’]s)? (score|rank|ranking|percentage|share)|"
                          r"^\W*how (well )?(did|does|do) [^?]{1,60}? (score|rank))\b", re.IGNORECASE)),
    ("explanation", re.compile(r"^\W*(how|why)\b", re.IGNORECASE)),
    ("yesno", re.compile(r"^\W*(is|are|does|do|did|can|could|must|should|may|will|has|have|was|were)\b", re.IGNORECASE)),
    ("person", re.compile(r"^\W*who\b|\bwhich (organisation|organization|body|office|agency|institution)\b", re.IGNORECASE)),
    ("place", re.compile(r"^\W*where\b", re.IGNORECASE)),
    ("definition", re.compile(r"^\W*what (is|are|does .* mean)\b|\bdefin(e|ition)\b|\bmeaning of\b", re.IGNORECASE)),
]

#: Words that name the kind of answer rather than its subject ("how many hours", "what score").
_TYPE_WORDS = frozenset(content_terms(
    "many much long when date year years hours days weeks months number percentage share proportion score scores "
    "rank ranking ranked amount fine fee penalty budget cost price charge sum term period deadline limit prison "
    "imprisonment time what which value level total"))

#: Type words too general to show a sentence is on the subject ("what", "many", "time").
_BARE_TYPE_WORDS = frozenset(content_terms("many much long when what which time value level total number"))

_NAME = re.compile(r"(?<![\w'’])[A-Z][\w’'-]*")
_GENERIC_NAMES = {"I", "AI", "What", "Which", "Who", "How", "When", "Where", "Why", "Do", "Does", "Is", "Are", "Can",
                  "Under", "In", "The", "A", "An", "For", "Of", "On", "To"}
_NUMBER = re.compile(r"\b\d[\d,.]*\b")
_YEAR = re.compile(r"\b(1[89]|20)\d{2}\b")
_MONTH = re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|November|December|"
                    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\b")
_NUMBER_WORD = re.compile(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
                          r"thirty|forty|fifty|sixty|seventy|hundred|thousand|million|billion|dozen|half)\b", re.IGNORECASE)
_CURRENCY = re.compile(r"\b(KSh|Kshs?|KES|USD|EUR|GBP|shillings?|dollars?|euros?|million|billion|per ?cent)\b|[$€£%]",
                       re.IGNORECASE)
_UNIT_OF_TIME = re.compile(r"\b(hours?|days?|weeks?|months?|years?|minutes?)\b", re.IGNORECASE)
_NUMBER_WORDS = _NUMBER_WORD.pattern[3:-3]  # the alternatives, to build the patterns below
#: A length of time: "72 hours", "seventy-two hours", "ten (10) years", "a term not exceeding two years".
_DURATION = re.compile(rf"(\b\d[\d,.]*|\b({_NUMBER_WORDS})(-({_NUMBER_WORDS}))?)\s*(\(\d+\)\s*)?-?\s*"
                       r"(hours?|days?|weeks?|months?|years?|minutes?)\b", re.IGNORECASE)
#: A span between two dates or years: "from 2018 to 2022", "1 January 2020 to 31 October 2022".
_DATE_SPAN = re.compile(r"\b(1[89]|20)\d{2}\b.{0,40}?\b(to|until|till|and|through)\b.{0,30}?\b(1[89]|20)\d{2}\b")
#: "regulation 48", "section 25(1)", "s. 43", "reg. 37": a number the question uses to name a legal unit.
_LEGAL_REF = re.compile(r"\b(section|sections|regulation|regulations|reg|regs|s|ss|article|art|rule|clause|"
                        r"paragraph|para)\.?\s*(\d+[A-Z]?)\b", re.IGNORECASE)
_LEGAL_UNITS = {"section": "section|sections|sec|s|ss", "regulation": "regulation|regulations|reg|regs|r",
                "article": "article|articles|art", "rule": "rule|rules|r", "clause": "clause|clauses|cl",
                "paragraph": "paragraph|paragraphs|para|paras"}
_UNIT_NAMES = {"sections": "section", "s": "section", "ss": "section", "regulations": "regulation",
               "reg": "regulation", "regs": "regulation", "art": "article", "para": "paragraph"}
#: Kind words for which a count in words ("six dimensions") is not the value asked: a score, a share.
_MEASURED = frozenset(content_terms("score percentage share proportion rate rank ranking"))
#: A question about what is to come ("When will...", "the next edition"), which a past date does not answer.
_FUTURE_QUESTION = re.compile(r"^\W*when (will|shall|is .* (due|expected|planned))\b|\b(next|upcoming|forthcoming)\b",
                              re.IGNORECASE)
_FUTURE = re.compile(r"\b(will|shall|expected|planned|scheduled|due|next|upcoming|forthcoming|intends?|aims?)\b",
                     re.IGNORECASE)


@dataclass(frozen=True)
class QuestionShape:
    """The expected answer type, and what the question names: capitalised names, numbers, other terms."""

    answer_type: str
    names: tuple[str, ...]
    numbers: tuple[str, ...]
    focus: frozenset[str]
    #: The question's words that name the kind of value ("fines", "hours"): a sentence using one of them
    #: is about the question's subject as much as one using a focus word ("can fine up to KSh 5 million").
    kind_words: frozenset[str] = frozenset()
    #: The legal units the question names, as (unit, number): ("regulation", "48").
    legal_refs: tuple[tuple[str, str], ...] = ()
    #: The class of named things asked for ("country", "county", "organisation"), from "Which countries...".
    entity: str = ""
    #: True for "When will...", "the next ...": a date in the past does not answer it.
    future: bool = False

    @property
    def factoid(self) -> bool:
        return self.answer_type in FACTOID

    @property
    def checked(self) -> bool:
        """Does an answer need a sentence that states something checkable (a value, or a named thing)?"""
        return self.factoid or bool(self.entity) or bool(self.legal_refs)


def answer_type(question: str) -> str:
    """The first matching kind in :data:`_TYPES` order (the most specific first), else ``"other"``."""
    for kind, pattern in _TYPES:
        if pattern.search(question):
            return kind
    return "other"


def question_names(question: str) -> list[str]:
    """Capitalised words after the first word of a sentence ("Kenya", "ODPC"), possessives dropped."""
    names = [re.sub(r"['’]s$", "", m.group(0)) for m in _NAME.finditer(question)
             if m.start() > 0 and not re.search(r"[.!?:;]\s*$", question[: m.start()])]
    return [n for n in names if n not in _GENERIC_NAMES and len(n) > 1 and n.lower() not in STOPWORDS]


def analyse(question: str) -> QuestionShape:
    """Read a (stand-alone) question once: its answer type, names, numbers and subject terms."""
    names = tuple(dict.fromkeys(question_names(question)))
    numbers = tuple(dict.fromkeys(n.rstrip(".,") for n in _NUMBER.findall(question)))
    named = set(content_terms(" ".join(names + numbers)))
    terms = [t for t in content_terms(question) if t not in named]
    focus = frozenset(t for t in terms if t not in _TYPE_WORDS)
    kind_words = frozenset(t for t in terms if t in _TYPE_WORDS and t not in _BARE_TYPE_WORDS)
    refs = tuple(dict.fromkeys((_unit(m.group(1)), m.group(2)) for m in _LEGAL_REF.finditer(question)
                               if len(m.group(1)) > 1 or m.group(0)[1] == "."))  # "s. 25", not "s 25"
    return QuestionShape(answer_type(question), names, numbers, focus, kind_words, refs, asked_class(question),
                         bool(_FUTURE_QUESTION.search(question)))


def _unit(word: str) -> str:
    word = word.lower()
    return _UNIT_NAMES.get(word, word)


def _has_value(kind: str, sentence: str, own_numbers: tuple[str, ...]) -> bool:
    """Does the sentence state a value of this kind, other than the numbers the question itself gives?"""
    numbers = [n.rstrip(".,") for n in _NUMBER.findall(sentence)]
    fresh = [n for n in numbers if n not in own_numbers]
    any_number = bool(fresh) or bool(_NUMBER_WORD.search(sentence))
    if kind == "date":
        return any(y not in own_numbers for y in (m.group(0) for m in _YEAR.finditer(sentence))) or \
            bool(_MONTH.search(sentence))
    if kind == "duration":  # "72 hours", "ten years", or a span of dates ("1 January 2020 to 31 October 2022")
        return bool(_DURATION.search(sentence) or _DATE_SPAN.search(sentence))
    if kind == "amount":  # money or a share, not any number: "(1)" or "one party" is no fee
        return any_number and bool(_CURRENCY.search(sentence))
    return any_number


def _cites(context: str, unit: str, number: str) -> bool:
    """Does the passage (title, section, citation, text) name this legal unit: "reg. 48", "regulation 48",
    a heading "48. Offences"? A number elsewhere ("48 hours", "regulations 36 to 48") does not count."""
    units = _LEGAL_UNITS.get(unit, re.escape(unit))
    return bool(re.search(rf"\b({units})\.?\s*{re.escape(number)}(?![\d])|(^|>\s*){re.escape(number)}\.\s",
                          context, re.IGNORECASE | re.MULTILINE))


def states_answer(shape: QuestionShape, sentence: str, context: str, heading: str = "") -> bool:
    """True when ``sentence`` could answer the question: its passage (``context``: title, section, citation
    and text) cites every legal unit the question names ("regulation 48") and mentions every other name
    and number it gives ("Kenya"); for a value or a "which ..." question, the sentence also states a value
    of the expected type (a score in figures, a coming date for "when will") or names one of the things
    asked for, beside at least one of the question's subject terms, in the sentence or in its section's
    ``heading`` (a table row "Kilifi (KIL): User-Driven 0.643" is a score because its heading says so)."""
    if any(not _cites(context, unit, number) for unit, number in shape.legal_refs):
        return False
    if any(not mentions_name(n, context) for n in shape.names + shape.numbers):
        return False
    if not shape.factoid and not shape.entity:
        return True  # only the legal units it names were to be checked
    if shape.entity:
        if not names_one(shape.entity, sentence, shape.names):
            return False
    elif not _has_value(shape.answer_type, sentence, shape.numbers):
        return False
    if shape.answer_type == "number" and shape.kind_words & _MEASURED and \
            not any(n not in shape.numbers and not _YEAR.fullmatch(n)
                    for n in (m.rstrip(".,") for m in _NUMBER.findall(sentence))):
        return False  # a score or a share is written in figures, not as a year; "six dimensions" is a count
    if shape.future and not _FUTURE.search(sentence):
        return False
    subject = shape.focus | shape.kind_words
    return not subject or bool(subject & set(content_terms(f"{heading} {sentence}")))
