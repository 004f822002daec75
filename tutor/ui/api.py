"""The ``/ask`` and ``/ask_full`` endpoints for scripts and evaluators (``gradio_client``).

``/ask`` keeps DESIGN.md's contract, ``(answer, sources)`` with the lead answer, so existing scripts keep
working; ``/ask_full`` returns everything the chat shows as one object: the lead, "More from the sources",
the sources, the question type and the exact answer span.

No ``from __future__ import annotations`` here on purpose: ``gr.api`` reads the type hints at run time
to describe the endpoint (``question: str`` -> ``(answer: str, sources: list of dicts)``).
"""

import logging
from typing import Any

import gradio as gr

from tutor.errors import TutorError
from tutor.events import Done
from tutor.ui import guard
from tutor.ui.services import Services

log = logging.getLogger(__name__)


def answer_recorded(services: Services, question: str, as_of: str) -> Done:
    """Answer for an API caller and record it (channel ``api``); errors become one-line ``gr.Error``."""
    try:
        done = services.tutor.answer(question or "", as_of=as_of or None)
        audit = getattr(services, "audit", None)
        if audit is not None:
            learner = guard.current_visitor(getattr(services, "access", None)).name
            audit.record(done, "api", learner=learner or None, as_of=as_of)
    except TutorError as exc:
        log.warning("the API answer failed: %s", exc)
        raise gr.Error(str(exc)) from exc
    except Exception as exc:
        log.exception("the API answer failed")
        raise gr.Error("Sorry, something went wrong while answering; the details are in the server log.") from exc
    return done


def make_ask(services: Services):
    """The endpoint function, bound to the shared services (it keeps no state between calls)."""

    def ask(question: str, as_of: str = "") -> tuple[str, list[dict[str, Any]]]:
        """Answer a question from the library.

        ``as_of`` (optional, an ISO date such as 2024-06-30) answers from the document versions in force
        on that date; without it, from the current ones.

        Returns the answer (with inline [n] markers and a "Sources:" list) and the cited passages as
        {n, title, publisher, year, page, section, url, text}. A refusal has no sources.
        """
        done = answer_recorded(services, question, as_of)
        return done.answer, [s.to_api() for s in done.sources]

    return ask


def make_ask_full(services: Services):
    """``/ask_full``: the whole answer as one object."""

    def ask_full(question: str, as_of: str = "") -> dict[str, Any]:
        """Answer a question from the library, with everything the chat shows.

        Returns {answer, more, sources, question_type, span, refused}: ``answer`` is the lead answer (the
        sentence or two that answer the question, with [n] markers), ``more`` the rest of what was relevant
        ("More from the sources", also with markers), ``sources`` the cited passages numbered as in both,
        ``question_type`` what the question asks for (date, number, person, place, list, definition, yesno,
        explanation, other) and ``span`` the exact answer as the lead words it ("" when there is none).
        ``as_of`` as for ``/ask``.
        """
        done = answer_recorded(services, question, as_of)
        return {"answer": done.body, "more": done.more, "sources": [s.to_api() for s in done.sources],
                "question_type": done.question_type, "span": done.span, "refused": done.refused}

    return ask_full


def register(services: Services) -> None:
    """Add ``/ask`` and ``/ask_full`` to the Blocks being built."""
    gr.api(make_ask(services), api_name="ask", concurrency_id="answer")
    gr.api(make_ask_full(services), api_name="ask_full", concurrency_id="answer")
