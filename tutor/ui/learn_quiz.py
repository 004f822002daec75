"""The quiz on the Learn tab: the question in hand (options or a text box), "Check my answer" with its
feedback, and "Next question" (then "See my score").

One quiz serves a module page and a practice alike; :mod:`tutor.ui.learn_study` places it in the study
view. The quiz in progress is the learner's own ``gr.State`` (``quiz``), which
:class:`tutor.ui.learn.LearnView` creates.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from tutor.ui.learn_desk import Quiz, question_markdown
from tutor.ui.learn_progress import ProgressPanel, skip

LETTERS = "ABCD"


class QuizPanel(ProgressPanel):
    """The quiz's components, what they show for the question in hand, and checking an answer."""

    quiz: gr.State

    def _build_quiz(self) -> None:
        """The quiz column of the study view: the question, the answer, the buttons and the feedback."""
        with gr.Column(scale=3, min_width=300, elem_id="mw-learn-quiz"):
            with gr.Group():
                self.prompt = gr.Markdown("", elem_id="mw-learn-question", padding=True)
                self.choice = gr.Radio(
                    [(letter, letter) for letter in LETTERS],
                    label="Your answer",
                    visible=False,
                    elem_id="mw-learn-choice",
                )
                self.typed = gr.Textbox(
                    label="Your answer",
                    max_lines=1,
                    visible=False,
                    elem_id="mw-learn-typed",
                    placeholder="Type a few words, then press Enter",
                )
            with gr.Row():
                self.check_button = gr.Button(
                    "Check my answer", variant="primary", elem_id="mw-learn-check"
                )
                self.next_button = gr.Button("Next question", visible=False, elem_id="mw-learn-nextq")
            self.feedback = gr.HTML("", js_on_load=None, elem_id="mw-learn-feedback")

    @property
    def _quiz_outputs(self) -> list[Any]:
        return [
            self.quiz,
            self.prompt,
            self.choice,
            self.typed,
            self.check_button,
            self.next_button,
            self.feedback,
        ]

    def _quiz(self, quiz: Quiz, feedback: str = "") -> tuple[Any, ...]:
        """The quiz panel for the question in hand: options or a text box, and which buttons apply."""
        question = quiz.question
        mcq = question is not None and question.type == "mcq"
        choice = (
            gr.update(
                choices=[(o, LETTERS[i]) for i, o in enumerate(question.options)],
                value=None,
                visible=True,
                interactive=True,
            )
            if mcq and question
            else gr.update(visible=False, value=None)
        )
        typed = gr.update(visible=question is not None and not mcq, value="", interactive=True)
        return (
            quiz,
            question_markdown(quiz),
            choice,
            typed,
            gr.update(visible=question is not None),
            gr.update(visible=question is None, value="Start again"),
            feedback,
        )

    @property
    def _check_outputs(self) -> list[Any]:
        return [
            self.feedback,
            self.quiz,
            self.choice,
            self.typed,
            self.check_button,
            self.next_button,
            *self._overview_outputs,
        ]

    def _check(self, letter: str | None, typed: str | None, quiz: Quiz | None) -> tuple[Any, ...]:
        learner = self._learner()
        question = quiz.question if quiz else None
        response = letter if question is not None and question.type == "mcq" else typed
        try:
            checked = self.desk.check(learner, quiz, response)
        except Exception as exc:  # noqa: BLE001 - translated for the learner
            self._warn(exc)
            return skip(len(self._check_outputs))
        last = checked.quiz.index == len(checked.quiz.questions) - 1
        return (
            checked.feedback,
            checked.quiz,
            gr.update(interactive=False),
            gr.update(interactive=False),
            gr.update(visible=False),
            gr.update(visible=True, value="See my score" if last else "Next question"),
            *self._overview(learner),
        )

    def _next(self, quiz: Quiz | None) -> tuple[Any, ...]:
        try:
            return self._quiz(self.desk.next_question(quiz))
        except Exception as exc:  # noqa: BLE001 - translated for the learner
            self._warn(exc)
            return skip(len(self._quiz_outputs))

    def _wire_quiz(self) -> None:
        check_inputs = [self.choice, self.typed, self.quiz]
        check_outputs = self._check_outputs
        self.check_button.click(self._check, check_inputs, check_outputs, api_name="learn_check_answer")
        self.typed.submit(self._check, check_inputs, check_outputs, api_visibility="private")
        self.next_button.click(self._next, [self.quiz], self._quiz_outputs, api_name="learn_next_question")
