"""``python -m tutor.eval`` end to end: a generated library, a small test set, the real model and Chroma.

Covers the three reports, the release gate (exit 2) for a deliberately broken retriever, baselines,
CSV test sets, ``--corpus``, BEIR mode, feedback export, the development-set gate on the starter
library, and the HTML report in a real browser (``@pytest.mark.browser``, screenshot in docs/report.png).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from factories import make_markdown

from tutor.answers.retrieval import HybridRetriever, Passage
from tutor.answers.tutor import Tutor
from tutor.eval.cli import build_parser, main
from tutor.eval.testset import load_testset
from tutor.library.chroma import open_store
from tutor.library.embeddings import LocalEmbeddings
from tutor.library.ingestion import Ingestor
from tutor.library.lexical import LexicalCache
from tutor.settings import Settings

REPO = Path(__file__).resolve().parents[1]
DESIGN_METRICS = {"hit_at_k", "mrr", "key_fact_recall", "citation_precision", "refusal_accuracy",
                  "false_refusal_rate", "latency_p50_ms", "latency_p95_ms"}

NOTES = {
    "kenya-drone-rules": ("Drone Regulations Brief", "Aviation", """# Drone Regulations Brief

## Licensing

The Kenya Civil Aviation Authority licenses every commercial drone operator in the country.
A remote pilot licence is valid for 24 months and must then be renewed.

## Flying rules

Drones must stay below 400 feet and keep away from airports and crowds.
"""),
    "mobile-money": ("Mobile Money Interoperability Note", "Finance", """# Mobile Money Interoperability Note

## Pilot

Interoperability between mobile money wallets started in April 2018.
The regulator counted 1,450 agents in the pilot county of Nyandarua.
"""),
    "open-data-portal": ("Open Data Portal Guide", "Data", """# Open Data Portal Guide

## Licence

Every dataset on the open data portal uses the Creative Commons Attribution 4.0 licence.
The portal publishes 830 datasets from ministries and counties.
"""),
    "smart-meters": ("Smart Water Meters Brief", "Utilities", """# Smart Water Meters Brief

## Rollout

The Nakuru water company installed 12,000 smart water meters in 2023.
Leak alerts from the meters reduced non-revenue water by 18 percent.
"""),
}

ITEMS: list[dict[str, Any]] = [
    {"id": "t1", "question": "Who licenses commercial drone operators in Kenya?",
     "key_facts": ["Kenya Civil Aviation Authority | KCAA"], "sources": ["kenya-drone-rules"], "topic": "Aviation",
     "reference_answer": "The Kenya Civil Aviation Authority licenses commercial drone operators."},
    {"id": "t2", "question": "How many mobile money agents did the regulator count in the pilot county?",
     "key_facts": ["1450"], "sources": ["mobile-money.md"], "topic": "Finance",  # a file name and a bare number
     "reference_answer": "It counted 1,450 agents in Nyandarua."},
    {"id": "t3", "question": "Which licence do datasets on the open data portal use?",
     "key_facts": ["Creative Commons Attribution 4.0 | CC BY 4.0"], "sources": [], "topic": "Data"},  # no sources
    {"id": "t4", "question": "How many were installed?", "key_facts": ["12,000"], "sources": ["smart-meters"],
     "history": [{"role": "user", "content": "Tell me about the smart water meters in Nakuru."},
                 {"role": "assistant", "content": "Nakuru's water company installed smart meters."}],
     "topic": "Utilities"},
    # Deliberately half wrong: the library never states a renewal fee, so the report always shows a failure.
    {"id": "t5", "question": "How long is a remote pilot licence for drones valid?",
     "key_facts": ["24 months", "renewal fee of 5,000 shillings"], "sources": ["kenya-drone-rules"],
     "topic": "Aviation"},
    {"id": "u1", "question": "Who won the 2022 FIFA World Cup final?", "answerable": False, "topic": "Out of scope"},
    {"id": "u2", "question": "How do I make soft layered chapati?", "answerable": False, "topic": "Out of scope"},
]
#: What the real tutor must reach on the small library; a retriever that returns the wrong documents cannot.
GATES = ["hit_at_k=0.8", "key_fact_recall=0.4", "false_refusal_rate=0.5"]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, embeddings: LocalEmbeddings) -> Settings:
    """Four generated briefing notes, ingested once for this module into their own data folder."""
    root = tmp_path_factory.mktemp("eval-library")
    corpus = root / "corpus"
    for doc_id, (title, topic, body) in NOTES.items():
        make_markdown(corpus / f"{doc_id}.md", body, {"title": title, "publisher": "Mwalimu tests", "year": 2025,
                                                       "topic": topic})
    settings = Settings(data_dir=root / "data", corpus_dir=corpus, _env_file=None)  # type: ignore[call-arg]
    summary = Ingestor(settings, open_store(settings), embeddings).run()
    assert not summary.failures and summary.count("added") == len(NOTES)
    return settings


@pytest.fixture(scope="module")
def testset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("eval-set") / "small.jsonl"
    path.write_text("".join(json.dumps(item) + "\n" for item in ITEMS), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def real_run(library: Settings, testset: Path, embeddings: LocalEmbeddings,
             tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path]:
    """One run of the CLI with the real tutor, shared by the tests that only read its reports."""
    out = tmp_path_factory.mktemp("eval-real")
    status = main([str(testset), "--out", str(out), "--k", "3", "--no-progress", *_gates()],
                  settings=library, embeddings=embeddings)
    return status, out


def _gates() -> list[str]:
    return [arg for gate in GATES for arg in ("--fail-under", gate)]


class WrongDocumentsRetriever(HybridRetriever):
    """A deliberately broken retriever: it returns passages, but only from documents other than the best one."""

    def retrieve(self, query: str, k: int | None = None, filters: dict[str, str] | None = None,
                 mode: str = "hybrid") -> list[Passage]:
        ranked = super().retrieve(query, 50, filters, mode)
        wrong = [p for p in ranked if p.doc_id != ranked[0].doc_id] if ranked else []
        return wrong[: k or self.config.k]


def broken_tutor(settings: Settings, store: Any, embeddings: Any) -> Tutor:
    retriever = WrongDocumentsRetriever(store, embeddings, LexicalCache(settings.lexical_dir))
    return Tutor(store, embeddings, retriever=retriever)


# --- the three reports -------------------------------------------------------------------------------------
def test_cli_writes_json_csv_and_html_reports(real_run: tuple[int, Path]) -> None:
    status, out = real_run
    assert status == 0, (out / "report.json").read_text()[:2000]
    data = json.loads((out / "report.json").read_text())
    assert DESIGN_METRICS <= set(data["summary"]) and {"token_f1", "rouge_l", "semantic_similarity"} <= set(data["summary"])
    assert [q["id"] for q in data["questions"]] == [item["id"] for item in ITEMS]
    for q in data["questions"]:
        assert {"id", "question", "answer", "refused", "citations", "retrieved", "scores", "latency_ms"} <= set(q)
        assert q["latency_ms"] > 0
    by_id = {q["id"]: q for q in data["questions"]}
    assert by_id["t2"]["scores"]["key_fact_recall"] == 1.0  # "1450" found as "1,450"
    assert by_id["t3"]["scores"]["hit_at_k"] == 1.0  # no gold source: a passage holding the fact counts
    assert by_id["t4"]["scores"]["hit_at_k"] == 1.0  # the follow-up found its document
    assert by_id["t5"]["scores"]["key_fact_recall"] == 0.5 and not by_id["t5"]["passed"]
    assert any("renewal fee" in d and "never states it" in d for d in by_id["t5"]["diagnosis"])  # test-item problem
    assert by_id["u1"]["refused"] and by_id["u1"]["scores"]["refusal_accuracy"] == 1.0
    assert all(p["doc_id"] and p["chunk_id"] for q in data["questions"] for p in q["retrieved"])
    assert set(data["by_topic"]) == {"Aviation", "Finance", "Data", "Utilities", "Out of scope"}
    assert [g["metric"] for g in data["gates"]] == ["hit_at_k", "key_fact_recall", "false_refusal_rate"]

    with (out / "report.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["id"] for r in rows] == [item["id"] for item in ITEMS]
    assert {"answer", "citations", "retrieved", "hit_at_k", "key_fact_recall", "latency_ms"} <= set(rows[0])
    assert rows[4]["facts_missing"] == "renewal fee of 5,000 shillings"

    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "Failures only" in html
    assert "<script src" not in html and "<link" not in html and "@import" not in html  # self-contained
    assert all(f'>{item["id"]}<' in html for item in ITEMS)


def test_gate_fails_for_a_retriever_that_returns_the_wrong_documents(
        library: Settings, testset: Path, embeddings: LocalEmbeddings, real_run: tuple[int, Path],
        tmp_path: Path) -> None:
    assert real_run[0] == 0  # the same gates pass with the real retriever
    status = main([str(testset), "--out", str(tmp_path), "--k", "3", "--no-progress", *_gates()],
                  settings=library, embeddings=embeddings, make_tutor=broken_tutor)
    assert status == 2
    data = json.loads((tmp_path / "report.json").read_text())
    gates = {g["metric"]: g for g in data["gates"]}
    assert not gates["hit_at_k"]["passed"] and gates["hit_at_k"]["value"] < 0.5
    assert all(any("retrieval miss" in d for d in q["diagnosis"]) for q in data["questions"] if q["answerable"])


def test_cli_process_exit_status_and_reports(library: Settings, testset: Path, tmp_path: Path) -> None:
    """The real command line, as CI runs it: exit 2 when a gate is missed, reports written anyway."""
    env = {**os.environ, "TUTOR_DATA_DIR": str(library.data_dir), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "tutor.eval", str(testset), "--out", str(tmp_path), "--k", "3",
                           "--fail-under", "key_fact_recall=1.0", "--fail-under", "hit_at_k=0.5"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "FAIL key_fact_recall" in done.stdout and "PASS hit_at_k" in done.stdout
    assert {p.name for p in tmp_path.iterdir()} >= {"report.json", "report.csv", "report.html"}


def test_usage_errors_exit_1_not_2(library: Settings, testset: Path, embeddings: LocalEmbeddings,
                                   tmp_path: Path) -> None:
    assert main([str(testset), "--fail-under", "accuracy=0.9"], settings=library, embeddings=embeddings) == 1
    assert main([str(tmp_path / "missing.jsonl")], settings=library, embeddings=embeddings) == 1
    empty = Settings(data_dir=tmp_path / "empty", _env_file=None)  # type: ignore[call-arg]
    assert main([str(testset), "--out", str(tmp_path / "o")], settings=empty, embeddings=embeddings) == 1


def test_csv_test_set_gives_the_same_results(library: Settings, testset: Path, embeddings: LocalEmbeddings,
                                             real_run: tuple[int, Path], tmp_path: Path) -> None:
    path = tmp_path / "small.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "question", "history", "key_facts", "sources", "reference_answer", "answerable", "topic"])
        for item in ITEMS:
            history = " ; ".join(f"{t['role']}: {t['content']}" for t in item.get("history", []))
            writer.writerow([item["id"], item["question"], history, " ; ".join(item.get("key_facts", [])),
                             " ; ".join(item.get("sources", [])), item.get("reference_answer", ""),
                             str(item.get("answerable", True)).lower(), item.get("topic", "")])
    assert load_testset(path) == [replace(i, extra={}) for i in load_testset(testset)]
    assert main([str(path), "--out", str(tmp_path / "out"), "--k", "3", "--no-progress"], settings=library,
                embeddings=embeddings) == 0
    mine = json.loads((tmp_path / "out" / "report.json").read_text())["summary"]
    jsonl = json.loads((real_run[1] / "report.json").read_text())["summary"]
    for name in ("hit_at_k", "mrr", "key_fact_recall", "citation_precision", "refusal_accuracy"):
        assert mine[name] == jsonl[name], name


def test_baseline_adds_deltas_and_lists_questions_that_got_worse(
        library: Settings, testset: Path, embeddings: LocalEmbeddings, real_run: tuple[int, Path],
        tmp_path: Path) -> None:
    baseline = real_run[1] / "report.json"
    status = main([str(testset), "--out", str(tmp_path), "--k", "3", "--no-progress", "--baseline", str(baseline)],
                  settings=library, embeddings=embeddings, make_tutor=broken_tutor)
    assert status == 0  # no gate asked for
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["baseline"]["deltas"]["hit_at_k"] < 0
    worse = {w["id"] for w in data["baseline"]["worse"]}
    assert {"t1", "t2", "t4"} <= worse and "u1" not in worse
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "got worse" in html and "vs baseline" in html


def test_backend_option_answers_with_an_llm(library: Settings, testset: Path, embeddings: LocalEmbeddings,
                                           tmp_path: Path) -> None:
    """``--backend openai:<model>`` evaluates the LLM answerer (a stub OpenAI-compatible server on localhost)."""
    from openai_stub import OpenAIStub

    reply = "The Kenya Civil Aviation Authority licenses every commercial drone operator in the country [1]."
    with OpenAIStub(lambda request: reply) as stub:
        with_llm = library.model_copy(update={"llm_base_url": stub.base_url})
        status = main([str(testset), "--out", str(tmp_path), "--k", "3", "--no-progress",
                       "--backend", "openai:stub-model"], settings=with_llm, embeddings=embeddings)
    assert status == 0 and stub.requests
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["meta"]["backend"] == "openai:stub-model"
    t1 = next(q for q in data["questions"] if q["id"] == "t1")
    assert t1["backend"] == "openai:stub-model" and t1["scores"]["key_fact_recall"] == 1.0
    assert t1["scores"]["citation_precision"] == 1.0


def test_corpus_option_builds_a_fresh_index(library: Settings, testset: Path, embeddings: LocalEmbeddings,
                                            tmp_path: Path) -> None:
    empty = Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    status = main([str(testset), "--out", str(tmp_path / "out"), "--k", "3", "--no-progress",
                   "--corpus", str(library.corpus_dir), "--fail-under", "hit_at_k=0.8"],
                  settings=empty, embeddings=embeddings)
    assert status == 0
    meta = json.loads((tmp_path / "out" / "report.json").read_text())["meta"]
    assert meta["documents"] == len(NOTES) and meta["index"] == str(library.corpus_dir)
    assert not (tmp_path / "data" / "chroma").exists()  # the configured index was not touched


# --- BEIR -------------------------------------------------------------------------------------------
def _beir_folder(root: Path, qrels: dict[str, str]) -> Path:
    docs = {
        "d1": ("Malaria vaccine", "The RTS,S vaccine reduced clinical malaria in young children in Kenya."),
        "d2": ("Cholera outbreaks", "Cholera spreads through contaminated water and poor sanitation."),
        "d3": ("Maize yields", "Drought-tolerant maize varieties raised yields in eastern Kenya."),
        "d4": ("Mobile money", "M-Pesa lets people send money by text message."),
        "d5": ("Tea exports", "Kenya exports black tea to Pakistan and Egypt."),
        "d6": ("Vaccine storage", "Vaccines need a cold chain from factory to clinic."),
    }
    queries = {"q1": "malaria vaccine children", "q2": "cholera contaminated water", "q3": "drought maize yields",
               "q4": "sending money by text"}
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text("".join(json.dumps({"_id": k, "title": t, "text": x}) + "\n"
                                               for k, (t, x) in docs.items()))
    (root / "queries.jsonl").write_text("".join(json.dumps({"_id": k, "text": v}) + "\n" for k, v in queries.items()))
    for name, body in qrels.items():
        (root / "qrels" / name).write_text("query-id\tcorpus-id\tscore\n" + body)
    return root


def test_beir_reads_test_tsv_first_else_every_tsv(tmp_path: Path) -> None:
    from tutor.eval.beir import load_beir

    both = _beir_folder(tmp_path / "a", {"train.tsv": "q1\td1\t1\n", "dev.tsv": "q2\td2\t1\n"})
    assert load_beir(both).qrels == {"q1": {"d1": 1}, "q2": {"d2": 1}}
    test_only = _beir_folder(tmp_path / "b", {"train.tsv": "q1\td1\t1\n", "test.tsv": "q3\td3\t1\n"})
    data = load_beir(test_only)
    assert data.qrels == {"q3": {"d3": 1}} and data.qrels_files == ["test.tsv"]


def test_beir_mode_scores_dense_bm25_and_hybrid(tmp_path: Path, embeddings: LocalEmbeddings) -> None:
    folder = _beir_folder(tmp_path / "beir", {"train.tsv": "q1\td1\t1\nq1\td6\t1\nq2\td2\t1\nq3\td3\t1\nq4\td4\t1\n"})
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    status = main(["--beir", str(folder), "--out", str(tmp_path / "out"), "--rrf-weights", "1:2",
                   "--no-progress", "--fail-under", "hybrid.ndcg_at_10=0.8"], settings=settings, embeddings=embeddings)
    assert status == 0
    result = json.loads((tmp_path / "out" / "beir.json").read_text())
    assert result["queries"] == 4 and result["qrels"] == ["train.tsv"]
    assert set(result["results"]) == {"dense", "bm25", "hybrid"}
    for values in result["results"].values():
        assert set(values) == {"ndcg_at_10", "recall_at_100", "mrr", "hit_at_10"}
        assert values["hit_at_10"] == 1.0 and values["recall_at_100"] == 1.0  # six documents: all are ranked
        assert values["mrr"] == 1.0  # each query's own document comes first
    assert set(result["rrf_sweep"]) == {"1:1", "1:2"} and result["rrf_sweep"]["1:1"] == result["results"]["hybrid"]
    assert result["hybrid_checked_with_retrieve"]["same_ranking"] == 1.0  # RRF of the two = retrieve() itself
    assert result["timings_s"]["documents"] == 6 and not (tmp_path / "data" / "chroma").exists()
    assert result["corpus_embeddings"]["precision"] in {"float32", "bfloat16"}
    assert main(["--beir", str(folder), "--out", str(tmp_path / "o2"), "--no-progress", "--fp32",
                 "--fail-under", "bm25.ndcg_at_10=1.01"], settings=settings, embeddings=embeddings) == 2
    exact = json.loads((tmp_path / "o2" / "beir.json").read_text())
    assert exact["corpus_embeddings"]["precision"] == "float32" and exact["gates"][0]["passed"] is False


def test_beir_mode_embeds_the_corpus_in_the_ingestion_precision(tmp_path: Path, model: LocalEmbeddings) -> None:
    from tutor.eval.beir import format_table, run_beir

    folder = _beir_folder(tmp_path / "beir", {"test.tsv": "q1\td1\t1\nq2\td2\t1\n"})
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    fast = LocalEmbeddings(model.model_name, corpus_precision="bfloat16")
    fast._model = model.model
    result = run_beir(folder, settings, fast, show_progress=False)
    assert result["corpus_embeddings"] == {"precision": "bfloat16", "why": "set by TUTOR_EMBEDDING_PRECISION"}
    assert result["results"]["dense"]["hit_at_10"] == 1.0
    assert "corpus embedded under bfloat16 autocast (set by TUTOR_EMBEDDING_PRECISION)" in format_table(result)
    exact = run_beir(folder, settings, fast, show_progress=False, allow_bf16=False)
    assert exact["corpus_embeddings"]["precision"] == "float32" and exact["results"] == result["results"]


# --- feedback --------------------------------------------------------------------------------------------
def test_export_feedback_writes_draft_items_an_evaluator_can_load(tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    from tutor.ui.feedback import FeedbackStore, SettingsSnapshot

    settings = Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    out = tmp_path / "drafts.jsonl"
    assert main(["--export-feedback", str(out)], settings=settings) == 0  # no database yet: nothing, no crash
    assert out.read_text() == "" and not (tmp_path / "data" / "mwalimu.sqlite").exists()

    settings.data_dir.mkdir(parents=True)
    feedback = FeedbackStore(create_engine(settings.resolved_database_url)).create()
    snapshot = SettingsSnapshot(backend="offline (extractive)", model="", embedding_model="all-MiniLM-L6-v2", k=5)
    feedback.add(rating="down", question="Who licenses drone operators?", answer="The ministry [1].",
                 sources=[{"n": 1, "title": "Drone Regulations Brief"}], refused=False, snapshot=snapshot,
                 reason="wrong", comment="It is the KCAA")
    feedback.add(rating="up", question="What is eCitizen?", answer="A portal.", sources=[], refused=False,
                 snapshot=snapshot)
    assert main(["--export-feedback", str(out)], settings=settings) == 0
    (draft,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert draft["question"] == "Who licenses drone operators?" and draft["answer_given"] == "The ministry [1]."
    assert draft["reason"] == "wrong" and draft["comment"] == "It is the KCAA"
    assert draft["cited_given"] == ["Drone Regulations Brief"]
    (item,) = load_testset(out)  # a draft is a valid test item once key facts are added
    assert item.question == draft["question"] and item.key_facts == ()


def test_every_cli_option_is_documented() -> None:
    docs = (REPO / "docs" / "evaluation.md").read_text(encoding="utf-8")
    options = [o for action in build_parser()._actions for o in action.option_strings if o.startswith("--")]
    missing = [o for o in options if o != "--help" and f"`{o}" not in docs]
    assert not missing, f"document these options in docs/evaluation.md: {missing}"


# --- the development test set on the starter library (the CI gate) --------------------------------------------
#: Just below what main measured on the starter library with the offline answerer (see docs/evaluation.md,
#: "Development test set"); a regression fails the build. Raise them when main gets better. The answer's shape
#: (issue 14), measured 2026-12-07: first sentence holds a key fact 0.6625, median lead 97 words (a ceiling).
#: After the lead cues by question type and the wider answer pool (2026-12-07, second session): first sentence
#: holds a key fact 0.85, key-fact recall 0.848 (from 0.805), median lead 96.5 words.
DEVSET_GATES = ["hit_at_k=0.95", "mrr=0.95", "key_fact_recall=0.82", "citation_precision=0.95",
                "refusal_accuracy=0.9", "false_refusal_rate=0.05", "answer_leads=0.83", "words_p50=100"]


def test_development_set_gate_on_the_starter_library(ingested_corpus: Settings, embeddings: LocalEmbeddings,
                                                     tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gates = [arg for gate in DEVSET_GATES for arg in ("--fail-under", gate)]
    status = main([str(REPO / "tests" / "data" / "devset.jsonl"), "--out", str(tmp_path), "--no-progress", *gates],
                  settings=ingested_corpus, embeddings=embeddings)
    printed = capsys.readouterr().out
    assert status == 0, printed
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["meta"]["questions"] == len(load_testset(REPO / "tests" / "data" / "devset.jsonl"))


# --- the report in a browser ----------------------------------------------------------------------------
@pytest.mark.browser
def test_html_report_opens_and_filters_in_chromium(real_run: tuple[int, Path], browser: Any) -> None:
    """Open report.html in Debian's Chromium, check the failure filter, save a screenshot to docs/report.png."""
    out = real_run[1]
    data = json.loads((out / "report.json").read_text())
    failures = sum(not q["passed"] for q in data["questions"])
    assert failures >= 1
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto((out / "report.html").as_uri())
        assert page.title().startswith("Mwalimu evaluation")
        assert page.locator("details.q:visible").count() == len(ITEMS)
        assert page.locator(".card").first.is_visible()
        page.click("button[data-mode=fail]")
        assert page.locator("details.q:visible").count() == failures
        assert page.locator("#shown").inner_text() == str(failures)
        first = page.locator("details.q:visible").first
        first.locator(":scope > summary").click()
        assert first.locator(".why").is_visible() and first.locator(".answer").is_visible()
        page.click("button[data-mode=all]")
        page.select_option("#topic", "Out of scope")
        assert page.locator("details.q:visible").count() == 2
        page.select_option("#topic", "")
        page.click("button[data-mode=fail]")
        (REPO / "docs").mkdir(exist_ok=True)
        page.screenshot(path=str(REPO / "docs" / "report.png"), full_page=True)
        assert all(url.startswith("file://") for url in requests), requests  # nothing fetched from outside
    finally:
        page.close()
    assert (REPO / "docs" / "report.png").stat().st_size > 20_000
