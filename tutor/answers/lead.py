"""The lead of an answer: the sentence (or two) that answers what was asked, and the rest kept as "more".

The extractive answerer picks the sentences that are relevant; this module decides which of them an
official reads first. For a factoid (a date, a figure, a name, a yes or no) the lead is one sentence that
holds a value of the expected type (:mod:`tutor.answers.spans`) beside the question's focus terms and does not lean
on the sentence before it; a second one joins only if both stay within :data:`FACTOID_WORDS`. For a list,
a definition or an explanation the first sentence is the one that answers rather than introduces (an
enumeration for a list: "The seven characteristics are...", not "NIST describes seven characteristics"),
and the lead runs on from it to about :data:`EXPLANATION_WORDS`. Every other chosen sentence goes to
``more``: nothing relevant is dropped, it only moves below the lead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from tutor.answers.candidates import REFERS_BACK, Candidate
from tutor.answers.cues import EXPLAIN_INTRO_PENALTY, announces, cue, gives_list, wants_list
from tutor.answers.differ import COUNT_QUESTION, DatedFigure, differing, note
from tutor.answers.spans import find_span, latest_date, precision
from tutor.answers.understand import Understanding
from tutor.answers.wording import asked_part, plain_terms, same_terms
from tutor.text import content_terms, mentions_name, split_sentences

#: At most this many words in a factoid's lead (the issue: one or two sentences, about 60 words).
FACTOID_WORDS = 60
#: About this many words in the lead of an explanation, a definition or a list.
EXPLANATION_WORDS = 120
#: A sentence outside the chosen ones may lead only if it scores at least this share of the best chosen one.
LEAD_FLOOR = 0.8
#: What holding the expected value and standing alone are worth against relevance when choosing the lead.
SPAN_BONUS = 0.3
FOCUS_WEIGHT = 0.2
#: The question's own words (its verb too: "adopted", "launched", "fund") found in the sentence.
TERMS_WEIGHT = 0.3
#: A list question's lead should enumerate: three or more items, or items after a colon.
ENUMERATION_BONUS = 0.3
REFERS_BACK_PENALTY = 0.5
#: A sentence that adds no more than this many words to the question's restates it (:func:`echoes`).
ECHO_TERMS = 4
ECHO_PENALTY = 0.2
#: Advice to the reader ("Watch for bias when...", a note's "Why it matters for your work") answers what to
#: do, not what the question asked, unless it asks that.
ADVICE_PENALTY = 0.2
#: A line of fewer words than this without a full stop is a heading or a caption (:func:`is_heading`).
HEADING_WORDS = 15
HEADING_PENALTY = 0.3
#: A list's lead may be any sentence at least this relevant (share of the best) that lists what was asked.
LIST_FLOOR = 0.3
#: A factoid's lead may be any sentence at least this relevant (share of the best) that holds the value.
VALUE_FLOOR = 0.5
#: A name of the question is telling when at most this share of the candidate sentences mention it.
TELLING_SHARE = 0.25
#: The question's predicate words found in the sentence: the strongest sign that it answers.
PREDICATE_WEIGHT = 0.6
_TYPE_WORDS = set(content_terms("date day year when many much number amount figure who which what where "
                                "long time kind type"))
#: How much an introduction ("X is the country's main law on...") is set back when the question is not "what is X".
INTRO_PENALTY = 0.3
_COUNTS_ONLY = re.compile(r"\b(two|three|four|five|six|seven|eight|nine|ten|\d+)\s+(\w+\s+){0,2}\w+s\b",
                         re.IGNORECASE)
_INTRO = re.compile(r"^[^,;:]{2,90}?(?<!\bwho )(?<!\bwhich )(?<!\bthat )\b(is|are|was|were)\s+"
                    r"(the|a|an|one of|Kenya's|the country's|Africa's)\b|"
                    r"^[^,;:]{2,90}?\b(looks at|describes|sets out|covers|deals with|is about)\b")
#: A dated figure may displace the best lead only if it answers nearly as well (share of its lead score).
NEWEST_SHARE = 0.9
#: A dated figure of what was asked joins the note that figures differ if its sentence scores at least this
#: share of the lead's score (a looser floor than :data:`NEWEST_SHARE`: it is only mentioned, not led with).
DIFFER_SHARE = 0.75
#: "controller or data processor after the data controller...": the rest of a sentence cut at a page or chunk
#: boundary (a lower-case word first; "eCitizen" is a name) cannot open an answer.
_FRAGMENT = re.compile(r"^[a-z]+[\s,;:]")
#: A question that asks what to do or why it matters, which the notes' advice sections answer.
_ASKS_ADVICE = re.compile(r"\b(why|matter|matters|implications?|should (i|we)|what can (i|we) do|how (can|should) "
                          r"(i|we)|what do (i|we) (need|have) to|do (i|we) (need|have) to)\b", re.IGNORECASE)
_SAYS_ABOUT = re.compile(r"\b(?:say|says|said|state|states|find|found|tell us|write|writes)\s+about\s+(.{3,})$",
                         re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?…]['\"”’)\]]*$")
_YEAR_ONLY = re.compile(r"^(?:1[89]|20)\d{2}$")
_ENUMERATION = re.compile(r":\s*\S.*[,;]|(?:[^,;]+[,;]){2,}[^,;]*\b(and|or)\b")
#: The lettered items of a provision: "(a)", "(b)", "(iv)".
_LETTERED = re.compile(r"\((?:[a-z]|[ivx]{1,4})\)\s")
_CAPITALISED = re.compile(r"\b[A-Z][\w’'-]*")


@dataclass(frozen=True)
class Selection:
    """The lead sentences, the rest (in reading order), the exact answer in the lead ("" if none), and the
    dated figures that differ (:mod:`tutor.answers.differ`), which open the lead with a note when there are any."""

    lead: tuple[Candidate, ...]
    more: tuple[Candidate, ...] = ()
    span: str = ""
    differ: tuple[DatedFigure, ...] = ()


def _words(cands: Sequence[Candidate]) -> int:
    return sum(len(c.text.split()) for c in cands)


def own_values(understood: Understanding) -> frozenset[str]:
    """The names and numbers the question gives itself, and each capitalised word of it (the topic of a
    rewritten follow-up included): never the answer ("Who launched it (Digital Master Plan)?" is not
    answered by "the Digital Master Plan")."""
    words = _CAPITALISED.findall(understood.standalone.split(" ", 1)[-1])
    return frozenset(understood.shape.names + understood.shape.numbers + tuple(words))


def predicate_terms(understood: Understanding) -> set[str]:
    """What the question says about its subject ("assented", "launched", "services"), without the subject's
    own name and the words that only say what kind of answer is wanted ("date", "how many"): the words a
    sentence must share to answer rather than merely be about the same thing. In "What does the article on
    cross-border transfers say about civil registration data?" that is what follows "say about": the words
    before it only say which document."""
    named = _terms(" ".join(understood.shape.names + understood.shape.numbers))
    about = _SAYS_ABOUT.search(understood.question)
    if about and _terms(about.group(1)) - named - _TYPE_WORDS:
        return set(_terms(about.group(1)) - named - _TYPE_WORDS)
    return set(_terms(asked_part(understood.question)) - named - _TYPE_WORDS)


@lru_cache(maxsize=256)
def _terms(text: str) -> frozenset[str]:
    """Content terms of a question (in the vocabulary of :mod:`tutor.answers.wording`), computed once per
    question rather than once per candidate sentence."""
    return plain_terms(text)


def introduces(text: str) -> bool:
    """"eCitizen is Kenya's online platform for...", "The OECD paper looks at...": a sentence that
    introduces its subject and states nothing specific (no figure, no date), so it should not lead an
    answer to a how, why or what-does question."""
    return bool(_INTRO.match(text)) and not re.search(r"\d", re.sub(r"\[\d+\]", "", text))


def counts_what_is_asked(text: str, asked: set[str]) -> bool:
    """"22,510 services" for "How many services...?": a figure followed closely by a word of the question."""
    for match in re.finditer(r"\d[\d,.]*\s*(?:\w+\s+){0,2}?(\w+)", text):
        if set(content_terms(match.group(1))) & asked:
            return True
    return False


def latest_counted(text: str, asked: frozenset[str], own: frozenset[str]) -> str:
    """In "grew from 5,000 services (June 2023) ... to 22,510 services (as of 7 Dec 2025)", the last figure
    that counts what was asked: a story of growth ends with its newest figure. "" if fewer than two."""
    found = [m.group(1) for m in re.finditer(r"(?<![\w.\[])(\d[\d,.]*\d|\d)\s+(\w+)", re.sub(r"\[\d+\]", "", text))
             if m.group(1) not in own and set(content_terms(m.group(2))) & asked]
    return found[-1] if len(found) >= 2 else ""


def is_heading(text: str) -> bool:
    """"The six dimensions of the DGI, OECD average", "N of items Cronbach's alpha": a short line without
    a full stop is a heading, a caption or a table's header, which states nothing on its own; so is a long
    one without a full stop that strings bullets or figures together (a timeline, a table's rows). A
    sentence cut at a page boundary ("...within that other country") is neither."""
    plain = re.sub(r"\s*\[\d+\]", "", text).strip()
    if _SENTENCE_END.search(plain):
        return False
    return len(plain.split()) < HEADING_WORDS or plain.count("•") >= 2 or len(re.findall(r"\d[\d.,%]*", plain)) >= 4


def echoes(text: str, understood: Understanding) -> bool:
    """"Generative AI tools can also state false things with great confidence" for "Why do chatbots state
    false things so confidently?": a sentence that adds at most :data:`ECHO_TERMS` words to the question's
    own restates it; an account, a list or a definition must say more."""
    asked = _terms(understood.question) | _terms(understood.standalone)
    return len(plain_terms(re.sub(r"\[\d+\]", "", text)) - asked) <= ECHO_TERMS  # one vocabulary on both sides


def telling_names(understood: Understanding, candidates: Sequence[Candidate], titles: str = "") -> tuple[str, ...]:
    """The question's names that few candidate sentences mention (at most :data:`TELLING_SHARE` of them, and
    at least one) and no title does: in a table of twelve counties' scores, "Kilifi" tells which row
    answers; "Kenya", which every sentence names, or "OURdata", the report's own name, tells nothing."""
    if not candidates:
        return ()
    named = [n for n in understood.shape.names if not mentions_name(n, titles)]
    counts = {n: sum(mentions_name(n, c.text) for c in candidates) for n in named}
    return tuple(n for n, k in counts.items() if 0 < k <= TELLING_SHARE * len(candidates))


def enumerates(text: str) -> bool:
    """Does the sentence list things ("a, b, c and d"; "four functions: ..."; a provision's "(a) ...; or (b) ...")?"""
    return bool(_ENUMERATION.search(text)) or len(_LETTERED.findall(text)) >= 2


def lead_score(cand: Candidate, understood: Understanding, best: float, context: str = "") -> float:
    """Relevance, plus what answers the type (a value of the expected kind; an enumeration for a list),
    plus the question's focus and own words; minus leaning back on a sentence before it.

    ``context`` is the sentence just before a list ("The framework for students is organised in four
    dimensions." before "The four dimensions are a; b; c; and d."), or before the sentences an announcement
    introduces ("The framework lists further limits of LLMs."): they are about what it names, so its words
    count as their own for the question's words found."""
    asked = _terms(asked_part(understood.question))
    # The focus without the words of the condition or the source the question names (see asked_part).
    focus = same_terms(understood.focus) - (_terms(understood.question) - asked)
    terms = plain_terms(cand.text) | plain_terms(context)
    overlap = len(focus & terms) / len(focus) if focus else 0.0
    # The user's own words, not the topic a follow-up was rewritten with: "When did it come into force?"
    # is answered by the sentence that says "came into force", not by the one that names the Act.
    said = len(asked & terms) / len(asked) if asked else 0.0
    wanted = predicate_terms(understood)
    score = cand.score / best if best > 0 else 0.0
    score += PREDICATE_WEIGHT * (len(wanted & terms) / len(wanted) if wanted else 0.0)
    if understood.factoid:
        span = find_span(understood.question_type, cand.text, own_values(understood))
        score += SPAN_BONUS * precision(understood.question_type, span)
        if understood.question_type == "number" and counts_what_is_asked(cand.text, asked):
            score += SPAN_BONUS / 2
    else:
        if understood.question_type == "list":
            if enumerates(cand.text):
                score += ENUMERATION_BONUS
            elif _COUNTS_ONLY.search(cand.text):  # "is organised in four dimensions": it counts, it does not list
                score -= INTRO_PENALTY
        if understood.question_type != "definition" and introduces(cand.text):
            score -= INTRO_PENALTY + (EXPLAIN_INTRO_PENALTY if understood.question_type == "explanation" else 0.0)
        if echoes(cand.text, understood):
            score -= ECHO_PENALTY
    score += cue(cand.text, understood, own_values(understood), context)
    if REFERS_BACK.match(cand.text) or _FRAGMENT.match(cand.text):
        score -= REFERS_BACK_PENALTY
    if is_heading(cand.text):
        score -= HEADING_PENALTY
    if cand.advice and not understood.factoid and not _ASKS_ADVICE.search(understood.question):
        score -= ADVICE_PENALTY
    return score + FOCUS_WEIGHT * overlap + TERMS_WEIGHT * said


def lead_and_more(ordered: Sequence[Candidate], ranked: Sequence[Candidate], understood: Understanding,
                  titles: str = "") -> Selection:
    """Split the chosen sentences (``ordered``, in answer order) into the lead and the rest.

    ``ranked`` is every candidate, best first: a factoid's lead may be a sentence the relevance ranking did
    not choose when it holds the value asked for ("assented to on 16 November 2020") and scores close to the
    best chosen one; the chosen sentences then all go to ``more``. ``titles`` (of the passages' documents)
    name the documents, not the row or the party a factoid asks about (:func:`telling_names`).
    """
    if not ordered:
        return Selection(())
    own = own_values(understood)
    best = max(c.score for c in ordered)
    scores: dict[tuple[int, int], float] = {}
    by_key = {_key(c): c for c in ranked}
    names = telling_names(understood, ranked, titles) if understood.factoid else ()

    def scored(cand: Candidate) -> float:
        """Each candidate's lead score, computed once (several choices below compare the same sentences)."""
        key = _key(cand)
        if key not in scores:
            before = by_key.get((cand.passage_index, cand.position - 1))
            context = before.text if before is not None and (
                gives_list(cand.text, understood) or (wants_list(understood) and announces(before.text))) else ""
            scores[key] = lead_score(cand, understood, best, context)
        return scores[key]

    chosen = {_key(c) for c in ordered}
    extra = [c for c in ranked if _key(c) not in chosen and c.score >= best * LEAD_FLOOR]
    pool = list(ordered) + extra
    if not understood.factoid:
        # A list's lead may be the sentence that gives the items, though the ranking did not choose it.
        in_pool = {_key(p) for p in pool}
        pool += [c for c in ranked if _key(c) not in in_pool and c.score >= best * LIST_FLOOR
                 and gives_list(c.text, understood)]
    first = max(pool, key=scored)  # max keeps the earliest of equal scores: answer order breaks ties
    if understood.factoid:
        # A factoid's lead must hold the value: the best sentence that does, if one is relevant enough.
        in_pool = {_key(p) for p in pool}
        wider = pool + [c for c in ranked if c.score >= best * VALUE_FLOOR and _key(c) not in in_pool]
        holding = [c for c in wider if c.score >= best * VALUE_FLOOR
                   and find_span(understood.question_type, c.text, own)]
        # The value of what the question names: "How did Kilifi score?" is answered by Kilifi's row, the
        # UK's score on the User-Driven dimension by the row that names both.
        named = {_key(c): sum(mentions_name(n, c.text) for n in names) for c in holding}
        most = max(named.values(), default=0)
        holding = [c for c in holding if named[_key(c)] == most]
        if holding and first not in holding:
            first = max(holding, key=scored)
        if understood.question_type == "number":
            first = newest_figure(first, holding, scored)
    lead = [first]
    rest = [c for c in ordered if _key(c) != _key(first)]
    figures = figures_that_differ(first, pool + holding if understood.factoid else [], scored, understood)
    listed = {_key(c) for c in [first, *rest]}
    for figure in figures:  # the sentence each figure of the note is cut from is in the answer too
        if _key(figure.source) not in listed:
            listed.add(_key(figure.source))
            rest.append(figure.source)
    if not understood.factoid:
        # The answering sentence first, then the rest in reading order up to the length an explanation needs.
        keep = []
        for cand in rest:
            if not keep and _words(lead) + len(cand.text.split()) <= EXPLANATION_WORDS:
                lead.append(cand)
            else:
                keep.append(cand)
        return Selection(tuple(lead), tuple(keep), "")
    noted = len(note(figures, lambda _: 0).split())  # the note's words count against the lead's length
    if rest and noted + _words(lead) + len(rest[0].text.split()) <= FACTOID_WORDS and _pairs(first, rest[0]):
        lead.append(rest.pop(0))
    span = next((s for s in (find_span(understood.question_type, c.text, own) for c in lead) if s), "")
    if span and understood.question_type == "number":
        holder = next(c.text for c in lead if span in c.text)
        span = latest_counted(holder, _terms(understood.question), own) or span
    return Selection(tuple(lead), tuple(rest), span, tuple(figures))


def figures_that_differ(first: Candidate, pool: Sequence[Candidate], scored: Callable[[Candidate], float],
                        understood: Understanding) -> list[DatedFigure]:
    """For "how many" and "how much" questions: the dated figures of the sentences that answer nearly as
    well as the lead (the share :data:`DIFFER_SHARE` of its score, the lead itself included), when they
    differ. A figure counts when a word the question asks about follows it ("22,510 services"), or, for
    "how much", when it is money."""
    if understood.question_type != "number" or not COUNT_QUESTION.search(understood.question):
        return []
    if any(_YEAR_ONLY.search(n) for n in understood.shape.numbers):
        return []  # "How many countries took part in 2023?": the question names its date; others do not differ
    floor = DIFFER_SHARE * scored(first)
    seen: dict[tuple[int, int], Candidate] = {_key(first): first}
    for cand in pool:
        if scored(cand) >= floor:
            seen.setdefault(_key(cand), cand)
    asked = predicate_terms(understood) or set(_terms(understood.question)) - _TYPE_WORDS
    money = bool(re.search(r"\bhow much\b", understood.question, re.IGNORECASE))
    return differing(list(seen.values()), asked, own_values(understood), money)


def newest_figure(first: Candidate, holding: Sequence[Candidate], scored: Callable[[Candidate], float],
                  ) -> Candidate:
    """For "how many" questions, when several sentences that answer about as well (``scored``: their lead
    scores) give a dated figure ("5,000 services in June 2023", "22,510 services on 7 Dec 2025"), the most
    recent one leads; the others stay in the answer with their own dates, so a reader sees that the figures
    differ and when each held."""
    floor = NEWEST_SHARE * scored(first)
    dated = [c for c in holding if scored(c) >= floor and latest_date(c.text)]
    if len(dated) < 2 or not latest_date(first.text):
        return first
    return max(dated, key=lambda c: (latest_date(c.text), scored(c)))


def _key(cand: Candidate) -> tuple[int, int]:
    """Which sentence a candidate is: its passage and its place there."""
    return cand.passage_index, cand.position


def _pairs(first: Candidate, second: Candidate) -> bool:
    """The next sentence joins the lead when it continues it: the same passage, right after it, or it leans
    back on it ("It was revised in 2024")."""
    same = second.passage_index == first.passage_index
    return same and (second.position == first.position + 1 or bool(REFERS_BACK.match(second.text)))


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
