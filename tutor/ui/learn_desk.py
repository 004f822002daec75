"""The Learn tab's desk: what every session shares, and the page text it shows.

:class:`LearnDesk` holds the curriculum, the progress store and the index, and answers each action by
calling :mod:`tutor.learning.curriculum`, :mod:`tutor.learning.grading`, :mod:`tutor.learning.cloze` and :mod:`tutor.learning.progress`; it
keeps no per-user state, and tests call it directly. It and the ``*_markdown`` functions turn results into
page text, escaping anything that comes from documents or learners (feedback HTML via
:mod:`tutor.ui.render`). No Gradio here: :mod:`tutor.ui.learn` builds the components.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime

from tutor.audit import AuditLog
from tutor.errors import TutorError
from tutor.learning.cloze import generate_cloze
from tutor.learning.curriculum import Curriculum, load_curriculum
from tutor.learning.grading import Grade, grade
from tutor.learning.models import Citation, Module, Question
from tutor.learning.progress import MASTERY_WINDOW, ModuleProgress, ProgressStore, StudyNext
from tutor.learning.wording import normalise
from tutor.library.store import ChunkStore
from tutor.ui import render
from tutor.ui.services import Services

#: Module id under which answers on documents outside the curriculum are recorded.
LIBRARY_MODULE = "library"
CLOZE_QUESTIONS = 5
GLOSSARY_LIMIT = 20
NOT_SAVED = "Not saved: this is an open kiosk. Sign in where your school gives you an account to keep your progress."
NO_ACCOUNT = "This needs an account: on this open kiosk nothing is stored under anyone's name."


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

    def __init__(self, curriculum: Curriculum, progress: ProgressStore, store: ChunkStore,
                 audit: AuditLog | None = None) -> None:
        self.curriculum = curriculum
        self.progress = progress
        self.store = store
        self.audit = audit  # "delete my record" deletes the learner's answer records as well

    @classmethod
    def from_services(cls, services: Services) -> LearnDesk:
        """The curriculum under the corpus folder and the progress tables on the app's database."""
        curriculum = load_curriculum(services.settings.corpus_dir)
        return cls(curriculum, ProgressStore(services.engine, curriculum), services.store, services.audit)

    # learners and the module list
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
            raise TutorError("Mwalimu suggests a module from your progress, which an open kiosk does not keep: "
                             "choose a module from the list.")
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
            raise TutorError(NO_ACCOUNT)
        return self.progress.export_csv(learner) if self.has_record(learner) else None

    def delete(self, learner: str) -> str:
        if not learner:
            raise TutorError(NO_ACCOUNT)
        audited = self.audit.delete_learner(learner) if self.audit is not None else 0  # their answer records too
        if self.progress.delete_learner(learner) or audited:
            return (
                f"Deleted: nothing is stored under “{render.md_escape(learner)}” any more. "
                "Anything you do from now on starts a new record."
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
        url = note.url if note else (record.url if record else "")
        return render.cited_source_html(title, url, citation.page, citation.section)

    def feedback_html(self, result: Grade, saved: bool = True) -> str:
        """Right or wrong, the explanation and the source (see :func:`tutor.ui.render.feedback_html`),
        and a reminder when the answer was not saved."""
        return render.feedback_html(result, self.source_html(result.citation), "" if saved else NOT_SAVED)


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
        return "Choose a module below. With an account, Mwalimu keeps your progress and suggests what to study next."
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
