"""When the library's support for a question is too weak to answer it: the refusal policy and its signals.

The policy reads only the retrieved passages: the best cosine similarity, the share of the question's content
terms they mention, and names of the question that no passage mentions. :mod:`tutor.answers.calibrate`
measures the same signals on the development sets.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from tutor.answers.retrieval import Passage
from tutor.text import content_terms, mentions_name


@dataclass
class RefusalPolicy:
    """When retrieval support is too weak to answer.

    ``min_dense`` is the cosine similarity the best passage must reach; ``min_coverage`` the share of the
    question's content terms that must appear in the top passages unless similarity is high
    (``confident_dense``). Calibrated on ``tests/data/devset.jsonl`` (78 answerable, 14 unanswerable) against
    the starter corpus with ``python -m tutor.answers.calibrate``: on that set these values refuse all 14 and
    none of the 78; the tightest margins are Nigeria's DPA (0.718 < 0.75) and "outside Nairobi" (0.791).
    Fourteen near-domain questions written afterwards as a held-out check (q093-q106) are all refused.
    See the README, "Refusal threshold".
    """

    min_dense: float = 0.30
    min_coverage: float = 0.70
    confident_dense: float = 0.55
    #: A question naming something the passages never mention ("Nigeria's Data Protection Act") is about
    #: another subject, however similar it sounds, unless similarity is at least this high.
    named_dense: float = 0.75

    def supported(self, question: str, passages: Sequence[Passage]) -> bool:
        if not passages:
            return False
        best = max(p.dense for p in passages)
        if best < self.min_dense:
            return False
        if best < self.named_dense and unknown_names(question, passages):
            return False
        return best >= self.confident_dense or coverage(question, passages) >= self.min_coverage



_NAME = re.compile(r"(?<![\w'’])[A-Z][\w’'-]*")



_NOT_NAMES = {"I", "AI", "What", "Which", "Who", "How", "When", "Where", "Why", "Do", "Does", "Is", "Are", "Can"}



def unknown_names(question: str, passages: Sequence[Passage]) -> list[str]:
    """Capitalised words of the question (after its first word) that no passage or title mentions, by name
    or, for an acronym, by the words it abbreviates."""
    names = [re.sub(r"['’]s$", "", m.group(0)) for m in _NAME.finditer(question)
             if m.start() > 0 and not re.search(r"[.!?:;]\s*$", question[: m.start()])]
    names = [n for n in names if n not in _NOT_NAMES and len(n) > 1]
    if not names:
        return []
    haystack = " ".join(f"{p.metadata.get('title', '')} {p.text}" for p in passages)
    return [n for n in names if not mentions_name(n, haystack)]



def missing_terms(question: str, passages: Sequence[Passage]) -> set[str]:
    """The question's content terms that no passage mentions (titles and sections included)."""
    terms = set(content_terms(question))
    for p in passages:
        terms -= set(content_terms(f"{p.metadata.get('title', '')} {p.metadata.get('section', '')} {p.text}"))
    return terms



def coverage(question: str, passages: Sequence[Passage]) -> float:
    """Share of the question's content terms found in the passages (titles and sections included)."""
    terms = set(content_terms(question))
    return 1 - len(missing_terms(question, passages)) / len(terms) if terms else 0.0
