"""The curriculum's models: modules, quiz questions and their citations, glossary terms.

Plain pydantic data, validated when the YAML files are read (:mod:`tutor.learning.curriculum`). Grading
(:mod:`tutor.learning.grading`) and generated practice (:mod:`tutor.learning.cloze`) take the same
:class:`Question`; keeping the models here, below all three, is what keeps their imports one way.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tutor.learning.wording import contains, normalise

#: UNESCO / Broadband Commission (2022): the three competency domains for civil servants.
UNESCO_AREAS = ("digital planning and design", "data use and governance", "digital management and execution")



#: OECD Framework for Digital Talent and Skills in the Public Sector (2021): the four skill groups.
OECD_SKILL_GROUPS = {
    "user": "Digital government user skills",
    "socio-emotional": "Digital government socio-emotional skills",
    "professional": "Digital government professional (specialist) skills",
    "leadership": "Digital government leadership skills",
}



class Citation(BaseModel):
    """Where an answer comes from: a note's ``## `` section, or (for generated questions) one chunk."""

    model_config = ConfigDict(frozen=True)

    doc_id: str
    section: str = ""
    page: int | None = None
    chunk_id: str = ""
    title: str = ""

    def label(self, title: str | None = None) -> str:
        """``Title § Section`` or ``Title, p. N``: the source line under feedback.

        A generated question's citation carries its chunk's title; a curated one takes ``title``.
        """
        name = self.title or title or self.doc_id
        if self.page:
            return f"{name}, p. {self.page}"
        return f"{name} § {self.section}" if self.section else name



class Question(BaseModel):
    """A quiz question: curated (``origin="bank"``) or generated from a passage (``origin="cloze"``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    type: Literal["mcq", "short"]
    prompt: str = Field(min_length=10)
    options: tuple[str, ...] = ()
    answer: str = Field(min_length=1)
    accepted: tuple[str, ...] = ()
    explanation: str = Field(min_length=20)
    citation: Citation
    #: Phrases taken from the answer that the cited section must contain when it does not quote the
    #: answer whole (see :func:`check_support`).
    evidence: tuple[str, ...] = ()
    origin: Literal["bank", "cloze"] = "bank"
    kind: str = ""  # cloze only: date, year, money, percent, number, term

    @model_validator(mode="after")
    def _shape(self) -> Question:
        if self.type == "mcq":
            if len(self.options) != 4:
                raise ValueError(f"{self.id}: a multiple-choice question needs exactly 4 options")
            if len({normalise(o) for o in self.options}) != 4:
                raise ValueError(f"{self.id}: options must be distinct")
            if self.answer not in self.options:
                raise ValueError(f"{self.id}: the answer must be one of the options, word for word")
            if self.accepted:
                raise ValueError(f"{self.id}: 'accepted' is for short-answer questions")
        elif self.options:
            raise ValueError(f"{self.id}: a short-answer question has no options")
        answer_text = normalise(" ".join((self.answer, *self.accepted)))
        for term in self.evidence:
            if not contains(answer_text, normalise(term)):
                raise ValueError(f"{self.id}: evidence term {term!r} is not part of the answer")
        return self

    def option_letter(self, option: str) -> str:
        return "ABCD"[self.options.index(option)] if option in self.options else ""



class Module(BaseModel):
    """A learning module: what to learn, from which notes, and how to check it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    summary: str
    unesco_area: Literal[UNESCO_AREAS]  # type: ignore[valid-type]
    oecd_skill_group: Literal[tuple(OECD_SKILL_GROUPS)]  # type: ignore[valid-type]
    objectives: tuple[str, ...] = Field(min_length=2)
    notes: tuple[str, ...] = Field(min_length=1)
    key_terms: tuple[str, ...] = Field(min_length=3)
    ask: tuple[str, ...] = ()
    questions: tuple[Question, ...] = ()

    @property
    def oecd_skill_label(self) -> str:
        return OECD_SKILL_GROUPS[self.oecd_skill_group]



class GlossaryTerm(BaseModel):
    """One glossary entry: a plain one-line definition and the note it comes from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    term: str
    definition: str = Field(min_length=15)
    source: str
    aliases: tuple[str, ...] = ()

    @field_validator("definition")
    @classmethod
    def _one_line(cls, value: str) -> str:
        value = " ".join(value.split())
        if len(value) > 300:
            raise ValueError("a glossary definition is one line (at most 300 characters)")
        return value
