"""Hybrid retrieval: dense (Chroma) + lexical (BM25), fused by reciprocal rank, capped per document.

Dense search finds paraphrases; BM25 finds exact names, numbers and acronyms ("NC4", "222") that a
small embedding model blurs. Reciprocal rank fusion needs no score calibration between the two, and a
per-document cap stops one long report from filling every slot.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np
from langchain_core.embeddings import Embeddings

from tutor.library import versions
from tutor.library.embeddings import embed_matrix
from tutor.library.lexical import LexicalCache
from tutor.library.store import ChunkStore

log = logging.getLogger(__name__)

RRF_K = 60


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with the evidence for why it was retrieved."""

    id: str
    text: str
    metadata: dict[str, Any]
    dense: float = 0.0  # cosine similarity to the query (0 when only BM25 found it)
    lexical: float = 0.0  # BM25 score (0 when only dense search found it)
    fused: float = 0.0
    rerank: float | None = None

    @property
    def doc_id(self) -> str:
        return str(self.metadata.get("doc_id", ""))


class Reranker(Protocol):
    """Scores (query, passage) pairs; higher is more relevant. A cross-encoder fits."""

    def predict(self, pairs: list[tuple[str, str]]) -> Sequence[float]: ...


@dataclass
class RetrievalConfig:
    k: int = 5
    fetch_k: int = 30
    per_doc_cap: int = 3
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    filters: dict[str, str] = field(default_factory=dict)


def _where(filters: dict[str, str]) -> dict[str, Any] | None:
    items = [{k: v} for k, v in filters.items() if v]
    if not items:
        return None
    return items[0] if len(items) == 1 else {"$and": items}


def rrf(rankings: Sequence[Sequence[str]], weights: Sequence[float], k: int = RRF_K) -> dict[str, float]:
    """Reciprocal rank fusion: sum of weight / (k + rank) over the rankings an id appears in."""
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, cid in enumerate(ranking, start=1):
            scores[cid] = scores.get(cid, 0.0) + weight / (k + rank)
    return scores


def cap_per_document(passages: Sequence[Passage], k: int, cap: int) -> list[Passage]:
    """Best-first, at most ``cap`` passages per document; fill from the rest if too few documents."""
    chosen: list[Passage] = []
    counts: dict[str, int] = {}
    overflow: list[Passage] = []
    for passage in passages:
        if counts.get(passage.doc_id, 0) < cap:
            chosen.append(passage)
            counts[passage.doc_id] = counts.get(passage.doc_id, 0) + 1
        else:
            overflow.append(passage)
        if len(chosen) == k:
            return chosen
    return chosen + overflow[: k - len(chosen)]


class HybridRetriever:
    """Dense + BM25 retrieval over one :class:`ChunkStore`."""

    def __init__(self, store: ChunkStore, embeddings: Embeddings, lexical: LexicalCache | None,
                 config: RetrievalConfig | None = None, reranker: Reranker | None = None) -> None:
        self.store = store
        self.embeddings = embeddings
        self.lexical = lexical
        self.config = config or RetrievalConfig()
        self.reranker = reranker

    def embed_query(self, query: str) -> np.ndarray:
        return embed_matrix(self.embeddings, [query], cached=True)[0]

    def dense(self, query: str, fetch_k: int, filters: dict[str, str] | None = None,
              vector: np.ndarray | None = None, as_of: int | None = None) -> list[Passage]:
        vec = self.embed_query(query) if vector is None else vector
        return [Passage(h.id, h.text, h.metadata, dense=h.score)
                for h in self.store.query(vec, fetch_k, _where(filters or {}), as_of=as_of)]

    def bm25(self, query: str, fetch_k: int, filters: dict[str, str] | None = None,
             as_of: int | None = None) -> list[tuple[str, float]]:
        index = self.lexical.get() if self.lexical else None
        return index.search(query, fetch_k, filters or None, as_of=as_of) if index else []

    def retrieve(self, query: str, k: int | None = None, filters: dict[str, str] | None = None,
                 mode: str = "hybrid", as_of: str | None = None) -> list[Passage]:
        """Top-k passages for ``query``; ``mode`` is ``hybrid``, ``dense`` or ``bm25`` (for benchmarks).

        Only current versions are searched, unless ``as_of`` (an ISO date) asks for those in force then.
        """
        cfg = self.config
        k = k or cfg.k
        filters = {**cfg.filters, **(filters or {})}
        fetch_k = max(cfg.fetch_k, k)
        day = versions.as_of_day(as_of)
        vector = self.embed_query(query) if mode != "bm25" else None
        dense = self.dense(query, fetch_k, filters, vector, day) if mode != "bm25" else []
        lexical = self.bm25(query, fetch_k, filters, day) if mode != "dense" else []
        by_id = {p.id: p for p in dense}
        lex_scores = dict(lexical)
        missing = [cid for cid, _ in lexical if cid not in by_id]
        if missing:
            by_id.update({p.id: p for p in self._bm25_only(missing, vector)})
        fused = rrf([[p.id for p in dense], [cid for cid, _ in lexical]], [cfg.dense_weight, cfg.lexical_weight])
        ranked = sorted(
            (replace(by_id[cid], lexical=lex_scores.get(cid, 0.0), fused=score) for cid, score in fused.items()
             if cid in by_id),
            key=lambda p: (-p.fused, p.id),
        )
        if self.reranker and ranked:
            scores = self.reranker.predict([(query, p.text) for p in ranked[:fetch_k]])
            ranked = sorted((replace(p, rerank=float(s)) for p, s in zip(ranked, scores)),
                            key=lambda p: (-(p.rerank or 0.0), p.id))
        return cap_per_document(ranked, k, cfg.per_doc_cap)

    def _bm25_only(self, ids: list[str], vector: np.ndarray | None) -> list[Passage]:
        """Chunks only BM25 found, with the query's cosine similarity to their stored vectors (one read)."""
        include = ["documents", "metadatas"] + (["embeddings"] if vector is not None else [])
        got = self.store.chunks.get(ids=ids, include=include)
        sims = ((np.asarray(got["embeddings"], dtype=np.float32) @ vector).tolist()
                if vector is not None and len(got["ids"]) else [0.0] * len(got["ids"]))
        return [Passage(cid, text, meta, dense=float(sim))
                for cid, text, meta, sim in zip(got["ids"], got["documents"], got["metadatas"], sims)]


def make_reranker(path: str | None) -> Reranker | None:
    """A sentence-transformers CrossEncoder from a local folder, or ``None`` (the default: none ships offline)."""
    if not path:
        return None
    from sentence_transformers import CrossEncoder

    return CrossEncoder(path, device="cpu")  # type: ignore[no-any-return]
