"""The scale-out path: ingestion and queries against a real ``chroma run`` on a free local port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import factories
import pytest
from helpers import all_chunks

from tutor.library.chroma import open_store
from tutor.library.embeddings import LocalEmbeddings
from tutor.library.ingestion import Ingestor
from tutor.library.versions import CURRENT, SUPERSEDED
from tutor.settings import Settings

pytestmark = [pytest.mark.server, pytest.mark.timeout(300)]

CHROMA = Path(sys.executable).parent / "chroma"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_heartbeat(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chroma exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"no heartbeat from {url} after {timeout:g} s")


@pytest.fixture
def chroma_url(tmp_path: Path, offline_environment: None) -> Iterator[str]:
    """A Chroma server of this test's own, stopped at the end."""
    port = free_port()
    log = tmp_path / "chroma.log"  # a file, not a pipe: a full pipe would block the server's request logging
    with log.open("wb") as sink:
        process = subprocess.Popen([str(CHROMA), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1",
                                    "--port", str(port)], stdout=sink, stderr=subprocess.STDOUT,
                                   env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_heartbeat(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def test_ingest_and_query_through_a_chroma_server(chroma_url: str, tmp_path: Path, embeddings: LocalEmbeddings,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUTOR_CHROMA_URL", chroma_url)
    corpus = tmp_path / "corpus"
    factories.make_note(corpus / "konza.md")
    factories.make_report_pdf(corpus / "report.pdf")
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus, _env_file=None)  # type: ignore[call-arg]
    assert settings.chroma_url == chroma_url  # read from TUTOR_CHROMA_URL

    store = open_store(settings)
    assert type(store.client).__name__ != "PersistentClient" and not settings.chroma_dir.exists()
    assert store.client.get_settings().anonymized_telemetry is False
    summary = Ingestor(settings, store, embeddings).run()
    assert summary.count("added") == 2 and not summary.failures

    replica = open_store(settings)  # a second app replica sees the same index and register
    assert set(replica.records()) == {"konza", "report"}
    assert replica.count() == summary.chunks_written
    question = embeddings.embed_array(["How many officers were in the first intake of the Nyeri course?"])[0]
    top = replica.query(question, 1)[0]
    assert top.id == "report:1:0" and "412 officers" in top.text and top.metadata["page"] == 1
    stored = replica.sentence_vectors(list(all_chunks(replica)))  # the answerer's sentence vectors, over HTTP
    assert "report:1:0" in stored and stored["report:1:0"].vectors.shape[1] == 384

    fresh_model = LocalEmbeddings("all-MiniLM-L6-v2")
    again = Ingestor(settings, replica, fresh_model).run()
    assert again.count("unchanged") == 2 and not fresh_model.loaded

    factories.make_note(corpus / "konza.md", body="# Konza Technopolis briefing\n\nKonza now runs a Tier III data centre.\n")
    (corpus / "report.pdf").unlink()
    changed = Ingestor(settings, replica, embeddings).run(purge=True)
    assert sorted((f.source, f.action) for f in changed.files) == [("konza.md", "updated"), ("report.pdf", "removed")]
    chunks = all_chunks(store)
    current = {cid for cid, (_, meta) in chunks.items() if meta.get("status") == CURRENT}
    assert current == {"konza:introduction:0"} and "Tier III" in chunks["konza:introduction:0"][0]
    assert {meta["doc_id"] for _, meta in chunks.values()} == {"konza"}  # the report is gone with its versions
    assert {meta["status"] for cid, (_, meta) in chunks.items() if cid not in current} == {SUPERSEDED}
    rows = store.sentences.get(include=["metadatas"])
    assert set(rows["ids"]) == set(chunks) and {m["doc_id"] for m in rows["metadatas"]} == {"konza"}
