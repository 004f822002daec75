"""The words a question asks with, put in the vocabulary of the text that answers it.

Officials ask in plain words ("what is left out", "where is it made known", "what must it make sure of");
regulations answer in drafting words ("excludes", "shall publish", "shall ascertain"). The lead of an answer
is chosen partly by the question's own words found in a sentence (:mod:`tutor.answers.lead`), so the
subsection that answers in the drafter's words lost to the one that merely repeats the question's. Both sides
are mapped to one vocabulary here; the list is short and general on purpose: a handful of plain phrases
that legal drafting says in one fixed way.

A question that opens with its condition ("When a transfer relies on appropriate safeguards, what must the
documentation contain?") asks about what follows the comma: the condition says which provision, and the
provision's first subsection restates it, but the answer is what the documentation must contain. The same
holds for a condition it ends with ("... when deciding whether a breach is notifiable?") and for the source it
names ("..., according to the ODPC code?").
"""

from __future__ import annotations

import re
from functools import lru_cache

from tutor.text import content_terms

#: Plain phrases of a question, each with the drafting word the law uses for it.
_PHRASES = tuple((re.compile(pattern, re.IGNORECASE), word) for pattern, word in (
    (r"\b(?:left|leaves?|leaving|leave) out\b|\bnot (?:include|included|count|counted)\b", "excluded"),
    (r"\b(?:make|makes|made|making) (?:known|public)\b", "published"),
    (r"\b(?:make|makes|made|making) sure\b", "ensure"),
    (r"\b(?:told|tell|tells|telling)\b", "informed"),
))
#: Stems that legal drafting uses interchangeably, each mapped to one of them.
_SAME = {"ascertain": "ensur", "contain": "includ", "omit": "exclud", "publicis": "publish", "basi": "base"}
#: The words a question asks with.
_ASKS = r"(?:and\s+)?(?:what|which|who|whom|whose|how|when|where|why|is|are|does|do|can|must|may|should|shall|will)\b"
#: "When did...", "Where is...": the question itself, not a condition before it.
_AUXILIARY = r"(?:did|does|do|is|are|was|were|will|would|has|have|had|can|could|should|shall|may|might|must)\b"
#: The condition a question opens with, up to the comma before what it asks.
_CONDITION = re.compile(rf"^\s*(?:and\s+)?(?:when|whenever|if|where|before|after|once|unless|in case)\b"
                        rf"(?!\s+{_AUXILIARY})[^,?]{{3,}}?,\s*"
                        rf"(?={_ASKS})", re.IGNORECASE)
#: A question that asks from its first word ("Which...", "What must..."), so that a "when" later on is a condition.
_OPENS_ASKING = re.compile(rf"^\s*{_ASKS}", re.IGNORECASE)

#: The condition a question ends with: "... left out of the Second Schedule when deciding whether a breach is
#: notifiable?"
_TRAILING = re.compile(rf",?\s+(?:when|whenever|if|unless|once)\s+(?!{_AUXILIARY})\S[^,;]*\?*\s*$", re.IGNORECASE)
#: The source a question names ("..., according to the ODPC code?", "According to the OECD, ..."): it says
#: which document, not what the answer says.
_ACCORDING = re.compile(r",?\s*\baccording to\b[^,?]*(?:,\s*)?", re.IGNORECASE)
#: A question left with fewer content terms than this once its condition is cut asks about the condition
#: itself ("What happens if a breach occurs?"), so it is kept whole.
_MIN_ASKED_TERMS = 2


@lru_cache(maxsize=256)
def asked_part(question: str) -> str:
    """The question without the condition it opens or ends with and the source it names ("Before relying on
    necessity, what must..." gives "what must..."); the whole question when little is left without them.
    Cached: the lead scores every candidate sentence against it, so it is cut once per question."""
    asked = _CONDITION.sub("", _ACCORDING.sub(" ", question, count=1).strip(), count=1)
    if _OPENS_ASKING.match(asked):  # not "Under the Regulations, when is a breach notifiable?": that "when" asks
        asked = _TRAILING.sub("?", asked, count=1)
    return asked if len(content_terms(asked)) >= _MIN_ASKED_TERMS else question


def same_terms(terms: frozenset[str] | set[str]) -> frozenset[str]:
    """Content terms with the interchangeable drafting stems mapped to one (see :data:`_SAME`)."""
    return frozenset(_SAME.get(term, term) for term in terms)


def plain_terms(text: str) -> frozenset[str]:
    """The content terms of ``text`` in the shared vocabulary: plain phrases become their drafting word."""
    for pattern, word in _PHRASES:
        text = pattern.sub(word, text)
    return same_terms(frozenset(content_terms(text)))
