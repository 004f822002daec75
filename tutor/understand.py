"""What a question asks, in one place: the stand-alone question, the answer type it expects, its focus.

``Tutor.ask`` used to call into :mod:`tutor.followup` three times per question and :mod:`tutor.question`
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

from tutor.followup import Message, condense, condense_with_llm, may_continue, with_previous_topic
from tutor.question import QuestionShape, analyse

#: The answer types the answer stage knows, in the issue's words. ``number`` covers amounts and durations.
QUESTION_TYPES = ("date", "number", "person", "place", "list", "definition", "yesno", "explanation", "other")
#: Types a sentence or two answers (a value, a name, a decision); the others get about 120 words.
FACTOID_TYPES = frozenset({"date", "number", "person", "place", "yesno"})

#: "What are the four...", "Which principles...", "List the...", "Name the...": an enumeration is wanted.
_LIST = re.compile(r"^\W*(list|name|enumerate)\b|^\W*which \w+(s|ies)\b|\b(what|which) (are|were) (the )?(\w+ )?"
                   r"(principles|pillars|domains|areas|steps|elements|components|rights|obligations|"
                   r"requirements|values|recommendations|categories|types|kinds|dimensions|conditions|"
                   r"grounds|duties|functions|competencies|skills|measures)\b|"
                   r"\b(what|which) (are|were) the (two|three|four|five|six|seven|eight|nine|ten|\d+)\b",
                   re.IGNORECASE)
_FROM_SHAPE = {"duration": "number", "amount": "number", "number": "number", "date": "date", "person": "person",
               "place": "place", "definition": "definition", "yesno": "yesno", "explanation": "explanation"}


def question_type(question: str, shape: QuestionShape | None = None) -> str:
    """The answer type in :data:`QUESTION_TYPES`: :func:`tutor.question.answer_type`'s reading, with
    amounts and durations as ``number`` and enumerations ("What are the five principles?") as ``list``."""
    shape = shape or analyse(question)
    if shape.answer_type not in FACTOID_TYPES | {"duration", "amount"} and (_LIST.search(question) or shape.entity):
        return "list"
    return _FROM_SHAPE.get(shape.answer_type, "other")


@dataclass(frozen=True)
class Understanding:
    """One question, understood: what retrieval searches for and what the answer must lead with."""

    #: The user's own words.
    question: str
    #: The question as it stands alone (a follow-up rewritten with its topic).
    standalone: str
    #: One of :data:`QUESTION_TYPES`.
    question_type: str
    #: What the question names and asks about (:class:`tutor.question.QuestionShape` of ``standalone``).
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
