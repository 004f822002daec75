"""One question and its answer as a browser session keeps it: what the chat shows and what follow-ups read.

Its own module because the chat (:mod:`tutor.ui.chat`) and the ratings of its answers
(:mod:`tutor.ui.chat_feedback`) both read turns, and neither should import the other for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tutor.answers.sources import sources_block
from tutor.events import Done, Source
from tutor.ui import render


@dataclass(frozen=True)
class Turn:
    """One question and its answer, as kept in this browser session."""

    question: str  # what was asked (for "explain more simply", the question being re-explained)
    shown: str  # what the user's bubble shows
    body: str  # the whole reply with its [n] markers (lead and more): what follow-up questions see as history
    answer: str  # the lead answer followed by the "Sources:" list (what /ask returns)
    sources: tuple[Source, ...]
    refused: bool
    backend: str
    suggestions: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    total_ms: float | None = None
    lead: str = ""  # the lead answer alone
    more: str = ""  # "More from the sources"
    span: str = ""  # the exact answer in the lead, highlighted

    @classmethod
    def from_done(cls, done: Done, shown: str) -> Turn:
        return cls(done.question, shown, done.reply, done.answer, done.sources, done.refused, done.backend,
                   done.suggestions, done.notices, done.timings_ms.get("total_ms"), done.body, done.more, done.span)

    def markdown(self, detailed: bool = False) -> str:
        """The answer as the chat shows it: lead (exact answer in bold), the rest folded, then sources."""
        if not self.lead:  # a turn kept from before leads existed
            return render.md_escape(self.answer)
        return render.answer_markdown(self.lead, self.more, self.span, sources_block(self.sources), detailed)

    def api_sources(self) -> list[dict[str, Any]]:
        return [s.to_api() for s in self.sources]
