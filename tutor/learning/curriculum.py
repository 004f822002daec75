"""Learning paths, curated quizzes and a glossary: the curriculum's models, loaded from YAML and checked.

The curriculum is data, not code: ``<corpus>/_curriculum/`` holds ``modules.yaml`` (modules mapped to
UNESCO's three civil-servant skill areas and the OECD digital-government skill groups), ``quizzes.yaml``
(questions per module, each with its answer, an explanation and a citation to a note's ``## `` section)
and ``glossary.yaml``. The folder starts with ``_`` so ingestion skips it. :func:`load_curriculum`
validates all three files with pydantic and checks every reference against the notes on disk.

The models (:class:`~tutor.learning.models.Question`...) live in :mod:`tutor.learning.models`, answer grading
and the support checks in :mod:`tutor.learning.grading`, cloze questions from any ingested passage in
:mod:`tutor.learning.cloze`; all three take the same models, and none imports this module.

How the Learn tab uses this module (with :mod:`tutor.learning.grading`, :mod:`tutor.learning.cloze` and :mod:`tutor.learning.progress`)
------------------------------------------------------------------------------------------------------------
Build once, in ``build_app(settings)`` (never at import time)::

    curriculum = load_curriculum(settings.corpus_dir)        # CurriculumError -> show "no curriculum" notice
    progress = ProgressStore.from_settings(settings, curriculum)

Module list with progress (a learner types a name or staff number; keep it in ``gr.State``)::

    progress.module_progress(name)    # one ModuleProgress per module, curriculum order: attempts, correct,
                                      # mastery (None = not started), status, last_visit
    progress.study_next(name)         # the weakest module, with a one-line reason

Every ``progress`` call validates the name: catch ``LearnerNameError`` and show its message (gr.Warning).

Module page::

    module = curriculum.module(module_id); progress.record_visit(name, module_id)
    module.title, module.summary, module.objectives, module.key_terms, module.ask (suggested chat questions)
    curriculum.notes_for(module)      # NoteInfo: doc_id, title, publisher, year, url, sections

Quiz: ``module.questions`` (curated, 6 or more). Show ``question.prompt`` and, for ``question.type ==
"mcq"``, ``question.options`` as a radio; for ``"short"`` a textbox. Then, with :mod:`tutor.learning.grading`::

    result = grade(question, response)            # Grade: correct, expected, explanation, citation
    progress.record_answer(name, module.id, question.id, result.correct)
    result.feedback_markdown(curriculum.note_title(result.citation.doc_id))   # right/wrong + why + source

Fresh practice on any ingested document, from :mod:`tutor.learning.cloze` (the same ``Question`` type, so ``grade``
and ``feedback_markdown`` work unchanged; ``question.citation`` names the chunk, page or section)::

    generate_cloze(store, doc_id=..., n=5, seed=..., vocabulary=curriculum.vocabulary())

Record those answers under the module whose note was practised, or under any other id (for example
``"library"``) for documents outside the curriculum: such ids appear after the curriculum's modules in
``module_progress`` and never in ``study_next``.

Glossary search: ``curriculum.search_glossary(text)``. Export and delete: ``progress.export_csv(name)``
(CSV text for a download) and ``progress.delete_learner(name)``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tutor.errors import TutorError
from tutor.learning.grading import check_options, check_support
from tutor.learning.models import GlossaryTerm, Module, Question
from tutor.learning.wording import contains, normalise
from tutor.library.loaders.markdown import split_by_headings, split_front_matter

log = logging.getLogger(__name__)

CURRICULUM_DIR = "_curriculum"


class CurriculumError(TutorError):
    """The curriculum files are missing or invalid; the message names the file and the item."""


@dataclass(frozen=True)
class NoteInfo:
    """What the curriculum knows about one briefing note on disk."""

    doc_id: str
    path: Path
    title: str
    publisher: str
    year: str
    urls: tuple[str, ...]
    sections: dict[str, str]  # '## ' heading -> its text (subsections included, reference lists excluded)

    @property
    def url(self) -> str:
        return self.urls[0] if self.urls else ""


# --- loading -----------------------------------------------------------------------------------


def _read_yaml(path: Path) -> Any:
    if not path.exists():
        raise CurriculumError(
            f"{path} is missing: the Learn tab needs modules.yaml, quizzes.yaml and glossary.yaml"
        )
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CurriculumError(f"{path} is not valid YAML: {str(exc).splitlines()[0]}") from exc


def _error(path: Path, exc: ValidationError, label: str) -> CurriculumError:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return CurriculumError(f"{path.name}: {label}: {where}: {first['msg']}")


def note_sections(body: str) -> dict[str, str]:
    """Map each ``## `` heading of a Markdown body to its text, including its ``###`` subsections.

    Built on the ingestion loader's own splitter, so a section here is exactly the section path prefix
    that chunks carry in their metadata. Reference lists ("Sources") have no text here, by design.
    """
    _, sections = split_by_headings(body)
    headings = [m.group(1).strip() for m in re.finditer(r"^##\s+(.+?)\s*#*\s*$", body, re.MULTILINE)]
    out = {h: "" for h in headings}
    for section in sections:
        top = section.section.split(" > ")[0]
        if top in out:
            out[top] = (out[top] + "\n\n" + section.text).strip()
        else:  # nested headings inside a '## ' section whose own name holds ' > ' cannot happen in notes
            for heading in headings:
                if section.section.startswith(heading + " > "):
                    out[heading] = (out[heading] + "\n\n" + section.text).strip()
    return out


def read_note(path: Path, doc_id: str) -> NoteInfo:
    declared, body = split_front_matter(path.read_text(encoding="utf-8"))
    url = declared.get("url") or []
    urls = tuple(str(u) for u in (url if isinstance(url, list) else [url]))
    return NoteInfo(
        doc_id=doc_id,
        path=path,
        title=str(declared.get("title") or doc_id),
        publisher=str(declared.get("publisher") or ""),
        year=str(declared.get("year") or ""),
        urls=urls,
        sections=note_sections(body),
    )


def discover_notes(corpus_dir: Path) -> dict[str, Path]:
    """Markdown notes under the corpus by the ``doc_id`` ingestion gives them (hidden folders skipped)."""
    from tutor.library.files import doc_id_for  # lazy: keeps this module light to import

    notes: dict[str, Path] = {}
    for path in sorted(corpus_dir.rglob("*.md")):
        relative = path.relative_to(corpus_dir)
        if any(part.startswith(("_", ".")) for part in relative.parts):
            continue
        notes[doc_id_for(relative.as_posix())] = path
    return notes


@dataclass
class Curriculum:
    """The validated curriculum plus the notes it points at. Built by :func:`load_curriculum`."""

    modules: list[Module]
    glossary: list[GlossaryTerm]
    notes: dict[str, NoteInfo] = field(default_factory=dict)
    root: Path | None = None

    def __post_init__(self) -> None:
        self._modules = {m.id: m for m in self.modules}
        self._questions = {q.id: (m, q) for m in self.modules for q in m.questions}

    # lookups
    def module(self, module_id: str) -> Module:
        try:
            return self._modules[module_id]
        except KeyError:
            raise CurriculumError(f"no module called {module_id!r}") from None

    @property
    def module_ids(self) -> list[str]:
        return [m.id for m in self.modules]

    def question(self, question_id: str) -> Question:
        try:
            return self._questions[question_id][1]
        except KeyError:
            raise CurriculumError(f"no question called {question_id!r}") from None

    def module_of(self, question_id: str) -> Module:
        return self._questions[question_id][0]

    def questions(self) -> Iterator[tuple[Module, Question]]:
        for module in self.modules:
            for question in module.questions:
                yield module, question

    def notes_for(self, module: Module | str) -> list[NoteInfo]:
        module = self.module(module) if isinstance(module, str) else module
        return [self.notes[d] for d in module.notes if d in self.notes]

    def note_title(self, doc_id: str) -> str:
        note = self.notes.get(doc_id)
        return note.title if note else doc_id

    def modules_for_note(self, doc_id: str) -> list[Module]:
        return [m for m in self.modules if doc_id in m.notes]

    def term(self, name: str) -> GlossaryTerm | None:
        key = normalise(name)
        for entry in self.glossary:
            if key in {normalise(entry.term), *(normalise(a) for a in entry.aliases)}:
                return entry
        return None

    def search_glossary(self, query: str, limit: int = 20) -> list[GlossaryTerm]:
        """Terms matching the query: exact term first, then term prefix, term substring, definition words."""
        key = normalise(query)
        if not key:
            return sorted(self.glossary, key=lambda g: g.term.casefold())[:limit]
        words = key.split()
        scored: list[tuple[int, str, GlossaryTerm]] = []
        for entry in self.glossary:
            names = [normalise(entry.term), *(normalise(a) for a in entry.aliases)]
            definition = normalise(entry.definition)
            if key in names:
                rank = 0
            elif any(n.startswith(key) for n in names):
                rank = 1
            elif any(key in n for n in names):
                rank = 2
            elif all(contains(definition, w) or any(w in n for n in names) for w in words):
                rank = 3
            else:
                continue
            scored.append((rank, entry.term.casefold(), entry))
        return [entry for _, _, entry in sorted(scored, key=lambda s: (s[0], s[1]))[:limit]]

    def vocabulary(self) -> list[str]:
        """Every glossary term, alias and module key term: what cloze questions prefer to blank out."""
        terms = {t for g in self.glossary for t in (g.term, *g.aliases)}
        terms |= {t for m in self.modules for t in m.key_terms}
        return sorted(terms, key=lambda t: (-len(t), t))

    # checks against the notes on disk
    def problems(self) -> list[str]:
        """Every broken reference or unsupported answer, one line each (empty when all is well)."""
        return self.reference_problems() + [
            f"{q.id}: {p}"
            for _, q in self.questions()
            if not self._reference_problem(q)
            for p in self.question_problems(q)
        ]

    def reference_problems(self) -> list[str]:
        """Notes, sections and glossary sources that the curriculum names but the corpus lacks."""
        found = [
            f"module {m.id}: note {doc_id!r} does not exist"
            for m in self.modules
            for doc_id in m.notes
            if doc_id not in self.notes
        ]
        found += [f"{q.id}: {p}" for _, q in self.questions() if (p := self._reference_problem(q))]
        found += [
            f"glossary {g.term!r}: source note {g.source!r} does not exist"
            for g in self.glossary
            if g.source not in self.notes
        ]
        return found

    def _reference_problem(self, question: Question) -> str:
        note = self.notes.get(question.citation.doc_id)
        if note is None:
            return f"cited note {question.citation.doc_id!r} does not exist"
        if question.citation.section not in note.sections:
            return f"note {note.doc_id!r} has no '## {question.citation.section}' section"
        return ""

    def question_problems(self, question: Question) -> list[str]:
        """Why a question is broken: a missing note or section, or an answer its section does not support."""
        missing = self._reference_problem(question)
        if missing:
            return [missing]
        text = self.notes[question.citation.doc_id].sections[question.citation.section]
        return [c.reason for c in (check_support(question, text), check_options(question, text)) if not c.ok]


def load_curriculum(corpus_dir: Path, *, check: bool = True) -> Curriculum:
    """Load and validate ``<corpus_dir>/_curriculum``; with ``check``, refuse broken note references.

    Unsupported answers are not refused here (the test suite gates them); they are logged.
    """
    root = Path(corpus_dir) / CURRICULUM_DIR
    modules_path, quizzes_path, glossary_path = (
        root / n for n in ("modules.yaml", "quizzes.yaml", "glossary.yaml")
    )
    raw_modules = _read_yaml(modules_path)
    raw_quizzes = _read_yaml(quizzes_path) or {}
    raw_glossary = _read_yaml(glossary_path)
    if not isinstance(raw_modules, dict) or not isinstance(raw_modules.get("modules"), list):
        raise CurriculumError(f"{modules_path.name}: expected a top-level 'modules:' list")
    if not isinstance(raw_quizzes, dict):
        raise CurriculumError(f"{quizzes_path.name}: expected a mapping of module id -> list of questions")
    if not isinstance(raw_glossary, dict) or not isinstance(raw_glossary.get("terms"), list):
        raise CurriculumError(f"{glossary_path.name}: expected a top-level 'terms:' list")

    modules: list[Module] = []
    seen_questions: set[str] = set()
    for index, item in enumerate(raw_modules["modules"]):
        if not isinstance(item, dict):
            raise CurriculumError(f"{modules_path.name}: module #{index + 1} is not a mapping")
        module_id = str(item.get("id", f"#{index + 1}"))
        questions = []
        for q_index, raw in enumerate(
            list(item.get("questions") or []) + list(raw_quizzes.get(module_id) or [])
        ):
            try:
                question = Question.model_validate(raw)
            except ValidationError as exc:
                raise _error(quizzes_path, exc, f"module {module_id}, question #{q_index + 1}") from exc
            if question.id in seen_questions:
                raise CurriculumError(f"{quizzes_path.name}: question id {question.id!r} is used twice")
            seen_questions.add(question.id)
            questions.append(question)
        try:
            modules.append(Module.model_validate({**item, "questions": questions}))
        except ValidationError as exc:
            raise _error(modules_path, exc, f"module {module_id}") from exc
    ids = [m.id for m in modules]
    if len(set(ids)) != len(ids):
        raise CurriculumError(f"{modules_path.name}: module ids must be unique")
    unknown = sorted(set(raw_quizzes) - set(ids))
    if unknown:
        raise CurriculumError(f"{quizzes_path.name}: questions for unknown module(s) {', '.join(unknown)}")

    glossary: list[GlossaryTerm] = []
    for index, item in enumerate(raw_glossary["terms"]):
        try:
            glossary.append(GlossaryTerm.model_validate(item))
        except ValidationError as exc:
            raise _error(glossary_path, exc, f"term #{index + 1}") from exc
    names = [normalise(g.term) for g in glossary]
    if len(set(names)) != len(names):
        raise CurriculumError(f"{glossary_path.name}: a term is defined twice")

    notes = {doc_id: read_note(path, doc_id) for doc_id, path in discover_notes(Path(corpus_dir)).items()}
    curriculum = Curriculum(modules=modules, glossary=glossary, notes=notes, root=root)
    if check:
        broken = curriculum.reference_problems()
        if broken:
            raise CurriculumError("curriculum refers to missing notes or sections: " + "; ".join(broken[:5]))
        for problem in curriculum.problems():
            log.warning("curriculum: %s", problem)
    return curriculum
