"""The offline answerer: the best sentences of the retrieved passages, each cited, no LLM.

Every sentence of the answer is a sentence of a passage, so every claim is traceable by construction.
Sentences are scored by meaning (cosine similarity with the question, same embedding model) and by
wording (share of the question's content terms they contain), near-duplicates are dropped, and the
chosen ones are put back in reading order: passage by passage, in the order the passage has them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from tutor.embeddings import embed_matrix
from tutor.retrieval import Passage
from tutor.text import content_terms, looks_like_instruction, split_sentences


@dataclass(frozen=True)
class Candidate:
    passage_index: int
    position: int
    text: str
    score: float = 0.0


@dataclass
class ExtractiveConfig:
    max_sentences: int = 4
    max_words: int = 130
    min_words: int = 5
    semantic_weight: float = 0.6
    lexical_weight: float = 0.4
    relative_floor: float = 0.7  # keep sentences scoring at least this share of the best one
    duplicate_similarity: float = 0.88
    passages_used: int = 5


def _term_overlap(question_terms: set[str], sentence: str) -> float:
    if not question_terms:
        return 0.0
    return len(question_terms & set(content_terms(sentence))) / len(question_terms)


class ExtractiveAnswerer:
    """Selects, orders and cites sentences; deterministic for a given index and question."""

    name = "offline (extractive)"

    def __init__(self, embeddings: Embeddings, config: ExtractiveConfig | None = None) -> None:
        self.embeddings = embeddings
        self.config = config or ExtractiveConfig()

    def candidates(self, passages: Sequence[Passage]) -> list[Candidate]:
        cfg = self.config
        out = []
        for index, passage in enumerate(passages[: cfg.passages_used]):
            for position, sentence in enumerate(split_sentences(passage.text)):
                if (len(sentence.split()) >= cfg.min_words and not sentence.rstrip().endswith(":")
                        and not looks_like_instruction(sentence)):
                    out.append(Candidate(index, position, sentence))
        return out

    def select(self, question: str, passages: Sequence[Passage], focus: str | None = None) -> list[Candidate]:
        """The chosen sentences in reading order, each tagged with its passage index.

        ``focus`` is the user's own wording of a follow-up ("What fines can it impose?") when ``question``
        is its rewrite: the rewrite finds the right passages, the focus picks the sentences that answer.
        """
        cfg = self.config
        cands = self.candidates(passages)
        if not cands:
            return []
        queries = [question] if not focus or focus == question else [question, focus]
        matrix = embed_matrix(self.embeddings, queries + [c.text for c in cands], cached=True)
        s_vecs = matrix[len(queries):]
        semantic = (s_vecs @ matrix[: len(queries)].T).mean(axis=1)
        term_sets = [set(content_terms(q)) for q in queries]
        scored = []
        for cand, sem in zip(cands, semantic.tolist()):
            rank_bonus = 0.02 * (cfg.passages_used - cand.passage_index)
            overlap = sum(_term_overlap(terms, cand.text) for terms in term_sets) / len(term_sets)
            score = cfg.semantic_weight * sem + cfg.lexical_weight * overlap + rank_bonus
            scored.append((score, cand))
        scored.sort(key=lambda item: (-item[0], item[1].passage_index, item[1].position))
        best = scored[0][0]
        chosen: list[tuple[Candidate, np.ndarray]] = []
        words = 0
        vec_of = {id(c): v for c, v in zip(cands, s_vecs)}
        for score, cand in scored:
            if len(chosen) >= cfg.max_sentences or score < best * cfg.relative_floor:
                break
            vec = vec_of[id(cand)]
            if any(float(vec @ other) >= cfg.duplicate_similarity for _, other in chosen):
                continue
            length = len(cand.text.split())
            if chosen and words + length > cfg.max_words:
                continue
            chosen.append((Candidate(cand.passage_index, cand.position, cand.text, score), vec))
            words += length
        picked = [c for c, _ in chosen]
        # Reading order: the passage holding the best sentence first, each passage's sentences in its own order.
        lead = {}
        for cand in picked:
            lead[cand.passage_index] = max(lead.get(cand.passage_index, -1.0), cand.score)
        return sorted(picked, key=lambda c: (-lead[c.passage_index], c.passage_index, c.position))
