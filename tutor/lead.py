"""The lead of an answer: the sentence (or two) that answers what was asked, and the rest kept as "more".

The extractive answerer picks the sentences that are relevant; this module decides which of them an
official reads first. For a factoid (a date, a figure, a name, a yes or no) the lead is one sentence that
holds a value of the expected type (:mod:`tutor.spans`) beside the question's focus terms and does not lean
on the sentence before it; a second one joins only if both stay within :data:`FACTOID_WORDS`. For a list,
a definition or an explanation the lead runs in reading order to about :data:`EXPLANATION_WORDS`. Every
other chosen sentence goes to ``more``: nothing relevant is dropped, it only moves below the lead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tutor.extractive import _REFERS_BACK, Candidate
from tutor.spans import find_span
from tutor.text import content_terms, split_sentences
from tutor.understand import Understanding

#: At most this many words in a factoid's lead (the issue: one or two sentences, about 60 words).
FACTOID_WORDS = 60
#: About this many words in the lead of an explanation, a definition or a list.
EXPLANATION_WORDS = 120
#: A sentence outside the chosen ones may lead only if it scores at least this share of the best chosen one.
LEAD_FLOOR = 0.8
#: What holding the expected value and standing alone are worth against relevance when choosing the lead.
SPAN_BONUS = 0.3
FOCUS_WEIGHT = 0.2
REFERS_BACK_PENALTY = 0.5


@dataclass(frozen=True)
class Selection:
    """The lead sentences, the rest (in reading order), and the exact answer in the lead ("" if none)."""

    lead: tuple[Candidate, ...]
    more: tuple[Candidate, ...] = ()
    span: str = ""


def _words(cands: Sequence[Candidate]) -> int:
    return sum(len(c.text.split()) for c in cands)


def own_values(understood: Understanding) -> frozenset[str]:
    """The names and numbers the question gives itself: never the answer."""
    return frozenset(understood.shape.names + understood.shape.numbers)


def lead_score(cand: Candidate, understood: Understanding, best: float) -> float:
    """Relevance, plus holding a value of the expected type, plus the focus terms; minus leaning back."""
    focus = understood.focus
    overlap = len(focus & set(content_terms(cand.text))) / len(focus) if focus else 0.0
    score = cand.score / best if best > 0 else 0.0
    if find_span(understood.question_type, cand.text, own_values(understood)):
        score += SPAN_BONUS
    if _REFERS_BACK.match(cand.text):
        score -= REFERS_BACK_PENALTY
    return score + FOCUS_WEIGHT * overlap


def lead_and_more(ordered: Sequence[Candidate], ranked: Sequence[Candidate], understood: Understanding) -> Selection:
    """Split the chosen sentences (``ordered``, in answer order) into the lead and the rest.

    ``ranked`` is every candidate, best first: a factoid's lead may be a sentence the relevance ranking did
    not choose when it holds the value asked for ("assented to on 16 November 2020") and scores close to the
    best chosen one; the chosen sentences then all go to ``more``.
    """
    if not ordered:
        return Selection(())
    own = own_values(understood)
    if not understood.factoid:
        lead = [ordered[0]]
        for cand in ordered[1:]:
            if _words(lead) + len(cand.text.split()) > EXPLANATION_WORDS:
                break
            lead.append(cand)
        rest = [c for c in ordered if c not in lead]
        return Selection(tuple(lead), tuple(rest), "")
    best = max(c.score for c in ordered)
    chosen = {(c.passage_index, c.position) for c in ordered}
    extra = [c for c in ranked if (c.passage_index, c.position) not in chosen and c.score >= best * LEAD_FLOOR]
    pool = list(ordered) + extra
    first = max(pool, key=lambda c: (lead_score(c, understood, best), -pool.index(c)))
    lead = [first]
    rest = [c for c in ordered if c is not first and (c.passage_index, c.position) != (first.passage_index,
                                                                                        first.position)]
    if rest and _words(lead) + len(rest[0].text.split()) <= FACTOID_WORDS and _pairs(first, rest[0]):
        lead.append(rest.pop(0))
    span = next((s for s in (find_span(understood.question_type, c.text, own) for c in lead) if s), "")
    return Selection(tuple(lead), tuple(rest), span)


def _pairs(first: Candidate, second: Candidate) -> bool:
    """The next sentence joins the lead when it continues it: the same passage, right after it, or it leans
    back on it ("It was revised in 2024")."""
    same = second.passage_index == first.passage_index
    return same and (second.position == first.position + 1 or bool(_REFERS_BACK.match(second.text)))



def split_reply(reply: str, understood: Understanding) -> tuple[str, str, str]:
    """An LLM's verified reply as (lead, more, span): its first sentence leads (the prompt asks it to answer
    there), a second joins within the word budget of the type; the rest is ``more``."""
    sentences = split_sentences(reply)
    if not sentences:
        return reply, "", ""
    budget = FACTOID_WORDS if understood.factoid else EXPLANATION_WORDS
    lead = [sentences[0]]
    for sentence in sentences[1:]:
        if sum(len(s.split()) for s in lead) + len(sentence.split()) > budget or (understood.factoid and len(lead) == 2):
            break
        lead.append(sentence)
    more = sentences[len(lead):]
    span = next((s for s in (find_span(understood.question_type, x, own_values(understood)) for x in lead) if s), "")
    return " ".join(lead), " ".join(more), span
