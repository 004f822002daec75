"""Incremental, atomic ingestion: files -> sections -> chunks -> vectors -> Chroma (+ BM25).

Why hand-written bookkeeping rather than LangChain's ``index()``: the contract fixes chunk ids as
``doc_id:page_or_section:index``, whereas ``index()`` keys records by content hash, and its incremental
cleanup runs per batch, so a long document could lose its old chunks before all new ones are stored.
Here each document is prepared completely (parsed, chunked, embedded) before anything is written, and
:meth:`ChunkStore.replace_document` swaps it all-or-nothing.

Besides its chunks, ingestion embeds every sentence the offline answerer may quote (see
:func:`tutor.library.sentence_vectors.quotable_sentences`) and stores those vectors with the chunk: that work
used to fall on the first question that retrieved a passage (1.2 to 2.8 s on long PDF passages, issue #15).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import shutil
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock, Timeout
from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from tutor.errors import DocumentError, IngestLockedError
from tutor.library import lexical, versions
from tutor.library.chunking import Chunk, Chunker
from tutor.library.embeddings import embed_matrix
from tutor.library.files import CORPUS_ROOT, doc_id_for, file_sha256, is_hidden, record_root
from tutor.library.loaders import OcrOptions, kind_for, load_file
from tutor.library.metadata import catalog_entry, load_catalog, resolve
from tutor.library.register import DocumentRecord, next_version
from tutor.library.sentence_vectors import SentenceVectors, quotable_sentences
from tutor.library.store import ChunkStore
from tutor.library.summary import FileResult, IngestSummary
from tutor.settings import Settings

log = logging.getLogger(__name__)

#: Bump when loaders or chunking change in a way that should re-embed unchanged files.
PIPELINE_VERSION = "4"
#: Chunks gathered from several documents before one ``encode`` call: big batches keep the model busy.
EMBED_POOL = 256
#: Files checked, parsed and chunked ahead of the pool being embedded. Parsing runs in child processes and
#: storing in a writer thread, so both overlap with ``encode`` instead of leaving the model idle.
PREPARE_AHEAD = 64
#: Bump when the choice of sentences the answerer quotes changes, so an unchanged file gets the new set
#: of stored sentence vectors (version 1: the first index to store them at all).
SENTENCE_VECTORS_VERSION = "1"

Progress = Callable[[int, int, str], None]


@dataclass
class _Candidate:
    path: Path
    root_label: str
    source: str
    doc_id: str
    catalog: dict[str, Any]


@dataclass
class _Prepared:
    candidate: _Candidate
    record: DocumentRecord
    chunks: list[Chunk]
    pages: int
    action: str
    warning: str = ""


class Ingestor:
    """Runs ingestion against one store; built by the CLI, the Library desk and tests."""

    def __init__(self, settings: Settings, store: ChunkStore, embeddings: Embeddings,
                 progress: Progress | None = None) -> None:
        self.settings = settings
        self.store = store
        self.embeddings = embeddings
        self.progress = progress
        self.chunker = Chunker(embeddings, overlap_tokens=settings.chunk_overlap_tokens)  # type: ignore[arg-type]

    # --- discovery --------------------------------------------------------------------------
    def _root_label(self, folder: Path) -> str:
        corpus = self.settings.corpus_dir.resolve()
        return CORPUS_ROOT if folder.resolve() == corpus else str(folder.resolve())

    def _root_for(self, path: Path) -> Path:
        corpus = self.settings.corpus_dir.resolve()
        resolved = path.resolve()
        if resolved == corpus or corpus in resolved.parents:
            return corpus
        return resolved if resolved.is_dir() else resolved.parent

    def discover(self, paths: Sequence[Path]) -> tuple[list[_Candidate], list[FileResult]]:
        """Expand folders into files; report paths that do not exist."""
        found: dict[str, _Candidate] = {}
        missing: list[FileResult] = []
        for given in paths:
            if not given.exists():
                missing.append(FileResult(str(given), "", "failed", reason="no such file or folder"))
                continue
            root = self._root_for(given)
            catalog = load_catalog(root)
            files = sorted(p for p in given.rglob("*") if p.is_file()) if given.is_dir() else [given]
            for file in files:
                relative = file.resolve().relative_to(root)
                if given.is_dir() and is_hidden(relative):
                    continue
                source = relative.as_posix()
                doc_id = doc_id_for(source)
                if doc_id in found and found[doc_id].path != file:
                    missing.append(FileResult(source, doc_id, "failed",
                                              reason=f"same document id as {found[doc_id].source}: rename one of them"))
                    continue
                found[doc_id] = _Candidate(file, self._root_label(root), source, doc_id, catalog_entry(catalog, source))
        return list(found.values()), missing

    # --- per-file preparation (no writes) -------------------------------------------------
    def _fingerprint(self, content_sha: str, candidate: _Candidate) -> str:
        material = json.dumps([content_sha, candidate.catalog, PIPELINE_VERSION, self.settings.embedding_model,
                               self.settings.chunk_overlap_tokens, SENTENCE_VECTORS_VERSION],
                              sort_keys=True, default=str)
        return hashlib.sha256(material.encode()).hexdigest()

    def _check_file(self, candidate: _Candidate) -> str:
        """Cheap checks before reading: type and size. Returns the content hash."""
        kind_for(candidate.path)
        size = candidate.path.stat().st_size
        if size == 0:
            raise DocumentError("empty file")
        limit = self.settings.max_file_mb * 1024 * 1024
        if size > limit:
            raise DocumentError(f"file too large: {size / 1048576:.1f} MB > limit {self.settings.max_file_mb:g} MB "
                                "(TUTOR_MAX_FILE_MB)")
        return file_sha256(candidate.path)

    def _prepare(self, candidate: _Candidate, content_sha: str, fingerprint: str, action: str,
                 previous: DocumentRecord | None = None) -> _Prepared:
        loaded = load_file(candidate.path, self.settings.parse_timeout_s, self.settings.parse_memory_mb,
                           OcrOptions.from_settings(self.settings))
        declared = dict(loaded.declared)
        meta = resolve(declared, candidate.catalog, loaded.file_meta, candidate.source)
        if meta["as_of"] and versions.parse_date(meta["as_of"]) is None:
            log.warning("%s: as_of %r is not a date; using the ingestion date", candidate.source, meta["as_of"])
        meta["as_of"] = versions.effective_date(meta["as_of"], _today()).isoformat()
        version, history = next_version(previous, content_sha, meta["as_of"])
        warning = versions.backdated_warning(previous, version, meta["as_of"])
        if warning:
            log.warning("%s: %s", candidate.source, warning)
        doc_id = candidate.doc_id
        base = {"doc_id": doc_id, "source": candidate.source, "content_sha256": content_sha, "kind": loaded.kind, **meta,
                "version": version, "status": versions.CURRENT, "until": "",
                "from_day": versions.day_number(dt.date.fromisoformat(meta["as_of"])), "until_day": versions.OPEN_DAY}
        chunks = self.chunker.split(doc_id, meta["title"], loaded.sections, base)
        if not chunks:
            raise DocumentError("no extractable text")
        record = DocumentRecord(
            doc_id=doc_id, source=candidate.source, fingerprint=fingerprint, content_sha256=content_sha,
            title=meta["title"], publisher=meta["publisher"], year=meta["year"], url=meta["url"], kind=loaded.kind,
            root=candidate.root_label, topic=meta["topic"], summary=meta["summary"], pages=loaded.pages or 0, chunks=len(chunks), ingested_at=time.time(),
            chunk_ids=tuple(c.id for c in chunks),
            sections=tuple(dict.fromkeys(str(c.metadata["section"]) for c in chunks if c.metadata.get("section"))),
            version=version, as_of=meta["as_of"], history=history,
        )
        return _Prepared(candidate, record, chunks, loaded.pages or 0, action, warning)

    # --- the run -----------------------------------------------------------------------------
    def run(self, paths: Sequence[Path] | None = None, prune: bool = False, dry_run: bool = False,
            reset: bool = False, purge: bool = False) -> IngestSummary:
        """Ingest ``paths`` (default: the corpus folder) under the ingestion lock.

        ``prune`` retires documents whose files are gone (kept for ``as_of`` questions); ``purge`` deletes
        them, and every earlier version of theirs, for good.
        """
        paths = list(paths or [self.settings.corpus_dir])
        self._purge = purge
        prune = prune or purge
        if dry_run:
            return self._run(paths, prune, dry_run=True, reset=reset)
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.settings.lock_path), timeout=self.settings.ingest_lock_timeout_s)
        try:
            with lock:
                return self._run(paths, prune, dry_run=False, reset=reset)
        except Timeout as exc:
            raise IngestLockedError(
                f"another ingestion is running (lock {self.settings.lock_path} held for "
                f"{self.settings.ingest_lock_timeout_s:g} s): wait for it to finish, then run again"
            ) from exc

    def _run(self, paths: list[Path], prune: bool, dry_run: bool, reset: bool) -> IngestSummary:
        started = time.perf_counter()
        summary = IngestSummary(dry_run=dry_run)
        if reset and not dry_run:
            self.store.reset()
            shutil.rmtree(self.settings.lexical_dir, ignore_errors=True)
        adopted = 0 if reset or dry_run else self.store.adopt_unversioned(_today().isoformat())
        records = {} if reset else self.store.records()
        candidates, missing = self.discover(paths)
        summary.files.extend(missing)
        pending: list[_Prepared] = []
        writing: Future[list[FileResult]] | None = None
        bar = tqdm(total=len(candidates), desc="ingest", unit="file", disable=None)
        preparer = ThreadPoolExecutor(1, thread_name_prefix="ingest-prepare")
        writer = ThreadPoolExecutor(1, thread_name_prefix="ingest-store")
        try:
            planned = _ahead(preparer, lambda c: self._plan_one(c, records, dry_run), candidates, PREPARE_AHEAD)
            for number, (candidate, outcome) in enumerate(planned, start=1):
                bar.update(1)
                if self.progress:
                    self.progress(number, len(candidates), candidate.source)
                if isinstance(outcome, _Prepared):
                    pending.append(outcome)
                else:
                    summary.files.append(outcome)
                if sum(len(p.chunks) for p in pending) >= EMBED_POOL:
                    writing = self._flush(pending, summary, writer, writing)
            writing = self._flush(pending, summary, writer, writing)
            if writing is not None:
                summary.files.extend(writing.result())
        finally:  # on an error: drop the work queued ahead, but let a document being written finish
            preparer.shutdown(wait=True, cancel_futures=True)
            writer.shutdown(wait=True)
            bar.close()
        if prune:
            summary.files.extend(self._prune(paths, records, dry_run))
        if not dry_run and (summary.changed or adopted or (self.store.count() and not lexical.LexicalIndex.current_version(
                self.settings.lexical_dir))):
            lexical.rebuild(self.store, self.settings.lexical_dir)
        summary.seconds = time.perf_counter() - started
        log.info(summary.text().splitlines()[0])
        return summary

    def _plan_one(self, candidate: _Candidate, records: dict[str, DocumentRecord],
                  dry_run: bool) -> FileResult | _Prepared:
        """Check, and when new or changed parse and chunk, one file (no writes; runs ahead in a thread)."""
        try:
            content_sha = self._check_file(candidate)
        except DocumentError as exc:
            return FileResult(candidate.source, candidate.doc_id, "failed", reason=str(exc))
        fingerprint = self._fingerprint(content_sha, candidate)
        previous = records.get(candidate.doc_id)
        retired = previous is not None and previous.status == versions.RETIRED
        if previous and previous.fingerprint == fingerprint and not retired:
            return FileResult(candidate.source, candidate.doc_id, "unchanged", chunks=previous.chunks)
        action = "updated" if previous else "added"
        if dry_run:
            return FileResult(candidate.source, candidate.doc_id, action)
        try:
            return self._prepare(candidate, content_sha, fingerprint, action, previous)
        except DocumentError as exc:
            return FileResult(candidate.source, candidate.doc_id, "failed", reason=str(exc))

    def _flush(self, pending: list[_Prepared], summary: IngestSummary, writer: ThreadPoolExecutor,
               writing: Future[list[FileResult]] | None) -> Future[list[FileResult]] | None:
        """Embed the pooled chunks in one call, their sentences in another, then hand both to the writer
        (one pool written at a time).

        The previous pool's writes overlap with this pool's encoding; each document is still stored
        atomically by :meth:`ChunkStore.replace_document`, and results keep their order.
        """
        if not pending:
            return writing
        batch = list(pending)
        pending.clear()
        texts = [c.embed_text for p in batch for c in p.chunks]
        try:
            vectors = embed_matrix(self.embeddings, texts, corpus=True)
            sentences = self._embed_sentences(batch)
        except Exception as exc:  # the model failing must not lose the run's other work
            log.exception("embedding failed")
            for p in batch:
                summary.files.append(FileResult(p.candidate.source, p.record.doc_id, "failed",
                                                reason=f"embedding failed: {exc}"))
            return writing
        if writing is not None:
            summary.files.extend(writing.result())
        return writer.submit(self._store_all, batch, vectors, sentences)

    def _embed_sentences(self, batch: list[_Prepared]) -> dict[str, SentenceVectors]:
        """The vectors of every quotable sentence of the pool's chunks, by chunk id, in one ``encode``.

        A sentence shared by overlapping chunks is embedded once; shortest first, so each model batch
        holds sentences of similar length (little padding). They are embedded in the precision the
        pool's chunks got, and never decide it: the corpus precision is calibrated on chunks.
        """
        per_chunk = {c.id: [s for _, s in quotable_sentences(c.text)] for p in batch for c in p.chunks}
        unique = sorted({s for found in per_chunk.values() for s in found}, key=lambda s: (len(s), s))
        if not unique:
            return {}
        matrix = embed_matrix(self.embeddings, unique, corpus=True, decide=False)
        row = {s: i for i, s in enumerate(unique)}
        return {cid: SentenceVectors.of(found, matrix[[row[s] for s in found]])
                for cid, found in per_chunk.items() if found}

    def _store_all(self, batch: list[_Prepared], vectors: np.ndarray,
                   sentences: dict[str, SentenceVectors]) -> list[FileResult]:
        """Write the pool in one go; if that fails (it was rolled back), write each document alone.

        One write per pool instead of several per document is most of what storing costs; the fallback
        keeps one bad document from failing its neighbours.
        """
        bounds = np.cumsum([0] + [len(p.chunks) for p in batch])
        parts = [vectors[start:end] for start, end in pairwise(bounds)]
        if len(batch) > 1:
            try:
                self.store.replace_documents([(p.record, p.chunks, v) for p, v in zip(batch, parts)], sentences)
            except Exception:  # the store rolled the pool back; find the culprit below
                log.warning("writing %d documents at once failed: writing them one by one", len(batch),
                            exc_info=True)
            else:
                return [FileResult(p.candidate.source, p.record.doc_id, p.action, chunks=len(p.chunks),
                                   pages=p.pages, warning=p.warning) for p in batch]
        return [self._store_one(p, v, sentences) for p, v in zip(batch, parts)]

    def _store_one(self, prepared: _Prepared, vectors: np.ndarray, sentences: dict[str, SentenceVectors]) -> FileResult:
        source, doc_id = prepared.candidate.source, prepared.record.doc_id
        try:
            self.store.replace_document(prepared.record, prepared.chunks, vectors, sentences)
        except Exception as exc:  # reported per file; the store rolled the document back
            log.exception("could not store %s", source)
            return FileResult(source, doc_id, "failed", reason=f"could not store it ({exc}); the previous version is kept")
        return FileResult(source, doc_id, prepared.action, chunks=len(prepared.chunks), pages=prepared.pages,
                          warning=prepared.warning)

    def _prune(self, paths: list[Path], records: dict[str, DocumentRecord], dry_run: bool) -> list[FileResult]:
        """Remove documents whose files are gone from the folders given."""
        results = []
        folders = [p for p in paths if p.is_dir()]
        for folder in folders:
            root = self._root_for(folder)
            label = self._root_label(root)
            for record in records.values():
                if record_root(record) != label or (root / record.source).exists():
                    continue
                if not (root / record.source).resolve().is_relative_to(folder.resolve()):
                    continue
                purge = getattr(self, "_purge", False)
                if record.status == versions.RETIRED and not purge:
                    continue  # retired by an earlier run
                if dry_run:
                    removed = 0
                elif purge:
                    removed = self.store.remove_document(record.doc_id)
                else:
                    removed = self.store.retire_document(record.doc_id, _today().isoformat())
                results.append(FileResult(record.source, record.doc_id, "removed", chunks=removed,
                                          reason="deleted for good" if purge else "retired: kept for as_of questions"))
        return results


def _ahead(executor: ThreadPoolExecutor, work: Callable[[_Candidate], FileResult | _Prepared],
           items: Iterable[_Candidate], depth: int) -> Iterator[tuple[_Candidate, FileResult | _Prepared]]:
    """``(item, work(item))`` in order, with up to ``depth`` items being worked on ahead of the consumer."""
    queue: deque[tuple[_Candidate, Future[FileResult | _Prepared]]] = deque()
    source = iter(items)
    for item in source:
        queue.append((item, executor.submit(work, item)))
        if len(queue) >= depth:
            break
    while queue:
        item, future = queue.popleft()
        following = next(source, None)
        if following is not None:
            queue.append((following, executor.submit(work, following)))
        yield item, future.result()


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


