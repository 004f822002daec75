"""The document register: one record per ingested document, kept in Chroma beside its chunks, and the
bookkeeping of its versions (archived copies of a replaced version, end dates moved by a backdated one).

:class:`~tutor.library.store.ChunkStore` reads and writes the records; these are the plain data and the pure
functions it uses, so they can be read (and tested) without a Chroma client.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tutor.library import versions
from tutor.library.chunking import Chunk

Metadata = dict[str, Any]


_LIST_FIELDS = ("chunk_ids", "sections", "history")



@dataclass(frozen=True)
class DocumentRecord:
    """What the register knows about one ingested document."""

    doc_id: str
    source: str
    fingerprint: str
    content_sha256: str
    title: str
    publisher: str = ""
    year: str = ""
    url: str = ""
    kind: str = ""
    root: str = ""
    topic: str = ""
    summary: str = ""
    pages: int = 0
    chunks: int = 0
    ingested_at: float = 0.0
    chunk_ids: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()  # heading paths in document order (for suggested follow-ups)
    version: int = 0  # 0: registered before versions existed (see ChunkStore.adopt_unversioned)
    as_of: str = ""  # ISO date the current version took effect
    status: str = versions.CURRENT  # current | retired
    retired_on: str = ""
    #: Earlier versions, oldest first: {version, as_of, until, content_sha256, ingested_at, chunk_ids (archived)}.
    history: tuple[dict[str, Any], ...] = ()

    @property
    def all_chunk_ids(self) -> tuple[str, ...]:
        """Ids of every stored chunk of the document: the current version's, then the archived ones."""
        return self.chunk_ids + tuple(cid for old in self.history for cid in old.get("chunk_ids", ()))

    def to_metadata(self) -> Metadata:
        meta = {k: v for k, v in self.__dict__.items() if k not in _LIST_FIELDS}
        meta.update({k: json.dumps(list(getattr(self, k))) for k in _LIST_FIELDS})
        return meta

    @classmethod
    def from_metadata(cls, meta: Metadata) -> DocumentRecord:
        data = dict(meta)
        data.update({k: tuple(json.loads(str(data.get(k) or "[]"))) for k in _LIST_FIELDS})
        fields = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in fields})



@dataclass(frozen=True)
class Hit:
    """One chunk found by a dense query."""

    id: str
    text: str
    metadata: Metadata
    score: float  # cosine similarity, 1 = identical direction



def with_version_fields(meta: Metadata, record: DocumentRecord) -> Metadata:
    """A chunk's metadata with its version fields, filled from the record when the writer gave none (a
    chunk written without them would be invisible: retrieval searches current versions only)."""
    if "status" in meta and "from_day" in meta:
        return meta
    as_of = record.as_of or time.strftime("%Y-%m-%d", time.gmtime(record.ingested_at or time.time()))
    return {"version": record.version or 1, "as_of": as_of, "status": versions.CURRENT, "until": "",
            "from_day": versions.day_number(versions.parse_date(as_of)),  # type: ignore[arg-type]
            "until_day": versions.OPEN_DAY, **meta}



def archived_copies(items: Sequence[tuple[DocumentRecord, Sequence[Chunk], np.ndarray]],
             previous: Mapping[str, DocumentRecord], snapshot: Mapping[str, Any] | None,
             sentence_snapshot: Sequence[tuple[str, Metadata]]) -> tuple[dict[str, list[Any]], list[tuple[str, Metadata]]]:
    """Copies of the chunks (and sentence rows) of every version being replaced by a new version number,
    under archived ids, marked superseded and in force until the new version's date. A re-index of the
    same version (new pipeline, same file) archives nothing."""
    out: dict[str, list[Any]] = {"ids": [], "embeddings": [], "documents": [], "metadatas": []}
    rows: list[tuple[str, Metadata]] = []
    if not snapshot:
        return out, rows
    position = {cid: i for i, cid in enumerate(snapshot["ids"])}
    sentence_of = dict(sentence_snapshot)
    for record, _, _ in items:
        old = previous.get(record.doc_id)
        if old is None or old.version == record.version:
            continue
        number = old.version or 1
        until = versions.day_number(versions.parse_date(record.as_of))  # type: ignore[arg-type]
        for cid in old.chunk_ids:
            if cid not in position:
                continue
            i = position[cid]
            meta = dict(snapshot["metadatas"][i])
            ended = min(int(meta.get("until_day", versions.OPEN_DAY)), until)
            meta.update(status=versions.SUPERSEDED, version=number, until_day=ended,
                        until=str(meta.get("until") or record.as_of), from_day=int(meta.get("from_day", 0)))
            new_id = versions.archived_id(cid, number)
            out["ids"].append(new_id)
            out["embeddings"].append(snapshot["embeddings"][i])
            out["documents"].append(snapshot["documents"][i])
            out["metadatas"].append(meta)
            if cid in sentence_of:
                rows.append((new_id, sentence_of[cid]))
    return out, rows



def ended_earlier(items: Sequence[tuple[DocumentRecord, Sequence[Chunk], np.ndarray]],
                   previous: Mapping[str, DocumentRecord]) -> list[tuple[list[str], str, str]]:
    """``(archived chunk ids, new until, old until)`` of each earlier version whose end date the new record
    moved (a backdated version ends them on its own date), so no two versions of a document are in force
    on one day."""
    out: list[tuple[list[str], str, str]] = []
    for record, _, _ in items:
        old = previous.get(record.doc_id)
        if old is None:
            continue
        before = {int(entry["version"]): str(entry.get("until", "")) for entry in old.history}
        for entry in record.history:
            number, until = int(entry["version"]), str(entry.get("until", ""))
            if before.get(number) and until and until != before[number]:
                out.append((list(entry.get("chunk_ids", ())), until, before[number]))
    return out


def clean_metadata(meta: Metadata) -> Metadata:
    """Chroma stores only str/int/float/bool: drop ``None`` and stringify the rest."""
    return {k: (v if isinstance(v, (str, int, float, bool)) else str(v)) for k, v in meta.items() if v is not None}



def batches(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))



def equalities(where: Metadata | None) -> list[tuple[str, Any]]:
    """The field = value pairs of a filter made by :func:`tutor.answers.retrieval._where` (equalities, maybe under $and)."""
    if not where:
        return []
    parts = where.get("$and", [where])
    return [(f, v) for part in parts for f, v in part.items() if not isinstance(v, dict)]


def next_version(previous: DocumentRecord | None, content_sha: str,
                  as_of: str) -> tuple[int, tuple[dict[str, Any], ...]]:
    """The version number and history of a document's new text.

    The same content with the same date, still current, is a re-index (new pipeline or settings), not a
    new version. Anything else becomes version n+1, and version n joins the history under its archived
    chunk ids (written by :meth:`ChunkStore.replace_documents`). The new version is in force from its own
    date, so an earlier version still in force after that date (the new one is backdated) ends on it:
    at most one version of a document answers for any day.
    """
    if previous is None:
        return 1, ()
    number = previous.version or 1
    if (previous.content_sha256 == content_sha and previous.as_of == as_of
            and previous.status != versions.RETIRED):
        return number, previous.history
    until = min(filter(None, (previous.retired_on, as_of)))
    entry = {"version": number, "as_of": previous.as_of, "until": until, "content_sha256": previous.content_sha256,
             "ingested_at": previous.ingested_at, "source": previous.source,
             "chunk_ids": [versions.archived_id(cid, number) for cid in previous.chunk_ids]}
    earlier = tuple({**old, "until": min(str(old.get("until") or as_of), as_of)} for old in previous.history)
    return number + 1, (*earlier, entry)
