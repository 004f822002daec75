"""The chat's "Answer as of" option: ask what the library said on an earlier date (issue #11).

Kept apart from :mod:`tutor.ui.chat` so the Chat tab only places the box and passes its value on;
the date itself is checked by :meth:`Tutor.ask` (:func:`tutor.library.versions.as_of_day`), which gives the one
line an official reads when the date cannot be read.
"""

from __future__ import annotations

import gradio as gr

from tutor.ui import render

LABEL = "Answer as of (YYYY-MM-DD)"


def as_of_box() -> gr.Textbox:
    """The date box, folded into "Answer options" so the everyday chat stays one question box."""
    with gr.Accordion("Answer options", open=False, elem_id="mw-answer-options"):
        return gr.Textbox(
            label=LABEL, value="", max_lines=1, elem_id="mw-as-of",
            placeholder="e.g. 2024-06-30. Leave empty to answer from the current documents.",
            info="Answers from the document versions in force on that date; an answer from a version that "
                 "has since changed says so.",
        )


def clean(value: str | None) -> str | None:
    """The date as typed, or ``None`` when the box is empty (answers then use the current versions)."""
    text = (value or "").strip()
    return text or None


def note(as_of: str | None) -> str:
    """The line added under an answer given as of a date, so nobody mistakes it for today's answer."""
    if not as_of:
        return ""
    return f"Answered from the documents as they stood on {render.md_escape(as_of[:10])}."
