"""The Learn tab: modules with progress, a module page with a quiz, practice on any document, a glossary,
and the learner's own record (export as CSV, delete).

Two layers, as in the Chat tab:

* :class:`~tutor.ui.learn_desk.LearnDesk` (in :mod:`tutor.ui.learn_desk`) holds what every session shares
  (the curriculum, the progress store, the index) and answers each action by calling
  :mod:`tutor.learning.curriculum`, :mod:`tutor.learning.grading`, :mod:`tutor.learning.cloze` and :mod:`tutor.learning.progress`; it keeps no
  per-user state, and tests call it directly. It and the ``*_markdown`` functions there turn results into
  page text, escaping anything that comes from documents or learners.
* :class:`LearnView` (here) builds the components and translates: errors become ``gr.Warning`` and a note.
  The learner is the signed-in account (:func:`tutor.ui.guard.current_visitor`), never a name typed into
  the page, so nobody can open, export or delete another person's record; at an open kiosk it is nobody
  and nothing is stored. Per-user state lives in ``gr.State`` only: the quiz in progress.

Endpoints for scripts and tests (``gradio_client``): ``/learn_open_module``,
``/learn_study_next``, ``/learn_check_answer``, ``/learn_next_question``, ``/learn_practise_document``,
``/learn_glossary``, ``/learn_export``, ``/learn_delete_ask``, ``/learn_delete_confirm``.
"""

from __future__ import annotations

import html
import logging
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gradio as gr

from tutor.errors import TutorError
from tutor.learning.curriculum import CurriculumError
from tutor.learning.models import Module
from tutor.ui import guard, render
from tutor.ui.learn_desk import (
    NO_ACCOUNT,
    LearnDesk,
    Quiz,
    module_choices,
    module_markdown,
    module_notes_markdown,
    question_markdown,
    study_next_markdown,
)
from tutor.users.access import Access

log = logging.getLogger(__name__)

TAB_LABEL = "Learn"
#: Seconds a downloaded record stays in the export folder before the next download removes it.
EXPORT_KEEP_S = 15 * 60
LETTERS = "ABCD"
SORRY = "Sorry, that did not work; the details are in the server log."
INTRO = (
    "**Learn by answering.** Short quizzes with feedback help you remember more than re-reading. "
    "Signed in, your answers are kept under your account, and you can download or delete them under “My record”."
)
#: A few rules the page-wide theme lacks: option lists one per line (easier to read and to tap).
CSS = """
#mw-learn-style { display: none !important; }
#mw-learn-modules .wrap, #mw-learn-choice .wrap { flex-direction: column; align-items: stretch; gap: 6px; }
#mw-learn-modules label, #mw-learn-choice label { width: 100%; white-space: normal; line-height: 1.35;
  justify-content: flex-start; }
#mw-learn-page h2 { margin-top: 0; }
#mw-learn-who p { margin: 0; }
#mw-learn-confirm-yes { background: #b91c1c !important; color: #fff !important; }
.mw-feedback { border-left: 4px solid; border-radius: var(--radius-lg); padding: 0.6rem 0.9rem;
  margin: 0.25rem 0; line-height: 1.5; overflow-wrap: anywhere; }
.mw-feedback p { margin: 0.3rem 0; }
.mw-feedback.mw-right { border-color: #047857; background: #ecfdf5; color: #064e3b; }
.mw-feedback.mw-wrong { border-color: #b45309; background: #fffbeb; color: #451a03; }
#mw-learn-feedback .mw-feedback a { color: inherit; text-decoration: underline; padding: 0; margin: 0; }
.mw-verdict { font-weight: 700; font-size: 1.05rem; }
"""


# --- the view ----------------------------------------------------------------------------------------
def _skip(n: int) -> tuple[Any, ...]:
    return tuple(gr.update() for _ in range(n))


class LearnView:
    """Builds the Learn tab's components and wires them to :class:`LearnDesk`."""

    def __init__(
        self,
        desk: LearnDesk,
        ask_in_chat: Callable[[gr.Button, Any], None] | None = None,
        export_root: Path | None = None,
        access: Access | None = None,
        learner: Callable[[], str] | None = None,
    ) -> None:
        """``learner`` says whose request this is; by default the signed-in account of the request in
        hand (:func:`tutor.ui.guard.current_visitor`). Unit tests pass their own."""
        self.desk = desk
        self.access = access
        self._who = learner or (lambda: guard.current_visitor(self.access).name)
        self.ask_in_chat = ask_in_chat
        self.export_root = export_root or Path(tempfile.gettempdir()) / "mwalimu-exports"

    def build(self) -> LearnView:
        gr.HTML(f"<style>{CSS}</style>", js_on_load=None, elem_id="mw-learn-style", padding=False)
        gr.Markdown(INTRO)
        self.quiz = gr.State(None)
        self._build_learner()
        self._build_module_list()
        self._build_study_view()
        self._build_practice()
        self._build_glossary()
        self._build_record()
        self._wire()
        return self

    def _build_learner(self) -> None:
        self.who = gr.Markdown("", elem_id="mw-learn-who")

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

    def _build_study_view(self) -> None:
        """A module page (or a practice): the page text, the quiz, and beside it what to read and ask."""
        with gr.Column(visible=False, elem_id="mw-learn-study") as self.study_view:
            self.back = gr.Button("← All modules", size="sm", elem_id="mw-learn-back")
            self.page = gr.Markdown("", elem_id="mw-learn-page")
            with gr.Row(equal_height=False):
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

    def _build_glossary(self) -> None:
        with gr.Accordion("Glossary", open=False, elem_id="mw-learn-glossary"):
            self.query = gr.Textbox(
                label="Search the glossary",
                max_lines=1,
                placeholder="e.g. cloud, DPIA, risk",
                elem_id="mw-learn-query",
            )
            self.terms = gr.Markdown(self.desk.glossary_markdown(""), elem_id="mw-learn-terms")

    def _build_record(self) -> None:
        with gr.Accordion("My record", open=False, elem_id="mw-learn-record"):
            gr.Markdown(
                "Under your account Mwalimu keeps your answers (right or wrong, and when) and the modules "
                "you opened. You can download all of it, or delete all of it."
            )
            with gr.Row():
                self.export_button = gr.Button("Download my record (CSV)", elem_id="mw-learn-export")
                self.delete_button = gr.Button("Delete my record", variant="stop", elem_id="mw-learn-delete")
            self.export_file = gr.File(
                label="Your record", visible=False, interactive=False, elem_id="mw-learn-file"
            )
            with gr.Column(visible=False, elem_id="mw-learn-confirm") as self.confirm_box:
                self.confirm_text = gr.Markdown("")
                with gr.Row():
                    self.confirm_button = gr.Button(
                        "Yes, delete my record", variant="stop", elem_id="mw-learn-confirm-yes"
                    )
                    self.cancel_button = gr.Button("Cancel", elem_id="mw-learn-confirm-no")
            self.record_note = gr.Markdown("", elem_id="mw-learn-record-note")

    # --- output groups ----------------------------------------------------------------------------
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

    @property
    def _study_outputs(self) -> list[Any]:
        return [*self._page_outputs, *self._quiz_outputs, *self._overview_outputs]

    # --- handlers -----------------------------------------------------------------------------------
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

    def _welcome(self) -> tuple[Any, ...]:
        """On page load: whose progress this is, and their module list."""
        learner = self._learner()
        who = (f"Your answers are saved under **{render.md_escape(learner)}**." if learner
               else "Open kiosk: quizzes work, but nothing is saved.")
        try:
            return (who, *self._overview(learner))
        except Exception as exc:  # noqa: BLE001 - the tab still works without the overview
            return (render.error_note(self._warn(exc)), *_skip(len(self._overview_outputs)))

    def _show(self, learner: str, opened: Callable[[], tuple[Module, Quiz]]) -> tuple[Any, ...]:
        try:
            module, quiz = opened()
            return (*self._page(module_markdown(module), module), *self._quiz(quiz), *self._overview(learner))
        except Exception as exc:  # noqa: BLE001 - translated for the learner
            self._warn(exc)
            return _skip(len(self._study_outputs))

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
            return _skip(len(self._study_outputs))

    def _check(self, letter: str | None, typed: str | None, quiz: Quiz | None) -> tuple[Any, ...]:
        learner = self._learner()
        question = quiz.question if quiz else None
        response = letter if question is not None and question.type == "mcq" else typed
        try:
            checked = self.desk.check(learner, quiz, response)
        except Exception as exc:  # noqa: BLE001 - translated for the learner
            self._warn(exc)
            return _skip(len(self._check_outputs))
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
            return _skip(len(self._quiz_outputs))

    def _export(self) -> tuple[Any, ...]:
        """Write the record into a fresh folder and offer it for download."""
        learner = self._learner()
        try:
            text = self.desk.record_csv(learner)
            if text is None:
                note = f"Nothing is stored under “{render.md_escape(learner)}” yet."
                return gr.update(visible=False, value=None), note
            name = f"mwalimu-record-{datetime.now(UTC):%Y-%m-%d}.csv"  # no learner's name in it
            path = _export_folder(self.export_root) / name
            path.write_text(text, encoding="utf-8")
        except Exception as exc:  # noqa: BLE001 - translated for the learner
            return gr.update(visible=False, value=None), render.error_note(self._warn(exc))
        return gr.update(visible=True, value=str(path)), "Your record is ready: use the download link above."

    def _delete_ask(self) -> tuple[Any, ...]:
        learner = self._learner()
        if not learner:
            message = self._warn(TutorError(NO_ACCOUNT))
            return gr.update(visible=False), "", render.error_note(message)
        if not self.desk.has_record(learner):
            return gr.update(visible=False), "", f"Nothing is stored under “{render.md_escape(learner)}”."
        text = (
            f"Delete everything stored under **{render.md_escape(learner)}**: every answer and visit? "
            "This cannot be undone."
        )
        return gr.update(visible=True), text, ""

    def _delete_confirm(self) -> tuple[Any, ...]:
        learner = self._learner()
        try:
            message = self.desk.delete(learner)
        except Exception as exc:  # noqa: BLE001 - translated for the learner
            message = render.error_note(self._warn(exc))
            return (
                gr.update(visible=False),
                message,
                gr.update(visible=False),
                *_skip(len(self._overview_outputs)),
            )
        return (
            gr.update(visible=False),
            message,
            gr.update(visible=False, value=None),
            *self._overview(learner),
        )

    @staticmethod
    def _cancel_delete() -> tuple[Any, ...]:
        return gr.update(visible=False), "Nothing was deleted."

    def _back(self) -> tuple[Any, ...]:
        return gr.update(visible=True), gr.update(visible=False)

    def _refresh_documents(self) -> Any:
        try:
            return gr.update(choices=self.desk.documents())
        except Exception:
            log.exception("could not list the documents")
            return gr.update()

    def _wire(self) -> None:
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
        check_inputs = [self.choice, self.typed, self.quiz]
        check_outputs = self._check_outputs
        self.check_button.click(self._check, check_inputs, check_outputs, api_name="learn_check_answer")
        self.typed.submit(self._check, check_inputs, check_outputs, api_visibility="private")
        self.next_button.click(self._next, [self.quiz], self._quiz_outputs, api_name="learn_next_question")
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
        self.query.change(
            self.desk.glossary_markdown, [self.query], [self.terms], api_name="learn_glossary", queue=False
        )
        self.export_button.click(
            self._export, None, [self.export_file, self.record_note], api_name="learn_export"
        )
        self.delete_button.click(
            self._delete_ask,
            None,
            [self.confirm_box, self.confirm_text, self.record_note],
            api_name="learn_delete_ask",
        )
        self.confirm_button.click(
            self._delete_confirm,
            None,
            [self.confirm_box, self.record_note, self.export_file, *self._overview_outputs],
            api_name="learn_delete_confirm",
        )
        self.cancel_button.click(
            self._cancel_delete,
            None,
            [self.confirm_box, self.record_note],
            api_visibility="private",
            queue=False,
        )
        if self.ask_in_chat is not None:
            for button in self.ask_buttons:
                self.ask_in_chat(button, button)


def _export_folder(root: Path, keep_s: float = EXPORT_KEEP_S) -> Path:
    """A fresh folder for one download; folders of earlier downloads older than ``keep_s`` are removed, so
    learners' records do not pile up on the server."""
    root.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - keep_s
    for old in root.glob("record-*"):
        try:
            if old.is_dir() and old.stat().st_mtime < cutoff:
                shutil.rmtree(old)
        except OSError:
            log.warning("could not remove the old export %s", old)
    return Path(tempfile.mkdtemp(prefix="record-", dir=root))


def build_tab(shell: Any) -> LearnView | None:
    """Called by :func:`tutor.ui.app.build_app` inside the Learn tab."""
    try:
        desk = LearnDesk.from_services(shell.services)
    except CurriculumError as exc:
        log.error("the Learn tab has no curriculum: %s", exc)
        gr.Markdown(
            "The learning modules are not available on this server: the curriculum files could not be "
            "read. The details are in the server log."
        )
        return None
    view = LearnView(desk, shell.ask_in_chat, access=shell.services.access).build()
    demo = getattr(shell, "demo", None)
    if demo is not None:
        demo.load(view._welcome, None, [view.who, *view._overview_outputs], api_visibility="private")
    return view
