"""Reading the index back, for assertions: whole-index snapshots that tests compare before and after."""

from __future__ import annotations

from typing import Any

from tutor.store import ChunkStore

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


def vectors(store: ChunkStore) -> dict[str, list[float]]:
    """Every chunk's stored embedding, to prove a rollback restored the vectors too."""
    got = store.chunks.get(include=["embeddings"])
    return {cid: [round(float(x), 6) for x in vec] for cid, vec in zip(got["ids"], got["embeddings"])}
