"""Typed events that ``Tutor.ask`` yields: the UI and the evaluator only render or record these."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Source:
    """A numbered passage an answer may cite as ``[n]``."""

    n: int
    chunk_id: str
    doc_id: str
    title: str
    publisher: str
    year: str
    page: int | None
    section: str
    url: str
    text: str
    score: float = 0.0
    cited_sentences: tuple[str, ...] = ()
    #: The number printed on the page (what an official quotes); ``page`` is the PDF's own 1-based index.
    page_label: str = ""
    #: The legal unit of an Act or regulation: ``s. 25(1)``, ``reg. 37(2)``.
    provision: str = ""
    #: True when the passage was read from a page image by OCR: the official should check the page.
    ocr: bool = False
    #: The document version the passage comes from, the date it took effect, and whether it is still the
    #: ``current`` one (``superseded`` or ``retired`` only when the question asked ``as_of`` an earlier date).
    as_of: str = ""
    version: int = 0
    status: str = "current"
    until: str = ""

    @property
    def printed_page(self) -> str:
        """The page as cited: the printed number where the page shows one, else the PDF's page index."""
        return self.page_label or (str(self.page) if self.page else "")

    @property
    def section_path(self) -> list[str]:
        """The heading path as a list, outermost first."""
        return [part for part in self.section.split(" > ") if part]

    def where(self) -> str:
        """``reg. 37(1), p. 1997``, ``p. 25``, ``reg. 42, pp. 1999–2000`` or ``§ Section``: where in the document
        the passage stands."""
        parts = [self.provision] if self.provision else []
        if self.printed_page:  # a provision running over a page break is cited to both: "pp. 1999–2000"
            parts.append(f"{'pp.' if '–' in self.printed_page else 'p.'} {self.printed_page}")
        elif self.section and not self.provision:
            parts.append(f"§ {self.section}")
        return ", ".join(parts)

    def citation(self) -> str:
        """``Title, Publisher, Year, p. N`` or ``... § Section``: the reference line under an answer."""
        parts = [p for p in (self.title, self.publisher, self.year, self.where()) if p]
        return ", ".join(parts) + (" (read by OCR: check the page)" if self.ocr else "")

    def to_api(self) -> dict[str, Any]:
        """The shape DESIGN.md fixes for the ``/ask`` API: {n, title, publisher, year, page, section, url, text},
        with ``page_label``, ``section_path``, ``provision``, ``ocr``, ``version``, ``as_of`` and ``status``
        beside them."""
        return {"n": self.n, "title": self.title, "publisher": self.publisher, "year": self.year,
                "page": self.page, "section": self.section, "url": self.url, "text": self.text,
                "page_label": self.page_label, "section_path": self.section_path, "provision": self.provision,
                "ocr": self.ocr, "version": self.version, "as_of": self.as_of, "status": self.status}


@dataclass(frozen=True)
class AnswerDelta:
    """A piece of answer text, in order; concatenated they form the answer (without the sources list)."""

    text: str


@dataclass(frozen=True)
class SourcesEvent:
    """The passages the answer may cite, numbered from 1."""

    sources: tuple[Source, ...]


@dataclass(frozen=True)
class Notice:
    """A one-line message for the user (for example: the LLM was unreachable, answered offline)."""

    text: str


@dataclass(frozen=True)
class Done:
    """The final event: everything about the answer in one place."""

    answer: str  # the body followed by the "Sources:" list
    body: str  # the lead answer alone, with its [n] markers: what /ask and the chat show first
    sources: tuple[Source, ...]  # the cited passages, numbered as in the answer
    retrieved: tuple[Source, ...]  # every retrieved passage in rank order (n = rank), for evaluation
    refused: bool
    backend: str
    question: str
    standalone_question: str
    timings_ms: dict[str, float] = field(default_factory=dict)
    suggestions: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    #: The rest of what was relevant, with its [n] markers ("More from the sources"): never dropped.
    more: str = ""
    #: What the question asked for (:data:`tutor.answers.understand.QUESTION_TYPES`).
    question_type: str = ""
    #: The exact answer ("16 November 2020") as the lead sentence words it; empty when none was found.
    span: str = ""

    @property
    def reply(self) -> str:
        """The whole reply, lead then more: what key-fact recall and citation precision are measured on."""
        return f"{self.body} {self.more}".strip() if self.more else self.body

    @property
    def cited(self) -> tuple[Source, ...]:
        """Only the sources whose ``[n]`` appears in the answer."""
        return tuple(s for s in self.sources if f"[{s.n}]" in self.answer or f"[{s.n}]" in self.more)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["sources"] = [s.to_api() for s in self.sources]
        data["retrieved"] = [{**s.to_api(), "doc_id": s.doc_id, "chunk_id": s.chunk_id} for s in self.retrieved]
        return data


Event = AnswerDelta | SourcesEvent | Notice | Done
