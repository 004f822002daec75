"""Bulk embedding precision: bfloat16 only where it is native and equivalent to float32."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tutor.errors import TutorError
from tutor.library import embeddings as emb
from tutor.library.chroma import open_store
from tutor.library.embeddings import BF16_MIN_COSINE, PRECISION_SAMPLE, LocalEmbeddings
from tutor.library.ingestion import Ingestor
from tutor.settings import Settings

TEXTS = [
    f"County {n} digitised {n * 7} services and trained {n * 40} officers in data protection and cloud security."
    for n in range(1, 2 * PRECISION_SAMPLE + 1)
]


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1)


def test_bfloat16_corpus_vectors_match_float32(model: LocalEmbeddings) -> None:
    fast = model.sharing_model("bfloat16", None)
    vectors = fast.embed_corpus(TEXTS)
    exact = fast.embed_array(TEXTS)  # questions: always float32
    assert fast.precision_report == {"precision": "bfloat16", "why": "set by TUTOR_EMBEDDING_PRECISION"}
    assert vectors.dtype == np.float32 and vectors.shape == exact.shape
    assert cosines(vectors, exact).min() >= BF16_MIN_COSINE
    assert not np.array_equal(vectors, exact)  # it really ran in another precision


def test_float32_setting_embeds_the_corpus_exactly_as_questions(model: LocalEmbeddings) -> None:
    exact = model.sharing_model("float32", None)
    assert np.array_equal(exact.embed_corpus(TEXTS), exact.embed_array(TEXTS))
    assert exact.precision_report and exact.precision_report["precision"] == "float32"


def test_auto_keeps_float32_on_a_cpu_without_native_bfloat16(model: LocalEmbeddings,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emb, "native_bf16", lambda: False)
    auto = model.sharing_model("auto", None)
    assert np.array_equal(auto.embed_corpus(TEXTS), auto.embed_array(TEXTS))
    assert auto.precision_report == {"precision": "float32", "why": "this CPU has no native bfloat16"}


def test_auto_checks_bfloat16_on_a_sample_before_using_it(model: LocalEmbeddings,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emb, "native_bf16", lambda: True)
    auto = model.sharing_model("auto", None)
    few = TEXTS[: PRECISION_SAMPLE - 1]
    assert np.array_equal(auto.embed_corpus(few), auto.embed_array(few))  # too few to judge: float32
    assert auto.precision_report is None
    vectors = auto.embed_corpus(TEXTS)
    report = auto.precision_report
    assert report is not None and report["sample"] == PRECISION_SAMPLE
    assert report["min_cosine_to_float32"] >= BF16_MIN_COSINE and report["speedup"] > 0
    assert report["precision"] == "bfloat16" and report["why"] == "native and equivalent on the sample"
    assert not np.array_equal(vectors, auto.embed_array(TEXTS))


def test_auto_refuses_bfloat16_that_does_not_match_float32(model: LocalEmbeddings,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emb, "native_bf16", lambda: True)
    monkeypatch.setattr(emb, "BF16_MIN_COSINE", 1.01)  # no vector can reach it
    auto = model.sharing_model("auto", None)
    auto.embed_corpus(TEXTS)
    assert auto.precision_report and auto.precision_report["precision"] == "float32"
    assert auto.precision_report["why"] == "not equivalent to float32 on the sample"


def test_an_unknown_precision_is_refused() -> None:
    with pytest.raises(TutorError, match="choose one of auto, float32, bfloat16"):
        LocalEmbeddings("all-MiniLM-L6-v2", corpus_precision="float16")


class Recording(LocalEmbeddings):
    """Remembers the texts ingestion embedded in bulk: chunks in ``texts``, their sentences in ``sentences``."""

    texts: list[str]
    sentences: list[str]

    def embed_corpus(self, texts: list[str], decide: bool = True) -> np.ndarray:
        name = "texts" if decide else "sentences"
        setattr(self, name, [*getattr(self, name, []), *texts])
        return super().embed_corpus(texts, decide)


def ingest_in(tmp_path: Path, model: LocalEmbeddings, precision: str, texts: list[str],
              int8_dir: Path | None = None) -> tuple[Recording, np.ndarray]:
    """Ingest one Markdown document made of ``texts`` in ``precision``; the embeddings used and the stored vectors."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    body = "\n\n".join(f"## Part {n}\n\n" + " ".join(texts[n::4]) for n in range(4))
    (corpus / "counties.md").write_text(f"---\ntitle: County services\n---\n{body}\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus, embedding_precision=precision,
                        _env_file=None)  # type: ignore[call-arg]
    recording = Recording(model.model_name, corpus_precision=settings.embedding_precision, int8_dir=int8_dir)
    recording._model = model.model
    store = open_store(settings)
    summary = Ingestor(settings, store, recording).run()
    assert summary.count("added") == 1 and summary.chunks_written == len(recording.texts) >= 4
    assert recording.precision_report and recording.precision_report["precision"] == precision
    return recording, np.asarray(store.chunks.get(include=["embeddings"])["embeddings"], dtype=np.float32)


def test_ingestion_embeds_documents_in_the_corpus_precision(tmp_path: Path, model: LocalEmbeddings) -> None:
    recording, stored = ingest_in(tmp_path, model, "bfloat16", TEXTS)
    exact = recording.embed_array(recording.texts)
    best = (stored @ exact.T).max(axis=1)  # each stored vector against its float32 twin
    assert best.min() >= BF16_MIN_COSINE and best.max() < 1 - 1e-7
    # The sentences the answerer quotes go through the bulk path too (in the precision chosen on chunks).
    assert sorted(recording.sentences) == sorted(TEXTS)
