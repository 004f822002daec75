"""The int8 copy of the embedding model: close to float32, made once per data folder, never phoning home."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.test_embeddings import ingest_in
from tutor.library import embeddings as emb
from tutor.library import int8
from tutor.library.embeddings import INT8_MIN_COSINE, PRECISION_SAMPLE, LocalEmbeddings
from tutor.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SUBJECTS = ["County {n}", "The ministry of ICT", "The data commissioner", "A procurement team", "The KSG course {n}",
            "Huduma centre {n}", "The national AI task force", "An internal auditor"]
ACTIONS = ["moved {n} services to a cloud provider", "reported {n} phishing attempts this quarter",
           "published an open data portal with {n} data sets", "trained {n} officers on the Data Protection Act",
           "reviewed an algorithmic impact assessment of {n} pages",
           "asked whether a chatbot should answer {n} citizen questions a day"]
TEXTS = [f"{SUBJECTS[n % len(SUBJECTS)].format(n=n)} {ACTIONS[n % len(ACTIONS)].format(n=n * 7 + 3)}, "
         f"and the board asked for a written note on risks, costs and who is accountable."
         for n in range(int8.MIN_CALIBRATION + PRECISION_SAMPLE)]


@pytest.fixture(scope="module")
def made(model: LocalEmbeddings, tmp_path_factory: pytest.TempPathFactory) -> LocalEmbeddings:
    """Embeddings whose int8 model was just made (calibrated on TEXTS) in a folder of this module's own."""
    maker = model.sharing_model("int8", tmp_path_factory.mktemp("int8") / "models")
    maker.embed_corpus(TEXTS)
    return maker


def test_int8_corpus_vectors_match_float32(made: LocalEmbeddings) -> None:
    report = made.precision_report
    assert report and report["precision"] == "int8" and report["why"] == "set by TUTOR_EMBEDDING_PRECISION"
    vectors = made.embed_corpus(TEXTS)
    exact = made.embed_array(TEXTS)  # questions: always float32
    assert vectors.dtype == np.float32 and vectors.shape == exact.shape
    cosine = np.sum(vectors * exact, axis=1)
    assert cosine.min() >= INT8_MIN_COSINE and report["min_cosine_to_float32"] >= INT8_MIN_COSINE
    assert not np.allclose(vectors, exact, atol=1e-4)  # it really ran another model
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)


def test_the_int8_model_is_kept_with_a_note_of_how_it_was_made(made: LocalEmbeddings) -> None:
    assert made.int8_dir is not None
    folders = list(made.int8_dir.iterdir())
    assert [f.name for f in folders] == [int8.cache_folder(made.int8_dir, made.path).name]
    assert {p.name for p in folders[0].iterdir()} == {"model.xml", "model.bin", "made.json"}
    note = json.loads((folders[0] / "made.json").read_text())
    assert int8.MIN_CALIBRATION <= note["calibration_texts"] <= int8.CALIBRATION_SIZE and note["seconds"] > 0


def test_auto_reuses_the_int8_model_without_calibrating_again(model: LocalEmbeddings, made: LocalEmbeddings) -> None:
    xml = next(made.int8_dir.glob("*/model.xml"))  # type: ignore[union-attr]
    written = xml.stat().st_mtime_ns
    auto = model.sharing_model("auto", made.int8_dir)
    few = TEXTS[:PRECISION_SAMPLE]  # too few to calibrate: only a model already made can serve
    vectors = auto.embed_corpus(few)
    assert auto.precision_report and auto.precision_report["precision"] == "int8"
    assert auto.precision_report["why"] == "available and equivalent on the sample"
    assert xml.stat().st_mtime_ns == written
    assert np.allclose(vectors, made.embed_corpus(few), atol=1e-6)  # the same model, the same vectors


def test_auto_without_a_model_and_too_few_texts_to_make_one_does_without(model: LocalEmbeddings,
                                                                          tmp_path: Path) -> None:
    auto = model.sharing_model("auto", tmp_path / "models")
    auto.embed_corpus(TEXTS[:PRECISION_SAMPLE])
    assert auto.precision_report and auto.precision_report["precision"] in {"bfloat16", "float32"}
    assert not (tmp_path / "models").exists() or not any((tmp_path / "models").iterdir())


def test_auto_refuses_int8_that_does_not_match_float32(model: LocalEmbeddings, made: LocalEmbeddings,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emb, "INT8_MIN_COSINE", 1.01)  # no vector can reach it
    monkeypatch.setattr(emb, "native_bf16", lambda: False)
    auto = model.sharing_model("auto", made.int8_dir)
    vectors = auto.embed_corpus(TEXTS)
    report = auto.precision_report
    assert report and report["precision"] == "float32"
    assert report["why"].startswith("this CPU has no native bfloat16; int8 differs from float32 on the sample")
    assert np.array_equal(vectors, auto.embed_array(TEXTS))


def test_int8_asked_for_where_it_cannot_be_made_says_so_and_embeds_in_float32(model: LocalEmbeddings) -> None:
    nowhere = model.sharing_model("int8", None)  # no folder to keep the model in
    assert np.array_equal(nowhere.embed_corpus(TEXTS), nowhere.embed_array(TEXTS))
    assert nowhere.precision_report == {"precision": "float32", "why": "int8 needs OpenVINO, NNCF and a data folder"}


def test_a_model_the_int8_graph_cannot_reproduce_is_refused(model: LocalEmbeddings) -> None:
    from sentence_transformers.models import Pooling

    cls_pooled = [model.model[0], Pooling(384, pooling_mode="cls")]
    with pytest.raises(ValueError, match="mean-pooled models only"):
        int8.check_supported(cls_pooled)
    int8.check_supported(model.model)  # the shipped model passes


def test_ingestion_stores_int8_vectors(tmp_path: Path, model: LocalEmbeddings, made: LocalEmbeddings) -> None:
    recording, stored = ingest_in(tmp_path, model, "int8", TEXTS, int8_dir=made.int8_dir)
    best = (stored @ recording.embed_array(recording.texts).T).max(axis=1)  # each against its float32 twin
    assert best.min() >= INT8_MIN_COSINE and best.max() < 1 - 1e-5


MAKE_IN_A_CLEAN_HOME = """
import sys
events = []
REACHING_OUT = {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto", "socket.sendmsg"}
sys.addaudithook(lambda event, args: events.append(event) if event in REACHING_OUT else None)
from pathlib import Path
from tutor.library.embeddings import LocalEmbeddings
texts = [line for line in sys.stdin.read().splitlines() if line]
embeddings = LocalEmbeddings("all-MiniLM-L6-v2", corpus_precision="int8", int8_dir=Path(sys.argv[1]))
embeddings.embed_corpus(texts)
print(embeddings.precision_report["precision"], sorted(set(events)))
"""


def test_making_the_int8_model_reaches_for_no_network_and_leaves_home_alone(tmp_path: Path) -> None:
    """NNCF and OpenVINO's tools report usage to Google Analytics and keep a client id in ~/intel by default."""
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "HF_HUB_OFFLINE": "1"}
    env.pop("NNCF_CI", None)
    done = subprocess.run([sys.executable, "-c", MAKE_IN_A_CLEAN_HOME, str(tmp_path / "models")],
                          check=False, cwd=REPO, env=env,
                          input="\n".join(TEXTS), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[0] == "int8" and done.stdout.strip().endswith("[]"), done.stdout
    assert list(home.iterdir()) == []
    assert list((tmp_path / "models").glob("*/model.xml"))


def test_beir_mode_neither_uses_nor_replaces_the_library_int8_model(tmp_path: Path, model: LocalEmbeddings,
                                                                     made: LocalEmbeddings) -> None:
    """A BEIR run embeds another data set: the library's int8 model was calibrated on the library."""
    from tutor.eval.beir import run_beir

    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    docs = TEXTS[:PRECISION_SAMPLE + 4]  # enough to choose a precision, too few to calibrate a model of its own
    (folder / "corpus.jsonl").write_text("".join(json.dumps({"_id": f"d{n}", "title": f"Note {n}", "text": text}) + "\n"
                                                 for n, text in enumerate(docs)))
    (folder / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "phishing attempts reported"}) + "\n")
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n")
    library = made.int8_dir
    assert library is not None
    before = sorted((p.name, p.stat().st_mtime_ns) for p in library.glob("*/*"))
    evaluating = model.sharing_model("auto", library)
    result = run_beir(folder, Settings(data_dir=tmp_path / "data", _env_file=None),  # type: ignore[call-arg]
                      evaluating, show_progress=False)
    assert result["corpus_embeddings"]["precision"] in {"bfloat16", "float32"}
    assert sorted((p.name, p.stat().st_mtime_ns) for p in library.glob("*/*")) == before
