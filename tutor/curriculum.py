"""Learning paths, curated quizzes, a glossary, answer grading, and cloze questions from any ingested passage.

The curriculum is data, not code: ``<corpus>/_curriculum/`` holds ``modules.yaml`` (modules mapped to
UNESCO's three civil-servant skill areas and the OECD digital-government skill groups), ``quizzes.yaml``
(questions per module, each with its answer, an explanation and a citation to a note's ``## `` section)
and ``glossary.yaml``. The folder starts with ``_`` so ingestion skips it. :func:`load_curriculum`
validates all three files with pydantic and checks every reference against the notes on disk.

How the Learn tab uses this module (and :mod:`tutor.progress`)
--------------------------------------------------------------
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
"mcq"``, ``question.options`` as a radio; for ``"short"`` a textbox. Then::

    result = grade(question, response)            # Grade: correct, expected, explanation, citation
    progress.record_answer(name, module.id, question.id, result.correct)
    result.feedback_markdown(curriculum.note_title(result.citation.doc_id))   # right/wrong + why + source

Fresh practice on any ingested document (the same ``Question`` type, so ``grade`` and
``feedback_markdown`` work unchanged; ``question.citation`` names the chunk, page or section)::

    generate_cloze(store, doc_id=..., n=5, seed=..., vocabulary=curriculum.vocabulary())

Record those answers under the module whose note was practised, or under any other id (for example
``"library"``) for documents outside the curriculum: such ids appear after the curriculum's modules in
``module_progress`` and never in ``study_next``.

Glossary search: ``curriculum.search_glossary(text)``. Export and delete: ``progress.export_csv(name)``
(CSV text for a download) and ``progress.delete_learner(name)``.
"""

from __future__ import annotations

import hashlib
import logging
import math
import random
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tutor.errors import TutorError
from tutor.loaders.markdown import split_by_headings, split_front_matter

log = logging.getLogger(__name__)

CURRICULUM_DIR = "_curriculum"

#: UNESCO / Broadband Commission (2022): the three competency domains for civil servants.
UNESCO_AREAS = ("digital planning and design", "data use and governance", "digital management and execution")
#: OECD Framework for Digital Talent and Skills in the Public Sector (2021): the four skill groups.
OECD_SKILL_GROUPS = {
    "user": "Digital government user skills",
    "socio-emotional": "Digital government socio-emotional skills",
    "professional": "Digital government professional (specialist) skills",
    "leadership": "Digital government leadership skills",
}

BLANK = "_____"


class CurriculumError(TutorError):
    """The curriculum files are missing or invalid; the message names the file and the item."""


# --- models ------------------------------------------------------------------------------------


class Citation(BaseModel):
    """Where an answer comes from: a note's ``## `` section, or (for generated questions) one chunk."""

    model_config = ConfigDict(frozen=True)

    doc_id: str
    section: str = ""
    page: int | None = None
    chunk_id: str = ""
    title: str = ""

    def label(self, title: str | None = None) -> str:
        """``Title § Section`` or ``Title, p. N``: the source line under feedback.

        A generated question's citation carries its chunk's title; a curated one takes ``title``.
        """
        name = self.title or title or self.doc_id
        if self.page:
            return f"{name}, p. {self.page}"
        return f"{name} § {self.section}" if self.section else name


class Question(BaseModel):
    """A quiz question: curated (``origin="bank"``) or generated from a passage (``origin="cloze"``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    type: Literal["mcq", "short"]
    prompt: str = Field(min_length=10)
    options: tuple[str, ...] = ()
    answer: str = Field(min_length=1)
    accepted: tuple[str, ...] = ()
    explanation: str = Field(min_length=20)
    citation: Citation
    #: Phrases taken from the answer that the cited section must contain when it does not quote the
    #: answer whole (see :func:`check_support`).
    evidence: tuple[str, ...] = ()
    origin: Literal["bank", "cloze"] = "bank"
    kind: str = ""  # cloze only: date, year, money, percent, number, term

    @model_validator(mode="after")
    def _shape(self) -> Question:
        if self.type == "mcq":
            if len(self.options) != 4:
                raise ValueError(f"{self.id}: a multiple-choice question needs exactly 4 options")
            if len({normalise(o) for o in self.options}) != 4:
                raise ValueError(f"{self.id}: options must be distinct")
            if self.answer not in self.options:
                raise ValueError(f"{self.id}: the answer must be one of the options, word for word")
            if self.accepted:
                raise ValueError(f"{self.id}: 'accepted' is for short-answer questions")
        elif self.options:
            raise ValueError(f"{self.id}: a short-answer question has no options")
        answer_text = normalise(" ".join((self.answer, *self.accepted)))
        for term in self.evidence:
            if not _contains(answer_text, normalise(term)):
                raise ValueError(f"{self.id}: evidence term {term!r} is not part of the answer")
        return self

    def option_letter(self, option: str) -> str:
        return "ABCD"[self.options.index(option)] if option in self.options else ""


class Module(BaseModel):
    """A learning module: what to learn, from which notes, and how to check it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    summary: str
    unesco_area: Literal[UNESCO_AREAS]  # type: ignore[valid-type]
    oecd_skill_group: Literal[tuple(OECD_SKILL_GROUPS)]  # type: ignore[valid-type]
    objectives: tuple[str, ...] = Field(min_length=2)
    notes: tuple[str, ...] = Field(min_length=1)
    key_terms: tuple[str, ...] = Field(min_length=3)
    ask: tuple[str, ...] = ()
    questions: tuple[Question, ...] = ()

    @property
    def oecd_skill_label(self) -> str:
        return OECD_SKILL_GROUPS[self.oecd_skill_group]


class GlossaryTerm(BaseModel):
    """One glossary entry: a plain one-line definition and the note it comes from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    term: str
    definition: str = Field(min_length=15)
    source: str
    aliases: tuple[str, ...] = ()

    @field_validator("definition")
    @classmethod
    def _one_line(cls, value: str) -> str:
        value = " ".join(value.split())
        if len(value) > 300:
            raise ValueError("a glossary definition is one line (at most 300 characters)")
        return value


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
    from tutor.ingestion import doc_id_for  # lazy: keeps this module light to import

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
            elif all(_contains(definition, w) or any(w in n for n in names) for w in words):
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


# --- normalising, grading, support ------------------------------------------------------------

_ARTICLES = frozenset({"a", "an", "the"})
_TOKEN = re.compile(r"\d+(?:\.\d+)?%?|[^\W\d_]+")
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212"), "-")


def normalise(text: str) -> str:
    """Lower-case words and numbers only: no punctuation, articles or thousands separators.

    ``"The Data Protection Act, 2019"`` -> ``"data protection act 2019"``; ``"1,450"`` -> ``"1450"``;
    ``"5 per cent"`` -> ``"5%"``.
    """
    value = unicodedata.normalize("NFKC", text).translate(_DASHES).casefold()
    value = re.sub(r"(?<=\d)[,\u00a0\u202f](?=\d{3}(?!\d))", "", value)
    value = re.sub(r"(\d)\s*(?:%|per\s?cent\b)", r"\1%", value)
    value = value.replace("&", " and ")
    return " ".join(t for t in _TOKEN.findall(value) if t not in _ARTICLES)


def _contains(haystack: str, needle: str) -> bool:
    """Whole-token containment of one normalised string in another."""
    return bool(needle) and f" {needle} " in f" {haystack} "


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:\.\d+)?", normalise(text)))


@dataclass(frozen=True)
class Grade:
    """The outcome of one answer, with everything the feedback needs."""

    correct: bool
    response: str
    expected: str
    explanation: str
    citation: Citation

    def feedback_markdown(self, title: str | None = None) -> str:
        verdict = "**Right.**" if self.correct else f"**Not quite.** The answer is: *{self.expected}*."
        return f"{verdict}\n\n{self.explanation}\n\nSource: {self.citation.label(title)}"


def grade(question: Question, response: str) -> Grade:
    """Mark a response: an option (its text or its letter A-D) for multiple choice, free text otherwise.

    Short answers match the answer or an accepted alternative after :func:`normalise`, or contain one
    of them with at most three extra words ("the Govern function" for "Govern").
    """
    given = normalise(response or "")
    correct = False
    if question.type == "mcq":
        chosen = next((o for o in question.options if normalise(o) == given), None)
        letter = (response or "").strip().strip(".)").lower()  # before normalise, which drops "a"
        if chosen is None and re.fullmatch(r"[a-d]", letter):
            chosen = question.options["abcd".index(letter)]
        correct = chosen == question.answer
    elif given:
        for candidate in (question.answer, *question.accepted):
            want = normalise(candidate)
            if given == want or (_contains(given, want) and len(given.split()) <= len(want.split()) + 3):
                correct = True
                break
    return Grade(
        correct=correct,
        response=response,
        expected=question.answer,
        explanation=question.explanation,
        citation=question.citation,
    )


_STOP = frozenset(
    """
    about after also and any are because been before being between both but can could does each for from
    has have into its may more most must not only other over same should such than that their them then
    there these they this those through under until upon very were what when where which while who whom
    whose will with within would your
    """.split()  # noqa: SIM905 - a word list reads better as text
)


def _content_words(normalised: str) -> list[str]:
    return [w for w in normalised.split() if len(w) >= 4 and w not in _STOP and not w[0].isdigit()]


@dataclass(frozen=True)
class Support:
    ok: bool
    reason: str


def check_support(question: Question, section_text: str, min_coverage: float = 0.6) -> Support:
    """Is the question's answer supported by the text of the section it cites?

    Supported when the section contains the whole answer (normalised, whole tokens). Otherwise the
    answer must (1) list ``evidence`` phrases, each taken from the answer and each found in the section,
    (2) have every number it states present in the section, and (3) have at least ``min_coverage`` of its
    content words (4+ letters, compared by their first 5 letters, so "governs" meets "governance")
    present in the section. Accepted alternatives may not introduce numbers the answer lacks.
    """
    text = normalise(section_text)
    answer = normalise(question.answer)
    if not text:
        return Support(False, "the cited section is empty")
    for alternative in question.accepted:
        extra = _numbers(alternative) - _numbers(question.answer)
        if extra:
            return Support(
                False, f"accepted answer {alternative!r} has numbers the answer lacks: {sorted(extra)}"
            )
    if _contains(text, answer):
        return Support(True, "the section states the answer")
    missing_numbers = sorted(_numbers(question.answer) - _numbers(section_text))
    if missing_numbers:
        return Support(
            False, f"the section never states {', '.join(missing_numbers)} (answer {question.answer!r})"
        )
    if not question.evidence:
        return Support(
            False, f"the section does not contain the answer {question.answer!r} and no evidence is listed"
        )
    absent = [t for t in question.evidence if not _contains(text, normalise(t))]
    if absent:
        return Support(False, f"the section does not contain {absent[0]!r}")
    words = _content_words(answer)
    if words:
        stems = {w[:5] for w in text.split()}
        share = sum(w[:5] in stems for w in words) / len(words)
        if share < min_coverage:
            return Support(False, f"only {share:.0%} of the answer's words appear in the section")
    return Support(True, "the section contains the answer's evidence")


def _anchor(keys: Sequence[str], prompt_words: set[str], sentences: Sequence[str]) -> int:
    """How many prompt words the best sentence holding one of ``keys`` shares (-1: none holds one)."""
    best = -1
    for sentence in sentences:
        if any(_contains(sentence, k) for k in keys if k):
            best = max(best, len(prompt_words & {w[:5] for w in sentence.split()}))
    return best


def check_options(question: Question, section_text: str) -> Support:
    """For multiple choice: is the answer at least as well anchored to the prompt as every distractor?

    Each option is located in the section's sentences (the answer also by its evidence phrases), and
    scored by the prompt words (content words by 5-letter stem, and numbers) its best sentence shares.
    A distractor that the section ties more closely to the prompt than the answer means the answer key
    probably picked the wrong item from a list the section gives ("Respond" where it says "Recover").
    """
    if question.type != "mcq":
        return Support(True, "not multiple choice")
    sentences = [normalise(s) for s in _sentences(section_text)]
    prompt = normalise(question.prompt)
    words = {w[:5] for w in _content_words(prompt)} | set(re.findall(r"\d+(?:\.\d+)?", prompt))
    answer = _anchor(
        [normalise(question.answer), *(normalise(e) for e in question.evidence)], words, sentences
    )
    for option in question.options:
        if option != question.answer and _anchor([normalise(option)], words, sentences) > answer:
            return Support(
                False, f"the section ties option {option!r} to the question more closely than the answer"
            )
    return Support(True, "the answer fits the question best")


# --- cloze questions from ingested passages -----------------------------------------------------


class ChunkSource(Protocol):
    """What cloze generation needs from :class:`tutor.store.ChunkStore`."""

    def iter_chunks(self, page: int = ...) -> Iterator[tuple[str, str, dict[str, Any]]]: ...

    def get(self, ids: Sequence[str]) -> list[Any]: ...

    def record(self, doc_id: str) -> Any: ...


Chunk = tuple[str, str, dict[str, Any]]  # (chunk id, text, metadata) as ChunkStore.iter_chunks yields them

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_EDGE_L = r"(?<![\w/.\-*#])"
_EDGE_R = r"(?![\w/\-#]|\.\d)"
#: Numbers right after a capitalised word are usually part of a name ("CSF 2.0", "Article 4", "Phase 1").
_NAMED = re.compile(r"(?:\b[A-Z][\w.]*\.?|\bNo\.)\s*$")
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "date",
        re.compile(rf"{_EDGE_L}(?:\d{{1,2}}(?:[–-]\d{{1,2}})?\s+)?{_MONTH}\.?\s+(?:19|20)\d{{2}}{_EDGE_R}"),
    ),
    ("money", re.compile(r"(?:KSh|Sh|US\$|\$|€)\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:million|billion|bn|m)\b)?")),
    ("percent", re.compile(rf"{_EDGE_L}\d+(?:\.\d+)?%")),
    ("year", re.compile(rf"{_EDGE_L}(?:19|20)\d{{2}}{_EDGE_R}")),
    ("number", re.compile(rf"{_EDGE_L}\d{{1,3}}(?:,\d{{3}})+{_EDGE_R}|{_EDGE_L}\d+(?:\.\d+)?{_EDGE_R}")),
]
_ACRONYM = re.compile(r"(?<![\w/.\-])[A-Z][A-Z0-9]{2,6}(?![\w/\-])")
_PHRASE = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:(?:of|and|for|on|the)\s+)?[A-Z][a-z]+){1,4}\b")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“(]?(?:[A-Z]|[a-z][A-Z]))")
#: When a sentence offers several blanks: figures and dates first, then glossary terms, acronyms, names.
_PRIORITY = {
    "date": 0,
    "money": 0,
    "percent": 0,
    "year": 1,
    "number": 1,
    "vocab": 2,
    "acronym": 3,
    "phrase": 4,
}


@dataclass(frozen=True)
class _Candidate:
    text: str
    kind: str  # date | money | percent | year | number | term
    shape: str  # finer class that distractors should share (see _shape)
    start: int
    end: int
    rank: int  # lower is a better blank


def _clean_line(line: str) -> str:
    line = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", line)  # [text](url) -> text
    line = re.sub(r"^\s*(?:[-*+]|\d+\.)\s+", "", line)  # list markers
    line = line.replace("**", "").replace("__", "")
    line = re.sub(r"(?<![\w*])\*(?=[^\s*])([^*]+?)(?<=\S)\*(?![\w*])", r"\1", line)  # *italics*, not *2222#
    return " ".join(line.split())


_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+\.)\s+")


def _sentences(text: str) -> list[str]:
    """Sentences of Markdown or extracted text: wrapped lines joined, list items and headings kept apart."""
    blocks: list[str] = []
    joinable = False
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith(("#", "|", ">", "```")):
            joinable = False
            continue
        if joinable and not _LIST_ITEM.match(raw):
            blocks[-1] += " " + stripped
        else:
            blocks.append(stripped)
        joinable = True
    out: list[str] = []
    for block in blocks:
        out += [s.strip() for s in _SENTENCE_END.split(_clean_line(block)) if s.strip()]
    return out


def passage_sentences(text: str) -> list[str]:
    """Sentences of a chunk fit for a blank: Markdown removed, list items kept, 6-45 words, no URLs."""
    return [s for s in _sentences(text) if 6 <= len(s.split()) <= 45 and "http" not in s]


def _shape(kind: str, text: str) -> str:
    if kind == "term":
        return (
            "acronym"
            if re.fullmatch(r"[A-Z][A-Za-z0-9]*[A-Z0-9]", text) and sum(c.isupper() for c in text) >= 2
            else "words"
        )
    if kind == "date":
        return "range" if re.search(r"\d[–-]\d", text) else ("day" if text[0].isdigit() else "month")
    if kind == "number":
        return "decimal" if "." in text else "integer"
    return kind


def _overlaps(a: tuple[int, int], spans: Iterable[tuple[int, int]]) -> bool:
    return any(a[0] < e and s < a[1] for s, e in spans)


def _vocabulary_pattern(vocabulary: Sequence[str]) -> re.Pattern[str] | None:
    terms = sorted({v.strip() for v in vocabulary if len(v.strip()) >= 3}, key=lambda t: (-len(t), t))
    if not terms:
        return None
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(t) for t in terms) + r")(?![\w-])", re.IGNORECASE)


def _candidates(sentence: str, vocabulary: re.Pattern[str] | None) -> list[_Candidate]:
    """Key terms, numbers and dates in a sentence; figures, then longer terms, win overlaps."""
    found: list[_Candidate] = []
    spans: list[tuple[int, int]] = []

    def add(kind: str, source: str, start: int, end: int) -> None:
        if not _overlaps((start, end), spans):
            spans.append((start, end))
            text = sentence[start:end]
            shape = _shape(kind, text)
            if shape == "words":  # glossary terms and capitalised names are different species
                shape = "vocab" if source == "vocab" else "phrase"
            found.append(_Candidate(text, kind, shape, start, end, _PRIORITY[source]))

    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(sentence):
            if (
                kind in {"number", "year"}
                and _NAMED.search(sentence[: m.start()])
                and not _overlaps(m.span(), spans)
            ):
                spans.append(m.span())  # part of a name: neither a blank nor a distractor
                continue
            add(kind, kind, m.start(), m.end())
    if vocabulary is not None:
        for m in vocabulary.finditer(sentence):
            add("term", "vocab", m.start(), m.end())
    for m in _ACRONYM.finditer(sentence):
        add("term", "acronym", m.start(), m.end())
    for m in _PHRASE.finditer(sentence):
        if m.start() > 0:  # a capital at the start of a sentence proves nothing
            add("term", "phrase", m.start(), m.end())
    return found


def _value(text: str) -> float | None:
    digits = re.sub(r"[^\d.]", "", text.replace(",", "")).strip(".")
    try:
        return float(digits)
    except ValueError:
        return None


def _closeness(answer: _Candidate, other: tuple[str, str]) -> tuple[int, float]:
    """Sort key for distractors: same shape first, then nearest in size, year or length."""
    text, shape = other
    mismatch = int(shape != answer.shape)
    if answer.kind in {"number", "money", "percent", "year", "date"}:
        a, b = (
            _value(answer.text[-4:] if answer.kind == "date" else answer.text),
            _value(text[-4:] if answer.kind == "date" else text),
        )
        if a is not None and b is not None:
            if answer.kind in {"year", "date"}:
                return mismatch, abs(a - b)
            return mismatch, abs(math.log10(max(a, 1e-6)) - math.log10(max(b, 1e-6)))
        return mismatch, 0.0
    return mismatch, abs(len(text.split()) - len(answer.text.split()))


def _pick_distractors(
    answer: _Candidate, sentence: str, pool: Sequence[tuple[str, str, str]], rng: random.Random, n: int
) -> list[str]:
    """``n`` values of the same kind from other chunks: not equal to, inside, or around the answer."""
    key, in_sentence = normalise(answer.text), normalise(sentence)
    value = _value(answer.text) if answer.kind in {"number", "money", "percent"} else None
    if answer.kind == "term":  # an acronym among phrases (or the reverse) would give the answer away
        pool = [p for p in pool if p[2] == answer.shape]
    seen = {key}
    options: list[tuple[str, str]] = []
    for kind, text, shape in pool:
        norm = normalise(text)
        if kind != answer.kind or norm in seen or not norm or _contains(in_sentence, norm):
            continue
        if _contains(key, norm) or _contains(norm, key) or (value is not None and _value(text) == value):
            continue
        seen.add(norm)
        options.append((text, shape))
    if len(options) < n:
        return []
    options.sort(key=lambda o: _closeness(answer, o))
    return [
        _match_case(answer.text, text) for text in rng.sample([t for t, _ in options[: max(3 * n, 6)]], n)
    ]


def _match_case(answer: str, option: str) -> str:
    """Give a common-noun distractor the answer's initial case, so capitals do not betray the answer."""
    words = option.split()
    if not words or any(c.isupper() for c in option[1:]) or not answer[:1].isalpha():
        return option
    return (option[0].upper() if answer[0].isupper() else option[0].lower()) + option[1:]


def _chunks_of(store: ChunkSource, doc_id: str | None) -> list[Chunk]:
    if doc_id is None:
        return list(store.iter_chunks())
    record = store.record(doc_id)
    if record is not None and getattr(record, "chunk_ids", None):
        return [(h.id, h.text, h.metadata) for h in store.get(list(record.chunk_ids))]
    return [c for c in store.iter_chunks() if c[2].get("doc_id") == doc_id]


def generate_cloze(
    store: ChunkSource,
    doc_id: str | None = None,
    n: int = 5,
    seed: int | str = 0,
    vocabulary: Sequence[str] = (),
    pool_limit: int = 3000,
) -> list[Question]:
    """Fill-in-the-blank questions from one ingested document's chunks (or from the whole index).

    Each question blanks a key term, number or date in one sentence of a real passage and cites that
    chunk (doc_id, page or section, chunk id). Distractors are values of the same kind from other chunks
    (of the same document first, then up to ``pool_limit`` chunks of the index). The same index, seed and
    vocabulary always give the same questions; fewer than ``n`` come back when the passages run out.
    """
    chunks = _chunks_of(store, doc_id)
    pool: list[Chunk] = []
    for i, chunk in enumerate(store.iter_chunks()):
        if i >= pool_limit:
            break
        pool.append(chunk)
    return cloze_from_chunks(chunks, n=n, seed=seed, vocabulary=vocabulary, pool=pool)


def cloze_from_chunks(
    chunks: Sequence[Chunk],
    n: int = 5,
    seed: int | str = 0,
    vocabulary: Sequence[str] = (),
    pool: Sequence[Chunk] = (),
) -> list[Question]:
    """The pure core of :func:`generate_cloze`: ``chunks`` to ask about, ``pool`` for distractors."""
    vocab = _vocabulary_pattern(vocabulary)
    chunks = sorted({c[0]: c for c in chunks}.values(), key=lambda c: c[0])
    own_docs = {str(c[2].get("doc_id", "")) for c in chunks}
    everything = sorted(
        {c[0]: c for c in [*chunks, *pool]}.values(),
        key=lambda c: (str(c[2].get("doc_id", "")) not in own_docs, c[0]),
    )
    found = {
        cid: [(c.kind, c.text, c.shape) for s in passage_sentences(text) for c in _candidates(s, vocab)]
        for cid, text, _ in everything
    }

    rng = random.Random(f"cloze:{seed}")
    order = list(chunks)
    rng.shuffle(order)
    questions: list[Question] = []
    used_sentences: set[str] = set()
    used_answers: set[str] = set()
    for _ in range(3):  # spread questions across chunks first, then come back for more
        for chunk_id, text, meta in order:
            if len(questions) >= n:
                return questions
            distractors = [item for cid, _, _ in everything if cid != chunk_id for item in found[cid]]
            sentences = [s for s in passage_sentences(text) if s not in used_sentences]
            rng.shuffle(sentences)
            for sentence in sentences:
                question = _cloze_for(sentence, chunk_id, meta, vocab, distractors, used_answers, rng)
                if question is not None:
                    used_sentences.add(sentence)
                    used_answers.add(normalise(question.answer))
                    questions.append(question)
                    break
    return questions


def _cloze_for(
    sentence: str,
    chunk_id: str,
    meta: dict[str, Any],
    vocab: re.Pattern[str] | None,
    pool: Sequence[tuple[str, str, str]],
    used_answers: set[str],
    rng: random.Random,
) -> Question | None:
    candidates = _candidates(sentence, vocab)
    rng.shuffle(candidates)
    candidates.sort(key=lambda c: c.rank)
    for cand in candidates:
        key = normalise(cand.text)
        if key in used_answers or normalise(sentence).count(key) > 1 or len(cand.text) > len(sentence) / 2:
            continue  # already asked, given away by a second mention, or too little left to recall from
        distractors = _pick_distractors(cand, sentence, pool, rng, 3)
        if not distractors:
            continue
        options = [cand.text, *distractors]
        rng.shuffle(options)
        digest = hashlib.sha1(f"{chunk_id}|{sentence}|{cand.text}".encode()).hexdigest()[:12]
        page = meta.get("page")
        citation = Citation(
            doc_id=str(meta.get("doc_id") or chunk_id.split(":")[0]),
            section=str(meta.get("section") or ""),
            page=int(page) if isinstance(page, (int, float)) and page else None,
            chunk_id=chunk_id,
            title=str(meta.get("title") or ""),
        )
        return Question(
            id=f"cloze-{digest}",
            type="mcq",
            origin="cloze",
            kind=cand.kind,
            options=tuple(options),
            prompt=f"Fill in the blank: {sentence[: cand.start]}{BLANK}{sentence[cand.end :]}",
            answer=cand.text,
            explanation=f'The passage reads: "{sentence}"',
            citation=citation,
        )
    return None
