"""Ingestion and retrieval on the real documents (issue 15), against LangChain's stock PDF pipeline.

The library is the five real PDFs in ``../shared/realdocs`` (``MWALIMU_REALDOCS`` may point elsewhere), read
in place: two OECD reports and the Regulations extract and the practitioner's article (text layers), and
the ODPC Data Sharing Code (a scan: every page needs OCR).

1. **ours**: ``Ingestor.run`` on the four text PDFs, then on the scan, each into the same fresh index;
   pages per second for each, chunks, and the peak resident memory of this process and of the parsing
   children (``ru_maxrss``). The int8 model that a library's first ingestion makes is made beforehand
   on the same files (set-up, as in ``bench.ingest``), so the clock measures reading and indexing.
2. **baseline**: what a LangChain tutorial does: ``PyPDFLoader`` (langchain_community) per file,
   ``RecursiveCharacterTextSplitter()`` with its defaults, ``Chroma.from_documents`` over the same MiniLM
   model (``bench.ingest.SentenceTransformerEmbeddings``). PyPDF reads no text from the scan.
3. **retrieval**: every answerable question of ``tests/data/realdocs_devset.jsonl`` (the question alone,
   without its history, for both) against each index, top 5. ``hit_at_5`` is the evaluator's definition
   (a passage from a gold source, :func:`tutor.eval.metrics.first_supporting_rank`); ``strict`` also asks
   that the passage state a key fact, which is what an official needs quoted.
"""

from __future__ import annotations

import logging
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from tutor.answers.retrieval import HybridRetriever
from tutor.eval.metrics import contains_key_fact, first_supporting_rank, from_gold_source
from tutor.eval.testset import TestItem, load_testset
from tutor.library.chroma import chroma_settings, open_store
from tutor.library.embeddings import LocalEmbeddings, make_embeddings
from tutor.library.files import doc_id_for
from tutor.library.ingestion import Ingestor
from tutor.library.lexical import LexicalCache
from tutor.settings import Settings

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
DEVSET = REPO / "tests" / "data" / "realdocs_devset.jsonl"
SCANNED = "kenya-odpc-data-sharing-code-scanned.pdf"
K = 5


def realdocs() -> Path:
    return Path(os.environ.get("MWALIMU_REALDOCS") or REPO.parent / "shared" / "realdocs")


def _peak_mb() -> dict[str, float]:
    """Peak resident set (VmHWM) of this process and of its largest finished child, in MB (Linux: KiB)."""
    return {"self": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "children": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)}


def _ingest(settings: Settings, model: LocalEmbeddings, files: list[Path]) -> dict[str, Any]:
    started = time.perf_counter()
    summary = Ingestor(settings, open_store(settings), model).run(files)
    seconds = time.perf_counter() - started
    for failure in summary.failures:
        log.warning("ours: %s failed: %s", failure.source, failure.reason)
    return {"seconds": seconds, "pages": summary.pages, "chunks": summary.chunks_written,
            "failed": [f.source for f in summary.failures]}


def measure_ours(root: Path, model: LocalEmbeddings, text_pdfs: list[Path], scan: Path | None) -> dict[str, Any]:
    settings = Settings(data_dir=root / "ours", corpus_dir=root, chroma_url=None,
                        _env_file=None)  # type: ignore[call-arg]
    first = settings.model_copy(update={"data_dir": root / "first"})
    Ingestor(first, open_store(first), make_embeddings(first)).run(text_pdfs)  # makes the int8 model
    if first.models_dir.exists():
        shutil.copytree(first.models_dir, settings.models_dir)
    text = _ingest(settings, model, text_pdfs)
    log.info("ours, text PDFs: %d pages, %d chunks in %.1f s", text["pages"], text["chunks"], text["seconds"])
    ocr = _ingest(settings, model, [scan]) if scan else {"seconds": 0.0, "pages": 0, "chunks": 0, "failed": []}
    log.info("ours, scan: %d pages, %d chunks in %.1f s", ocr["pages"], ocr["chunks"], ocr["seconds"])
    store = open_store(settings)
    retriever = HybridRetriever(store, model, LexicalCache(settings.lexical_dir, store))

    def search(question: str) -> list[tuple[str, str]]:
        return [(p.doc_id, p.text) for p in retriever.retrieve(question, k=K)]

    return {"text": text, "ocr": ocr, "search": search, "peak_mb": _peak_mb()}


def measure_langchain(root: Path, model: LocalEmbeddings, pdfs: list[Path]) -> dict[str, Any]:
    from langchain_chroma import Chroma
    from langchain_community.document_loaders import PyPDFLoader
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from bench.ingest import SentenceTransformerEmbeddings

    splitter = RecursiveCharacterTextSplitter()
    timings: dict[str, dict[str, float]] = {}
    chunks = []
    started = time.perf_counter()
    for path in pdfs:
        began = time.perf_counter()
        docs = PyPDFLoader(str(path)).load()
        for doc in docs:
            doc.metadata["doc_id"] = doc_id_for(path.name)
        pieces = [c for c in splitter.split_documents(docs) if c.page_content.strip()]
        chunks += pieces
        timings[path.name] = {"seconds": time.perf_counter() - began, "pages": len(docs), "chunks": len(pieces)}
    loaded = time.perf_counter() - started
    began = time.perf_counter()
    store = Chroma.from_documents(chunks, SentenceTransformerEmbeddings(model.model),
                                  persist_directory=str(root / "langchain"), client_settings=chroma_settings())
    embed_seconds = time.perf_counter() - began

    def search(question: str) -> list[tuple[str, str]]:
        return [(d.metadata.get("doc_id", ""), d.page_content) for d in store.similarity_search(question, k=K)]

    return {"files": timings, "load_seconds": loaded, "embed_seconds": embed_seconds, "chunks": len(chunks),
            "search": search}


def hit_rates(items: list[TestItem], search: Any) -> dict[str, float]:
    """hit@5 as the evaluator defines it, and strict (gold source and a key fact in the same passage)."""
    hits = strict = 0
    for item in items:
        passages = search(item.question)
        hits += first_supporting_rank(passages, item.sources, item.key_facts, K) is not None
        strict += any(from_gold_source(d, item.sources) and contains_key_fact(t, item.key_facts) for d, t in passages)
    return {"hit_at_5": round(hits / len(items), 3), "strict": round(strict / len(items), 3)}


def run() -> dict[str, Any]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    folder = realdocs()
    pdfs = sorted(folder.glob("*.pdf"))
    if not pdfs:
        raise RuntimeError(f"no real documents in {folder} (set MWALIMU_REALDOCS)")
    scan = next((p for p in pdfs if p.name == SCANNED), None)
    text_pdfs = [p for p in pdfs if p != scan]
    items = [i for i in load_testset(DEVSET) if i.answerable]
    with tempfile.TemporaryDirectory(prefix="mwalimu-bench-realdocs-") as tmp:
        root = Path(tmp)
        settings = Settings(data_dir=root / "ours", _env_file=None)  # type: ignore[call-arg]
        model = make_embeddings(settings)
        model.embed_array(["warm-up: load the model and its kernels before any clock starts"])
        ours = measure_ours(root, model, text_pdfs, scan)
        ours_hits = hit_rates(items, ours["search"])
        base = measure_langchain(root, model, pdfs)
        base_hits = hit_rates(items, base["search"])
    text, ocr = ours["text"], ours["ocr"]
    base_text = [t for name, t in base["files"].items() if name != SCANNED]
    base_text_seconds = sum(t["seconds"] for t in base_text) + base["embed_seconds"]
    figures: dict[str, Any] = {
        "realdocs_files": len(pdfs),
        "realdocs_text_pdf_pages": text["pages"],
        "realdocs_text_pdf_seconds": round(text["seconds"], 2),
        "realdocs_text_pdf_pages_per_s": round(text["pages"] / text["seconds"], 2) if text["seconds"] else None,
        "realdocs_ocr_pages": ocr["pages"],
        "realdocs_ocr_seconds": round(ocr["seconds"], 2),
        "realdocs_ocr_pages_per_s": round(ocr["pages"] / ocr["seconds"], 3) if ocr["pages"] else 0.0,
        "realdocs_chunks": text["chunks"] + ocr["chunks"],
        "realdocs_failed_files": text["failed"] + ocr["failed"],
        "realdocs_peak_rss_mb": ours["peak_mb"]["self"],
        "realdocs_peak_child_rss_mb": ours["peak_mb"]["children"],
        "realdocs_hit_at_5": ours_hits["hit_at_5"],
        "realdocs_strict_hit_at_5": ours_hits["strict"],
        "realdocs_langchain_text_pdf_pages_per_s": round(sum(t["pages"] for t in base_text) / base_text_seconds, 2),
        "realdocs_langchain_chunks": base["chunks"],
        "realdocs_langchain_hit_at_5": base_hits["hit_at_5"],
        "realdocs_langchain_strict_hit_at_5": base_hits["strict"],
        "realdocs_questions": len(items),
    }
    figures["realdocs_strict_hit_vs_langchain"] = round(ours_hits["strict"] - base_hits["strict"], 3)
    return figures


def report(figures: dict[str, Any]) -> str:
    rows = [("text PDFs, pages/s", "realdocs_text_pdf_pages_per_s", "realdocs_langchain_text_pdf_pages_per_s"),
            ("chunks", "realdocs_chunks", "realdocs_langchain_chunks"),
            ("hit@5 (evaluator)", "realdocs_hit_at_5", "realdocs_langchain_hit_at_5"),
            ("hit@5, strict (key fact in the passage)", "realdocs_strict_hit_at_5", "realdocs_langchain_strict_hit_at_5")]
    lines = [f"{'real documents':<42} {'ours':>10} {'LangChain':>10}"]
    lines += [f"{label:<42} {figures.get(a)!s:>10} {figures.get(b)!s:>10}" for label, a, b in rows]
    lines.append(f"{'OCR pages/s (scan)':<42} {figures.get('realdocs_ocr_pages_per_s')!s:>10} {'(no text)':>10}")
    lines.append(f"{'peak RSS MB (self / parsing child)':<42} {figures.get('realdocs_peak_rss_mb')!s:>10} "
                 f"{figures.get('realdocs_peak_child_rss_mb')!s:>10}")
    lines.append(f"{figures.get('realdocs_questions')} answerable questions of {DEVSET.name}; failed files: "
                 f"{figures.get('realdocs_failed_files') or 'none'}")
    return "\n".join(lines)


if __name__ == "__main__":
    import json

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    print(json.dumps(run(), indent=2))
