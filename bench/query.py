"""Query latency (retrieval and offline answer, p50/p95) at 1k, 10k and 100k chunks, and peak memory.

Embedding 100,000 chunks with MiniLM on two cores would take most of an hour, so the library is
generated: 1,000 base passages are stitched from sentences of the starter corpus and embedded with
the real model; larger libraries add variants of them (a few words swapped, the vector jittered and
re-normalised). Search cost depends on the index size and the vector distribution, which this keeps
realistic; the answers themselves are not judged here (that is the evaluator's job).

Passages are as long as the longest chunks ingestion makes (about 120 to 170 words, a long PDF page's
chunk), and every chunk's sentence vectors are stored as ingestion stores them (a variant's changed
sentence gets its base sentence's vector, jittered). Every timed call starts with an empty query-time
embedding cache, so each answer is as cold as the first question on a passage: ``answer_*`` is the
answer as served (question embedded, sentence vectors read from the store), ``answer_embedding_*`` the
same answer with the sentences embedded at question time, as before ingestion stored them (issue #15).

At 10k chunks the library is measured twice: as briefing notes (8 chunks a document) and as long reports
(160 chunks a document, like the OECD PDFs), where the answerer reads further into the top document by a
second retrieval filtered to it.

Run: ``python -m bench.query [--sizes 1000 10000 100000] [--queries 40]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from tutor.answers.retrieval import HybridRetriever
from tutor.answers.tutor import Tutor
from tutor.library import lexical
from tutor.library.chroma import open_store
from tutor.library.embeddings import LocalEmbeddings
from tutor.library.lexical import LexicalCache
from tutor.library.register import DocumentRecord
from tutor.library.sentence_vectors import SentenceVectors, quotable_sentences
from tutor.library.store import ChunkStore
from tutor.settings import Settings
from tutor.text import split_sentences

log = logging.getLogger("bench.query")
ROOT = Path(__file__).resolve().parent.parent
BASE_PASSAGES = 1000
#: Chunks per document when the library is long reports (the 2023 DGI report made 170) and the size measured so.
REPORT_CHUNKS, LONG_REPORTS_AT = 160, 10000
#: Words per generated passage: a full chunk (MAX_CHUNK_TOKENS word pieces with its header) of PDF prose.
PASSAGE_WORDS = (120, 170)


def corpus_sentences() -> list[tuple[str, str]]:
    """(title, sentence) pairs from the starter corpus notes."""
    from tutor.library.loaders.markdown import load_markdown

    out = []
    for path in sorted((ROOT / "corpus").glob("*.md")):
        doc = load_markdown(path)
        title = str(doc.declared.get("title", path.stem))
        out += [(title, s) for section in doc.sections for s in split_sentences(section.text) if len(s.split()) > 5]
    return out


def base_passages(rng: random.Random, n: int) -> list[tuple[str, str]]:
    sentences = corpus_sentences()
    passages = []
    for _ in range(n):
        start = rng.randrange(len(sentences))
        title, target, words, picked = sentences[start][0], rng.randint(*PASSAGE_WORDS), 0, []
        for _, sentence in (sentences[start:] + sentences[:start]):
            if picked and words + len(sentence.split()) > target:
                break
            picked.append(sentence)
            words += len(sentence.split())
        passages.append((title, " ".join(picked)))
    return passages


def sentence_table(base: list[tuple[str, str]], model: LocalEmbeddings) -> dict[str, np.ndarray]:
    """The vector of every quotable sentence of the base passages (what ingestion would store)."""
    unique = sorted({s for _, text in base for _, s in quotable_sentences(text)}, key=len)
    return dict(zip(unique, model.embed_array(unique)))


def fill_store(store: ChunkStore, size: int, base: list[tuple[str, str]], vectors: np.ndarray,
               rng: random.Random, sentences: dict[str, np.ndarray], doc_chunks: int = 8) -> None:
    """Write ``size`` chunks (base passages, then jittered variants) and their sentence vectors into Chroma,
    ``doc_chunks`` to a registered document (8: a briefing note; 160: a long report, which the answerer
    reads further by a second, filtered retrieval)."""
    noise = np.random.default_rng(7)
    batch = store.batch_size
    members: dict[str, list[str]] = {}
    for start in range(0, size, batch):
        ids, texts, metas, vecs, rows = [], [], [], [], []
        for i in range(start, min(size, start + batch)):
            title, text = base[i % len(base)]
            if i >= len(base):
                words = text.split()
                j = rng.randrange(len(words))
                words[j], words[-1] = words[-1], words[j]
                text = " ".join(words)
            doc = f"doc{i // doc_chunks}"
            ids.append(f"{doc}:s:{i % doc_chunks}")
            members.setdefault(doc, []).append(ids[-1])
            texts.append(text)
            metas.append({"doc_id": doc, "title": title, "publisher": "Bench", "year": "2026", "section": "Body",
                          "chunk_index": i % doc_chunks, "source": f"{doc}.md", "url": ""})
            vec = vectors[i % len(base)]
            if i >= len(base):
                vec = vec + noise.normal(0, 0.03, vec.shape).astype(np.float32)
                vec = vec / np.linalg.norm(vec)
            vecs.append(vec)
            rows.append((ids[-1], sentence_row(doc, text, base[i % len(base)][1], sentences, noise)))
        store.chunks.add(ids=ids, embeddings=np.asarray(vecs, dtype=np.float32), documents=texts, metadatas=metas)
        store._put_sentences(rows)
    store._put_records([DocumentRecord(doc, f"{doc}.md", "bench", "bench", doc, chunks=len(chunk_ids),
                                       chunk_ids=tuple(chunk_ids)) for doc, chunk_ids in members.items()])


def sentence_row(doc: str, text: str, base_text: str, table: dict[str, np.ndarray],
                 noise: np.random.Generator) -> dict[str, Any]:
    """A chunk's stored sentence vectors; a sentence a variant changed takes its base sentence's, jittered."""
    found = [s for _, s in quotable_sentences(text)]
    originals = [s for _, s in quotable_sentences(base_text)]
    rows = []
    for n, sentence in enumerate(found):
        vec = table.get(sentence)
        if vec is None:
            vec = table[originals[min(n, len(originals) - 1)]] + noise.normal(0, 0.03, 384).astype(np.float32)
            vec = vec / np.linalg.norm(vec)
        rows.append(vec)
    return SentenceVectors.of(found, np.asarray(rows, dtype=np.float32)).to_metadata(doc)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def questions(limit: int) -> list[str]:
    path = ROOT / "tests" / "data" / "devset.jsonl"
    items = [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    qs = [i["question"] for i in items if i.get("answerable", True) and not i.get("history")]
    return (qs or ["What are the OECD AI Principles?"])[:limit]


def measure(size: int, base: list[tuple[str, str]], vectors: np.ndarray, model: LocalEmbeddings,
            qs: list[str], sentences: dict[str, np.ndarray], doc_chunks: int = 8) -> dict[str, Any]:
    rng = random.Random(size)
    with tempfile.TemporaryDirectory(prefix=f"bench-query-{size}-") as tmp:
        settings = Settings(data_dir=Path(tmp), _env_file=None)  # type: ignore[call-arg]
        store = open_store(settings)
        started = time.perf_counter()
        fill_store(store, size, base, vectors, rng, sentences, doc_chunks)
        lexical.rebuild(store, settings.lexical_dir)
        build_s = time.perf_counter() - started
        cache = LexicalCache(settings.lexical_dir)
        retriever = HybridRetriever(store, model, cache)
        tutor = Tutor(store, model, cache, retriever=retriever)
        embedding = Tutor(store, model, cache, retriever=retriever)
        embedding.extractive.sentence_vectors = None  # the answer as it was: sentences embedded per question
        for q in qs[:3]:  # warm caches: BM25 load, HNSW pages, tokenizer
            tutor.answer(q)
        retrieval, answer, embedded = [], [], []
        for q in qs:
            # Cold: the generated passages repeat sentences, so a warm cache would flatter the answer times.
            model.clear_cache()
            t = time.perf_counter()
            retriever.retrieve(q)
            retrieval.append((time.perf_counter() - t) * 1000)
            model.clear_cache()
            t = time.perf_counter()
            tutor.answer(q)
            answer.append((time.perf_counter() - t) * 1000)
            model.clear_cache()
            t = time.perf_counter()
            embedding.answer(q)
            embedded.append((time.perf_counter() - t) * 1000)
    return {
        "chunks": size, "doc_chunks": doc_chunks, "build_s": round(build_s, 1),
        "retrieval_p50_ms": round(statistics.median(retrieval), 1), "retrieval_p95_ms": round(percentile(retrieval, 95), 1),
        "answer_p50_ms": round(statistics.median(answer), 1), "answer_p95_ms": round(percentile(answer, 95), 1),
        "answer_embedding_p50_ms": round(statistics.median(embedded), 1),
        "answer_embedding_p95_ms": round(percentile(embedded, 95), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run(sizes: list[int] | None = None, n_queries: int = 40) -> dict[str, Any]:
    """Measure every size; returns the flat keys ``bench/results.json`` records."""
    sizes = sizes or [1000, 10000, 100000]
    model = LocalEmbeddings("all-MiniLM-L6-v2")
    rng = random.Random(42)
    base = base_passages(rng, BASE_PASSAGES)
    t = time.perf_counter()
    vectors = model.embed_array([f"{title}\n{text}" for title, text in base])
    log.info("embedded %d base passages in %.1f s", len(base), time.perf_counter() - t)
    t = time.perf_counter()
    sentences = sentence_table(base, model)
    log.info("embedded %d base sentences in %.1f s", len(sentences), time.perf_counter() - t)
    qs = questions(n_queries)
    rows = [measure(size, base, vectors, model, qs, sentences) for size in sizes]
    if LONG_REPORTS_AT in sizes:  # the same chunks as long reports: issue #15's "library of long PDFs"
        rows.append(measure(LONG_REPORTS_AT, base, vectors, model, qs, sentences, doc_chunks=REPORT_CHUNKS))
    results: dict[str, Any] = {"query_rows": rows}
    for row in rows:
        label = f"{row['chunks'] // 1000}k" + ("_reports" if row["doc_chunks"] == REPORT_CHUNKS else "")
        for key in ("retrieval_p50_ms", "retrieval_p95_ms", "answer_p50_ms", "answer_p95_ms",
                    "answer_embedding_p50_ms", "answer_embedding_p95_ms"):
            results[f"{key.replace('_ms', '')}_ms_{label}"] = row[key]
    results["query_peak_rss_mb"] = max(r["peak_rss_mb"] for r in rows)
    return results


def table(rows: list[dict[str, Any]]) -> str:
    head = (f"{'chunks':>8} {'per doc':>8} {'build s':>8} {'retr p50':>9} {'retr p95':>9} {'ans p50':>8} {'ans p95':>8} "
            f"{'embedding p50':>14} {'embedding p95':>14} {'rss MB':>7}")
    lines = [head] + [
        f"{r['chunks']:>8} {r.get('doc_chunks', 8):>8} {r['build_s']:>8} {r['retrieval_p50_ms']:>9} {r['retrieval_p95_ms']:>9} "
        f"{r['answer_p50_ms']:>8} {r['answer_p95_ms']:>8} {r.get('answer_embedding_p50_ms', ''):>14} "
        f"{r.get('answer_embedding_p95_ms', ''):>14} {r['peak_rss_mb']:>7}" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--queries", type=int, default=40)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    results = run(args.sizes, args.queries)
    print(table(results["query_rows"]))  # a benchmark's report is its output
    print(json.dumps({k: v for k, v in results.items() if k != "query_rows"}, indent=2))


if __name__ == "__main__":
    main()


def report(figures: dict[str, Any]) -> str:
    """The table ``python -m bench`` prints for this benchmark."""
    return table(figures["query_rows"])
