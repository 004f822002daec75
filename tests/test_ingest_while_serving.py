"""``python ingest.py`` in a separate process while the app answers: no errors, no damage, no restart.

The supported set-up on one machine is the default one: the app and ``ingest.py`` share ``TUTOR_DATA_DIR``
(embedded Chroma). Ingestion runs under the data folder's lock and publishes a new index version at the
end; the app notices within a second, re-opens its embedded Chroma client (whose in-memory vector index
would not see another process's writes) and loads the new BM25 index.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Self

import pytest
from factories import make_markdown
from gradio_client import Client
from serving import REPO, app_process, subprocess_env

from tutor.library.chroma import open_store
from tutor.library.embeddings import LocalEmbeddings
from tutor.library.ingestion import Ingestor
from tutor.settings import Settings

pytestmark = [pytest.mark.server, pytest.mark.timeout(900),
              pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")]

USERS = 3
NEW_TITLE = "Lamu mangrove survey"
NEW_QUESTION = "How many hectares of mangrove forest did the Lamu mangrove survey count?"
TOPICS = ["county budgets", "school feeding", "water kiosks", "road maintenance", "market levies",
          "health records", "bursary funds", "land registries"]


def _questions() -> list[str]:
    items = [json.loads(line) for line in (REPO / "tests" / "data" / "devset.jsonl").read_text().splitlines() if line]
    return [i["question"] for i in items if i.get("answerable", True) and not i.get("history")][:20]


def _add_documents(corpus: Path) -> None:
    """The note the test asks about, plus a few longer ones so that the write phase takes a while."""
    make_markdown(corpus / "new" / "lamu-mangroves.md",
                  "# Lamu mangrove survey\n\n## Findings\n\nThe Lamu mangrove survey counted 3,917 hectares of "
                  "restored mangrove forest along the Kenyan coast in the last monitoring season.\n",
                  {"title": NEW_TITLE, "publisher": "Coast Forestry Office", "year": 2025})
    rng = random.Random(7)
    for n, topic in enumerate(TOPICS):
        sections = "\n".join(
            f"## Part {s}\n\n" + " ".join(
                f"Officers in sub-county {rng.randint(1, 300)} reviewed {topic} for {rng.randint(2, 90)} days "
                f"and reported {rng.randint(10, 9000)} cases to the county assembly." for _ in range(12))
            for s in range(1, 9))
        make_markdown(corpus / "new" / f"county-{n}.md", f"# County review of {topic}\n\n{sections}\n",
                      {"title": f"County review of {topic}", "publisher": "County audit unit", "year": 2025})


class Users:
    """A few officials asking questions in a loop through ``gradio_client``, timing every answer."""

    def __init__(self, url: str, questions: list[str]) -> None:
        self.url, self.questions = url, questions
        self.stop = threading.Event()
        self.done: list[tuple[float, float]] = []  # (start, end) of each answered question
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(USERS)]

    def _run(self, user: int) -> None:
        client = Client(self.url, verbose=False)
        turn = user
        while not self.stop.is_set():
            question = self.questions[turn % len(self.questions)]
            turn += USERS
            started = time.monotonic()
            try:
                answer, _ = client.predict(question, api_name="/ask")
                assert isinstance(answer, str) and answer
            except Exception as exc:  # noqa: BLE001 - every failure is counted and reported by the test
                self.errors.append(f"{question!r}: {type(exc).__name__}: {exc}")
            else:
                self.done.append((started, time.monotonic()))

    def __enter__(self) -> Self:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(120)


def test_ingest_py_while_the_app_answers(tmp_path: Path, embeddings: LocalEmbeddings) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO / "corpus", corpus)
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus, _env_file=None)  # type: ignore[call-arg]
    store = open_store(settings)
    assert not Ingestor(settings, store, embeddings).run().failures
    chunks_before = store.count()

    with app_process(tmp_path / "app.log", data_dir=settings.data_dir, corpus_dir=corpus) as app:
        ask = Client(app.url, verbose=False)
        _, sources = ask.predict(NEW_QUESTION, api_name="/ask")
        assert NEW_TITLE not in {s["title"] for s in sources}
        _add_documents(corpus)
        with Users(app.url, _questions()) as users:
            time.sleep(3)
            ingest_started = time.monotonic()
            run = subprocess.run([sys.executable, str(REPO / "ingest.py"), "--json"], capture_output=True, text=True,
                                 timeout=600, env=subprocess_env(data_dir=settings.data_dir, corpus_dir=corpus),
                                 check=False)
            ingest_ended = time.monotonic()
            time.sleep(3)
        assert run.returncode == 0, run.stderr[-3000:]
        summary = json.loads(run.stdout)
        assert summary["added"] == 1 + len(TOPICS) and summary["failed"] == 0, summary
        assert not users.errors, users.errors[:5]
        during = [d for d in users.done if d[1] > ingest_started and d[0] < ingest_ended]
        assert len(during) >= USERS, f"only {len(during)} answers overlapped the ingestion"

        # The new document is cited without a restart (the app checks the index version every second).
        deadline = time.monotonic() + 20
        while True:
            answer, sources = ask.predict(NEW_QUESTION, api_name="/ask")
            if NEW_TITLE in {s["title"] for s in sources} or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert NEW_TITLE in {s["title"] for s in sources} and "3,917" in answer, answer
        assert app.process.poll() is None
        log = app.log_text()
        assert "Traceback" not in log and " ERROR " not in log, log[-3000:]
        # Dense search sees the new chunks because the app re-opened its embedded client (BM25 alone could
        # have found this note; tests/test_index_version.py checks the vector side on its own).
        assert "re-opening the embedded store" in log and "loading BM25 index" in log, log[-3000:]

    # The index is whole: every registered chunk is there, counts agree, and a re-run finds nothing to do.
    store.refresh(force=True)
    records = store.records()
    assert store.count() == sum(r.chunks for r in records.values()) > chunks_before
    ids = [cid for r in records.values() for cid in r.chunk_ids]
    assert len(store.get(ids)) == len(ids)
    question = embeddings.embed_array([NEW_QUESTION])[0]
    assert store.query(question, 1)[0].metadata["title"] == NEW_TITLE
    again = subprocess.run([sys.executable, str(REPO / "ingest.py"), "--json"], capture_output=True, text=True,
                           timeout=600, env=subprocess_env(data_dir=settings.data_dir, corpus_dir=corpus), check=False)
    assert again.returncode == 0 and json.loads(again.stdout)["chunks_written"] == 0, again.stderr[-2000:]
