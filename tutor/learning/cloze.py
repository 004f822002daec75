"""Cloze (fill-in-the-blank) questions from any ingested passage.

:func:`generate_cloze` blanks a key term, number or date in one sentence of a real chunk, offers three
distractors of the same kind from other chunks, and returns the curriculum's own
:class:`~tutor.learning.models.Question` (``origin="cloze"``), so :func:`tutor.learning.grading.grade` marks it like a
curated question and its citation names the chunk, page or section.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tutor.learning.grading import _sentences
from tutor.learning.models import Citation, Question
from tutor.learning.wording import contains, normalise

BLANK = "_____"


class ChunkSource(Protocol):
    """What cloze generation needs from :class:`tutor.library.store.ChunkStore`."""

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
        if kind != answer.kind or norm in seen or not norm or contains(in_sentence, norm):
            continue
        if contains(key, norm) or contains(norm, key) or (value is not None and _value(text) == value):
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
