"""What the app's tabs share: settings, the index, the embedding model, the tutor and the feedback table.

``make_services(settings)`` is the one place the web app builds them; tests build their own (with the
session's embedding model) and pass the result to ``build_app``. Every object here serves all browser
sessions at once, so none of them may hold per-user state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from langchain_core.embeddings import Embeddings
from sqlalchemy import Engine

from tutor.ingestion import Ingestor
from tutor.settings import Settings
from tutor.store import ChunkStore
from tutor.tutor import Tutor
from tutor.ui.feedback import FeedbackStore, SettingsSnapshot

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

    def ingestor(self, progress: Callable[[int, int, str], None] | None = None) -> Ingestor:
        """A fresh ingestor on the shared store (it takes the same file lock as ``ingest.py``)."""
        return Ingestor(self.settings, self.store, self.embeddings, progress)

    def warm_up(self) -> None:
        """Load the embedding model before the first visitor arrives (so their answer is not the slow one)."""
        try:
            self.embeddings.embed_query("warm up")
        except Exception:  # the first question will try again and report the error properly
            log.exception("could not load the embedding model at start-up")

    def snapshot(self, backend: str) -> SettingsSnapshot:
        """The settings recorded with feedback: which backend answered, the model, and how many passages."""
        config: Any = getattr(self.tutor.retriever, "config", None)
        return SettingsSnapshot(backend=backend, model=self.settings.llm, embedding_model=self.settings.embedding_model,
                                k=getattr(config, "k", None))


def make_services(settings: Settings, *, store: ChunkStore | None = None, embeddings: Embeddings | None = None,
                  tutor: Tutor | None = None, engine: Engine | None = None) -> Services:
    """Build (or take) every shared object. The embedding model itself loads on the first question."""
    from tutor.db import make_engine
    from tutor.embeddings import make_embeddings
    from tutor.store import open_store

    store = store or open_store(settings)
    embeddings = embeddings or make_embeddings(settings)
    tutor = tutor or Tutor.from_settings(settings, store, embeddings)
    engine = engine or make_engine(settings)
    return Services(settings, store, embeddings, tutor, engine, FeedbackStore(engine).create())
