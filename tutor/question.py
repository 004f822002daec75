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

from tutor.text import STOPWORDS, content_terms

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
                          r"what (was|is|were|are) \w+(['’]s)? (score|rank|ranking|percentage|share))\b", re.IGNORECASE)),
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

    @property
    def factoid(self) -> bool:
        return self.answer_type in FACTOID


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
    return QuestionShape(answer_type(question), names, numbers, focus, kind_words)


def _has_value(kind: str, sentence: str, own_numbers: tuple[str, ...]) -> bool:
    """Does the sentence state a value of this kind, other than the numbers the question itself gives?"""
    numbers = [n.rstrip(".,") for n in _NUMBER.findall(sentence)]
    fresh = [n for n in numbers if n not in own_numbers]
    any_number = bool(fresh) or bool(_NUMBER_WORD.search(sentence))
    if kind == "date":
        return any(y not in own_numbers for y in (m.group(0) for m in _YEAR.finditer(sentence))) or \
            bool(_MONTH.search(sentence))
    if kind == "duration":  # "72 hours", "ten years", or a span of dates ("1 January 2020 to 31 October 2022")
        return any_number and bool(_UNIT_OF_TIME.search(sentence) or _MONTH.search(sentence) or _YEAR.search(sentence))
    if kind == "amount":
        return any_number and (bool(_CURRENCY.search(sentence)) or bool(fresh))
    return any_number


def states_answer(shape: QuestionShape, sentence: str, context: str) -> bool:
    """True when ``sentence`` could answer a factoid question: it states a value of the expected type and
    at least one of the question's subject terms, and its passage (``context``: title, section and text)
    mentions every name and number the question gives ("regulation 48", "Kenya")."""
    lowered = context.lower()
    initials = "".join(w[0] for w in re.findall(r"\b[A-Z][a-z]+", context))  # "Digital Government Index" -> DGI
    if any(not re.search(rf"(?<![\w]){re.escape(n.lower())}", lowered) and not (n.isupper() and n in initials)
           for n in shape.names + shape.numbers):
        return False
    if not _has_value(shape.answer_type, sentence, shape.numbers):
        return False
    subject = shape.focus | shape.kind_words
    return not subject or bool(subject & set(content_terms(sentence)))
