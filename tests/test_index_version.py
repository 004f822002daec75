"""The index version: every ingestion publishes one in Chroma, and other processes act on it.

- A BM25 cache that follows the store rebuilds its own copy when the version changes (an app replica with
  a data folder of its own), and loads the local copy when this folder already has it (same machine).
- An app on the embedded store re-opens its client when another process (``ingest.py``) published a new
  version: embedded Chroma keeps the vector index in memory per process, so without that, ``query``
  would not see the new chunks even though ``get`` does.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from factories import make_markdown, make_note
from serving import REPO, subprocess_env

from tutor.library.chroma import open_store
from tutor.library.embeddings import LocalEmbeddings
from tutor.library.ingestion import Ingestor
from tutor.library.lexical import LexicalCache, LexicalIndex
from tutor.library.store import ChunkStore
from tutor.settings import Settings

MANGROVE = ("# Lamu mangrove survey\n\n## Findings\n\nThe Lamu mangrove survey counted 3,917 hectares of restored "
            "mangrove forest along the Kenyan coast in the last monitoring season.\n")


def _add_mangrove_note(corpus: Path) -> Path:
    return make_markdown(corpus / "lamu-mangroves.md", MANGROVE,
                         {"title": "Lamu mangrove survey", "publisher": "Coast Forestry Office", "year": 2025})


def test_every_ingestion_that_changes_the_index_publishes_the_bm25_version(settings: Settings, store: ChunkStore,
                                                                            ingestor: Ingestor) -> None:
    assert store.index_version() is None
    make_note(settings.corpus_dir / "konza.md")
    ingestor.run()
    first = store.index_version()
    assert first and first == LexicalIndex.current_version(settings.lexical_dir)
    assert open_store(settings).index_version() == first  # stored in Chroma, not in this object
    ingestor.run()  # nothing changed: nothing to announce
    assert store.index_version() == first
    _add_mangrove_note(settings.corpus_dir)
    ingestor.run()
    assert store.index_version() not in (None, first)


def test_a_cache_with_a_folder_of_its_own_rebuilds_from_the_store(settings: Settings, store: ChunkStore,
                                                                  ingestor: Ingestor, tmp_path: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    replica_root = tmp_path / "replica" / "bm25"
    cache = LexicalCache(replica_root).follow(store, check_interval_s=0)
    make_note(settings.corpus_dir / "konza.md")
    ingestor.run()
    index = cache.get()
    assert index is not None and [cid for cid, _ in index.search("Konza Technopolis Development Authority", 1)]
    assert LexicalIndex.current_version(replica_root) == store.index_version()  # saved under the same name
    assert cache.get() is index  # unchanged version: nothing rebuilt

    _add_mangrove_note(settings.corpus_dir)
    ingestor.run()
    hits = cache.get().search("Lamu mangrove hectares", 1)  # type: ignore[union-attr]
    assert hits and hits[0][0].startswith("lamu-mangroves:")

    # A restarted replica loads its saved copy instead of rebuilding it.
    restarted = LexicalCache(replica_root).follow(store, check_interval_s=0)
    with caplog.at_level(logging.INFO, logger="tutor.library.lexical"):
        assert restarted.get() is not None
    assert "loading BM25 index" in caplog.text and "rebuilt" not in caplog.text


def test_a_cache_builds_from_an_index_that_never_published_a_version(settings: Settings, store: ChunkStore,
                                                                     ingestor: Ingestor, tmp_path: Path) -> None:
    make_note(settings.corpus_dir / "konza.md")
    ingestor.run()
    store.documents.modify(metadata={"index_version": ""})  # as an index built before versions existed
    assert store.index_version() is None
    cache = LexicalCache(tmp_path / "fresh" / "bm25").follow(store, check_interval_s=0)
    index = cache.get()
    assert index is not None and len(index) == store.count()


def test_a_local_cache_without_a_store_still_follows_the_current_pointer(settings: Settings, ingestor: Ingestor) -> None:
    cache = LexicalCache(settings.lexical_dir)
    assert cache.get() is None
    make_note(settings.corpus_dir / "konza.md")
    ingestor.run()
    assert cache.get() is not None and len(cache.get()) > 0  # type: ignore[arg-type]


def _ingest_py(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = subprocess_env(data_dir=settings.data_dir, corpus_dir=settings.corpus_dir)
    return subprocess.run([sys.executable, str(REPO / "ingest.py"), *args], env=env, capture_output=True,
                          text=True, timeout=600, check=False)


@pytest.mark.server
@pytest.mark.timeout(600)
def test_an_embedded_store_sees_what_another_process_ingested(settings: Settings, embeddings: LocalEmbeddings,
                                                             ingestor: Ingestor) -> None:
    make_note(settings.corpus_dir / "konza.md")
    ingestor.run()
    store = open_store(settings)
    store.refresh_interval_s = 0
    question = embeddings.embed_array(["How many hectares of mangrove did the Lamu survey count?"])[0]
    assert not store.query(question, 1)[0].id.startswith("lamu-mangroves:")  # loads the vector index

    _add_mangrove_note(settings.corpus_dir)
    run = _ingest_py(settings)
    assert run.returncode == 0, run.stderr[-2000:]
    top = store.query(question, 1)[0]
    assert top.id.startswith("lamu-mangroves:") and "3,917" in top.text

    # Writing from this process afterwards keeps the other process's chunks (no stale index written back).
    (settings.corpus_dir / "konza.md").write_text((settings.corpus_dir / "konza.md").read_text() + "\nMore.\n")
    assert Ingestor(settings, store, embeddings).run().count("updated") == 1
    fresh = open_store(settings)
    assert fresh.query(question, 1)[0].id.startswith("lamu-mangroves:")


@pytest.mark.server
@pytest.mark.timeout(600)
def test_a_reset_by_another_process_does_not_break_a_serving_store(settings: Settings,
                                                                   embeddings: LocalEmbeddings,
                                                                   ingestor: Ingestor) -> None:
    make_note(settings.corpus_dir / "konza.md")
    ingestor.run()
    store = open_store(settings)
    question = embeddings.embed_array(["Who oversees planning at Konza?"])[0]
    assert store.query(question, 1)
    run = _ingest_py(settings, "--reset")
    assert run.returncode == 0, run.stderr[-2000:]
    assert store.count() > 0
    assert store.query(question, 1)[0].id.startswith("konza:")
