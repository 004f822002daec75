"""Reading the index back, for assertions: whole-index snapshots that tests compare before and after."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from tutor.library.store import ChunkStore

ChunkMap = dict[str, tuple[str, dict[str, Any]]]


def all_chunks(store: ChunkStore) -> ChunkMap:
    """Every chunk in the store: id -> (text, metadata)."""
    return {cid: (text, meta) for cid, text, meta in store.iter_chunks()}


def sentence_rows(store: ChunkStore) -> dict[str, dict[str, Any]]:
    """Every stored sentence-vector row: chunk id -> its metadata (sentence hashes and packed vectors)."""
    got = store.sentences.get(include=["metadatas"])
    return dict(zip(got["ids"], got["metadatas"]))


def index_state(store: ChunkStore) -> tuple[ChunkMap, dict[str, Any], dict[str, dict[str, Any]]]:
    """A comparable picture of the whole index: every chunk, every register entry, every sentence-vector row."""
    return all_chunks(store), {doc_id: record for doc_id, record in store.records().items()}, sentence_rows(store)


class Vectors(dict[str, np.ndarray]):
    """Every chunk's stored embedding, compared with a float32 tolerance.

    The full suite (never a single file) failed exact equality of vectors rounded to 6 decimals after a
    rollback; the cause is not confirmed (a guess: float noise from Chroma's cosine index re-normalising a
    restored vector). A chunk that kept its new version's vector, or a missing or extra chunk, differs by
    far more than ``TOLERANCE``, so a real rollback bug still fails, and ``differing`` names the chunks.
    """

    TOLERANCE = 1e-5

    def differing(self, other: Mapping[str, np.ndarray]) -> dict[str, float]:
        """The ids whose vectors differ by more than the tolerance (missing ids count as infinitely far)."""
        out = {cid: float("inf") for cid in set(self) ^ set(other)}
        for cid in set(self) & set(other):
            gap = float(np.max(np.abs(self[cid] - other[cid])))
            if gap > self.TOLERANCE:
                out[cid] = gap
        return out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and not self.differing(other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Vectors({len(self)} chunks)"


def vectors(store: ChunkStore) -> Vectors:
    """Every chunk's stored embedding, to prove a rollback restored the vectors too."""
    got = store.chunks.get(include=["embeddings"])
    return Vectors({cid: np.asarray(vec, dtype=np.float64) for cid, vec in zip(got["ids"], got["embeddings"])})
