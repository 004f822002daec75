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

The view is put together from one panel per thing the tab shows, each in its own module:
:mod:`tutor.ui.learn_progress` (the module list with progress, and what every panel shares),
:mod:`tutor.ui.learn_quiz` (the quiz), :mod:`tutor.ui.learn_study` (a module page or a practice) and
:mod:`tutor.ui.learn_record` (“My record”). This module adds the intro, the glossary and the wiring.

Endpoints for scripts and tests (``gradio_client``): ``/learn_open_module``,
``/learn_study_next``, ``/learn_check_answer``, ``/learn_next_question``, ``/learn_practise_document``,
``/learn_glossary``, ``/learn_export``, ``/learn_delete_ask``, ``/learn_delete_confirm``.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from tutor.learning.curriculum import CurriculumError
from tutor.ui import guard, render
from tutor.ui.learn_desk import LearnDesk
from tutor.ui.learn_progress import skip
from tutor.ui.learn_record import RecordPanel
from tutor.ui.learn_study import StudyPanel
from tutor.users.access import Access

log = logging.getLogger(__name__)

TAB_LABEL = "Learn"
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
class LearnView(StudyPanel, RecordPanel):
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

    def _build_glossary(self) -> None:
        with gr.Accordion("Glossary", open=False, elem_id="mw-learn-glossary"):
            self.query = gr.Textbox(
                label="Search the glossary",
                max_lines=1,
                placeholder="e.g. cloud, DPIA, risk",
                elem_id="mw-learn-query",
            )
            self.terms = gr.Markdown(self.desk.glossary_markdown(""), elem_id="mw-learn-terms")

    def _welcome(self) -> tuple[Any, ...]:
        """On page load: whose progress this is, and their module list."""
        learner = self._learner()
        who = (f"Your answers are saved under **{render.md_escape(learner)}**." if learner
               else "Open kiosk: quizzes work, but nothing is saved.")
        try:
            return (who, *self._overview(learner))
        except Exception as exc:  # noqa: BLE001 - the tab still works without the overview
            return (render.error_note(self._warn(exc)), *skip(len(self._overview_outputs)))

    def _wire(self) -> None:
        self._wire_study()
        self._wire_quiz()
        self._wire_practice()
        self.query.change(
            self.desk.glossary_markdown, [self.query], [self.terms], api_name="learn_glossary", queue=False
        )
        self._wire_record()
        if self.ask_in_chat is not None:
            for button in self.ask_buttons:
                self.ask_in_chat(button, button)


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
