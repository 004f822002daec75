"""The study view of the Learn tab: "Open module" and "Study next" from the module list, a module page (its
text, the quiz, and beside it what to read and what to ask in the chat), and "Practise on any document",
whose questions open in the same view.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any

import gradio as gr

from tutor.learning.models import Module
from tutor.ui.learn_desk import Quiz, module_markdown, module_notes_markdown
from tutor.ui.learn_progress import skip
from tutor.ui.learn_quiz import QuizPanel

log = logging.getLogger(__name__)


class StudyPanel(QuizPanel):
    """A module page or a practice, with the quiz, and the way back to the module list."""

    def _build_study_view(self) -> None:
        """A module page (or a practice): the page text, the quiz, and beside it what to read and ask."""
        with gr.Column(visible=False, elem_id="mw-learn-study") as self.study_view:
            self.back = gr.Button("← All modules", size="sm", elem_id="mw-learn-back")
            self.page = gr.Markdown("", elem_id="mw-learn-page")
            with gr.Row(equal_height=False):
                self._build_quiz()
                with gr.Column(scale=2, min_width=280, elem_id="mw-learn-about") as self.about_box:
                    gr.Markdown("**Ask about this in the chat**")
                    most = max((len(m.ask) for m in self.desk.curriculum.modules), default=0)
                    self.ask_buttons = [
                        gr.Button("", size="sm", visible=False, elem_classes=["mw-suggestion"])
                        for _ in range(most)
                    ]
                    self.about = gr.Markdown("", elem_id="mw-learn-notes")

    def _build_practice(self) -> None:
        with gr.Accordion("Practise on any document", open=False, elem_id="mw-learn-practice"):
            gr.Markdown(
                "Fill-in-the-blank questions made from the sentences of any document in the library, "
                "including ones added by your team."
            )
            self.document = gr.Dropdown(
                self.desk.documents(), value=None, label="Document", elem_id="mw-learn-document"
            )
            self.practise_button = gr.Button("Make questions", elem_id="mw-learn-practise")

    @property
    def _page_outputs(self) -> list[Any]:
        return [self.page, self.list_view, self.study_view, self.about_box, self.about, *self.ask_buttons]

    def _page(self, text: str, module: Module | None = None) -> tuple[Any, ...]:
        """The study view: a module page (with its notes, key terms and questions to ask), or a practice."""
        asks = module.ask[: len(self.ask_buttons)] if module else ()
        buttons = [gr.update(value=q, visible=True) for q in asks]
        buttons += [gr.update(value="", visible=False)] * (len(self.ask_buttons) - len(buttons))
        about = module_notes_markdown(self.desk.curriculum, module) if module else ""
        return (
            text,
            gr.update(visible=False),
            gr.update(visible=True),
            gr.update(visible=module is not None),
            about,
            *buttons,
        )

    @property
    def _study_outputs(self) -> list[Any]:
        return [*self._page_outputs, *self._quiz_outputs, *self._overview_outputs]

    def _show(self, learner: str, opened: Callable[[], tuple[Module, Quiz]]) -> tuple[Any, ...]:
        try:
            module, quiz = opened()
            return (*self._page(module_markdown(module), module), *self._quiz(quiz), *self._overview(learner))
        except Exception as exc:  # noqa: BLE001 - translated for the learner
            self._warn(exc)
            return skip(len(self._study_outputs))

    def _open(self, module_id: str | None) -> tuple[Any, ...]:
        learner = self._learner()
        return self._show(learner, lambda: self.desk.open_module(learner, module_id))

    def _study_next(self) -> tuple[Any, ...]:
        learner = self._learner()
        return self._show(learner, lambda: self.desk.study_next(learner))

    def _practise(self, doc_id: str | None) -> tuple[Any, ...]:
        learner = self._learner()
        try:
            quiz = self.desk.practise(learner, doc_id, seed=random.randrange(1 << 30))
            return (
                *self._page(self.desk.practice_markdown(quiz)),
                *self._quiz(quiz),
                *self._overview(learner),
            )
        except Exception as exc:  # noqa: BLE001 - translated for the learner
            self._warn(exc)
            return skip(len(self._study_outputs))

    def _back(self) -> tuple[Any, ...]:
        return gr.update(visible=True), gr.update(visible=False)

    def _refresh_documents(self) -> Any:
        try:
            return gr.update(choices=self.desk.documents())
        except Exception:
            log.exception("could not list the documents")
            return gr.update()

    def _wire_study(self) -> None:
        self.open_button.click(
            self._open,
            [self.modules],
            self._study_outputs,
            api_name="learn_open_module",
            scroll_to_output=True,
        )
        self.study_button.click(
            self._study_next,
            None,
            self._study_outputs,
            api_name="learn_study_next",
            scroll_to_output=True,
        )
        self.back.click(
            self._back, None, [self.list_view, self.study_view], api_visibility="private", queue=False
        )

    def _wire_practice(self) -> None:
        self.practise_button.click(
            self._practise,
            [self.document],
            self._study_outputs,
            api_name="learn_practise_document",
            scroll_to_output=True,
        )
        self.document.focus(
            self._refresh_documents, None, [self.document], api_visibility="private", queue=False
        )
