"""Retrieval-only evaluation on a BEIR folder: dense, BM25 and hybrid, in one run, on one index.

The folder holds ``corpus.jsonl`` (``_id``, ``title``, ``text``), ``queries.jsonl`` (``_id``, ``text``) and
``qrels/*.tsv`` (``query-id  corpus-id  score``, with a header): ``test.tsv`` when present, else every
TSV file (SciFact's training split ships as ``train.tsv``). Only queries with at least one relevant
document are scored (trec_eval's convention).

The index is built in a temporary folder with the production pieces, but without the per-file
ingestion path (5,000 tiny files would spend their time on bookkeeping): one document = title + text,
cut by :class:`~tutor.library.chunking.Chunker` exactly as ingestion cuts a section, embedded in large batches,
written to a :class:`~tutor.library.store.ChunkStore`, and indexed by :class:`~tutor.library.lexical.LexicalIndex`.
Retrieval goes through :class:`~tutor.answers.retrieval.HybridRetriever`; chunk rankings become document
rankings by keeping each document's best-ranked chunk.
"""

from __future__ import annotations

import csv
import json
import logging
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from tutor.errors import TutorError
from tutor.eval import metrics as m

log = logging.getLogger(__name__)

MODES = ("dense", "bm25", "hybrid")
BEIR_METRICS = ("ndcg_at_10", "recall_at_100", "mrr", "hit_at_10")
#: Chunks fetched per query and per method: enough to rank 100 distinct documents after aggregation.
CHUNK_DEPTH = 300
DOC_DEPTH = 100
EMBED_BATCH = 512
#: Chunks, spread over the length range, offered to the corpus precision check (and int8 calibration).
CALIBRATION_SIZE = 128
#: Queries that also run through ``HybridRetriever.retrieve`` to check the hybrid ranking (see run_beir).
VERIFY_QUERIES = 100


@dataclass
class BeirData:
    corpus: dict[str, tuple[str, str]]  # id -> (title, text)
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]  # query id -> {doc id: relevance}
    qrels_files: list[str] = field(default_factory=list)


def _jsonl(path: Path) -> Iterable[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for n, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise TutorError(f"{path}, line {n}: not valid JSON ({exc.msg})") from exc


def load_beir(folder: str | Path) -> BeirData:
    """Read a BEIR folder; raises :class:`TutorError` naming what is missing."""
    folder = Path(folder)
    corpus_file, queries_file, qrels_dir = folder / "corpus.jsonl", folder / "queries.jsonl", folder / "qrels"
    for needed in (corpus_file, queries_file, qrels_dir):
        if not needed.exists():
            raise TutorError(f"{folder} is not a BEIR folder: {needed.name} is missing")
    files = [qrels_dir / "test.tsv"] if (qrels_dir / "test.tsv").exists() else sorted(qrels_dir.glob("*.tsv"))
    if not files:
        raise TutorError(f"{qrels_dir} holds no .tsv file")
    corpus = {str(d["_id"]): (str(d.get("title") or ""), str(d.get("text") or "")) for d in _jsonl(corpus_file)}
    queries = {str(q["_id"]): str(q.get("text") or "") for q in _jsonl(queries_file)}
    qrels: dict[str, dict[str, int]] = {}
    for file in files:
        with file.open(encoding="utf-8") as handle:
            for row in csv.reader(handle, delimiter="\t"):
                if len(row) < 3 or row[0] in ("query-id", "query_id", "qid"):
                    continue
                qrels.setdefault(row[0], {})[row[1]] = int(float(row[2]))
    return BeirData(corpus, queries, qrels, [f.name for f in files])


def parse_weights(spec: str) -> list[tuple[float, float]]:
    """``"1:1.5,1:2"`` -> ``[(1.0, 1.5), (1.0, 2.0)]`` (dense weight : lexical weight)."""
    out = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        dense, sep, lexical = part.partition(":")
        try:
            out.append((float(dense), float(lexical)))
        except ValueError:
            raise ValueError(f"--rrf-weights: {part!r} is not DENSE:LEXICAL") from None
        if not sep:
            raise ValueError(f"--rrf-weights: {part!r} is not DENSE:LEXICAL")
    return out


# --- the index ----------------------------------------------------------------------------------------
def choose_precision(embeddings: Any, sample: Sequence[str], allow_bf16: bool = True) -> dict[str, Any]:
    """The corpus precision, chosen as ingestion chooses it (:meth:`LocalEmbeddings.resolve_corpus_precision`).

    Embedding is nine tenths of a BEIR run; the int8 model cuts it to about a third, bfloat16 autocast
    to about a half where the CPU has it natively. ``allow_bf16=False`` (``--fp32``) keeps float32.
    ``sample`` also calibrates the int8 model when one has to be made. Queries are always float32.
    """
    from tutor.library.embeddings import LocalEmbeddings

    if not allow_bf16 or not isinstance(embeddings, LocalEmbeddings):
        return {"precision": "float32", "why": "float32 asked for" if not allow_bf16 else "not a local model"}
    embeddings.resolve_corpus_precision(list(sample))
    return dict(embeddings.precision_report or {"precision": "float32", "why": "sample too small to check"})


def build_index(data: BeirData, settings: Any, embeddings: Any, show_progress: bool | None = None,
                allow_bf16: bool = True) -> dict[str, Any]:
    """Chunk, embed and store every document; build and publish the BM25 index. Returns timings."""
    from tutor.library.chroma import open_store
    from tutor.library.chunking import Chunker
    from tutor.library.embeddings import embed_matrix
    from tutor.library.lexical import LexicalIndex
    from tutor.library.loaders.base import Section

    started = time.perf_counter()
    chunker = Chunker(embeddings, overlap_tokens=settings.chunk_overlap_tokens)
    chunks = []
    for doc_id, (title, text) in tqdm(data.corpus.items(), desc="chunk", unit="doc", disable=_disable(show_progress)):
        body = text.strip() or title.strip()
        if not body:
            continue
        meta = {"doc_id": doc_id, "title": title, "source": "corpus.jsonl"}
        chunks.extend(chunker.split(doc_id, title, [Section(body)], meta))
    chunked = time.perf_counter()
    order = sorted(range(len(chunks)), key=lambda i: len(chunks[i].embed_text))  # similar lengths batch well
    step = max(1, len(order) // CALIBRATION_SIZE)
    precision = choose_precision(embeddings, [chunks[i].embed_text for i in order[::step]][:CALIBRATION_SIZE],
                                 allow_bf16)
    log.info("corpus embeddings in %s (%s)", precision["precision"], precision)
    vectors = np.zeros((len(chunks), 0), dtype=np.float32)
    bar = tqdm(total=len(chunks), desc="embed", unit="chunk", disable=_disable(show_progress))
    for start in range(0, len(order), EMBED_BATCH):
        ids = order[start: start + EMBED_BATCH]
        texts = [chunks[i].embed_text for i in ids]
        bulk = precision["precision"] != "float32"  # embed_corpus keeps the precision just chosen
        block = embed_matrix(embeddings, texts, corpus=True) if bulk else embed_matrix(embeddings, texts)
        if vectors.shape[1] == 0:
            vectors = np.zeros((len(chunks), block.shape[1]), dtype=np.float32)
        vectors[ids] = block
        bar.update(len(ids))
    bar.close()
    embedded = time.perf_counter()
    store = open_store(settings)
    for start in range(0, len(chunks), store.batch_size):
        part = chunks[start: start + store.batch_size]
        store.chunks.upsert(ids=[c.id for c in part], embeddings=vectors[start: start + len(part)],
                            documents=[c.text for c in part], metadatas=[dict(c.metadata) for c in part])
    LexicalIndex.build((c.id, c.text, c.metadata) for c in chunks).save(settings.lexical_dir)
    done = time.perf_counter()
    return {"documents": len(data.corpus), "chunks": len(chunks), "chunk_s": round(chunked - started, 1),
            "embed_s": round(embedded - chunked, 1), "store_s": round(done - embedded, 1),
            "index_s": round(done - started, 1), "embedding": precision}


def _disable(show_progress: bool | None) -> bool | None:
    return None if show_progress is None else not show_progress


# --- rankings -----------------------------------------------------------------------------------------
def documents_from_chunks(chunk_ids: Iterable[str], doc_of: dict[str, str], depth: int = DOC_DEPTH) -> list[str]:
    """Document ranking from a chunk ranking: each document at the rank of its best chunk."""
    seen: dict[str, None] = {}
    for cid in chunk_ids:
        doc = doc_of.get(cid) or cid.split(":", 1)[0]  # chunk ids start with their document id
        if doc not in seen:
            seen[doc] = None
            if len(seen) == depth:
                break
    return list(seen)


def fuse(dense: Sequence[str], lexical: Sequence[str], weights: tuple[float, float]) -> list[str]:
    """The hybrid retriever's fusion (``tutor.answers.retrieval.rrf``, same tie-break) on cached rankings."""
    from tutor.answers.retrieval import rrf

    scores = rrf([dense, lexical], list(weights))
    return sorted(scores, key=lambda cid: (-scores[cid], cid))


def score(rankings: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    """Mean nDCG@10, recall@100, MRR (over the top 100) and hit@10 over the scored queries."""
    rows = []
    for qid, ranking in rankings.items():
        rel = qrels[qid]
        rank = m.first_relevant_rank(ranking, rel, DOC_DEPTH)
        rows.append((m.ndcg_at_k(ranking, rel, 10), m.recall_at_k(ranking, rel, 100), m.reciprocal_rank(rank),
                     m.hit_at_k(rank, 10)))
    if not rows:
        return {name: 0.0 for name in BEIR_METRICS}
    means = np.asarray(rows).mean(axis=0)
    return {name: round(float(v), 4) for name, v in zip(BEIR_METRICS, means)}


def run_beir(folder: str | Path, settings: Any, embeddings: Any, weights: Sequence[tuple[float, float]] = (),
             max_queries: int | None = None, show_progress: bool | None = None,
             verify_queries: int | None = VERIFY_QUERIES, allow_bf16: bool = True) -> dict[str, Any]:
    """Build a temporary index of the folder and score dense, BM25 and hybrid retrieval on it.

    ``weights``: extra dense:lexical RRF weightings to score (fused from the same dense and BM25 rankings
    with the retriever's own ``rrf``). ``verify_queries``: how many queries also go through
    ``HybridRetriever.retrieve`` to check the fused hybrid ranking against it (``None``: all).
    The result holds the figures, the settings and the timings.
    """
    from tutor.answers.retrieval import HybridRetriever, RetrievalConfig
    from tutor.library.embeddings import LocalEmbeddings, embed_matrix
    from tutor.library.lexical import LexicalCache

    started = time.perf_counter()
    data = load_beir(folder)
    judged = [q for q in data.qrels if q in data.queries and any(r > 0 for r in data.qrels[q].values())]
    if max_queries:
        judged = judged[:max_queries]
    if not judged:
        raise TutorError(f"{folder}: no query has a relevant document in {', '.join(data.qrels_files)}")
    with tempfile.TemporaryDirectory(prefix="mwalimu-beir-") as tmp:
        local = settings.model_copy(update={"data_dir": Path(tmp) / "data", "chroma_url": None,
                                            "collection": "beir"})
        if isinstance(embeddings, LocalEmbeddings) and embeddings.int8_dir is not None:
            # an int8 model calibrated on this data set, made beside its index: the library's own int8
            # model (calibrated on the library) is neither used nor replaced
            embeddings = embeddings.sharing_model(embeddings.corpus_precision, local.models_dir)
        timings = build_index(data, local, embeddings, show_progress, allow_bf16)
        precision = timings.pop("embedding")
        from tutor.library.chroma import open_store

        store = open_store(local)
        config = RetrievalConfig(k=CHUNK_DEPTH, fetch_k=CHUNK_DEPTH)
        retriever = HybridRetriever(store, embeddings, LexicalCache(local.lexical_dir), config)
        query_started = time.perf_counter()
        vectors = embed_matrix(embeddings, [data.queries[q] for q in judged])
        runs: dict[str, dict[str, list[str]]] = {"dense": {}, "bm25": {}}
        doc_of: dict[str, str] = {}
        spent = {mode: 0.0 for mode in MODES}
        for qid, vector in tqdm(list(zip(judged, vectors)), desc="queries", unit="query",
                                disable=_disable(show_progress)):
            text = data.queries[qid]
            t = time.perf_counter()
            dense = retriever.dense(text, CHUNK_DEPTH, None, vector)
            spent["dense"] += time.perf_counter() - t
            t = time.perf_counter()
            lexical = retriever.bm25(text, CHUNK_DEPTH)
            spent["bm25"] += time.perf_counter() - t
            doc_of.update((p.id, p.doc_id) for p in dense)
            runs["dense"][qid] = [p.id for p in dense]
            runs["bm25"][qid] = [cid for cid, _ in lexical]
        lexical_index = retriever.lexical.get() if retriever.lexical else None
        if lexical_index is not None:  # every chunk's document, for chunks that only BM25 found
            doc_of.update(zip(lexical_index.ids, lexical_index.fields["doc_id"]))
        # Hybrid: the retriever's own fusion of the two rankings above. retrieve() itself is run on a
        # sample to prove they agree (it re-does both searches, which would double the query time);
        # if they ever disagree (a reranker, a new fusion), retrieve() is used for every query.
        default = (config.dense_weight, config.lexical_weight)
        fused = {q: fuse(runs["dense"][q], runs["bm25"][q], default) for q in judged}
        sample = judged if verify_queries is None else judged[:verify_queries]
        hybrid: dict[str, list[str]] = {}

        def real_hybrid(qid: str) -> list[str]:
            t = time.perf_counter()
            passages = retriever.retrieve(data.queries[qid], CHUNK_DEPTH, mode="hybrid")
            spent["hybrid"] += time.perf_counter() - t
            doc_of.update((p.id, p.doc_id) for p in passages)
            return [p.id for p in passages]

        for qid in sample:
            hybrid[qid] = real_hybrid(qid)
        agreement = sum(documents_from_chunks(hybrid[q], doc_of) == documents_from_chunks(fused[q], doc_of)
                        for q in sample) / len(sample)
        if agreement < 1.0:
            log.warning("the retriever's hybrid ranking differs from RRF of its dense and BM25 rankings on %.0f%% of "
                        "%d queries: running retrieve() for every query", 100 * (1 - agreement), len(sample))
            for qid in judged:
                if qid not in hybrid:
                    hybrid[qid] = real_hybrid(qid)
        else:
            hybrid = {q: hybrid.get(q, fused[q]) for q in judged}
        hybrid_calls = len(sample) if agreement == 1.0 else len(judged)
        query_s = time.perf_counter() - query_started
    runs["hybrid"] = hybrid
    qrels = {q: data.qrels[q] for q in judged}
    docs = {mode: {q: documents_from_chunks(ids, doc_of) for q, ids in found.items()} for mode, found in runs.items()}
    results = {mode: score(docs[mode], qrels) for mode in MODES}
    sweep: dict[str, dict[str, float]] = {}
    for w in [default, *weights]:
        ranked = {q: documents_from_chunks(fuse(runs["dense"][q], runs["bm25"][q], w), doc_of) for q in judged}
        sweep[f"{w[0]:g}:{w[1]:g}"] = score(ranked, qrels)
    best = max(sweep.items(), key=lambda kv: kv[1]["ndcg_at_10"])
    return {
        "dataset": str(folder), "qrels": data.qrels_files, "queries": len(judged), "results": results,
        "rrf_sweep": sweep, "best_rrf_weights": best[0],
        "hybrid_checked_with_retrieve": {"queries": len(sample), "same_ranking": round(agreement, 4),
                                         "retrieve_calls": hybrid_calls},
        "corpus_embeddings": precision,
        "settings": {"chunk_depth": CHUNK_DEPTH, "doc_depth": DOC_DEPTH, "rrf_k": 60,
                     "weights": f"{config.dense_weight:g}:{config.lexical_weight:g}",
                     "per_doc_cap": config.per_doc_cap, "embedding_model": settings.embedding_model},
        "timings_s": {**timings, "queries_s": round(query_s, 1),
                      "dense_ms_per_query": round(1000 * spent["dense"] / len(judged), 1),
                      "bm25_ms_per_query": round(1000 * spent["bm25"] / len(judged), 1),
                      "hybrid_ms_per_query": round(1000 * spent["hybrid"] / hybrid_calls, 1),
                      "total_s": round(time.perf_counter() - started, 1)},
    }


def format_table(result: dict[str, Any]) -> str:
    t = result["timings_s"]
    lines = [(f"{result['dataset']}: {result['queries']} queries (qrels: {', '.join(result['qrels'])}), "
              f"{t['documents']:,} documents, {t['chunks']:,} chunks; index {t['index_s']} s "
              f"(embedding {t['embed_s']} s), queries {t['queries_s']} s, total {t['total_s']} s"),
             f"{'method':<22}" + "".join(f"{name:>15}" for name in BEIR_METRICS)]
    for mode, values in result["results"].items():
        label = f"hybrid (RRF {result['settings']['weights']})" if mode == "hybrid" else mode
        lines.append(f"{label:<22}" + "".join(f"{values[name]:>15.4f}" for name in BEIR_METRICS))
    for weights, values in result["rrf_sweep"].items():
        lines.append(f"{'  RRF ' + weights + ' (sweep)':<22}" + "".join(f"{values[name]:>15.4f}" for name in BEIR_METRICS))
    emb = result.get("corpus_embeddings", {})
    if emb.get("precision") in ("bfloat16", "int8"):
        check = (f"{emb['speedup']}x faster on a sample of {emb['sample']} chunks; min cosine to float32 "
                 f"{emb['min_cosine_to_float32']}" if "sample" in emb else emb.get("why", ""))
        how = "by the int8 model" if emb["precision"] == "int8" else "under bfloat16 autocast"
        lines.append(f"corpus embedded {how} ({check}); queries in float32")
    check = result["hybrid_checked_with_retrieve"]
    lines.append(f"hybrid ranking checked against HybridRetriever.retrieve on {check['queries']} queries: "
                 f"same top {DOC_DEPTH} documents for {check['same_ranking']:.0%}")
    lines.append(f"best RRF dense:lexical weights by nDCG@10: {result['best_rrf_weights']}")
    return "\n".join(lines)
