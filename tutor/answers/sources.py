"""The passages an answer may quote, in the order the offline answerer reads them, and how they are cited.

``Tutor`` uses these for the offline and the LLM answer alike; the Chat tab renders ``sources_block``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from tutor.answers.refusal import coverage
from tutor.answers.retrieval import Passage
from tutor.events import Source
from tutor.library.sentence_vectors import SentenceVectors


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
    country, dimension and year asked about is the one to answer from, and to read further in.
    """
    by_doc: dict[str, list[Passage]] = {}
    for p in passages:
        by_doc.setdefault(p.doc_id, []).append(p)
    if len(by_doc) < 2:
        return list(passages)
    scores = {doc: coverage(question, group) for doc, group in by_doc.items()}
    first = passages[0].doc_id
    best = max(by_doc, key=lambda doc: scores[doc])
    if scores[best] <= scores[first]:
        return list(passages)
    return by_doc[best] + [p for p in passages if p.doc_id != best]



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
