"""The ``/ask`` endpoint for scripts and evaluators (``gradio_client``), as fixed in DESIGN.md.

No ``from __future__ import annotations`` here on purpose: ``gr.api`` reads the type hints at run time
to describe the endpoint (``question: str`` -> ``(answer: str, sources: list of dicts)``).
"""

import logging
from typing import Any

import gradio as gr

from tutor.errors import TutorError
from tutor.ui.services import Services

log = logging.getLogger(__name__)


def make_ask(services: Services):
    """The endpoint function, bound to the shared services (it keeps no state between calls)."""

    def ask(question: str, as_of: str = "") -> tuple[str, list[dict[str, Any]]]:
        """Answer a question from the library.

        ``as_of`` (optional, an ISO date such as 2024-06-30) answers from the document versions in force
        on that date; without it, from the current ones.

        Returns the answer (with inline [n] markers and a "Sources:" list) and the cited passages as
        {n, title, publisher, year, page, section, url, text}. A refusal has no sources.
        """
        try:
            done = services.tutor.answer(question or "", as_of=as_of or None)
            audit = getattr(services, "audit", None)
            if audit is not None:
                audit.record(done, "api", as_of=as_of)
        except TutorError as exc:
            log.warning("/ask failed: %s", exc)
            raise gr.Error(str(exc)) from exc
        except Exception as exc:
            log.exception("/ask failed")
            raise gr.Error("Sorry, something went wrong while answering; the details are in the server log.") from exc
        return done.answer, [s.to_api() for s in done.sources]

    return ask


def register(services: Services) -> None:
    """Add ``/ask`` to the Blocks being built."""
    gr.api(make_ask(services), api_name="ask", concurrency_id="answer")
