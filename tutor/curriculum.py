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

Module page::

    module = curriculum.module(module_id); progress.record_visit(name, module_id)
    module.title, module.summary, module.objectives, module.key_terms, module.ask (suggested chat questions)
    curriculum.notes_for(module)      # NoteInfo: doc_id, title, publisher, year, url, sections

Quiz: show ``question.prompt`` and, for ``question.type == "mcq"``, ``question.options`` as a radio; for
``"short"`` a textbox. Then::

    result = grade(question, response)            # Grade: correct, expected, explanation, citation
    progress.record_answer(name, module.id, question.id, result.correct)
    result.feedback_markdown(curriculum.note_title(result.citation.doc_id))   # right/wrong + why + source

Fresh practice on any ingested document (the same ``Question`` type, so ``grade`` works unchanged)::

    generate_cloze(store, doc_id=..., n=5, seed=..., vocabulary=curriculum.vocabulary())

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
        """``Title § Section`` or ``Title, p. N``: the source line shown under feedback."""
        name = title or self.title or self.doc_id
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
        raise CurriculumError(f"{path} is missing: the Learn tab needs modules.yaml, quizzes.yaml and glossary.yaml")
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
    headings = [m.group(1).strip() for m in re.finditer(r"^##\s+(.+?)\s*#*\s*$", body, re.M)]
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
    return NoteInfo(doc_id=doc_id, path=path, title=str(declared.get("title") or doc_id),
                    publisher=str(declared.get("publisher") or ""), year=str(declared.get("year") or ""),
                    urls=urls, sections=note_sections(body))


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
        found: list[str] = []
        for module in self.modules:
            for doc_id in module.notes:
                if doc_id not in self.notes:
                    found.append(f"module {module.id}: note {doc_id!r} does not exist")
            for question in module.questions:
                found += [f"{question.id}: {p}" for p in self.question_problems(question)]
        for entry in self.glossary:
            if entry.source not in self.notes:
                found.append(f"glossary {entry.term!r}: source note {entry.source!r} does not exist")
        return found

    def question_problems(self, question: Question) -> list[str]:
        note = self.notes.get(question.citation.doc_id)
        if note is None:
            return [f"cited note {question.citation.doc_id!r} does not exist"]
        if question.citation.section not in note.sections:
            return [f"note {note.doc_id!r} has no '## {question.citation.section}' section"]
        support = check_support(question, note.sections[question.citation.section])
        return [] if support.ok else [support.reason]


def load_curriculum(corpus_dir: Path, *, check: bool = True) -> Curriculum:
    """Load and validate ``<corpus_dir>/_curriculum``; with ``check``, refuse broken note references.

    Unsupported answers are not refused here (the test suite gates them); they are logged.
    """
    root = Path(corpus_dir) / CURRICULUM_DIR
    modules_path, quizzes_path, glossary_path = (root / n for n in ("modules.yaml", "quizzes.yaml", "glossary.yaml"))
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
        for q_index, raw in enumerate(list(item.get("questions") or []) + list(raw_quizzes.get(module_id) or [])):
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
        broken = [p for p in curriculum.problems() if "does not exist" in p or "has no '## " in p]
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
        if chosen is None and re.fullmatch(r"[a-d]", given):
            chosen = question.options["abcd".index(given)]
        correct = chosen == question.answer
    elif given:
        for candidate in (question.answer, *question.accepted):
            want = normalise(candidate)
            if given == want or (_contains(given, want) and len(given.split()) <= len(want.split()) + 3):
                correct = True
                break
    return Grade(correct=correct, response=response, expected=question.answer,
                 explanation=question.explanation, citation=question.citation)


_STOP = frozenset(
    "about after also and any are because been before being between both but can could does each for from "
    "has have into its may more most must not only other over same should such than that their them then "
    "there these they this those through under until upon very were what when where which while who whom "
    "whose will with within would your".split()
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
            return Support(False, f"accepted answer {alternative!r} has numbers the answer lacks: {sorted(extra)}")
    if _contains(text, answer):
        return Support(True, "the section states the answer")
    missing_numbers = sorted(_numbers(question.answer) - _numbers(section_text))
    if missing_numbers:
        return Support(False, f"the section never states {', '.join(missing_numbers)} (answer {question.answer!r})")
    if not question.evidence:
        return Support(False, f"the section does not contain the answer {question.answer!r} and no evidence is listed")
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


# --- cloze questions from ingested passages -----------------------------------------------------


class ChunkSource(Protocol):
    """What cloze generation needs from :class:`tutor.store.ChunkStore`."""

    def iter_chunks(self, page: int = ...) -> Iterator[tuple[str, str, dict[str, Any]]]: ...

    def get(self, ids: Sequence[str]) -> list[Any]: ...

    def record(self, doc_id: str) -> Any: ...


_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
_EDGE_L = r"(?<![\w/.\-])"
_EDGE_R = r"(?![\w/\-]|\.\d)"
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("date", re.compile(rf"{_EDGE_L}(?:\d{{1,2}}(?:[–-]\d{{1,2}})?\s+)?{_MONTH}\.?\s+(?:19|20)\d{{2}}{_EDGE_R}")),
    ("money", re.compile(rf"(?:KSh|Sh|US\$|\$|€)\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:million|billion|bn|m)\b)?")),
    ("percent", re.compile(rf"{_EDGE_L}\d+(?:\.\d+)?%")),
    ("year", re.compile(rf"{_EDGE_L}(?:19|20)\d{{2}}{_EDGE_R}")),
    ("number", re.compile(rf"{_EDGE_L}\d{{1,3}}(?:,\d{{3}})+{_EDGE_R}|{_EDGE_L}\d+(?:\.\d+)?{_EDGE_R}")),
]
_ACRONYM = re.compile(r"\b[A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*\b")
_PHRASE = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:(?:of|and|for|on|the)\s+)?[A-Z][a-z]+){1,4}\b")
_TRIVIAL = frozenset({"AI", "II", "III", "IV", "VI", "OK", "TV", "ID"})
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“(]?[A-Z])")


@dataclass(frozen=True)
class _Candidate:
    text: str
    kind: str  # date | money | percent | year | number | term
    shape: str  # for terms: acronym | phrase; for numbers: digit count
    start: int
    end: int


def _clean_line(line: str) -> str:
    line = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", line)  # [text](url) -> text
    line = re.sub(r"^\s*(?:[-*+]|\d+\.)\s+", "", line)  # list markers
    line = line.replace("**", "").replace("__", "")
    line = re.sub(r"(?<!\w)\*(?=\S)|(?<=\S)\*(?!\w)", "", line)  # *italics*
    return " ".join(line.split())


def passage_sentences(text: str) -> list[str]:
    """Plain sentences of a chunk: Markdown markers removed, list items kept as sentences."""
    out: list[str] = []
    for raw in text.splitlines():
        if raw.lstrip().startswith(("#", "|", ">", "```")) or "http" in raw:
            continue
        line = _clean_line(raw)
        out += [s.strip() for s in _SENTENCE_END.split(line) if s.strip()]
    return [s for s in out if 6 <= len(s.split()) <= 45]


def _shape(kind: str, text: str) -> str:
    if kind == "term":
        return "acronym" if text.upper() == text else "phrase"
    if kind == "number":
        return str(len(re.sub(r"\D", "", text.split(".")[0])))
    return kind


def _overlaps(a: tuple[int, int], spans: Iterable[tuple[int, int]]) -> bool:
    return any(a[0] < e and s < a[1] for s, e in spans)


def _candidates(sentence: str, vocabulary: Sequence[str]) -> list[_Candidate]:
    """Key terms, numbers and dates in a sentence; longer and more specific matches win overlaps."""
    found: list[_Candidate] = []
    spans: list[tuple[int, int]] = []

    def add(kind: str, start: int, end: int) -> None:
        text = sentence[start:end].strip()
        if text and not _overlaps((start, end), spans):
            spans.append((start, end))
            found.append(_Candidate(text, kind, _shape(kind, text), start, end))

    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(sentence):
            add(kind, m.start(), m.end())
    lowered = sentence.casefold()
    for term in vocabulary:  # longest first
        for m in re.finditer(rf"(?<!\w){re.escape(term.casefold())}(?!\w)", lowered):
            add("term", m.start(), m.end())
    for m in _ACRONYM.finditer(sentence):
        if m.group(0) not in _TRIVIAL and m.group(0).upper() == m.group(0):
            add("term", m.start(), m.end())
    for m in _PHRASE.finditer(sentence):
        if m.start() > 0:  # a capital at the start of a sentence proves nothing
            add("term", m.start(), m.end())
    return found


def _magnitude(text: str) -> float:
    digits = re.sub(r"[^\d.]", "", text.replace(",", ""))
    try:
        return math.log10(max(float(digits.strip(".") or 0), 1e-9))
    except ValueError:
        return 0.0


def _pick_distractors(answer: _Candidate, sentence: str, pool: dict[str, list[tuple[str, str]]],
                      rng: random.Random, n: int) -> list[str]:
    """``n`` values of the same kind (and shape) from other chunks, none equal to or inside the answer."""
    key = normalise(answer.text)
    in_sentence = normalise(sentence)
    seen = {key}
    options: list[str] = []
    for text, shape in pool.get(answer.kind, []):
        norm = normalise(text)
        if norm in seen or not norm or _contains(in_sentence, norm) or _contains(key, norm) or _contains(norm, key):
            continue
        if answer.kind == "term" and shape != answer.shape:
            continue
        seen.add(norm)
        options.append(text)
    if answer.kind in {"number", "money", "percent"}:  # plausible magnitudes first
        target = _magnitude(answer.text)
        options.sort(key=lambda t: abs(_magnitude(t) - target))
        options = options[: max(n * 3, 6)]
    elif answer.kind == "year":
        target = int(answer.text)
        options.sort(key=lambda t: abs(int(t) - target))
        options = options[: max(n * 3, 6)]
    if len(options) < n:
        return []
    return rng.sample(options, n)


def _chunks_of(store: ChunkSource, doc_id: str | None) -> list[tuple[str, str, dict[str, Any]]]:
    if doc_id is None:
        return list(store.iter_chunks())
    record = store.record(doc_id)
    if record is not None and getattr(record, "chunk_ids", None):
        return [(h.id, h.text, h.metadata) for h in store.get(list(record.chunk_ids))]
    return [c for c in store.iter_chunks() if c[2].get("doc_id") == doc_id]


def generate_cloze(store: ChunkSource, doc_id: str | None = None, n: int = 5, seed: int | str = 0,
                   vocabulary: Sequence[str] = (), pool_limit: int = 3000) -> list[Question]:
    """Fill-in-the-blank questions from one ingested document's chunks (or from the whole index).

    Distractors come from other chunks of the index (the same document first). Same store, seed and
    vocabulary give the same questions.
    """
    chunks = _chunks_of(store, doc_id)
    pool_chunks: list[tuple[str, str, dict[str, Any]]] = []
    for i, chunk in enumerate(store.iter_chunks()):
        if i >= pool_limit:
            break
        pool_chunks.append(chunk)
    return cloze_from_chunks(chunks, n=n, seed=seed, vocabulary=vocabulary, pool=pool_chunks)


def cloze_from_chunks(chunks: Sequence[tuple[str, str, dict[str, Any]]], n: int = 5, seed: int | str = 0,
                      vocabulary: Sequence[str] = (),
                      pool: Sequence[tuple[str, str, dict[str, Any]]] | None = None) -> list[Question]:
    """The pure core of :func:`generate_cloze`: chunks are ``(id, text, metadata)`` triples."""
    vocab = sorted({v for v in vocabulary if len(v) >= 2}, key=lambda t: (-len(t), t))
    chunks = sorted(chunks, key=lambda c: c[0])
    pool_items = sorted({c[0]: c for c in [*chunks, *(pool or [])]}.values(), key=lambda c: c[0])
    own_docs = {str(c[2].get("doc_id", "")) for c in chunks}
    per_chunk: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for chunk_id, text, meta in pool_items:
        bucket: dict[str, list[tuple[str, str]]] = {}
        for sentence in passage_sentences(text):
            for cand in _candidates(sentence, vocab):
                bucket.setdefault(cand.kind, []).append((cand.text, cand.shape))
        per_chunk[chunk_id] = bucket

    def pool_without(chunk_id: str) -> dict[str, list[tuple[str, str]]]:
        merged: dict[str, list[tuple[str, str]]] = {}
        ordered = sorted(pool_items, key=lambda c: (str(c[2].get("doc_id", "")) not in own_docs, c[0]))
        for other_id, _, _ in ordered:
            if other_id != chunk_id:
                for kind, values in per_chunk[other_id].items():
                    merged.setdefault(kind, []).extend(values)
        return merged

    rng = random.Random(f"cloze:{seed}")
    order = list(chunks)
    rng.shuffle(order)
    questions: list[Question] = []
    used_sentences: set[str] = set()
    for round_ in range(3):  # up to three questions per chunk, spread across chunks first
        for chunk_id, text, meta in order:
            if len(questions) >= n:
                return questions
            sentences = [s for s in passage_sentences(text) if s not in used_sentences]
            rng.shuffle(sentences)
            distractor_pool = pool_without(chunk_id)
            for sentence in sentences:
                question = _cloze_for(sentence, chunk_id, meta, vocab, distractor_pool, rng)
                if question is not None:
                    used_sentences.add(sentence)
                    questions.append(question)
                    break
    return questions


_PRIORITY = {"date": 0, "money": 0, "percent": 0, "year": 1, "number": 1, "term": 2}


def _cloze_for(sentence: str, chunk_id: str, meta: dict[str, Any], vocab: Sequence[str],
               pool: dict[str, list[tuple[str, str]]], rng: random.Random) -> Question | None:
    candidates = _candidates(sentence, vocab)
    rng.shuffle(candidates)
    candidates.sort(key=lambda c: _PRIORITY[c.kind])
    for cand in candidates:
        if normalise(sentence).count(normalise(cand.text)) > 1 or len(cand.text) > len(sentence) / 2:
            continue  # the blank would be given away, or would leave too little to recall from
        distractors = _pick_distractors(cand, sentence, pool, rng, 3)
        if not distractors:
            continue
        options = [cand.text, *distractors]
        rng.shuffle(options)
        prompt = f"Fill in the blank: {sentence[:cand.start]}{BLANK}{sentence[cand.end:]}"
        digest = hashlib.sha1(f"{chunk_id}|{sentence}|{cand.text}".encode()).hexdigest()[:12]
        page = meta.get("page")
        citation = Citation(doc_id=str(meta.get("doc_id", chunk_id.split(":")[0])), section=str(meta.get("section", "")),
                            page=int(page) if isinstance(page, (int, float)) and page else None,
                            chunk_id=chunk_id, title=str(meta.get("title", "")))
        return Question(id=f"cloze-{digest}", type="mcq", prompt=prompt, options=tuple(options), answer=cand.text,
                        explanation=f'The passage reads: "{sentence}"', citation=citation, origin="cloze",
                        kind=cand.kind)
    return None
