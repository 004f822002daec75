"""The passages an answer may quote, in the order the offline answerer reads them, and how they are cited.

``Tutor`` uses these for the offline and the LLM answer alike; the Chat tab renders ``sources_block``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from tutor.answers.question import QuestionShape, analyse, states_answer
from tutor.answers.retrieval import Passage
from tutor.events import Source
from tutor.library.sentence_vectors import SentenceVectors
from tutor.text import content_terms, mentions_name, split_sentences

#: How much more a term of the question's names and numbers ("United Kingdom", "2023") counts than its
#: other words when deciding which document covers the question.
NAMED_WEIGHT = 2.0


def to_source(n: int, passage: Passage, cited: Sequence[str] = ()) -> Source:
    meta = passage.metadata
    page = meta.get("page")
    return Source(
        n=n, chunk_id=passage.id, doc_id=passage.doc_id, title=str(meta.get("title", "")),
        publisher=str(meta.get("publisher", "")), year=str(meta.get("year", "")),
        page=int(page) if page not in (None, "") else None, section=str(meta.get("section", "")),
        url=str(meta.get("url", "")), text=passage.text, score=round(passage.dense, 4), cited_sentences=tuple(cited),
        page_label=str(meta.get("page_label", "")), provision=str(meta.get("citation", "")),
        ocr=bool(meta.get("ocr", False)), as_of=str(meta.get("as_of", "")),
        version=int(meta.get("version", 0) or 0), status=str(meta.get("status") or "current"),
        until=str(meta.get("until", "")),
    )



def quotable(passages: Sequence[Passage]) -> list[Passage]:
    """The passages an answer may quote: not a cover, a contents page, an index or a reference list.

    Those stay retrievable (they name topics, and a refusal may point to them) but answer nothing.
    """
    return [p for p in passages if p.metadata.get("quotable", True) is not False]



def best_covered_first(question: str, passages: Sequence[Passage]) -> list[Passage]:
    """The passages with the document that covers most of the question's terms first (stable otherwise).

    Dense similarity favours a short note that talks about the topic; the document that names the very
    country, dimension and year asked about is the one to answer from, and to read further in. The names
    and numbers weigh more (:func:`named_coverage`): a note on the 2025 results that lacks the "2023" asked
    about covers less than the 2023 report that lacks only the word "score".
    """
    by_doc: dict[str, list[Passage]] = {}
    for p in passages:
        by_doc.setdefault(p.doc_id, []).append(p)
    if len(by_doc) < 2:
        return list(passages)
    scores = {doc: named_coverage(question, group) for doc, group in by_doc.items()}
    first = passages[0].doc_id
    best = max(by_doc, key=lambda doc: scores[doc])
    if scores[best] <= scores[first]:
        return list(passages)
    return by_doc[best] + [p for p in passages if p.doc_id != best]


def named_coverage(question: str, passages: Sequence[Passage]) -> float:
    """Weighted share of what the question mentions that the passages mention too (titles and sections
    included): each of its names and numbers counts :data:`NAMED_WEIGHT` times, found as a word or, for an
    acronym, by the words it abbreviates (:func:`~tutor.text.mentions_name`); each other content term once."""
    names = _names_and_numbers(question)
    named = set(content_terms(" ".join(names)))
    terms = [t for t in dict.fromkeys(content_terms(question)) if t not in named]
    total = NAMED_WEIGHT * len(names) + len(terms)
    if not total:
        return 0.0
    haystack = " ".join(_context(p) for p in passages)
    found = set(content_terms(haystack))
    return (NAMED_WEIGHT * sum(mentions_name(n, haystack) for n in names)
            + sum(t in found for t in terms)) / total


def naming_first(question: str, passages: Sequence[Passage]) -> list[Passage]:
    """The passages that mention every name and number of the question first, each group in its order.

    A long report's table row ("United Kingdom (GBR): ... User-Driven 0.925") is a run of figures that
    embeds far from the question, yet it is the one chunk that names both the country and the dimension.
    """
    names = _names_and_numbers(question)
    if not names:
        return list(passages)
    naming = [p for p in passages if all(mentions_name(n, _context(p)) for n in names)]
    return naming + [p for p in passages if p not in naming]


def passage_states_answer(shape: QuestionShape, passage: Passage) -> bool:
    """Does a sentence of the passage state what the question asks (:func:`~tutor.answers.question.states_answer`),
    its document's title, its section and its citation read as the sentence's context?"""
    meta = passage.metadata
    context = f"{meta.get('title', '')} {meta.get('section', '')} {meta.get('citation', '')} {passage.text}"
    heading = str(meta.get("section", ""))
    return any(states_answer(shape, sentence, context, heading) for sentence in split_sentences(passage.text))


def _names_and_numbers(question: str) -> list[str]:
    """What the question names and the figures it gives, as its shape reads them (:func:`analyse`)."""
    shape = analyse(question)
    return list(dict.fromkeys(shape.names + shape.numbers))


def _context(passage: Passage) -> str:
    """What a passage says about itself and in itself: its document's title and publisher, section, text."""
    meta = passage.metadata
    return f"{meta.get('title', '')} {meta.get('publisher', '')} {meta.get('section', '')} {passage.text}"


def by_best_sentence(query: np.ndarray, passages: Sequence[Passage], stored: Mapping[str, SentenceVectors],
                     k: int = 60) -> list[Passage]:
    """The passages (in retrieval's order) re-ranked with their best quotable sentence's similarity to the
    question: the two rankings fused by reciprocal rank (``k`` as in RRF).

    Within one long document the chunk that answers is often not the one whose embedding is closest:
    a scanned page's chunk that states "All instances of data sharing must be on the basis of a data
    request" beside a table of OCR noise scores 0.52, while a lone "INTRODUCTION" under the document's
    title scores 0.81. Its best sentence says which chunk can be quoted; retrieval's own order still
    counts, because it also weighs the question's words. ``stored`` maps chunk ids to the sentence
    vectors ingestion kept; a chunk without any has nothing to quote and ranks last by sentence. Without
    any stored vectors (an index ingested before them) the order is left as it was.
    """
    if not stored:
        return list(passages)

    def best(passage: Passage) -> float:
        vectors = stored.get(passage.id)
        if vectors is None or not len(vectors.vectors) or vectors.vectors.shape[1] != query.shape[0]:
            return -1.0
        return float(np.max(vectors.vectors @ query))

    by_sentence = sorted(range(len(passages)), key=lambda i: -best(passages[i]))
    sentence_rank = {index: rank for rank, index in enumerate(by_sentence)}
    fused = sorted(range(len(passages)), key=lambda i: -(1 / (k + i) + 1 / (k + sentence_rank[i])))
    return [passages[i] for i in fused]


def sources_block(sources: Sequence[Source]) -> str:
    return "\n\nSources:\n" + "\n".join(f"[{s.n}] {s.citation()}" for s in sources) if sources else ""



def with_marker(sentence: str, n: int) -> str:
    sentence = sentence.strip()
    if sentence and sentence[-1] in ".!?":
        return f"{sentence[:-1]} [{n}]{sentence[-1]}"
    return f"{sentence} [{n}]."
