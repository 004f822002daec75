"""What a question asks, in one place: the stand-alone question, the answer type it expects, its focus.

``Tutor.ask`` used to call into :mod:`tutor.answers.followup` three times per question and :mod:`tutor.answers.question`
twice more. :func:`understand` reads the question once and returns one :class:`Understanding`; the only
thing it cannot decide alone, whether a short question in a conversation continues its topic, is carried
as :attr:`Understanding.alternative` (the question on the previous topic) for the retrieval stage to settle
against the library (:meth:`Understanding.resolved` then gives the reading that won).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from tutor.answers.followup import Message, condense, condense_with_llm, may_continue, with_previous_topic
from tutor.answers.question import QuestionShape, analyse

#: The answer types the answer stage knows, in the issue's words. ``number`` covers amounts and durations.
QUESTION_TYPES = ("date", "number", "person", "place", "list", "definition", "yesno", "explanation", "other")
#: Types a sentence or two answers (a value, a name, a decision); the others get about 120 words.
FACTOID_TYPES = frozenset({"date", "number", "person", "place", "yesno"})

_PLURALS = (r"principles|pillars|domains|areas|steps|elements|components|rights|obligations|requirements|values|"
            r"recommendations|categories|types|kinds|dimensions|conditions|grounds|duties|functions|competencies|"
            r"skills|measures|characteristics|models|issues|risks|priorities|limitations|tools|factors|"
            r"consequences|questions|facilities|services|countries|counties|ministries|examples|safeguards|"
            r"criteria|options|benefits|challenges|lessons|features|actions|initiatives|projects|agencies")
#: "What are the four...", "Which principles...", "List the...", "Which OECD countries...", "What must the
#: notice contain?": an enumeration is wanted.
_LIST = re.compile(rf"^\W*(list|name|enumerate)\b|^\W*which (\w+ ){{0,2}}\w+(s|ies)\b|"
                   rf"\b(what|which) ((\w+|'s) ){{0,5}}({_PLURALS})\b|"
                   r"\b(what|which) (are|were) the (two|three|four|five|six|seven|eight|nine|ten|\d+)\b|"
                   r"\bwhat (must|should|can|may) .{3,80}\b(contain|specify|include|set out|put in|provide for|"
                   r"list|cover)\b", re.IGNORECASE)
#: A figure asked for without "how many": a score, an average, a rank, a rate, a correlation.
_NUMBER = re.compile(r"\b(what|which)\b.{0,40}\b(score|scores|average|mean|rank|rate|share|percentage|"
                     r"standard deviation|alpha|correlation|threshold|salary|salaries|dose|budget|fee|fine|"
                     r"penalty|penalties|cost|price|figure|total)\b|^\W*how (did|does|do) .{2,60}\bscore\b|"
                     r"^\W*(where|how) did .{2,60}\brank\b|\bhow (strongly|closely) .{2,80}\bcorrelat|"
                     r"^\W*how (big|large) (was|is|were|are)\b",
                     re.IGNORECASE)
#: "What is in...", "What is X doing...", "What does X say about...", "What changed...": an account is wanted.
_EXPLAIN = re.compile(r"^\W*(what('s| is) (in|the difference|new)\b|what (is|are) .{2,60}\b(doing\b|about\W*$)|"
                      r"what (does|did|do|will) .{2,80}\b(say|find|found|require|promise|do|consider|"
                      r"look like|flag|cover|mean)\b|what (changed|happened)\b|"
                      r"(what|which) must .{2,80}\b(do|be based on)\b|"
                      r"(under .{2,80}, )?(when|on what condition|in what case)\b.{2,80}\b(taken|deemed|allowed|"
                      r"considered|may|can)\b)", re.IGNORECASE)
#: "According to the code, can the recipient sell it on?": a yes/no question behind a leading phrase.
_YESNO_AFTER = re.compile(r"^\W*(according to|under|in)\b[^,?]{2,80},\s*(can|may|must|is|are|does|do|did|has|have|"
                          r"should|will)\b", re.IGNORECASE)
_FROM_SHAPE = {"duration": "number", "amount": "number", "number": "number", "date": "date", "person": "person",
               "place": "place", "definition": "definition", "yesno": "yesno", "explanation": "explanation"}


def question_type(question: str, shape: QuestionShape | None = None) -> str:
    """The answer type in :data:`QUESTION_TYPES`.

    :func:`tutor.answers.question.answer_type` decides what the refusal checks need (does a passage state the date,
    the amount, the duration?); this reading is for the answer's lead and length, so it also recognises a
    figure asked without "how many" (a score, a rank, a correlation), an enumeration ("What are the five
    principles?", "What must the notice contain?") and an account ("What does the Act say about...?").
    """
    shape = shape or analyse(question)
    first = question.split("(", 1)[0]  # a rewritten follow-up carries its topic in brackets
    if _YESNO_AFTER.search(first):
        return "yesno"
    if re.match(r"^\W*what period\b", first, re.IGNORECASE):
        return "date"
    if re.match(r"^\W*(where|how) did .{2,60}\brank\b|^\W*how (big|large) (was|is|were|are)\b", first, re.IGNORECASE):
        return "number"
    if shape.answer_type in ("date", "duration", "amount", "number", "person", "place", "yesno"):
        if shape.answer_type == "person" and re.match(r"^\W*what (law|act|regulation|section)\b", first, re.IGNORECASE):
            return "other"
        return _FROM_SHAPE[shape.answer_type]
    if _NUMBER.search(first):
        return "number"
    if re.match(r"^\W*which (country|county|city|region)\b", first, re.IGNORECASE):
        return "place"
    if _LIST.search(first) or shape.entity:
        return "list"
    if _EXPLAIN.search(first):
        return "explanation"
    if shape.answer_type in ("definition", "explanation"):
        return shape.answer_type
    return "explanation" if re.match(r"^\W*(why|how)\b", first, re.IGNORECASE) else "other"


@dataclass(frozen=True)
class Understanding:
    """One question, understood: what retrieval searches for and what the answer must lead with."""

    #: The user's own words.
    question: str
    #: The question as it stands alone (a follow-up rewritten with its topic).
    standalone: str
    #: One of :data:`QUESTION_TYPES`.
    question_type: str
    #: What the question names and asks about (:class:`tutor.answers.question.QuestionShape` of ``standalone``).
    shape: QuestionShape
    #: The question read on the previous turn's topic, when the library must decide whether it continues
    #: that topic (a short question in a conversation, or one whose own reading finds no support).
    alternative: str | None = None
    #: True when the wording itself is too short to tell (``may_continue``): try the alternative even if
    #: the question alone is supported.
    ambiguous: bool = False

    @property
    def focus(self) -> frozenset[str]:
        """The subject terms (stemmed): what the lead sentence must be about."""
        return self.shape.focus | self.shape.kind_words

    @property
    def factoid(self) -> bool:
        """A value, a name or a decision: one or two sentences answer it."""
        return self.question_type in FACTOID_TYPES

    @property
    def rewritten(self) -> bool:
        return self.standalone != self.question

    def resolved(self, standalone: str) -> Understanding:
        """The same question read as ``standalone`` (the reading retrieval settled on), nothing left open."""
        if standalone == self.standalone:
            return replace(self, alternative=None, ambiguous=False)
        shape = analyse(standalone)
        return Understanding(self.question, standalone, question_type(standalone, shape), shape)


def understand(question: str, history: Sequence[Message] = (), chat_model: Any = None) -> Understanding:
    """Read a question once: follow-up resolution (an LLM condense prompt when there is a chat model and a
    conversation, else the deterministic rule), answer type and focus."""
    question = (question or "").strip()
    if chat_model is not None and history:
        standalone = condense_with_llm(chat_model, question, history)
    else:
        standalone = condense(question, history)
    shape = analyse(standalone)
    alternative = with_previous_topic(question, history) if history and standalone == question else None
    return Understanding(question, standalone, question_type(standalone, shape), shape, alternative,
                         bool(alternative) and may_continue(question))
