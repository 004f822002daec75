"""What every panel of the Learn tab stands on: the desk, whose request this is, how an error reaches the
learner, and the module list with the learner's progress and "Study next".

Every action on the tab (opening a module, checking an answer, practising, deleting the record) ends by
showing the progress again, so the list lives here, beneath the panels that refresh it:
:mod:`tutor.ui.learn_quiz`, :mod:`tutor.ui.learn_study` and :mod:`tutor.ui.learn_record`.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from typing import Any

import gradio as gr

from tutor.errors import TutorError
from tutor.ui.learn_desk import LearnDesk, module_choices, study_next_markdown

log = logging.getLogger(__name__)

SORRY = "Sorry, that did not work; the details are in the server log."


def skip(n: int) -> tuple[Any, ...]:
    """``n`` outputs left as they are: what an action that failed shows."""
    return tuple(gr.update() for _ in range(n))


class ProgressPanel:
    """The module list with progress, and the learner and error handling every panel shares."""

    desk: LearnDesk
    _who: Callable[[], str]

    def _build_module_list(self) -> None:
        nobody = self.desk.overview("")
        with gr.Column(elem_id="mw-learn-list") as self.list_view:
            self.study_button = gr.Button(
                "Study next", visible=False, variant="primary", elem_id="mw-learn-next-go"
            )
            self.study_md = gr.Markdown(study_next_markdown(nobody), elem_id="mw-learn-next")
            self.modules = gr.Radio(
                module_choices(nobody),
                label="Modules",
                info="Choose a module, then press “Open module”.",
                elem_id="mw-learn-modules",
            )
            self.open_button = gr.Button("Open module", elem_id="mw-learn-open")

    @property
    def _overview_outputs(self) -> list[Any]:
        return [self.study_md, self.study_button, self.modules]

    def _overview(self, learner: str) -> tuple[Any, ...]:
        overview = self.desk.overview(learner)
        study = overview.study_next
        return (
            study_next_markdown(overview),
            gr.update(
                value=f"Study next: {study.title}" if study else "Study next", visible=study is not None
            ),
            gr.update(choices=module_choices(overview)),
        )

    @staticmethod
    def _warn(exc: Exception) -> str:
        """Show the learner what went wrong (a pop-up renders HTML, so it is escaped); log the unexpected."""
        if isinstance(exc, TutorError):  # LearnerNameError and CurriculumError included
            message = str(exc)
        else:
            log.exception("Learn tab action failed")
            message = SORRY
        gr.Warning(html.escape(message))
        return message

    def _learner(self) -> str:
        """The signed-in account this request comes from ("" at an open kiosk: nothing is stored)."""
        return self._who()
