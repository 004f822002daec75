"""What the app's tabs share: settings, the index, the embedding model, the tutor and the feedback table.

``make_services(settings)`` is the one place the web app builds them; tests build their own (with the
session's embedding model) and pass the result to ``build_app``. Every object here serves all browser
sessions at once, so none of them may hold per-user state.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings
from sqlalchemy import Engine

from tutor.answers.tutor import Tutor
from tutor.audit import AuditLog
from tutor.library.ingestion import Ingestor
from tutor.library.lexical import LexicalCache
from tutor.library.store import ChunkStore
from tutor.settings import Settings
from tutor.ui.feedback import FeedbackStore, SettingsSnapshot
from tutor.users.access import Access

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Long-lived objects built once per process and handed to every tab builder."""

    settings: Settings
    store: ChunkStore
    embeddings: Embeddings
    tutor: Tutor
    engine: Engine
    feedback: FeedbackStore
    #: The record of every answer (``None``: not recorded, e.g. services built by hand in a test).
    audit: AuditLog | None = None
    #: The way in and the role check (``None``: an open kiosk, e.g. services built by hand in a test).
    access: Access | None = None

    def ingestor(self, progress: Callable[[int, int, str], None] | None = None) -> Ingestor:
        """A fresh ingestor on the shared store (it takes the same file lock as ``ingest.py``)."""
        return Ingestor(self.settings, self.store, self.embeddings, progress)

    def warm_up(self) -> None:
        """Load the embedding model, the BM25 index and the vector index before the first visitor arrives
        (so their answer is not the slow one; a new replica builds its BM25 copy from the store here)."""
        try:
            vector = self.embeddings.embed_query("warm up")
            lexical = getattr(self.tutor.retriever, "lexical", None)
            if lexical is not None:
                lexical.get()
            self.store.query(np.asarray(vector, dtype=np.float32), 1)
        except Exception:  # the first question will try again and report the error properly
            log.exception("could not warm up the model and indexes at start-up")
            return
        threading.Thread(target=self.warm_sentences, name="warm-sentences", daemon=True).start()

    def warm_sentences(self, batch: int = 256) -> int:
        """Embed the library's sentences into the answer cache, in the background; returns how many.

        The offline answerer compares the question with every sentence of the passages it retrieved; a
        cold sentence costs a model call on the first question that needs it, which is most of a first
        answer's time (2 cores: ~1 s). At most half the cache is filled, so a large library warms only
        part of its sentences and questions still have room.
        """
        from tutor.library.embeddings import LocalEmbeddings
        from tutor.text import split_sentences

        if not isinstance(self.embeddings, LocalEmbeddings):
            return 0
        limit = self.embeddings.cache_size // 2
        started, done, pending = time.perf_counter(), 0, []
        try:
            for _, text, _ in self.store.iter_chunks():
                pending += [s for s in split_sentences(text) if len(s.split()) >= 5]
                if len(pending) >= batch:
                    take, pending = pending[: min(batch, limit - done)], pending[batch:]
                    self.embeddings.embed_cached(take)
                    done += len(take)
                if done >= limit:
                    break
            take = pending[: max(0, limit - done)]
            if take:
                self.embeddings.embed_cached(take)
                done += len(take)
        except Exception:  # a cold cache is only slower
            log.exception("could not warm the sentence cache")
        log.info("sentence cache warmed: %d sentences in %.1f s", done, time.perf_counter() - started)
        return done

    def snapshot(self, backend: str) -> SettingsSnapshot:
        """The settings recorded with feedback: which backend answered, the model, and how many passages."""
        config: Any = getattr(self.tutor.retriever, "config", None)
        return SettingsSnapshot(backend=backend, model=self.settings.llm, embedding_model=self.settings.embedding_model,
                                k=getattr(config, "k", None))


def follow_index(tutor: Tutor, store: ChunkStore) -> None:
    """Make the tutor's BM25 cache track the index version published in Chroma.

    ``Tutor.from_settings`` already does this; a tutor built another way (tests inject their own) may know
    only the local data folder, which is enough for one process. Replicas sharing a Chroma server (and an
    app next to an ``ingest.py`` with another data folder) need the version in the store to notice each
    other's ingestions and rebuild their copy.
    """
    lexical = getattr(tutor.retriever, "lexical", None)
    if isinstance(lexical, LexicalCache) and lexical.store is None:
        lexical.follow(store)


def make_services(settings: Settings, *, store: ChunkStore | None = None, embeddings: Embeddings | None = None,
                  tutor: Tutor | None = None, engine: Engine | None = None) -> Services:
    """Build (or take) every shared object. The embedding model itself loads on the first question."""
    from tutor.db import make_engine
    from tutor.library.chroma import open_store
    from tutor.library.embeddings import make_embeddings

    store = store or open_store(settings)
    embeddings = embeddings or make_embeddings(settings)
    if tutor is None:
        tutor = Tutor.from_settings(settings, store, embeddings)
        follow_index(tutor, store)
    engine = engine or make_engine(settings)
    return Services(settings, store, embeddings, tutor, engine, FeedbackStore(engine).create(),
                    AuditLog.from_settings(settings, engine), Access.from_settings(settings, engine))
