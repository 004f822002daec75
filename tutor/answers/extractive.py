"""The offline answerer: the best sentences of the retrieved passages, each cited, no LLM.

Every sentence of the answer is a sentence of a passage, so every claim is traceable by construction.
Sentences are scored by meaning (cosine similarity with the question, same embedding model) and by
wording (share of the question's content terms they contain), near-duplicates are dropped, and the
chosen ones are put back in reading order (passage by passage, in the order the passage has them),
except that the best sentence leads when it can stand on its own: the answer before its background.

The passages' sentence vectors were made at ingestion
(:func:`~tutor.library.sentence_vectors.quotable_sentences` decides which sentences, for ingestion and for
this module alike); only the question is embedded here, and only a sentence with
no stored vector (an index ingested before they existed) is embedded at question time.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

from tutor.answers.candidates import REFERS_BACK, Candidate
from tutor.answers.retrieval import Passage
from tutor.library.embeddings import embed_matrix
from tutor.library.sentence_vectors import (
    MIN_QUOTABLE_WORDS,
    SentenceVectors,
    quotable_sentences,
    sentence_key,
)
from tutor.text import content_terms

if TYPE_CHECKING:
    from tutor.answers.lead import Selection
    from tutor.answers.understand import Understanding

log = logging.getLogger(__name__)

#: Reads the stored sentence vectors of a list of chunk ids (:meth:`tutor.library.store.ChunkStore.sentence_vectors`).
SentenceSource = Callable[[Sequence[str]], Mapping[str, SentenceVectors]]


@dataclass
class ExtractiveConfig:
    max_sentences: int = 7
    max_words: int = 200
    min_words: int = MIN_QUOTABLE_WORDS
    semantic_weight: float = 0.6
    lexical_weight: float = 0.4
    passage_weight: float = 0.4  # bonus for sentences of higher-ranked passages: 1, 1/2, 1/3...
    advice_penalty: float = 0.0  # "Why it matters for your work" advice, unless the question asks why
    relative_floor: float = 0.4  # keep sentences scoring at least this share of the best one
    duplicate_similarity: float = 0.85
    passages_used: int = 20
    max_per_passage: int = 9
    novelty_weight: float = 0.2
    #: Only passages nearly as close to the question as the best one are quoted (in meaning; in the top
    #: document, in BM25 wording too): a tangential passage contributes tangential sentences.
    passage_floor: float = 0.85
    #: Another document's passage must be this close to the best one to be quoted beside it.
    other_document_floor: float = 0.95
    #: A sentence that starts in lower case is the tail of one cut by a page or chunk break, and a short line
    #: with no full stop and no figure is a heading or a caption ("Overall ranking, 2017"): each names
    #: the topic without saying anything about it.
    fragment_penalty: float = 0.25
    #: How much less a subsection that joined through its regulation's rank (see :func:`unit_ranks`) gets.
    sibling_margin: float = 0.05
    #: Weigh the question's words by how rare they are among the candidate sentences.
    idf_terms: bool = True


_SPECIFIC = re.compile(r"\b\d[\d,.]*\b|\b[A-Z]{2,}\b")


_FIGURE = re.compile(r"\d")
_YEAR = re.compile(r"\b(19|20)\d\d\b")


def is_caption(sentence: str) -> bool:
    """A heading or a figure caption: short, no closing punctuation, no figure but a year."""
    text = sentence.strip()
    return (len(text.split()) <= 10 and not text.endswith((".", "!", "?", ";"))
            and not _FIGURE.search(_YEAR.sub("", text)))


_FRAGMENT = re.compile(r"^(?![a-z]{1,4}[.)]\s)[a-z]")  # lower case, but not an item "b)", "iv." of a list


def _specificity(sentence: str) -> float:
    """Numbers, dates, acronyms and enumerations are what officials come for: a small bonus for each."""
    return min(0.1, 0.025 * len(_SPECIFIC.findall(sentence)) + 0.01 * sentence.count(","))


_fallback_logged = False


def _log_fallback(missing: int, total: int) -> None:
    """Once per process: this index has sentences without stored vectors, so answers are slower."""
    global _fallback_logged
    if not _fallback_logged:
        _fallback_logged = True
        log.info("%d of %d candidate sentences have no stored vector (an index ingested before sentence vectors): "
                 "embedding them at question time; re-ingest to make answers faster", missing, total)


def _is_advice(passage: Passage) -> bool:
    return "why it matters" in str(passage.metadata.get("section", "")).lower()


_SUBSECTION = re.compile(r"\s*\(.*$")


def unit_ranks(passages: Sequence[Passage]) -> list[int]:
    """Each passage's rank for the rank bonus: the best rank among the subsections of its section or regulation.

    An Act is chunked by subsection so that each can be cited as "reg. 41(2)", but the regulation is one unit
    of law: retrieval ranks its first subsection ("(1) A transfer ... is based on appropriate safeguards
    where...") and the subsection that answers ("(2) ... the documentation shall include the date and time")
    joins from the rest of the document far down. Sharing the rank lets wording and meaning choose between them.
    """
    best: dict[tuple[str, str], int] = {}
    units: list[tuple[str, str] | None] = []
    for index, passage in enumerate(passages):
        citation = str(passage.metadata.get("citation") or "")
        unit = (passage.doc_id, _SUBSECTION.sub("", citation)) if citation else None
        if unit:
            best.setdefault(unit, index)
        units.append(unit)
    return [best[unit] if unit else index for index, unit in enumerate(units)]


def term_overlap(question_terms: set[str], sentence_terms: set[str], weight: Mapping[str, float]) -> float:
    """The weighted share of the question's terms that the sentence contains."""
    total = sum(weight.get(t, 1.0) for t in question_terms)
    return sum(weight.get(t, 1.0) for t in question_terms & sentence_terms) / total if total else 0.0


def term_weights(question_terms: set[str], sentence_terms: Sequence[set[str]]) -> dict[str, float]:
    """How telling each question term is among the candidate sentences: rarer, more telling (a smoothed IDF).

    In a report on data transfers every sentence says "transfer"; the one that says "documentation" is the
    one that answers "what must the documentation contain?".
    """
    n = len(sentence_terms)
    return {t: math.log(1 + n / (1 + sum(1 for terms in sentence_terms if t in terms))) for t in question_terms}


class ExtractiveAnswerer:
    """Selects, orders and cites sentences; deterministic for a given index and question."""

    name = "offline (extractive)"

    def __init__(self, embeddings: Embeddings, config: ExtractiveConfig | None = None,
                 sentence_vectors: SentenceSource | None = None) -> None:
        """``sentence_vectors`` reads the vectors ingestion stored; without it every sentence is embedded here."""
        self.embeddings = embeddings
        self.config = config or ExtractiveConfig()
        self.sentence_vectors = sentence_vectors

    def _greedy(self, scored: list[tuple[float, Candidate]], vec_of: dict[int, np.ndarray],
                question_terms: set[str]) -> list[Candidate]:
        """Pick sentences one at a time: relevance plus a reward for facts the answer does not state yet.

        The novelty reward (new content terms, numbers, names) is what pulls in the sentence that lists
        the five principles after the one that merely introduces them.
        """
        cfg = self.config
        pool = sorted(scored, key=lambda item: (-item[0], item[1].passage_index, item[1].position))
        terms_of = {id(c): set(content_terms(c.text)) - question_terms for _, c in pool}
        covered: set[str] = set()
        chosen: list[Candidate] = []
        vectors: list[np.ndarray] = []
        words = 0
        first = None
        while pool and len(chosen) < cfg.max_sentences:
            def gain(item: tuple[float, Candidate], covered: set[str] = covered) -> float:
                fresh = len(terms_of[id(item[1])] - covered)
                return item[0] + cfg.novelty_weight * min(1.0, fresh / 8)

            index = max(range(len(pool)), key=lambda i: gain(pool[i]))
            value = gain(pool[index])
            score, cand = pool.pop(index)
            first = value if first is None else first
            if value < first * cfg.relative_floor:
                break
            vec = vec_of[id(cand)]
            length = len(cand.text.split())
            if (any(float(vec @ other) >= cfg.duplicate_similarity for other in vectors)
                    or sum(1 for c in chosen if c.passage_index == cand.passage_index) >= cfg.max_per_passage
                    or (chosen and words + length > cfg.max_words)):
                continue
            chosen.append(Candidate(cand.passage_index, cand.position, cand.text, score, cand.advice))
            vectors.append(vec)
            covered |= terms_of[id(cand)]
            words += length
        return chosen

    def candidates(self, passages: Sequence[Passage]) -> list[Candidate]:
        cfg = self.config
        out = []
        best = max((p.dense for p in passages[: cfg.passages_used]), default=0.0)
        best_lexical = max((p.lexical for p in passages[: cfg.passages_used]), default=0.0)
        top_doc = passages[0].doc_id if passages else ""
        for index, passage in enumerate(passages[: cfg.passages_used]):
            floor = cfg.passage_floor if passage.doc_id == top_doc else cfg.other_document_floor
            # Close in meaning, or (in the top document) in wording: the passage that holds the question's exact
            # phrase ("trend setters") can sit far down the dense ranking when the rest of it is a table.
            wording = passage.doc_id == top_doc and best_lexical > 0 and passage.lexical >= best_lexical * floor
            if passage.dense < best * floor and not wording:
                continue
            for position, sentence in quotable_sentences(passage.text, cfg.min_words):
                out.append(Candidate(index, position, sentence, advice=_is_advice(passage)))
        return out

    def sentence_matrix(self, passages: Sequence[Passage], cands: Sequence[Candidate], dim: int) -> np.ndarray:
        """One unit vector per candidate: stored at ingestion where there is one (one read for all the
        passages), else embedded now. Stored vectors of another width (another model) are ignored."""
        rows: list[np.ndarray | None] = [None] * len(cands)
        if self.sentence_vectors is not None:
            try:
                stored = self.sentence_vectors([passages[c.passage_index].id for c in cands])
            except Exception:  # the vectors can always be computed instead
                log.warning("could not read the stored sentence vectors: embedding the sentences", exc_info=True)
                stored = {}
            lookups = {cid: vectors.lookup() for cid, vectors in stored.items() if vectors.vectors.shape[1] == dim}
            rows = [lookups.get(passages[c.passage_index].id, {}).get(sentence_key(c.text)) for c in cands]
        missing = [i for i, row in enumerate(rows) if row is None]
        if missing:
            if self.sentence_vectors is not None:
                _log_fallback(len(missing), len(cands))
            fresh = embed_matrix(self.embeddings, [cands[i].text for i in missing], cached=True)
            for i, vec in zip(missing, fresh):
                rows[i] = vec
        return np.vstack(rows).astype(np.float32, copy=False)

    def select(self, question: str, passages: Sequence[Passage], focus: str | None = None) -> list[Candidate]:
        """The chosen sentences in reading order, each tagged with its passage index.

        ``focus`` is the user's own wording of a follow-up ("What fines can it impose?") when ``question``
        is its rewrite: the rewrite finds the right passages, the focus picks the sentences that answer.
        """
        return self.select_scored(question, passages, focus)[0]

    def answer(self, question: str, passages: Sequence[Passage], focus: str | None = None,
               understood: Understanding | None = None) -> Selection:
        """The chosen sentences split into the lead (what the question asked, first) and the rest."""
        ordered, scored = self.select_scored(question, passages, focus)
        from tutor.answers.lead import Selection, lead_and_more  # the lead rules live beside the answerer

        if understood is None:
            return Selection(tuple(ordered[:1]), tuple(ordered[1:]))
        titles = " ".join(dict.fromkeys(str(p.metadata.get("title", "")) for p in passages))
        return lead_and_more(ordered, scored, understood, titles)

    def select_scored(self, question: str, passages: Sequence[Passage], focus: str | None = None,
                      ) -> tuple[list[Candidate], list[Candidate]]:
        """:meth:`select`'s sentences, and every candidate with its score (best first) for the lead to choose."""
        cfg = self.config
        cands = self.candidates(passages)
        if not cands:
            return [], []
        queries = [question] if not focus or focus == question else [question, focus]
        q_vecs = embed_matrix(self.embeddings, queries, cached=True)
        s_vecs = self.sentence_matrix(passages, cands, q_vecs.shape[1])
        semantic = (s_vecs @ q_vecs.T).mean(axis=1)
        term_sets = [set(content_terms(q)) for q in queries]
        asks_why = bool(re.search(r"\b(why|matter|matters|implications?|should i|should we|what can i do)\b",
                                  " ".join(queries), re.IGNORECASE))
        cand_terms = [set(content_terms(c.text)) for c in cands]
        weight = term_weights(set().union(*term_sets), cand_terms) if cfg.idf_terms else {}
        scored = []
        rank = unit_ranks(passages)
        for cand, sem, terms_in in zip(cands, semantic.tolist(), cand_terms):
            # A regulation's subsections rise together; the one retrieval ranked first keeps a small edge.
            rank_bonus = cfg.passage_weight / (1 + rank[cand.passage_index])
            if rank[cand.passage_index] != cand.passage_index:
                rank_bonus -= cfg.sibling_margin
            overlap = sum(term_overlap(terms, terms_in, weight) for terms in term_sets) / len(term_sets)
            score = cfg.semantic_weight * sem + cfg.lexical_weight * overlap + rank_bonus + _specificity(cand.text)
            if cand.advice and not asks_why:
                score -= cfg.advice_penalty
            if _FRAGMENT.match(cand.text) or is_caption(cand.text):
                score -= cfg.fragment_penalty
            scored.append((score, cand))
        ranked = [Candidate(c.passage_index, c.position, c.text, score, c.advice)
                  for score, c in sorted(scored, key=lambda item: -item[0])]
        chosen = self._greedy(scored, {id(c): v for c, v in zip(cands, s_vecs)}, set().union(*term_sets))
        picked = chosen
        # Reading order: the passage holding the best sentence first, each passage's sentences in its own order;
        # then the best sentence itself leads, so the answer comes before its background ("Who enforces it?"
        # -> "The ODPC enforces the law", not the Act's dates), unless it leans on the sentence before it.
        lead = {}
        for cand in picked:
            lead[cand.passage_index] = max(lead.get(cand.passage_index, -1.0), cand.score)
        ordered = sorted(picked, key=lambda c: (-lead[c.passage_index], c.passage_index, c.position))
        best = max(ordered, key=lambda c: c.score)
        if best is not ordered[0] and not REFERS_BACK.match(best.text):
            ordered.remove(best)
            ordered.insert(0, best)
        return ordered, ranked
