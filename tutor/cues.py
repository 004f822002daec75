"""Cues that a sentence answers a yes/no, an explanation or a list question, not only that it is on topic.

The lead (:mod:`tutor.lead`) already prefers relevant sentences with the question's own words. For three
types that is not enough, because the sentence that repeats the question scores as well as the one that
answers it:

- a **yes/no** question is answered in its own terms: "Does Kenya require...?" by "Kenya does not impose...",
  "Can the recipient...?" by "may not" or "can", not by any "must" elsewhere in the text;
- an **explanation** states a cause, a purpose or a mechanism ("because", "so that", "by checking") for a
  why or how question, and, for "what does X cover / require / say", the items (after a colon or in a
  series); a sentence with the question's own year ("What changed in 2025?") is about what was asked, and
  one that only introduces its subject ("eCitizen is Kenya's online platform...") explains nothing;
- a **list** is answered by the items, not by a sentence that announces them ("The framework lists
  further limits of LLMs", "identifies ten priorities").

Each cue is a small bonus or penalty added to the lead score; none decides alone.
"""

from __future__ import annotations

import re

from tutor.understand import Understanding

#: Weights against the lead score (relevance ~1, the question's predicate words up to 0.6).
DECISION_BONUS = 0.25
CAUSE_BONUS = 0.2
ITEMS_BONUS = 0.15
OWN_NUMBER_BONUS = 0.3
ANNOUNCE_PENALTY = 0.3
#: An explanation is set back further than other types by a sentence that only introduces its subject
#: (on top of :data:`tutor.lead.INTRO_PENALTY`): "eCitizen is Kenya's online platform..." explains nothing.
EXPLAIN_INTRO_PENALTY = 0.2

_YEAR = re.compile(r"(?:1[89]|20)\d{2}")
_AUXILIARY = re.compile(r"^\W*(?:(?:according to|under|in)\b[^,?]{2,80},\s*)?(does|do|did|is|are|was|were|can|may|"
                        r"must|should|will|has|have)\b", re.IGNORECASE)
#: The words that decide a yes/no question asked with each auxiliary.
_DECISIONS = {
    "does": r"does not|doesn't|do not|need not|is not required|no\b|yes\b|only\b",
    "is": r"is not|isn't|are not|aren't|is considered|are considered|is deemed|counts? as|no\b|yes\b",
    "can": r"can|cannot|can't|may|may not|must not|shall not|is allowed|is not allowed|is prohibited|only\b",
    "must": r"must|must not|need not|shall|is required|is not required|are required|are not required|only\b",
    "has": r"has|have|has not|have not|hasn't|haven't|no\b|yes\b",
    "will": r"will|will not|won't|shall|no\b|yes\b",
}
_FAMILY = {"do": "does", "did": "does", "are": "is", "was": "is", "were": "is", "may": "can", "should": "must",
           "have": "has"}
_CAUSE = re.compile(r"\b(because|since|due to|owing to|as a result|result(s|ed)? in|so that|in order to|lead(s)? to|"
                    r"caus(e|es|ed|ing)|reason|which means|means that|therefore|thus|by (\w+ing)|through|"
                    r"predict(s|ing)?|rather than|instead of|without)\b", re.IGNORECASE)
_WHY_HOW = re.compile(r"^\W*(why|how)\b|\bwhy\b|\bhow (do|does|did|can|could|should|is|are)\b", re.IGNORECASE)
_WHAT_COVERS = re.compile(r"\bwhat (does|do|did|must|should|will)\b.{2,120}\b(cover|covers|include|includes|contain|"
                          r"require|requires|say|set out|do|promise|consider)\b", re.IGNORECASE)
_ITEMS = re.compile(r":\s*\S.*[,;]|(?:[^,;]+,){2,}[^,;]*\b(and|or)\b")
_ANNOUNCES = re.compile(r"\b(lists|identifies|outlines|sets out|describes|names|covers|contains|presents|"
                        r"highlights|flags|discusses)\b(?!.*:)", re.IGNORECASE)
_COUNTED = re.compile(r"\b(two|three|four|five|six|seven|eight|nine|ten|\d+|several|further|many|some|key|main)\s+"
                      r"(\w+\s+){0,2}\w+s\b", re.IGNORECASE)


def decision_words(question: str) -> re.Pattern[str] | None:
    """The words that decide this yes/no question, from its auxiliary ("Can..." -> can, cannot, may...)."""
    match = _AUXILIARY.search(question)
    if not match:
        return None
    aux = match.group(1).lower()
    return re.compile(rf"\b({_DECISIONS[_FAMILY.get(aux, aux)]})", re.IGNORECASE)


def cue(text: str, understood: Understanding) -> float:
    """The bonus (or penalty) for what in ``text`` answers a question of this type; 0 for other types."""
    kind, question = understood.question_type, understood.question
    plain = re.sub(r"\s*\[\d+\]", "", text)
    score = 0.0
    if kind == "yesno":
        decides = decision_words(question.split("(", 1)[0])
        if decides and decides.search(plain):
            score += DECISION_BONUS
    years = [n for n in understood.shape.numbers if _YEAR.fullmatch(n)]  # not "CSF 2.0": a version is a name
    if kind in ("explanation", "list", "other") and any(
            re.search(rf"(?<![\w.]){n}(?![\w])", plain) for n in years):
        score += OWN_NUMBER_BONUS  # "What changed in 2025?": the sentence with 2025 is about what was asked
    if kind == "explanation" and _WHY_HOW.search(question) and _CAUSE.search(plain):
        score += CAUSE_BONUS
    if kind in ("explanation", "other") and _WHAT_COVERS.search(question) and _ITEMS.search(plain):
        score += ITEMS_BONUS
    if kind in ("list", "explanation") and not _ITEMS.search(plain) and _ANNOUNCES.search(plain) \
            and _COUNTED.search(plain):
        score -= ANNOUNCE_PENALTY  # "lists further limits of LLMs": it announces the items, it does not give them
    return score
