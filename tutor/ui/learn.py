"""The Learn tab: modules with progress, a module page with a quiz, practice on any document, a glossary,
and the learner's own record (export as CSV, delete).

Two layers, as in the Chat tab:

* :class:`LearnDesk` holds what every session shares (the curriculum, the progress store, the index) and
  answers each action by calling :mod:`tutor.curriculum` and :mod:`tutor.progress`; it keeps no per-user
  state, and tests call it directly. It and the ``*_markdown`` functions turn results into page text,
  escaping anything that comes from documents or learners.
* :class:`LearnView` builds the components and translates: errors become ``gr.Warning`` and a note.
  Per-user state lives in ``gr.State`` only: the learner's name and the :class:`Quiz` in progress.

Endpoints for scripts and tests (``gradio_client``): ``/learn_sign_in``, ``/learn_open_module``,
``/learn_study_next``, ``/learn_check_answer``, ``/learn_next_question``, ``/learn_practise_document``,
``/learn_glossary``, ``/learn_export``, ``/learn_delete_ask``, ``/learn_delete_confirm``.
"""

from __future__ import annotations

import dataclasses
import html
import logging
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import gradio as gr

from tutor.curriculum import (
    Citation,
    Curriculum,
    CurriculumError,
    Grade,
    Module,
    Question,
    generate_cloze,
    grade,
    load_curriculum,
    normalise,
)
from tutor.errors import TutorError
from tutor.progress import MASTERY_WINDOW, ModuleProgress, ProgressStore, StudyNext, learner_key
from tutor.store import ChunkStore
from tutor.ui import render
from tutor.ui.services import Services

log = logging.getLogger(__name__)

TAB_LABEL = "Learn"
#: Module id under which answers on documents outside the curriculum are recorded.
LIBRARY_MODULE = "library"
CLOZE_QUESTIONS = 5
GLOSSARY_LIMIT = 20
#: Seconds a downloaded record stays in the export folder before the next download removes it.
EXPORT_KEEP_S = 15 * 60
LETTERS = "ABCD"
NOT_SAVED = "Not saved: type your name or staff number at the top of this tab to keep your progress."
SORRY = "Sorry, that did not work; the details are in the server log."
INTRO = (
    "**Learn by answering.** Short quizzes with feedback help you remember more than re-reading. "
    "Type your name or staff number to keep your progress; nothing else about you is stored."
)
#: A few rules the page-wide theme lacks: option lists one per line (easier to read and to tap).
CSS = """
#mw-learn-style { display: none !important; }
#mw-learner-go { align-self: end; min-height: 2.6rem; }
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


# --- per-session state ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Quiz:
    """The quiz in progress in one browser session: curated questions of a module, or cloze questions
    generated from a document. Answers are recorded under ``module_id``."""

    title: str
    module_id: str
    questions: tuple[Question, ...]
    index: int = 0
    answered: bool = False
    right: int = 0
    done: int = 0

    @property
    def question(self) -> Question | None:
        return self.questions[self.index] if self.index < len(self.questions) else None

    @property
    def finished(self) -> bool:
        return self.index >= len(self.questions)


@dataclass(frozen=True)
class Checked:
    """The outcome of one answer: the quiz moved on, the feedback to show, and whether it was stored."""

    quiz: Quiz
    grade: Grade
    feedback: str
    saved: bool


@dataclass(frozen=True)
class Overview:
    """What the module list shows for one learner (or for nobody yet)."""

    learner: str
    rows: tuple[ModuleProgress, ...]
    study_next: StudyNext | None
    others: tuple[ModuleProgress, ...] = ()  # practice outside the curriculum (e.g. "library")


# --- the shared desk: calls curriculum and progress, holds no per-user state -----------------------------
class LearnDesk:
    """Everything the Learn tab does, for any learner; safe to share between sessions."""

    def __init__(self, curriculum: Curriculum, progress: ProgressStore, store: ChunkStore) -> None:
        self.curriculum = curriculum
        self.progress = progress
        self.store = store

    @classmethod
    def from_services(cls, services: Services) -> LearnDesk:
        """The curriculum under the corpus folder and the progress tables on the app's database."""
        curriculum = load_curriculum(services.settings.corpus_dir)
        return cls(curriculum, ProgressStore(services.engine, curriculum), services.store)

    # learners and the module list
    @staticmethod
    def sign_in(name: str) -> str:
        """The name as typed, tidied; raises :class:`LearnerNameError` (a message for the learner)."""
        learner_key(name)
        return " ".join((name or "").split())

    def overview(self, learner: str) -> Overview:
        if not learner:
            empty = tuple(ModuleProgress(m.id, m.title, 0, 0, 0, 0, None) for m in self.curriculum.modules)
            return Overview("", empty, None)
        rows = self.progress.module_progress(learner)
        ids = set(self.curriculum.module_ids)
        return Overview(
            learner,
            tuple(r for r in rows if r.module_id in ids),
            self.progress.study_next(learner),
            tuple(r for r in rows if r.module_id not in ids and r.attempts),
        )

    # the module page and its quiz
    def open_module(self, learner: str, module_id: str | None) -> tuple[Module, Quiz]:
        if not module_id:
            raise TutorError("Choose a module first.")
        module = self.curriculum.module(module_id)
        if learner:
            self.progress.record_visit(learner, module.id)
        return module, Quiz(module.title, module.id, module.questions)

    def study_next(self, learner: str) -> tuple[Module, Quiz]:
        if not learner:
            raise TutorError("Type your name or staff number first; then Mwalimu can suggest a module.")
        suggestion = self.progress.study_next(learner)
        if suggestion is None:
            raise TutorError("There are no modules to suggest.")
        return self.open_module(learner, suggestion.module_id)

    def check(self, learner: str, quiz: Quiz | None, response: str | None) -> Checked:
        """Grade the current question, record it (when a learner is known) and move the quiz on."""
        question = quiz.question if quiz else None
        if quiz is None or question is None:
            raise TutorError("Open a module (or practise a document) to get a question first.")
        if quiz.answered:
            raise TutorError("You have answered this question: press “Next question”.")
        if not (response or "").strip():
            raise TutorError(
                "Choose an answer first." if question.type == "mcq" else "Type your answer first."
            )
        result = grade(question, response or "")
        saved = False
        if learner:
            self.progress.record_answer(learner, quiz.module_id, question.id, result.correct)
            saved = True
        moved = dataclasses.replace(
            quiz, answered=True, right=quiz.right + result.correct, done=quiz.done + 1
        )
        return Checked(moved, result, self.feedback_html(result, saved), saved)

    @staticmethod
    def next_question(quiz: Quiz | None) -> Quiz:
        if quiz is None:
            raise TutorError("Open a module (or practise a document) to get a question first.")
        if quiz.finished:  # start again
            return dataclasses.replace(quiz, index=0, answered=False, right=0, done=0)
        return dataclasses.replace(quiz, index=quiz.index + 1, answered=False)

    # practice on any ingested document
    def documents(self) -> list[tuple[str, str]]:
        """(title, doc_id) of every document in the index, by title."""
        records = sorted(self.store.records().values(), key=lambda r: (r.title.casefold(), r.doc_id))
        return [(r.title or r.doc_id, r.doc_id) for r in records]

    def practise(
        self, learner: str, doc_id: str | None, seed: int | str = 0, n: int = CLOZE_QUESTIONS
    ) -> Quiz:
        """Fill-in-the-blank questions from one document's passages, recorded under the module that
        uses the note (or :data:`LIBRARY_MODULE` for documents outside the curriculum)."""
        if not doc_id:
            raise TutorError("Choose a document first.")
        record = self.store.record(doc_id)
        if record is None:
            raise TutorError("That document is no longer in the library; choose another.")
        questions = generate_cloze(
            self.store, doc_id=doc_id, n=n, seed=seed, vocabulary=self.curriculum.vocabulary()
        )
        if not questions:
            raise TutorError(
                "This document has too few sentences with key terms, numbers or dates to make "
                "questions from; choose another."
            )
        modules = self.curriculum.modules_for_note(doc_id)
        module_id = modules[0].id if modules else LIBRARY_MODULE
        if learner:
            self.progress.record_visit(learner, module_id)
        return Quiz(f"Practice: {record.title or doc_id}", module_id, tuple(questions))

    def practice_markdown(self, quiz: Quiz) -> str:
        if quiz.module_id in self.curriculum.module_ids:
            module = self.curriculum.module(quiz.module_id)
            where = f"They count towards the module **{render.md_escape(module.title)}**."
        else:
            where = "They count as library practice, outside the modules."
        return (
            f"## {render.md_escape(quiz.title)}\n\nFill-in-the-blank questions made from sentences of this "
            f"document. After each answer you see the sentence and where it comes from. {where}"
        )

    # glossary, export, delete
    def glossary_markdown(self, query: str | None) -> str:
        query = (query or "").strip()
        total = len(self.curriculum.glossary)
        if not normalise(query):
            return (
                "Type a word or an abbreviation, for example *cloud*, *DPIA* or *risk*. "
                f"The glossary has {total} terms."
            )
        found = self.curriculum.search_glossary(query, limit=GLOSSARY_LIMIT + 1)
        if not found:
            return f"No glossary term matches “{render.md_escape(query)}”. Try a shorter word."
        lines = []
        for entry in found[:GLOSSARY_LIMIT]:
            also = f" (also: {render.md_escape(', '.join(entry.aliases))})" if entry.aliases else ""
            source = render.md_escape(self.curriculum.note_title(entry.source))
            lines.append(
                f"- **{render.md_escape(entry.term)}**{also}: {render.md_escape(entry.definition)} "
                f"*Source: {source}*"
            )
        more = (
            f"\n\nShowing the first {GLOSSARY_LIMIT} matches; type more to narrow them down."
            if len(found) > GLOSSARY_LIMIT
            else ""
        )
        return "\n".join(lines) + more

    def has_record(self, learner: str) -> bool:
        return bool(learner) and self.progress.find_learner(learner) is not None

    def record_csv(self, learner: str) -> str | None:
        """The learner's whole record as CSV text; ``None`` when nothing is stored under the name."""
        if not learner:
            raise TutorError("Type your name or staff number first.")
        return self.progress.export_csv(learner) if self.has_record(learner) else None

    def delete(self, learner: str) -> str:
        if not learner:
            raise TutorError("Type your name or staff number first.")
        if self.progress.delete_learner(learner):
            return (
                f"Deleted: nothing is stored under “{render.md_escape(learner)}” any more. "
                "If you use the name again, you start afresh."
            )
        return f"Nothing was stored under “{render.md_escape(learner)}”."

    # feedback
    def source_html(self, citation: Citation) -> str:
        """``Source: Note title § Section`` (or ``, p. N``), escaped, the title linked to the original."""
        note = self.curriculum.notes.get(citation.doc_id)
        record = None if note else self.store.record(citation.doc_id)
        title = (
            citation.title or (note.title if note else (record.title if record else "")) or citation.doc_id
        )
        url = render.safe_url(note.url if note else (record.url if record else ""))
        name = html.escape(title)
        if url:
            name = f'<a href="{html.escape(url)}" target="_blank" rel="noopener noreferrer">{name}</a>'
        where = (
            f", p. {citation.page}"
            if citation.page
            else (f" § {html.escape(citation.section)}" if citation.section else "")
        )
        return f"Source: {name}{where}"

    def feedback_html(self, result: Grade, saved: bool = True) -> str:
        """Right or wrong, the explanation and the source, like :meth:`Grade.feedback_markdown` but as
        escaped HTML (a generated question quotes a document, which may hold Markdown or HTML), with a
        link to the original and a box whose colour repeats what the words say."""
        if result.correct:
            verdict = '<p class="mw-verdict">Right.</p>'
        else:
            verdict = (
                f'<p class="mw-verdict">Not quite.</p><p>The answer is: '
                f"<strong>{html.escape(result.expected)}</strong>.</p>"
            )
        parts = [
            verdict,
            f"<p>{html.escape(result.explanation)}</p>",
            f'<p class="mw-feedback-source">{self.source_html(result.citation)}</p>',
        ]
        if not saved:
            parts.append(f"<p><em>{html.escape(NOT_SAVED)}</em></p>")
        kind = "mw-right" if result.correct else "mw-wrong"
        return f'<div class="mw-feedback {kind}" role="status">{"".join(parts)}</div>'


# --- page text -------------------------------------------------------------------------------------------
def _when(moment: datetime | None, today: date | None = None) -> str:
    if moment is None:
        return ""
    today = today or datetime.now(UTC).date()
    day = moment.astimezone(UTC).date()
    days = (today - day).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 7:
        return f"{days} days ago"
    return f"{day.day} {day:%b %Y}"


def progress_label(row: ModuleProgress, today: date | None = None) -> str:
    """One line of the module list: the title, then mastery, attempts and last visit in plain words."""
    if row.mastery is not None:
        answers = f"{row.attempts} answer{'s' * (row.attempts != 1)}"
        return (
            f"{row.title} — {row.status}: {row.mastery:.0%} right, {answers}, "
            f"last visit {_when(row.last_visit, today)}"
        )
    if row.last_visit is not None:
        return f"{row.title} — opened {_when(row.last_visit, today)}, no answers yet"
    return f"{row.title} — not started"


def module_choices(overview: Overview, today: date | None = None) -> list[tuple[str, str]]:
    if not overview.learner:
        return [(row.title, row.module_id) for row in overview.rows]
    return [(progress_label(row, today), row.module_id) for row in overview.rows]


def study_next_markdown(overview: Overview) -> str:
    """The lines under the "Study next" button: why that module, and how mastery is counted."""
    if not overview.learner:
        return "Type your name or staff number above to see your progress and what to study next."
    lines = []
    if overview.study_next is not None:
        lines.append(f"Why this one: {render.md_escape(overview.study_next.reason)}")
    lines.append(
        f"Progress of **{render.md_escape(overview.learner)}**. Mastery is the share of your last "
        f"{MASTERY_WINDOW} answers in a module that were right."
    )
    for row in overview.others:
        name = (
            "Practice on other documents" if row.module_id == LIBRARY_MODULE else render.md_escape(row.title)
        )
        lines.append(f"{name}: {row.correct} of {row.attempts} right.")
    return "\n\n".join(lines)


def module_markdown(module: Module) -> str:
    """The top of a module page: title, summary, skill areas and what the learner will be able to do."""
    esc = render.md_escape
    unesco, oecd = esc(module.unesco_area), esc(module.oecd_skill_label)
    areas = f"UNESCO skill area: {unesco} · OECD skill group: {oecd}"
    objectives = "\n".join(f"- {esc(o)}" for o in module.objectives)
    return "\n\n".join(
        [f"## {esc(module.title)}", esc(module.summary), f"*{areas}*", "### What you will learn", objectives]
    )


def module_notes_markdown(curriculum: Curriculum, module: Module) -> str:
    """The side of a module page: the notes it draws on (linked) and its key terms, defined."""
    esc = render.md_escape
    notes = []
    for note in curriculum.notes_for(module):
        url = render.safe_url(note.url)
        title = f"[{esc(note.title)}]({url})" if url else esc(note.title)
        meta = ", ".join(esc(p) for p in (note.publisher, note.year) if p)
        notes.append(f"- {title}" + (f" ({meta})" if meta else ""))
    terms = []
    for name in module.key_terms:
        entry = curriculum.term(name)
        terms.append(f"- **{esc(name)}**" + (f": {esc(entry.definition)}" if entry else ""))
    return "\n\n".join(
        ["### Notes it draws on", "\n".join(notes) or "- (none)", "### Key terms", "\n".join(terms)]
    )


def question_markdown(quiz: Quiz) -> str:
    question = quiz.question
    if question is None:
        return (
            f"**You have finished: {quiz.right} of {quiz.done} right.** Press “Start again” to go "
            "through the questions once more, or choose another module."
        )
    kind = "Choose one answer." if question.type == "mcq" else "Type a short answer."
    return (
        f"**Question {quiz.index + 1} of {len(quiz.questions)}** · {kind}\n\n"
        f"{render.md_escape(question.prompt)}"
    )


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
    ) -> None:
        self.desk = desk
        self.ask_in_chat = ask_in_chat
        self.export_root = export_root or Path(tempfile.gettempdir()) / "mwalimu-exports"

    def build(self) -> LearnView:
        gr.HTML(f"<style>{CSS}</style>", js_on_load=None, elem_id="mw-learn-style", padding=False)
        gr.Markdown(INTRO)
        self.learner = gr.State("")
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
        with gr.Row(equal_height=False):
            self.name = gr.Textbox(
                label="Your name or staff number",
                max_lines=1,
                scale=4,
                min_width=220,
                placeholder="e.g. Jane Wanjiru or KSG-01234",
                elem_id="mw-learner",
            )
            self.sign_in = gr.Button(
                "Show my progress", variant="primary", scale=1, min_width=160, elem_id="mw-learner-go"
            )
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
                "Mwalimu keeps your name or staff number, your answers (right or wrong, and when) and the "
                "modules you opened. You can download all of it, or delete all of it."
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

    def _sign_in(self, name: str) -> tuple[Any, ...]:
        """Remember the learner for this session and show their progress (the view stays where it is, so
        a learner who starts a quiz first can type their name and carry on)."""
        try:
            learner = self.desk.sign_in(name)
            return (
                learner,
                f"Your answers are saved under **{render.md_escape(learner)}**.",
                *self._overview(learner),
            )
        except Exception as exc:  # noqa: BLE001 - LearnerNameError says what to type; others are logged
            message = self._warn(exc)
            return ("", render.error_note(message), *self._overview(""))

    def _show(self, learner: str, opened: Callable[[], tuple[Module, Quiz]]) -> tuple[Any, ...]:
        try:
            module, quiz = opened()
            return (*self._page(module_markdown(module), module), *self._quiz(quiz), *self._overview(learner))
        except Exception as exc:  # noqa: BLE001 - translated for the learner
            self._warn(exc)
            return _skip(len(self._study_outputs))

    def _open(self, module_id: str | None, learner: str) -> tuple[Any, ...]:
        return self._show(learner, lambda: self.desk.open_module(learner, module_id))

    def _study_next(self, learner: str) -> tuple[Any, ...]:
        return self._show(learner, lambda: self.desk.study_next(learner))

    def _practise(self, doc_id: str | None, learner: str) -> tuple[Any, ...]:
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

    def _check(
        self, letter: str | None, typed: str | None, learner: str, quiz: Quiz | None
    ) -> tuple[Any, ...]:
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

    def _export(self, learner: str) -> tuple[Any, ...]:
        """Write the record into a fresh folder and offer it for download."""
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

    def _delete_ask(self, learner: str) -> tuple[Any, ...]:
        if not learner:
            message = self._warn(TutorError("Type your name or staff number first."))
            return gr.update(visible=False), "", render.error_note(message)
        if not self.desk.has_record(learner):
            return gr.update(visible=False), "", f"Nothing is stored under “{render.md_escape(learner)}”."
        text = (
            f"Delete everything stored under **{render.md_escape(learner)}**: every answer and visit? "
            "This cannot be undone."
        )
        return gr.update(visible=True), text, ""

    def _delete_confirm(self, learner: str) -> tuple[Any, ...]:
        try:
            message = self.desk.delete(learner)
        except Exception as exc:  # noqa: BLE001 - translated for the learner
            message = render.error_note(self._warn(exc))
            return (
                gr.update(visible=False),
                message,
                learner,
                gr.update(),
                gr.update(),
                gr.update(visible=False),
                *_skip(len(self._overview_outputs)),
            )
        return (
            gr.update(visible=False),
            message,
            "",
            "",
            "",
            gr.update(visible=False, value=None),
            *self._overview(""),
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
        sign_in_outputs = [self.learner, self.who, *self._overview_outputs]
        self.sign_in.click(self._sign_in, [self.name], sign_in_outputs, api_name="learn_sign_in")
        self.name.submit(self._sign_in, [self.name], sign_in_outputs, api_visibility="private")
        self.open_button.click(
            self._open,
            [self.modules, self.learner],
            self._study_outputs,
            api_name="learn_open_module",
            scroll_to_output=True,
        )
        self.study_button.click(
            self._study_next,
            [self.learner],
            self._study_outputs,
            api_name="learn_study_next",
            scroll_to_output=True,
        )
        self.back.click(
            self._back, None, [self.list_view, self.study_view], api_visibility="private", queue=False
        )
        check_inputs = [self.choice, self.typed, self.learner, self.quiz]
        check_outputs = self._check_outputs
        self.check_button.click(self._check, check_inputs, check_outputs, api_name="learn_check_answer")
        self.typed.submit(self._check, check_inputs, check_outputs, api_visibility="private")
        self.next_button.click(self._next, [self.quiz], self._quiz_outputs, api_name="learn_next_question")
        self.practise_button.click(
            self._practise,
            [self.document, self.learner],
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
            self._export, [self.learner], [self.export_file, self.record_note], api_name="learn_export"
        )
        self.delete_button.click(
            self._delete_ask,
            [self.learner],
            [self.confirm_box, self.confirm_text, self.record_note],
            api_name="learn_delete_ask",
        )
        self.confirm_button.click(
            self._delete_confirm,
            [self.learner],
            [
                self.confirm_box,
                self.record_note,
                self.learner,
                self.name,
                self.who,
                self.export_file,
                *self._overview_outputs,
            ],
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
    return LearnView(desk, shell.ask_in_chat).build()
