"""Cues that a sentence answers a yes/no, an explanation or a list question, not only that it is on topic.

The lead (:mod:`tutor.answers.lead`) already prefers relevant sentences with the question's own words. For three
types that is not enough, because the sentence that repeats the question scores as well as the one that
answers it:

- a **yes/no** question is answered in its own terms: "Does Kenya require...?" by "Kenya does not impose...",
  "Can the recipient...?" by "may not" or "can", not by any "must" elsewhere in the text;
- an **explanation** states a cause, a purpose or a mechanism ("because", "so that", "by checking") for a
  why or how question, and, for "what does X cover / require / say", the items (after a colon or in a
  series); a sentence with the question's own year ("What changed in 2025?") is about what was asked, and
  one that only introduces its subject ("eCitizen is Kenya's online platform...") explains nothing;
- a **list** is answered by the items, not by a sentence that announces them ("The framework lists
  further limits of LLMs", "identifies ten priorities"); the more items the sentence gives of the thing
  asked about ("The four dimensions are a; b; c; and d"), the better it answers;
- a **list, an explanation or a definition** is not answered by a sentence that only says what a document
  is about ("The paper looks at how governments build skills", "describes what a mature government looks
  like"): it promises the answer and stops;
- a **person or organisation** question is answered by a sentence that names one ("NC4", "the Ministry
  of ..."), not by one that only mentions "a national body"; a **place** question by place names.

Each cue is a small bonus or penalty added to the lead score; none decides alone. The sentence forms they
read (a list's items, names, places, the years asked about) are in :mod:`tutor.answers.forms`.
"""

from __future__ import annotations

import re

from tutor.answers.entities import class_of, member_pattern
from tutor.answers.forms import asked_years, counts_only, list_form, names, places
from tutor.answers.spans import find_span
from tutor.answers.understand import Understanding
from tutor.text import content_terms

#: Weights against the lead score (relevance ~1, the question's predicate words up to 0.6).
DECISION_BONUS = 0.25
CAUSE_BONUS = 0.2
ITEMS_BONUS = 0.15
OWN_NUMBER_BONUS = 0.3
ANNOUNCE_PENALTY = 0.45
#: An explanation is set back further than other types by a sentence that only introduces its subject
#: (on top of :data:`tutor.answers.lead.INTRO_PENALTY`): "eCitizen is Kenya's online platform..." explains nothing.
EXPLAIN_INTRO_PENALTY = 0.2
#: A sentence that lists the items of what was asked, at full length (five items or more).
LIST_FORM_BONUS = 0.4
#: "describes what...", "looks at how...": it says what a text is about, not what it says.
ABOUT_PENALTY = 0.3
#: "covered here", "listed below": only makes sense inside the note, like a sentence leaning on the one before.
HERE_PENALTY = 0.5
#: A name of the kind asked for ("NC4", "Cabinet Secretary Joe Mucheru"); a person
#: question's sentence with no such name ("a national body") is set back by as much.
NAME_BONUS = 0.3
#: A list of named things ("Which countries..."): the sentence that names three of them or more.
MEMBERS_BONUS = 0.3
#: ... a little more for each further name, up to two ("supported by the EU, GIZ, IDRC and FCDO")...
MORE_NAMES_BONUS = 0.1
#: ... and more when the name is the doer of what was asked ("NC4 coordinates", "launched by ...").
DOER_BONUS = 0.2
#: A figure in an account of how far something has gone ("22,510 services").
FIGURE_BONUS = 0.2
#: Place names after "at", "in", "near" (at three names or more).
PLACE_BONUS = 0.3

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
                          r"require|requires|say|set out|do|promise|consider|look like)\b|"
                          r"^\W*what('s| is| are) in\b", re.IGNORECASE)
_ITEMS = re.compile(r":\s*\S.*[,;]|(?:[^,;]+,){2,}[^,;]*\b(and|or)\b")
_ANNOUNCES = re.compile(r"\b(lists|identifies|outlines|sets out|describes|names|covers|contains|presents|"
                        r"highlights|flags|discusses)\b(?!.*:)", re.IGNORECASE)
#: "describes what", "looks at how", "tells governments which": a sentence about a text, not from it.
_ABOUT = re.compile(r"\b(describes|explains|looks at|asks|examines|considers|discusses|explores|shows|sets out|"
                    r"outlines|tells \w+)\s+(what|how|which|why|whether)\b", re.IGNORECASE)
#: "The work covered here includes...": a sentence about the note itself, whatever it lists.
_HERE = re.compile(r"\b(covered|discussed|described|summarised|summarized|listed) (here|below|above)\b", re.IGNORECASE)
#: The thing a list question asks for: "Which countries ...", "What are the six functions of ...", "What
#: security measures should ...".
_HEAD = re.compile(r"^\W*(?:\w+\s+)?(?:which|what)\s+(?:(?:are|were|is)\s+)?(?:(?:the|its|their)\s+)?"
                   r"(?:(?:two|three|four|five|six|seven|eight|nine|ten|\d+)\s+)?((?:[\w'’-]+\s+){0,4}?[\w'’-]+)(?:\s+"
                   r"(?:does|do|did|are|is|were|was|must|should|can|could|may|will|has|have|of|in|for|under|that|to)\b|"
                   r"\W*$)",
                   re.IGNORECASE)
_AND_WHERE = re.compile(r"\band where\b", re.IGNORECASE)
#: "How far has Kenya gone...", "How widely...", "To what extent...": an account measured in figures.
_HOW_FAR = re.compile(r"^\W*(how (far|widely|much progress|big a)|to what extent)\b", re.IGNORECASE)
_COUNTED = re.compile(r"\b(two|three|four|five|six|seven|eight|nine|ten|\d+|several|further|many|some|key|main)\s+"
                      r"(\w+\s+){0,2}\w+s\b", re.IGNORECASE)


def announces(text: str) -> bool:
    """"The framework lists further limits of LLMs", "names four main policy issues": it announces items
    it does not give (the sentences after it do)."""
    return not _ITEMS.search(text) and bool(_ANNOUNCES.search(text)) and bool(_COUNTED.search(text))


def wants_list(understood: Understanding) -> bool:
    """A list question, or an explanation of what something covers or holds ("What is in the strategy?")."""
    kind = understood.question_type
    return kind == "list" or (kind in ("explanation", "other") and bool(_WHAT_COVERS.search(understood.question)))


def gives_list(text: str, understood: Understanding) -> bool:
    """Does the sentence list items of what the question asks for (:func:`list_form`)?"""
    return wants_list(understood) and list_form(text, _asked(understood), understood.question_type != "list") > 0


def _asked(understood: Understanding) -> set[str]:
    """What a list must be a list of: the words the question asks for ("Which countries...": countries;
    "What are the dimensions of...": dimensions), else all its words and its focus."""
    head = _HEAD.match(understood.question)
    if head and understood.question_type == "list":
        return set(content_terms(head.group(1)))
    return set(content_terms(understood.question)) | set(understood.focus)


def asked_members(understood: Understanding) -> str:
    """The class of named things a list question asks for ("Which OECD countries..." -> country), or ""."""
    head = _HEAD.match(understood.question)
    words = head.group(1).lower().split() if head else []
    return next((class_of(w) for w in reversed(words) if class_of(w)), "")


def members(text: str, understood: Understanding) -> int:
    """How many things of the asked class the sentence names ("Hungary, Iceland and Luxembourg": 3), other
    than those the question names itself."""
    cls = asked_members(understood)
    if not cls:
        return 0
    own = {n.lower() for n in understood.shape.names}
    return sum(1 for m in member_pattern(cls).finditer(text) if m.group(0).lower() not in own)


def decision_words(question: str) -> re.Pattern[str] | None:
    """The words that decide this yes/no question, from its auxiliary ("Can..." -> can, cannot, may...)."""
    match = _AUXILIARY.search(question)
    if not match:
        return None
    aux = match.group(1).lower()
    return re.compile(rf"\b({_DECISIONS[_FAMILY.get(aux, aux)]})", re.IGNORECASE)


def cue(text: str, understood: Understanding, own: frozenset[str] = frozenset(), context: str = "") -> float:
    """The bonus (or penalty) for what in ``text`` answers a question of this type; 0 for other types.
    ``own`` holds the names and numbers the question gives itself (never the answer); ``context`` is the
    sentence a list takes its subject from (:func:`tutor.answers.lead.lead_score`), whose year counts as the list's."""
    kind, question = understood.question_type, understood.question
    plain = re.sub(r"\s*\[\d+\]", "", text)
    score = 0.0
    if kind == "yesno":
        decides = decision_words(question.split("(", 1)[0])
        if decides and decides.search(plain):
            score += DECISION_BONUS
    years = asked_years(question, understood.shape.numbers)  # not "CSF 2.0": a version is a name
    if kind in ("explanation", "list", "other") and any(
            re.search(rf"(?<![\w.]){n}(?![\w])", f"{plain} {context}") for n in years):
        score += OWN_NUMBER_BONUS  # "What changed in 2025?": the sentence with 2025 is about what was asked
    if kind == "explanation" and _WHY_HOW.search(question) and _CAUSE.search(plain):
        score += CAUSE_BONUS
    if kind in ("explanation", "other") and _WHAT_COVERS.search(question) and _ITEMS.search(plain):
        score += ITEMS_BONUS
    if kind in ("list", "explanation") and announces(plain):
        score -= ANNOUNCE_PENALTY  # "lists further limits of LLMs": it announces the items, it does not give them
    if kind in ("list", "explanation", "definition", "other") and _ABOUT.search(plain) and not _ITEMS.search(plain):
        score -= ABOUT_PENALTY
    if _HERE.search(plain):
        score -= HERE_PENALTY
    if kind in ("list", "explanation") and counts_only(plain):
        score -= ANNOUNCE_PENALTY
    if wants_list(understood) or kind == "definition":  # "What is cloud computing?": its characteristics define it
        score += LIST_FORM_BONUS * list_form(plain, _asked(understood), kind != "list")
    if kind == "list":
        score += MEMBERS_BONUS * min(1.0, members(plain, understood) / 3)
    if kind == "person":
        found, doer = names(plain, own, understood.focus)
        if found:
            score += NAME_BONUS + MORE_NAMES_BONUS * min(found - 1, 2) + (DOER_BONUS if doer else 0.0)
        else:
            score -= NAME_BONUS
    if kind == "place" or (kind == "person" and _AND_WHERE.search(question)):
        score += PLACE_BONUS * min(1.0, places(plain, own) / 3)  # "Who launched it, and where?" asks both
    if kind == "explanation" and _HOW_FAR.search(question) and find_span("number", plain, own):
        score += FIGURE_BONUS
    return score
