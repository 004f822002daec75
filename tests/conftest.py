"""Shared fixtures: the real embedding model (loaded once per session), a real Chroma in ``tmp_path``.

Nothing here reaches the network: Hugging Face runs offline, Chroma's telemetry is off, and every
``TUTOR_`` variable of the calling shell is dropped so a developer's own settings cannot leak in.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from system import require_chromium

from tutor.library.chroma import open_store
from tutor.library.embeddings import LocalEmbeddings
from tutor.library.ingestion import Ingestor
from tutor.library.lexical import LexicalIndex
from tutor.library.register import Hit
from tutor.library.store import ChunkStore
from tutor.settings import Settings

MODEL_NAME = "all-MiniLM-L6-v2"


@pytest.fixture(scope="session", autouse=True)
def offline_environment() -> Iterator[None]:
    """No downloads, no telemetry, no stray ``TUTOR_`` settings, for the whole session (subprocesses too)."""
    patch = pytest.MonkeyPatch()
    for name in list(os.environ):
        if name.startswith("TUTOR_"):
            patch.delenv(name)
    patch.setenv("HF_HUB_OFFLINE", "1")
    patch.setenv("TRANSFORMERS_OFFLINE", "1")
    patch.setenv("ANONYMIZED_TELEMETRY", "False")
    yield
    patch.undo()


class CachingEmbeddings(LocalEmbeddings):
    """The real model with a per-session memo by text: every vector is the model's own, computed once.

    Many tests ingest the same small corpus into a fresh store; the memo spares re-encoding it each time.
    ``encoded`` counts the texts that really went through the model.
    """

    def __init__(self, real: LocalEmbeddings) -> None:
        # float32 throughout: the memo is keyed by text alone, so it must not mix precisions
        # (bulk bfloat16 embedding has tests of its own, in test_embeddings.py).
        super().__init__(real.model_name, batch_size=real.batch_size, corpus_precision="float32")
        self._model = real.model
        self._memo: dict[str, np.ndarray] = {}
        self.encoded = 0

    def embed_array(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if missing:
            self._memo.update(zip(missing, super().embed_array(missing)))
            self.encoded += len(missing)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([self._memo[t] for t in texts])


@pytest.fixture(scope="session")
def model(offline_environment: None) -> LocalEmbeddings:
    """The real MiniLM model, loaded once for the whole session."""
    real = LocalEmbeddings(MODEL_NAME)
    assert real.model is not None  # load it now, so no test pays for it alone
    return real


@pytest.fixture(scope="session")
def embeddings(model: LocalEmbeddings) -> CachingEmbeddings:
    """What ingestion and retrieval use in tests: the session's model, memoised by text."""
    return CachingEmbeddings(model)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings isolated in ``tmp_path``: a data folder and a corpus folder of this test's own."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    return Settings(data_dir=tmp_path / "data", corpus_dir=corpus, ingest_lock_timeout_s=5.0,
                    _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def store(settings: Settings) -> ChunkStore:
    return open_store(settings)


@pytest.fixture
def ingestor(settings: Settings, store: ChunkStore, embeddings: LocalEmbeddings) -> Ingestor:
    return Ingestor(settings, store, embeddings)


@pytest.fixture
def dense_search(store: ChunkStore, embeddings: LocalEmbeddings) -> Callable[[str, int], list[Hit]]:
    """Nearest chunks to a question in this test's store."""

    def search(question: str, k: int = 3) -> list[Hit]:
        return store.query(embeddings.embed_array([question])[0], k)

    return search


@pytest.fixture
def lexical_search(settings: Settings) -> Callable[[str, int], list[str]]:
    """Chunk ids that the published BM25 index finds for a question (reloaded on every call)."""

    def search(question: str, k: int = 5) -> list[str]:
        index = LexicalIndex.load(settings.lexical_dir)
        return [cid for cid, _ in index.search(question, k)] if index else []

    return search



# --- the web app: tests/test_app.py and tests/test_browser.py ---------------------------------------------
REPO_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port nobody listens on right now (for a test server)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def ingested_corpus(tmp_path_factory: pytest.TempPathFactory, model: LocalEmbeddings) -> Settings:
    """Settings over a copy of the starter corpus, ingested once per session (its own data folder).

    Ingested exactly as ``make run`` ingests it, in the default corpus precision (bfloat16 on CPUs that
    have it), so the development-set gate and the app tests measure what ships.
    """
    import shutil

    root = tmp_path_factory.mktemp("starter-library")
    shutil.copytree(REPO_ROOT / "corpus", root / "corpus")
    settings = Settings(data_dir=root / "data", corpus_dir=root / "corpus", ingest_lock_timeout_s=30.0,
                        _env_file=None)  # type: ignore[call-arg]
    shipped = LocalEmbeddings(MODEL_NAME, batch_size=settings.embedding_batch_size,
                              corpus_precision=settings.embedding_precision)
    shipped._model = model.model
    summary = Ingestor(settings, open_store(settings), shipped).run()
    assert not summary.failures, summary.text()
    return settings


@pytest.fixture(scope="session")
def app_services(ingested_corpus: Settings, embeddings: LocalEmbeddings) -> object:
    """The web app's shared services over the ingested starter corpus (tutor.ui.services.Services)."""
    from tutor.ui.services import make_services

    return make_services(ingested_corpus, embeddings=embeddings)


@pytest.fixture(scope="session")
def app_server(ingested_corpus: Settings, app_services: object) -> Iterator[str]:
    """The real web app on a free port, over the ingested starter corpus; yields its URL."""
    from tutor.ui.app import build_app, launch_app

    demo = build_app(ingested_corpus, app_services)  # type: ignore[arg-type]
    _, url, _ = launch_app(demo, ingested_corpus, port=free_port(), prevent_thread_lock=True)
    yield url
    demo.close()


@pytest.fixture(scope="session")
def staff_services(ingested_corpus: Settings, embeddings: LocalEmbeddings, app_services: Any) -> Any:
    """The same library and database as ``app_services``, signed in by password, with an account per role
    (tests/accounts.py). Throttling tests use a server of their own: this one is shared."""
    from accounts import with_people

    from tutor.ui.services import make_services

    settings = ingested_corpus.model_copy(update={"auth": "password"})
    services = make_services(settings, store=app_services.store, embeddings=embeddings, tutor=app_services.tutor,
                             engine=app_services.engine)
    return with_people(services, "password")


@pytest.fixture(scope="session")
def staff_server(staff_services: Any) -> Iterator[str]:
    """The real web app behind Gradio's sign-in page (``TUTOR_AUTH=password``); yields its URL."""
    from tutor.ui.app import build_app, launch_app

    demo = build_app(staff_services.settings, staff_services)
    _, url, _ = launch_app(demo, staff_services.settings, port=free_port(), prevent_thread_lock=True)
    yield url
    demo.close()


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's headless chromium driven by Playwright, launched once for every browser test."""
    require_chromium(CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
