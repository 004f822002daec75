"""The development Q&A set on real documents (tests/data/realdocs_devset.jsonl), evaluated end to end.

The library is what content staff would serve: the shipped corpus (the starter notes and the Kenyan
Regulations extract that corpus/ may carry) plus the OECD reports, the practitioner's article and the
scanned ODPC Data Sharing Code, read in place from ../shared/realdocs (MWALIMU_REALDOCS may point
elsewhere). The real model, real Chroma and the offline answerer; the gates are just below what was
measured, so a regression fails the build. The set is also checked against its documents: every key
fact of a text-PDF question must be in its gold document's text, so the set cannot silently rot.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pdfplumber
import pypdfium2
import pytesseract
import pytest
from conftest import MODEL_NAME

from tutor.eval.cli import main
from tutor.eval.metrics import fact_stated
from tutor.eval.testset import TestItem, load_testset
from tutor.library.chroma import open_store
from tutor.library.embeddings import LocalEmbeddings
from tutor.library.ingestion import Ingestor
from tutor.settings import Settings

REPO = Path(__file__).resolve().parents[1]
REALDOCS = Path(os.environ.get("MWALIMU_REALDOCS") or REPO.parent / "shared" / "realdocs")
DEVSET = REPO / "tests" / "data" / "realdocs_devset.jsonl"
SCANNED = "kenya-odpc-data-sharing-code-scanned"
TEXT_TOPICS = ("oecd-report", "kenyan-regulation", "article")
#: Table A.1 of the DGI names countries by ISO code; a name stands on that page as its code.
TABLE_CODES = {"Korea": "KOR", "Denmark": "DNK"}

#: Gates just below what was measured on 2026-12-07, second session (offline answerer; the starter notes, the
#: Regulations extract in corpus/ and the other four real PDFs, the scan read by OCR; 2-core development machine):
#: hit@5 1.0, MRR 0.941, key-fact recall 0.742, citation precision 0.887, refusal accuracy 0.929 (13 of 14),
#: false refusals 0.016 (1 of 62), first sentence holds a key fact ("answer_leads") 0.689 with the lead cues
#: by question type, median lead 74 words over all types and 29 words over the short-answer types (date, number,
#: person, place, yes/no).
#: Lower-is-better metrics (false_refusal_rate, words_*) are ceilings, as tutor.eval.gates reads them.
#: Fourth session (a regulation orphaned at a page's foot is one Section over both pages; an acronym matches
#: the title it abbreviates; a long document's chunks join the pool by their best sentence too): key-fact
#: recall 0.823, false refusals 0 of 62, answer leads 0.710, on a fresh library (0.774, 0.016 and 0.689
#: before on the same one). The gates hold that level so that work can only go up.
#: Fifth session (the question's plain words meet the Regulations' drafting words, and a condition the question
#: opens or ends with, or the source it names, is not what it asks: tutor.answers.wording): answer leads 0.806
#: (0.710 before on the same library; the Regulations 0.875 from 0.562, the scanned code 0.571 from 0.429),
#: key-fact recall and refusals unchanged. This test's own library measured 0.774 (key-fact recall 0.828).
GATES = {"hit_at_k": 0.97, "mrr": 0.91, "key_fact_recall": 0.80, "citation_precision": 0.85,
         "refusal_accuracy": 0.90, "false_refusal_rate": 0.02, "answer_leads": 0.76, "words_p50": 80,
         "factoid_words_p50": 40}
#: Per document kind (measured hit@5 1.0 on every kind; key-fact recall 0.748 on the OECD reports, 0.750 on
#: the Regulations, 0.889 on the article, 0.571 on the scanned code). One miss on a kind is tolerated.
#: Third session: a regulation's subsections share its rank (tutor.answers.extractive.unit_ranks), and the
#: Regulations rose to 0.875 (overall key-fact recall 0.766 on a fresh library; 0.733 before on the same one).
#: Fourth session: the Regulations 0.938 (reg. 42 answered whole), the OECD reports 0.778 (r032 answered),
#: the scanned code 0.714 (r053: its chunk joined the pool by its best sentence).
TOPIC_GATES = {"oecd-report": {"hit_at_k": 0.96, "key_fact_recall": 0.74},
               "kenyan-regulation": {"hit_at_k": 0.93, "key_fact_recall": 0.87},
               "article": {"hit_at_k": 0.8, "key_fact_recall": 0.80},
               "scanned-guidance": {"hit_at_k": 0.85, "key_fact_recall": 0.55}}


def _items() -> list[TestItem]:
    return load_testset(DEVSET)


@cache
def _document_text(stem: str) -> str:
    """The whole text layer of a real PDF (pdfplumber), whitespace collapsed: what the set is checked against."""
    with pdfplumber.open(REALDOCS / f"{stem}.pdf") as pdf:
        return " ".join(" ".join(page.extract_text() or "" for page in pdf.pages).split())


@cache
def _page_texts(stem: str) -> tuple[str, ...]:
    with pdfplumber.open(REALDOCS / f"{stem}.pdf") as pdf:
        return tuple(page.extract_text() or "" for page in pdf.pages)


@cache
def _ocr_page(stem: str, page: int) -> str:
    """One page of a scanned PDF read by tesseract at 300 dpi, in memory only.

    MANIFEST.md keeps the scanned ODPC code out of the repository, and its OCR text is a copy of it, so
    the check reads the few pages the questions cite at test time instead of committing their text.
    """
    pdf = pypdfium2.PdfDocument(str(REALDOCS / f"{stem}.pdf"))
    try:
        image = pdf[page - 1].render(scale=300 / 72).to_pil()
    finally:
        pdf.close()
    return str(pytesseract.image_to_string(image, lang="eng"))


def _label_printed(label: str, text: str) -> bool:
    return re.search(rf"(?<![\d.]){re.escape(label)}(?![\d.%])", text) is not None


# --- the set itself ------------------------------------------------------------------------------------
def test_devset_has_the_questions_the_issue_asks_for() -> None:
    """At least 40 answerable (facts in tables, legal units, the scan, the article), 10 unanswerable, follow-ups."""
    items = _items()
    kinds = Counter(i.topic for i in items)
    assert sum(i.answerable for i in items) >= 45
    assert kinds["unanswerable"] >= 12 and all(not i.answerable for i in items if i.topic == "unanswerable")
    assert kinds["kenyan-regulation"] >= 10 and kinds["scanned-guidance"] >= 5 and kinds["article"] >= 4
    assert sum(bool(i.history) for i in items if i.answerable) >= 6
    assert len({i.id for i in items}) == len(items)
    assert all(i.extra.get("kind") == i.topic for i in items)  # topic carries the kind for the per-kind report
    for item in items:
        if item.answerable:
            assert item.key_facts and len(item.sources) == 1, item.id
            assert (REALDOCS / f"{item.sources[0]}.pdf").exists(), item.id
            assert item.extra.get("page"), item.id  # the PDF page of the fact, beside the printed label
            if item.topic != "article":  # the article is a web page printed to PDF: no printed numbers
                assert str(item.extra.get("page_label", "")).strip(), item.id


@pytest.mark.parametrize("item", [i for i in _items() if i.answerable and i.topic in TEXT_TOPICS],
                         ids=lambda i: i.id)
def test_every_key_fact_is_in_its_gold_document(item: TestItem) -> None:
    """A key fact that its document does not state would make the question unanswerable by construction."""
    text = _document_text(item.sources[0])
    missing = [fact for fact in item.key_facts if not fact_stated(fact, text)]
    assert not missing, f"{item.id}: not in {item.sources[0]}: {missing}"


@pytest.mark.parametrize("item", [i for i in _items() if i.answerable and i.topic in TEXT_TOPICS],
                         ids=lambda i: i.id)
def test_page_and_printed_label_hold_the_fact(item: TestItem) -> None:
    """``page`` is the PDF page that states every key fact; ``page_label`` is printed on that page."""
    text = _page_texts(item.sources[0])[int(item.extra["page"]) - 1]
    missing = [f for f in item.key_facts if not fact_stated(f, text) and not fact_stated(TABLE_CODES.get(f, f), text)]
    assert not missing, f"{item.id}: not on PDF page {item.extra['page']}: {missing}"
    label = str(item.extra.get("page_label") or "")
    assert not label or _label_printed(label, text), f"{item.id}: {label!r} not printed on page {item.extra['page']}"


@pytest.mark.parametrize("item", [i for i in _items() if i.answerable and i.topic == "scanned-guidance"],
                         ids=lambda i: i.id)
def test_scanned_facts_are_on_their_page_by_ocr(item: TestItem) -> None:
    """The scan has no text layer: its cited page is read by OCR here and must state every key fact.

    The printed labels were read off the page images by eye (white digits on a blue footer band, which
    tesseract misreads, so they are not checked here); this scan's printed numbers differ from the PDF
    index on some pages (PDF page 12 is printed 11)."""
    text = _ocr_page(item.sources[0], int(item.extra["page"]))
    missing = [fact for fact in item.key_facts if not fact_stated(fact, text)]
    assert not missing, f"{item.id}: OCR of page {item.extra['page']} does not state {missing}"


# --- the evaluation on the real library ------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_library(tmp_path_factory: pytest.TempPathFactory, model: LocalEmbeddings) -> Settings:
    """The shipped corpus copied, plus the real PDFs read in place, ingested once for this module."""
    root = tmp_path_factory.mktemp("real-library")
    shutil.copytree(REPO / "corpus", root / "corpus")
    settings = Settings(data_dir=root / "data", corpus_dir=root / "corpus", ingest_lock_timeout_s=30.0,
                        _env_file=None)  # type: ignore[call-arg]
    shipped = LocalEmbeddings(MODEL_NAME, batch_size=settings.embedding_batch_size,
                              corpus_precision=settings.embedding_precision)
    shipped._model = model.model
    in_corpus = {p.name for p in (REPO / "corpus").glob("*.pdf")}
    others = sorted(p for p in REALDOCS.glob("*.pdf") if p.name not in in_corpus)
    assert len(others) + len(in_corpus & {p.name for p in REALDOCS.glob("*.pdf")}) == 5, others
    summary = Ingestor(settings, open_store(settings), shipped).run([settings.corpus_dir, *others])
    assert not summary.failures, summary.text()  # the scanned code too: its pages are read by OCR
    return settings


@pytest.fixture(scope="module")
def real_report(real_library: Settings, embeddings: LocalEmbeddings,
                tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("realdocs-eval")
    gates = [arg for metric, floor in GATES.items() for arg in ("--fail-under", f"{metric}={floor}")]
    status = main([str(DEVSET), "--out", str(out), "--no-progress", *gates], settings=real_library,
                  embeddings=embeddings)
    data: dict[str, Any] = json.loads((out / "report.json").read_text())
    data["status"] = status
    return data


def test_gates_hold_on_the_real_documents(real_report: dict[str, Any]) -> None:
    summary = real_report["summary"]
    assert real_report["meta"]["questions"] == len(_items())
    assert real_report["status"] == 0, {m: summary.get(m) for m in GATES}


def test_gates_per_document_kind(real_report: dict[str, Any]) -> None:
    by_topic = real_report["by_topic"]
    low = {(topic, metric): by_topic[topic].get(metric) for topic, gates in TOPIC_GATES.items()
           for metric, floor in gates.items() if (by_topic[topic].get(metric) or 0.0) < floor}
    assert not low, low


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z]{4,}", text)}


def test_every_cited_page_label_is_printed_on_the_page_that_holds_the_sentence(real_report: dict[str, Any]) -> None:
    """What an official quotes is the printed number: it must be on the PDF page the cited sentence comes from.

    Checked for the real PDFs with a text layer (the scan's labels are read by OCR; tests/test_ocr.py checks them
    against the page images). A sentence is on the page when most of its words are in that page's text layer
    (repaired hyphenation and ligatures aside); a provision cited to two pages ("1999–2000") is on the two."""
    checked, wrong = 0, []
    for question in real_report["questions"]:
        for cited in question["citations"]:
            stem, page = cited["doc_id"], cited.get("page")
            if cited.get("ocr") or not page or not (REALDOCS / f"{stem}.pdf").exists():
                continue
            label = str(cited.get("page_label") or "")
            labels = label.split("–")  # a provision over a page break is cited "1999–2000": two pages hold it
            texts = _page_texts(stem)[int(page) - 1: int(page) - 1 + len(labels)]
            words = set().union(*(_words(s) for s in cited["cited_sentences"]))
            on_page = len(words & set().union(*map(_words, texts))) >= 0.8 * len(words)
            checked += 1
            if not on_page or (label and not all(map(_label_printed, labels, texts))):
                wrong.append((question["id"], cited["n"], stem, page, label, on_page))
    assert checked >= 40 and not wrong, wrong
