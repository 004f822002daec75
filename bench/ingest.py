"""Ingestion throughput against raw ``model.encode`` and LangChain's default pipeline, plus the no-op re-run.

One run, on a generated, deterministic corpus (multi-page PDFs with running headers, and Markdown notes)
of at least 2,000 chunks:

1. **ours**: ``Ingestor.run`` into a fresh index (parse in the bounded child, chunk, embed, write Chroma and
   the register, rebuild BM25), the model already loaded and its int8 copy already made, as for every
   ingestion after a data folder's first; that first one, which also makes the int8 model, is timed too
   (``ingest_first_run_seconds``);
2. **encode**: the model alone on exactly the texts we embedded, same batch size: ``SentenceTransformer.encode``
   in float32 (the model as shipped: ``ingest_vs_encode_ratio``), and the precision ingestion chose (the int8
   model's own ``encode``, or ``encode`` under bfloat16 autocast: ``ingest_vs_same_precision_encode_ratio``,
   the pipeline's own overhead);
3. **LangChain default**: pypdf pages / raw Markdown -> ``RecursiveCharacterTextSplitter()`` (its defaults)
   -> ``Chroma.from_documents`` with a ``HuggingFaceEmbeddings``-equivalent adapter over the same model
   (``langchain-huggingface`` cannot be installed next to ``huggingface_hub>=2``). Its 4,000-character
   chunks are cut at 256 word pieces by the model, so it embeds less than half of the text; hence also
   **LangChain at equal coverage**: the same pipeline with its ``SentenceTransformersTokenTextSplitter``
   sized to the model, which embeds every word piece, as ours does;
4. **re-ingest** of the unchanged corpus, in process and as ``python ingest.py``.

Run: ``python -m bench.ingest [--pdfs 30] [--notes 135]`` (or ``python -m bench ingest`` to record it).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from tests.factories import wrap_lines
from tutor.library.chroma import chroma_settings, open_store
from tutor.library.embeddings import LocalEmbeddings, make_embeddings
from tutor.library.ingestion import Ingestor
from tutor.settings import Settings

log = logging.getLogger("bench.ingest")
REPO = Path(__file__).resolve().parent.parent
MIN_CHUNKS = 2000

# --- a deterministic corpus ------------------------------------------------------------------------

SUBJECTS = ["County governments", "The ministry", "Public officers", "The data protection office", "Procurement teams",
            "The national AI task force", "Service desk managers", "Regulators", "Training institutes",
            "Digital champions", "Internal auditors", "Records officers", "The ICT authority", "Legislators"]
VERBS = ["should assess", "must publish", "are expected to review", "need to document", "can pilot",
         "are required to explain", "should budget for", "must report on", "may outsource", "ought to monitor"]
OBJECTS = ["the risks of automated decision systems", "open data standards", "cloud hosting contracts",
           "the accuracy of chatbot answers", "citizen consent records", "algorithmic impact assessments",
           "cybersecurity incident plans", "digital skills programmes", "vendor lock-in clauses",
           "the energy use of data centres", "bias in training data", "public service delivery metrics"]
TAILS = ["before procurement begins", "every financial year", "in line with the national AI strategy",
         "with the help of the Kenya School of Government", "when a complaint is received",
         "so that citizens can follow decisions", "across all {n} sub-counties", "within {n} days of a request",
         "for at least {n} percent of services", "as the {n} guidelines recommend"]


def sentence(rng: random.Random) -> str:
    tail = rng.choice(TAILS).format(n=rng.randint(2, 2030))
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {tail}."


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


def write_pdf(path: Path, title: str, pages: list[list[str]]) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=True)
    pdf.setTitle(title)
    pdf.setAuthor("Mwalimu benchmark")
    _, height = A4
    for number, lines in enumerate(pages, start=1):
        pdf.setFont("Helvetica", 8)
        pdf.drawString(50, height - 30, f"{title} - working draft")  # running header
        pdf.drawString(50, 25, f"Page {number} of {len(pages)}")  # running footer
        pdf.setFont("Helvetica", 10)
        y = height - 60
        for line in lines:
            pdf.drawString(50, y, line)
            y -= 13
        pdf.showPage()
    pdf.save()


def make_corpus(root: Path, pdfs: int, notes: int, pages_per_pdf: int = 10, seed: int = 2024) -> dict[str, int]:
    """Write ``pdfs`` PDFs and ``notes`` Markdown notes; the same arguments always give the same bytes."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(pdfs):
        title = f"Working paper {i + 1}: {rng.choice(OBJECTS)}"
        pages = []
        for _ in range(pages_per_pdf):
            lines: list[str] = []
            while len(lines) < 50:
                lines += wrap_lines(paragraph(rng, rng.randint(3, 6)), 95)
            pages.append(lines[:55])
        write_pdf(root / f"paper-{i + 1:03d}.pdf", title, pages)
    for i in range(notes):
        parts = [f"---\ntitle: Briefing note {i + 1}\npublisher: Mwalimu benchmark\nyear: {2015 + i % 10}\n---\n",
                 f"# Briefing note {i + 1}\n", paragraph(rng, 4)]
        for s in range(5):
            parts += [f"\n## Section {s + 1}: {rng.choice(OBJECTS)}\n", paragraph(rng, rng.randint(6, 12))]
        (root / f"note-{i + 1:03d}.md").write_text("\n".join(parts) + "\n", encoding="utf-8")
    return {"pdf_files": pdfs, "pdf_pages": pdfs * pages_per_pdf, "markdown_files": notes}


# --- the measurements ------------------------------------------------------------------------------

class RecordingEmbeddings(LocalEmbeddings):
    """The same loaded model; records what ingestion embedded and how long ``encode`` took inside it."""

    def __init__(self, real: LocalEmbeddings) -> None:
        super().__init__(real.model_name, batch_size=real.batch_size, device=real.device,
                         corpus_precision=real.corpus_precision, int8_dir=real.int8_dir)
        self._model = real.model
        self.texts: list[str] = []
        self.seconds = 0.0
        self.sentences = 0
        self.sentence_seconds = 0.0

    def embed_corpus(self, texts: list[str], decide: bool = True) -> np.ndarray:
        """Chunks (``decide``) and the answerer's sentences are recorded apart: the encode baselines
        below re-embed the chunk texts, and the sentences are the price of a faster answer."""
        started = time.perf_counter()
        try:
            return super().embed_corpus(texts, decide)
        finally:
            if decide:
                self.seconds += time.perf_counter() - started
                self.texts += texts
            else:
                self.sentence_seconds += time.perf_counter() - started
                self.sentences += len(texts)


def measure_ours(settings: Settings, model: LocalEmbeddings) -> dict[str, Any]:
    recorder = RecordingEmbeddings(model)
    store = open_store(settings)
    started = time.perf_counter()
    summary = Ingestor(settings, store, recorder).run()
    seconds = time.perf_counter() - started
    if summary.failures:
        raise RuntimeError(f"benchmark corpus failed to ingest: {summary.failures[:3]}")
    return {"seconds": seconds, "chunks": summary.chunks_written, "pages": summary.pages,
            "files": len(summary.files), "texts": recorder.texts, "encode_seconds": recorder.seconds,
            "sentences": recorder.sentences, "sentence_encode_seconds": recorder.sentence_seconds,
            "precision": dict(recorder.precision_report or {"precision": "float32"}), "embeddings": recorder}


def measure_encode(model: LocalEmbeddings, texts: list[str], precision: str = "float32") -> dict[str, Any]:
    """The model alone on ``texts``: ``model.encode`` in float32 (the model as shipped) or under bfloat16
    autocast, or the int8 model's own ``encode`` (``model`` must be the one that ingestion used)."""
    started = time.perf_counter()
    if precision == "int8":
        model.embed_in(texts, precision)
    else:
        from tutor.library.embeddings import _autocast

        with _autocast(precision):
            model.model.encode(texts, batch_size=model.batch_size, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "chunks": len(texts), "precision": precision}


class SentenceTransformerEmbeddings(Embeddings):
    """What ``HuggingFaceEmbeddings(model_name=...)`` does with its defaults: ``encode`` with no extra kwargs."""

    def __init__(self, model: Any) -> None:
        self.client = model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.client.encode(texts, show_progress_bar=False).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def measure_langchain(corpus: Path, data: Path, model: LocalEmbeddings, splitter: Any = None) -> dict[str, Any]:
    """LangChain's pipeline: ``PyPDFLoader``-style pages and raw text, a splitter, ``Chroma.from_documents``.

    ``splitter=None`` is LangChain's default ``RecursiveCharacterTextSplitter()``; the clock starts after
    the splitter is built, as ours starts with the model loaded.
    """
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter
    from pypdf import PdfReader

    splitter = splitter or RecursiveCharacterTextSplitter()
    started = time.perf_counter()
    docs: list[Document] = []
    for path in sorted(corpus.iterdir()):
        if path.suffix == ".pdf":  # what PyPDFLoader does: one Document per page
            for number, page in enumerate(PdfReader(path).pages):
                docs.append(Document(page.extract_text() or "", metadata={"source": path.name, "page": number}))
        else:  # TextLoader
            docs.append(Document(path.read_text(encoding="utf-8"), metadata={"source": path.name}))
    chunks = splitter.split_documents(docs)
    Chroma.from_documents(chunks, SentenceTransformerEmbeddings(model.model), persist_directory=str(data),
                          client_settings=chroma_settings())
    seconds = time.perf_counter() - started
    token_counts = model.count_tokens([c.page_content for c in chunks])
    truncated = sum(1 for n in token_counts if n > model.max_tokens)
    return {"seconds": seconds, "chunks": len(chunks), "truncated_chunks": truncated,
            "mean_chunk_tokens": round(sum(token_counts) / max(1, len(token_counts)), 1),
            "embedded_tokens": sum(min(n, model.max_tokens) for n in token_counts)}


def token_splitter(model: LocalEmbeddings) -> Any:
    """LangChain's own splitter for sentence-transformers models, sized so nothing is truncated.

    ``tokens_per_chunk`` leaves room for [CLS] and [SEP]; its default overlap (50 word pieces) is kept.
    """
    from langchain_text_splitters import SentenceTransformersTokenTextSplitter

    return SentenceTransformersTokenTextSplitter(model_name=model.path, tokens_per_chunk=model.max_tokens - 2)


def measure_reingest(settings: Settings) -> dict[str, Any]:
    fresh = make_embeddings(settings)
    started = time.perf_counter()
    summary = Ingestor(settings, open_store(settings), fresh).run()
    seconds = time.perf_counter() - started
    if summary.chunks_written or fresh.loaded:
        raise RuntimeError("re-ingesting the unchanged corpus did embedding work")
    env = {**os.environ, "TUTOR_DATA_DIR": str(settings.data_dir), "TUTOR_CORPUS_DIR": str(settings.corpus_dir)}
    env.pop("TUTOR_CHROMA_URL", None)
    started = time.perf_counter()
    run = subprocess.run([sys.executable, str(REPO / "ingest.py"), "--json"], env=env, capture_output=True,
                         text=True, timeout=300, check=False)
    cli_seconds = time.perf_counter() - started
    if run.returncode != 0 or json.loads(run.stdout)["chunks_written"]:
        raise RuntimeError(f"ingest.py on the unchanged corpus: exit {run.returncode}: {run.stderr[-500:]}")
    return {"seconds": seconds, "cli_seconds": cli_seconds, "unchanged": summary.count("unchanged")}


def run(pdfs: int = 30, notes: int = 135) -> dict[str, Any]:
    """Generate the corpus, take every measurement in one process, return the figures for results.json."""
    import torch

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    with tempfile.TemporaryDirectory(prefix="mwalimu-bench-ingest-") as tmp:
        root = Path(tmp)
        shape = make_corpus(root / "corpus", pdfs, notes)
        settings = Settings(data_dir=root / "data", corpus_dir=root / "corpus", chroma_url=None,
                            _env_file=None)  # type: ignore[call-arg]
        model = make_embeddings(settings)
        model.embed_array(["warm-up: load the model and its kernels before any clock starts"])
        # A library's first ingestion also makes the int8 model (once per data folder, calibrated on
        # its documents). That is set-up, like loading the model, so it is timed on its own: the
        # measured run starts with the model made, as every later ingestion does.
        first_settings = settings.model_copy(update={"data_dir": root / "first"})
        first = measure_ours(first_settings, make_embeddings(first_settings))
        log.info("first ingestion (making the int8 model included): %.1f s", first["seconds"])
        if first_settings.models_dir.exists():
            shutil.copytree(first_settings.models_dir, settings.models_dir)
        load_before = os.getloadavg()[0]

        ours = measure_ours(settings, model)
        log.info("ours: %d chunks, %d pages in %.1f s", ours["chunks"], ours["pages"], ours["seconds"])
        if ours["chunks"] < MIN_CHUNKS:
            log.warning("the corpus gave %d chunks: figures below %d chunks are a smoke test, not the benchmark",
                        ours["chunks"], MIN_CHUNKS)
        texts = ours.pop("texts")
        embedded_tokens = sum(model.count_tokens(texts))
        encode = measure_encode(model, texts)
        log.info("raw encode (float32): %d texts in %.1f s", encode["chunks"], encode["seconds"])
        precision = ours["precision"]["precision"]
        same = measure_encode(ours.pop("embeddings"), texts, precision) if precision != "float32" else encode
        log.info("raw encode (%s): %d texts in %.1f s", precision, same["chunks"], same["seconds"])
        langchain = measure_langchain(root / "corpus", root / "langchain", model)
        log.info("LangChain default: %d chunks in %.1f s", langchain["chunks"], langchain["seconds"])
        full = measure_langchain(root / "corpus", root / "langchain-tokens", model, token_splitter(model))
        log.info("LangChain, token splitter: %d chunks in %.1f s", full["chunks"], full["seconds"])
        again = measure_reingest(settings)
        log.info("re-ingest unchanged: %.2f s in process, %.2f s as ingest.py", again["seconds"], again["cli_seconds"])
        load_after = os.getloadavg()[0]
        made = _int8_made(settings.models_dir)

    ours_cps = ours["chunks"] / ours["seconds"]
    encode_cps = encode["chunks"] / encode["seconds"]
    same_cps = same["chunks"] / same["seconds"]
    return {
        "ingest_corpus": {**shape, "chunks": ours["chunks"], "files": ours["files"]},
        "ingest_seconds": round(ours["seconds"], 2),
        "ingest_chunks_per_s": round(ours_cps, 1),
        "ingest_pages_per_s": round(ours["pages"] / ours["seconds"], 2),
        "ingest_files_per_s": round(ours["files"] / ours["seconds"], 2),
        "ingest_encode_share": round(ours["encode_seconds"] / ours["seconds"], 3),
        "ingest_sentences": ours["sentences"],
        "ingest_sentence_encode_seconds": round(ours["sentence_encode_seconds"], 2),
        "ingest_inner_encode_chunks_per_s": round(ours["chunks"] / ours["encode_seconds"], 1),
        "encode_seconds": round(encode["seconds"], 2),
        "encode_chunks_per_s": round(encode_cps, 1),
        "langchain_default_seconds": round(langchain["seconds"], 2),
        "langchain_default_chunks": langchain["chunks"],
        "langchain_default_truncated_chunks": langchain["truncated_chunks"],
        "langchain_default_mean_chunk_tokens": langchain["mean_chunk_tokens"],
        "langchain_default_embedded_word_pieces": langchain["embedded_tokens"],
        "ingest_embedded_word_pieces": embedded_tokens,
        "langchain_default_pages_per_s": round(shape["pdf_pages"] / langchain["seconds"], 2),
        "ingest_vs_encode_ratio": round(ours_cps / encode_cps, 3),
        "ingest_corpus_precision": ours["precision"],
        "ingest_first_run_seconds": round(first["seconds"], 2),
        "int8_model": made,
        "encode_same_precision_seconds": round(same["seconds"], 2),
        "ingest_vs_same_precision_encode_ratio": round(ours_cps / same_cps, 3),
        "ingest_vs_langchain_default_ratio": round(langchain["seconds"] / ours["seconds"], 3),
        "langchain_token_splitter_seconds": round(full["seconds"], 2),
        "langchain_token_splitter_chunks": full["chunks"],
        "langchain_token_splitter_truncated_chunks": full["truncated_chunks"],
        "langchain_token_splitter_embedded_word_pieces": full["embedded_tokens"],
        "ingest_vs_langchain_token_splitter_ratio": round(full["seconds"] / ours["seconds"], 3),
        "reingest_unchanged_s": round(again["seconds"], 3),
        "reingest_unchanged_cli_s": round(again["cli_seconds"], 2),
        "ingest_batch_size": settings.embedding_batch_size,
        "ingest_torch_threads": torch.get_num_threads(),
        "ingest_load_average": [round(load_before, 2), round(load_after, 2)],
    }


def _int8_made(folder: Path) -> dict[str, Any] | None:
    """How the int8 model was made (calibration size, seconds), from the note saved beside it."""
    notes = sorted(folder.glob("*/made.json"))
    return json.loads(notes[0].read_text()) if notes else None


def report(figures: dict[str, Any]) -> str:
    """The table and the ratios, as printed by ``python -m bench``."""
    from bench import machine, versions

    corpus = figures["ingest_corpus"]
    rows = [
        ("ours: first ever (int8 model made too)", figures["ingest_first_run_seconds"], corpus["chunks"], "", ""),
        ("ours: Ingestor.run (fresh index)", figures["ingest_seconds"], corpus["chunks"],
         figures["ingest_chunks_per_s"], figures["ingest_pages_per_s"]),
        ("raw model.encode, same texts, float32", figures["encode_seconds"], corpus["chunks"],
         figures["encode_chunks_per_s"], ""),
        (f"raw encode, same texts, {figures['ingest_corpus_precision']['precision']}",
         figures["encode_same_precision_seconds"], corpus["chunks"],
         round(corpus["chunks"] / figures["encode_same_precision_seconds"], 1), ""),
        ("LangChain default splitter + Chroma", figures["langchain_default_seconds"],
         figures["langchain_default_chunks"],
         round(figures["langchain_default_chunks"] / figures["langchain_default_seconds"], 1),
         figures["langchain_default_pages_per_s"]),
        ("LangChain token splitter + Chroma", figures["langchain_token_splitter_seconds"],
         figures["langchain_token_splitter_chunks"],
         round(figures["langchain_token_splitter_chunks"] / figures["langchain_token_splitter_seconds"], 1),
         round(corpus["pdf_pages"] / figures["langchain_token_splitter_seconds"], 2)),
        ("re-ingest unchanged (in process)", figures["reingest_unchanged_s"], 0, "", ""),
        ("re-ingest unchanged (python ingest.py)", figures["reingest_unchanged_cli_s"], 0, "", ""),
    ]
    out = [(f"corpus: {corpus['pdf_files']} PDFs ({corpus['pdf_pages']} pages) + {corpus['markdown_files']} Markdown "
            f"notes = {corpus['chunks']} chunks; batch size {figures['ingest_batch_size']}, "
            f"torch threads {figures['ingest_torch_threads']}"),
           f"{'pipeline':<42} {'seconds':>8} {'chunks':>7} {'chunks/s':>9} {'PDF pages/s':>12}"]
    out += [f"{name:<42} {secs:>8} {chunks:>7} {cps:>9} {pps:>12}" for name, secs, chunks, cps, pps in rows]
    out += [
        (f"ingest_vs_encode_ratio            {figures['ingest_vs_encode_ratio']:>7}  (target >= 0.9; against "
         f"model.encode as shipped, float32; ours embeds in {figures['ingest_corpus_precision']})"),
        (f"ingest_vs_same_precision_encode_ratio {figures['ingest_vs_same_precision_encode_ratio']:>3}  (the pipeline's "
         f"own overhead: against model.encode in the precision ingestion used)"),
        (f"ingest_vs_langchain_default_ratio {figures['ingest_vs_langchain_default_ratio']:>7}  "
         f"(LangChain seconds / ours; its {figures['langchain_default_chunks']} chunks average "
         f"{figures['langchain_default_mean_chunk_tokens']} word pieces, "
         f"{figures['langchain_default_truncated_chunks']} of them silently truncated at 256; it embeds "
         f"{figures['langchain_default_embedded_word_pieces']} word pieces, we embed "
         f"{figures['ingest_embedded_word_pieces']})"),
        (f"ingest_vs_langchain_token_splitter_ratio {figures['ingest_vs_langchain_token_splitter_ratio']}  "
         f"(LangChain seconds / ours, at equal coverage: SentenceTransformersTokenTextSplitter sized to the model, "
         f"{figures['langchain_token_splitter_truncated_chunks']} chunks truncated, "
         f"{figures['langchain_token_splitter_embedded_word_pieces']} word pieces embedded)"),
        (f"ingest_encode_share               {figures['ingest_encode_share']:>7}  (share of our wall time spent "
         f"inside encode; parsing, chunking and writing run beside it)"),
        f"reingest_unchanged_s              {figures['reingest_unchanged_s']:>7}  (target <= 2)",
        f"machine: {json.dumps(machine())}",
        f"load average before/after: {figures['ingest_load_average']}",
        f"versions: {json.dumps(versions())}",
    ]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pdfs", type=int, default=30, help="generated PDFs of 10 pages each")
    parser.add_argument("--notes", type=int, default=135, help="generated Markdown notes")
    parser.add_argument("--no-record", action="store_true", help="do not write bench/results.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s: %(message)s")
    for noisy in ("chromadb", "sentence_transformers", "httpx", "bm25s", "filelock"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    figures = run(args.pdfs, args.notes)
    print(report(figures))  # a benchmark's table is its output
    if not args.no_record:
        from bench import machine, merge_results, versions

        merge_results({**figures, "machine": machine(), "versions": versions()})


if __name__ == "__main__":
    main()
