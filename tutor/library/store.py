"""The Chroma index: chunk vectors plus a small document register, in one database.

Keeping the register (content hash, chunk ids, title... per document) in Chroma itself, as a second
collection, means the index and its bookkeeping can never disagree, and that replicas sharing a Chroma
server share both. :func:`tutor.library.chroma.open_store` is the only place that builds a Chroma client.

A third collection, ``<name>-sentences``, keeps the vectors of each chunk's quotable sentences (one row per
chunk, id = chunk id; see :mod:`tutor.library.sentence_vectors`), written, replaced and removed together with the
chunk, so the offline answerer never embeds a passage's sentences while an official waits.

Every ingestion ends by publishing an *index version* (a stamp in the register collection's metadata,
see :meth:`ChunkStore.publish_version`). Other processes compare it with the one they last saw:

- app replicas rebuild their own BM25 index from the store when it changed (:class:`tutor.library.lexical.LexicalCache`);
- an app on the embedded store re-opens its client, because embedded Chroma keeps the vector index in
  memory per process and does not see another process's writes (``get`` does, ``query`` does not: Chroma
  issue #3792). Writes in the app re-check first, so a stale in-memory index is never written back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import Any, TypeVar

import numpy as np

from tutor.library import register, versions
from tutor.library.chunking import Chunk
from tutor.library.register import DocumentRecord, Hit, Metadata, batches, clean_metadata, equalities
from tutor.library.sentence_vectors import SentenceVectors

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Key of the index version in the register collection's metadata.
INDEX_VERSION_KEY = "index_version"
#: How often (seconds) an embedded store checks whether another process published a new index version.
REFRESH_INTERVAL_S = 1.0
#: Sentence rows per Chroma write: a row holds a chunk's sentence vectors (about 1 kB per sentence), so
#: this keeps one request to a Chroma server to a few MB.
SENTENCE_BATCH = 256


class ChunkStore:
    """Typed access to the two collections; every write is batched under Chroma's maximum batch size."""

    def __init__(self, client: Any, name: str = "mwalimu", reopen: Callable[[Any], Any] | None = None,
                 refresh_interval_s: float = REFRESH_INTERVAL_S) -> None:
        """``reopen(old_client) -> client`` is given for the embedded store only (see :meth:`refresh`)."""
        self.client = client
        self.name = name
        self.batch_size = max(1, min(int(client.get_max_batch_size()), 5000))
        self._reopen = reopen
        self.refresh_interval_s = refresh_interval_s
        self._refresh_lock = threading.RLock()
        self._checked_at = time.monotonic()
        self._open()
        self._seen_version = self.index_version()

    def _open(self) -> None:
        self.chunks = self.client.get_or_create_collection(
            self.name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
        )
        self.documents = self.client.get_or_create_collection(
            f"{self.name}-documents", embedding_function=None
        )
        self.sentences = self.client.get_or_create_collection(
            f"{self.name}-sentences", embedding_function=None
        )

    def _read(self, op: Callable[[], T]) -> T:
        """Run a read; if another process reset the index (``ingest.py --reset``), reconnect and retry once."""
        from chromadb.errors import NotFoundError

        try:
            return op()
        except NotFoundError:
            log.info("the index collections were replaced by another process: reconnecting")
            with self._refresh_lock:
                if self._reopen is not None:
                    self.client = self._reopen(self.client)
                self._open()
            return op()

    # --- the index version: how processes sharing the index notice each other's writes --------
    def index_version(self) -> str | None:
        """The version the last ingestion published, read fresh from Chroma (``None`` before the first)."""
        meta = self._read(lambda: self.client.get_collection(f"{self.name}-documents", embedding_function=None).metadata)
        value = (meta or {}).get(INDEX_VERSION_KEY)
        return str(value) if value else None

    def publish_version(self, version: str) -> None:
        """Announce that the index changed (called once per ingestion, after the BM25 index is saved)."""
        with self._refresh_lock:
            self.documents.modify(metadata={INDEX_VERSION_KEY: version})
            self._seen_version = version

    def refresh(self, force: bool = False) -> bool:
        """Embedded store: re-open the client if another process published a new index version since.

        Checks at most once per ``refresh_interval_s`` unless ``force``. Queries in flight keep the old
        client until they finish. Returns whether the client was re-opened. A no-op on a Chroma server,
        which every client sees the same way.
        """
        if self._reopen is None or (not force and time.monotonic() - self._checked_at < self.refresh_interval_s):
            return False
        with self._refresh_lock:
            if not force and time.monotonic() - self._checked_at < self.refresh_interval_s:
                return False
            self._checked_at = time.monotonic()
            version = self.index_version()
            if version == self._seen_version:
                return False
            log.info("index version %s published by another process: re-opening the embedded store", version)
            self.client = self._reopen(self.client)
            self._open()
            self._seen_version = version
            return True

    # --- the document register -------------------------------------------------------------
    def records(self) -> dict[str, DocumentRecord]:
        """Every registered document by id."""
        got = self._read(lambda: self.documents.get(include=["metadatas"]))
        return {i: DocumentRecord.from_metadata(m) for i, m in zip(got["ids"], got["metadatas"] or [])}

    def record(self, doc_id: str) -> DocumentRecord | None:
        return self._records([doc_id]).get(doc_id)

    def _records(self, doc_ids: Sequence[str]) -> dict[str, DocumentRecord]:
        got = self._read(lambda: self.documents.get(ids=list(doc_ids), include=["metadatas"]))
        return {i: DocumentRecord.from_metadata(m) for i, m in zip(got["ids"], got["metadatas"] or [])}

    def _put_records(self, records: Sequence[DocumentRecord]) -> None:
        for part in batches(len(records), self.batch_size):
            batch = records[part]
            self.documents.upsert(ids=[r.doc_id for r in batch], embeddings=[[1.0]] * len(batch),
                                  metadatas=[clean_metadata(r.to_metadata()) for r in batch])

    # --- chunks -------------------------------------------------------------------------------
    def count(self) -> int:
        return int(self._read(lambda: self.chunks.count()))

    def _upsert(self, ids: Sequence[str], vectors: np.ndarray, texts: Sequence[str], metas: Sequence[Metadata]) -> None:
        for part in batches(len(ids), self.batch_size):
            self.chunks.upsert(ids=list(ids[part]), embeddings=vectors[part], documents=list(texts[part]),
                               metadatas=[clean_metadata(m) for m in metas[part]])

    def _delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for part in batches(len(ids), self.batch_size):
            self.chunks.delete(ids=ids[part])

    def _snapshot(self, ids: Sequence[str]) -> dict[str, Any]:
        ids = list(ids)
        out: dict[str, Any] = {"ids": [], "embeddings": [], "documents": [], "metadatas": []}
        for part in batches(len(ids), self.batch_size):
            got = self.chunks.get(ids=ids[part], include=["embeddings", "documents", "metadatas"])
            out["ids"] += got["ids"]
            out["embeddings"] += list(got["embeddings"])
            out["documents"] += got["documents"]
            out["metadatas"] += got["metadatas"]
        return out

    # --- sentence vectors (one row per chunk; the answerer's, see tutor.library.sentence_vectors) ---------
    def _put_sentences(self, rows: Sequence[tuple[str, Metadata]]) -> None:
        for part in batches(len(rows), min(self.batch_size, SENTENCE_BATCH)):
            batch = rows[part]
            # The vectors travel in the metadata: a 1-d placeholder keeps them out of any vector index.
            self.sentences.upsert(ids=[cid for cid, _ in batch], embeddings=[[1.0]] * len(batch),
                                  metadatas=[meta for _, meta in batch])

    def _delete_sentences(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for part in batches(len(ids), self.batch_size):
            self.sentences.delete(ids=ids[part])

    def _snapshot_sentences(self, ids: Sequence[str]) -> list[tuple[str, Metadata]]:
        ids = list(ids)
        out: list[tuple[str, Metadata]] = []
        for part in batches(len(ids), min(self.batch_size, SENTENCE_BATCH)):
            got = self.sentences.get(ids=ids[part], include=["metadatas"])
            out += list(zip(got["ids"], got["metadatas"]))
        return out

    def sentence_vectors(self, chunk_ids: Sequence[str]) -> dict[str, SentenceVectors]:
        """The stored sentence vectors of these chunks, in one read (chunks without any are left out).

        A ``get`` by id reads Chroma's SQLite directly, so an embedded store sees rows another process
        wrote without re-opening (Chroma issue #3792 concerns ``query`` only).
        """
        ids = list(dict.fromkeys(chunk_ids))
        if not ids:
            return {}
        got = self._read(lambda: self.sentences.get(ids=ids, include=["metadatas"]))
        out = {}
        for cid, meta in zip(got["ids"], got["metadatas"] or []):
            vectors = SentenceVectors.from_metadata(meta)
            if vectors is not None:
                out[cid] = vectors
        return out

    def replace_document(self, record: DocumentRecord, chunks: Sequence[Chunk], vectors: np.ndarray,
                         sentences: Mapping[str, SentenceVectors] | None = None) -> None:
        """Swap one document's chunks for new ones, all or nothing (see :meth:`replace_documents`)."""
        self.replace_documents([(record, chunks, vectors)], sentences)

    def replace_documents(self, items: Sequence[tuple[DocumentRecord, Sequence[Chunk], np.ndarray]],
                          sentences: Mapping[str, SentenceVectors] | None = None) -> None:
        """Swap several documents' chunks (and their sentence vectors) for new ones, all or nothing.

        Each Chroma write has a fixed cost (a transaction, the full-text and vector indexes) that dwarfs
        a dozen chunks, so ingestion writes a pool of documents at once. New chunks and their sentence
        rows are written first, then the old ones that the new versions no longer have are deleted, then
        the register is updated. Chunk ids are deterministic, so a new version overwrites old chunks with
        the same id: the old ones (and their sentence rows) are snapshotted first and restored if any step
        fails, so a failed update leaves every previous version exactly as it was. ``sentences`` maps
        chunk ids to their sentence vectors; a new chunk without an entry keeps no sentence row (the
        answerer then embeds its sentences itself).
        """
        if not items:
            return
        self.refresh(force=True)  # never write through a stale in-memory index
        sentences = sentences or {}
        previous = self._records([record.doc_id for record, _, _ in items])
        old_ids = [cid for record in previous.values() for cid in record.chunk_ids]
        chunks = [c for _, doc_chunks, _ in items for c in doc_chunks]
        new_ids = [c.id for c in chunks]
        vectors = np.vstack([v for _, _, v in items]) if len(items) > 1 else items[0][2]
        doc_of = {c.id: str(c.metadata.get("doc_id") or record.doc_id) for record, doc_chunks, _ in items
                  for c in doc_chunks}
        rows = [(cid, sentences[cid].to_metadata(doc_of[cid])) for cid in dict.fromkeys(new_ids) if cid in sentences]
        touched = sorted(set(old_ids) | set(new_ids))
        snapshot = self._snapshot(old_ids) if old_ids else None
        sentence_snapshot = self._snapshot_sentences(touched)
        archive, archive_sentences = register.archived_copies(items, previous, snapshot, sentence_snapshot)
        ended = register.ended_earlier(items, previous)
        try:
            if archive["ids"]:  # the versions being replaced stay, under ids of their own, marked superseded
                self._upsert(archive["ids"], np.asarray(archive["embeddings"], dtype=np.float32),
                             archive["documents"], archive["metadatas"])
                self._put_sentences(archive_sentences)
            for ids, until, _ in ended:  # a backdated version ends the older ones on its date
                self._set_until(ids, until)
            record_of = {c.id: record for record, doc_chunks, _ in items for c in doc_chunks}
            self._upsert(new_ids, vectors, [c.text for c in chunks],
                         [register.with_version_fields(c.metadata, record_of[c.id]) for c in chunks])
            self._put_sentences(rows)
            self._delete(sorted(set(old_ids) - set(new_ids)))
            self._delete_sentences(sorted(set(touched) - {cid for cid, _ in rows}))
            self._put_records([record for record, _, _ in items])
        except BaseException:
            log.warning("storing %s failed: restoring the previous versions",
                        ", ".join(record.doc_id for record, _, _ in items))
            self._delete(sorted(set(new_ids) - set(old_ids)))
            self._delete(archive["ids"])
            for ids, _, until in ended:
                self._set_until(ids, until)
            self._delete_sentences([cid for cid, _ in archive_sentences])
            if snapshot and snapshot["ids"]:
                self._upsert(snapshot["ids"], np.asarray(snapshot["embeddings"], dtype=np.float32),
                             snapshot["documents"], snapshot["metadatas"])
            self._delete_sentences(sorted({cid for cid, _ in rows} - {cid for cid, _ in sentence_snapshot}))
            self._put_sentences(sentence_snapshot)
            raise

    def _set_until(self, ids: Sequence[str], until: str) -> None:
        """End archived chunks on ``until`` (ISO date): the last day they answer as-of questions is the day before."""
        day = versions.day_number(versions.parse_date(until))  # type: ignore[arg-type]
        ids = list(ids)
        for part in batches(len(ids), self.batch_size):
            self.chunks.update(ids=ids[part], metadatas=[{"until_day": day, "until": until}] * len(ids[part]))

    def retire_document(self, doc_id: str, on: str) -> int:
        """Mark a document whose file is gone as retired on ``on`` (ISO date): every chunk is kept, but no
        answer uses it unless asked ``as_of`` a date it was in force. Returns how many chunks were retired."""
        self.refresh(force=True)
        record = self.record(doc_id)
        if record is None or record.status == versions.RETIRED:
            return 0
        day = versions.day_number(versions.parse_date(on))  # type: ignore[arg-type]
        ids = list(record.chunk_ids)
        for part in batches(len(ids), self.batch_size):
            self.chunks.update(ids=ids[part], metadatas=[{"status": versions.RETIRED, "until_day": day,
                                                          "until": on}] * len(ids[part]))
        self._put_records([replace(record, status=versions.RETIRED, retired_on=on)])
        return len(ids)

    def chunks_of_version(self, doc_id: str, version: int) -> list[Hit]:
        """Every stored chunk of one version of a document, in document order (for diffs)."""
        got = self._read(lambda: self.chunks.get(where={"$and": [{"doc_id": doc_id}, {"version": version}]},
                                                 include=["documents", "metadatas"]))
        hits = [Hit(i, t, m, 0.0) for i, t, m in zip(got["ids"], got["documents"], got["metadatas"])]
        return sorted(hits, key=lambda h: int(h.metadata.get("chunk_index", 0)))

    def adopt_unversioned(self, today: str) -> int:
        """Give documents registered before versions existed version 1, in force since their ingestion day
        (no re-embedding: only chunk metadata changes). Returns how many documents were adopted."""
        adopted = []
        for record in self.records().values():
            if record.version:
                continue
            as_of = time.strftime("%Y-%m-%d", time.gmtime(record.ingested_at)) if record.ingested_at else today
            day = versions.day_number(versions.parse_date(as_of))  # type: ignore[arg-type]
            ids = list(record.chunk_ids)
            meta = {"version": 1, "as_of": as_of, "status": versions.CURRENT, "from_day": day,
                    "until_day": versions.OPEN_DAY}
            for part in batches(len(ids), self.batch_size):
                self.chunks.update(ids=ids[part], metadatas=[meta] * len(ids[part]))
            adopted.append(replace(record, version=1, as_of=as_of))
        if adopted:
            self._put_records(adopted)
        return len(adopted)

    def remove_document(self, doc_id: str) -> int:
        """Delete a document for good (``--purge``): the chunks of every version, their sentence vectors and
        its register entry; returns how many chunks went."""
        self.refresh(force=True)
        previous = self.record(doc_id)
        ids = sorted(set(previous.all_chunk_ids if previous else ())
                     | set(self.chunks.get(where={"doc_id": doc_id}, include=[])["ids"]))
        self._delete(ids)
        self._delete_sentences(ids)
        self.sentences.delete(where={"doc_id": doc_id})  # rows whose chunk ids the register no longer lists
        self.documents.delete(ids=[doc_id])
        return len(ids)

    def query(self, vector: np.ndarray, k: int, where: Metadata | None = None, as_of: int | None = None) -> list[Hit]:
        """Nearest chunks by cosine similarity, among current versions or (``as_of``, a day number) those in
        force on that day."""
        self.refresh()
        n = self.count()
        if n == 0:
            return []
        version_filter = versions.chunk_where(as_of)
        combined = {"$and": [where, version_filter]} if where else version_filter
        include = ["documents", "metadatas", "distances"]
        try:
            got = self._read(lambda: self.chunks.query(query_embeddings=[vector], n_results=min(k, n),
                                                       where=combined, include=include))
        except Exception as exc:
            # An embedded store filters on Chroma's SQLite, which already holds rows another process is
            # writing, while this process's in-memory vector index does not know them yet: Chroma then fails
            # with "Error finding id". Search unfiltered (that works) and filter here, fetching extra.
            if "finding id" not in str(exc):
                raise
            log.info("filtered vector search hit rows written by another process; filtering after the search")
            got = self._read(lambda: self.chunks.query(query_embeddings=[vector], n_results=min(n, 4 * k + 40),
                                                       include=include))
            keep = [i for i, m in enumerate(got["metadatas"][0])
                    if versions.in_force(m, as_of) and all(m.get(f) == v for f, v in equalities(where))]
            got = {key: [[got[key][0][i] for i in keep][:k]] for key in ("ids", "documents", "metadatas", "distances")}
        return [Hit(id=i, text=t, metadata=m, score=1.0 - float(d))
                for i, t, m, d in zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0])]

    def get(self, ids: Sequence[str]) -> list[Hit]:
        """Chunks by id, in the order asked (missing ids are left out)."""
        if not ids:
            return []
        got = self._read(lambda: self.chunks.get(ids=list(ids), include=["documents", "metadatas"]))
        by_id = {i: Hit(i, t, m, 0.0) for i, t, m in zip(got["ids"], got["documents"], got["metadatas"])}
        return [by_id[i] for i in ids if i in by_id]

    def _page(self, limit: int, offset: int) -> Any:
        return self.chunks.get(include=["documents", "metadatas"], limit=limit, offset=offset)

    def iter_chunks(self, page: int = 5000) -> Iterator[tuple[str, str, Metadata]]:
        """Every chunk as (id, text, metadata), paged so memory stays flat on big indexes."""
        offset = 0
        while True:
            got = self._read(partial(self._page, page, offset))
            if not got["ids"]:
                return
            yield from zip(got["ids"], got["documents"], got["metadatas"])
            offset += len(got["ids"])

    def reset(self) -> None:
        """Drop the collections and start empty (``ingest.py --reset``)."""
        for name in (self.name, f"{self.name}-documents", f"{self.name}-sentences"):
            try:
                self.client.delete_collection(name)
            except Exception:  # noqa: BLE001 - a missing collection is what we want anyway
                log.debug("collection %s did not exist", name)
        self._open()
        self._seen_version = None


