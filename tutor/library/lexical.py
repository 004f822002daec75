"""The BM25 side of hybrid retrieval, persisted next to Chroma and rebuilt after every ingestion.

bm25s does the scoring. The index is written to a fresh folder and then published by replacing a
small ``CURRENT`` pointer file, so a running app never reads a half-written index and notices a new one
with a single file read (no restart needed after ``ingest.py``).

The folder's name is also published in Chroma as the *index version* (:meth:`ChunkStore.publish_version`).
App replicas have data folders of their own but share one Chroma server: a :class:`LexicalCache` that
follows the store sees the version change and rebuilds its copy from the store's chunks, saved locally
under the same version name (so a restart loads it instead of rebuilding).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from tutor.text import fold_thousands, spell_citation

log = logging.getLogger(__name__)

_TOKEN_PATTERN = r"(?u)\b\w+\b"
_KEEP_VERSIONS = 2


def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> Any:
    """bm25s tokens: lowercase, English stopwords out, Snowball-stemmed, numbers kept."""
    import bm25s

    return bm25s.tokenize([fold_thousands(t) for t in texts], token_pattern=_TOKEN_PATTERN, stopwords="en",
                          stemmer=_stemmer(), show_progress=False)


class LexicalIndex:
    """An immutable BM25 index over chunk texts, with the ids and filterable fields of each chunk."""

    def __init__(self, model: Any, ids: list[str], fields: dict[str, list[str]]) -> None:
        self.model = model
        self.ids = ids
        self.fields = fields
        self._position = {cid: i for i, cid in enumerate(ids)}

    @classmethod
    def build(cls, items: Iterable[tuple[str, str, dict[str, Any]]]) -> LexicalIndex:
        """Index (id, text, metadata) triples; title, section and legal citation are indexed with the text."""
        import bm25s

        ids: list[str] = []
        texts: list[str] = []
        fields: dict[str, list[str]] = {"doc_id": [], "publisher": [], "status": [], "from_day": [], "until_day": []}
        for cid, text, meta in items:
            ids.append(cid)
            texts.append(f"{meta.get('title', '')} {meta.get('section', '')} {spell_citation(str(meta.get('citation', '')))} "
                         f"{text}")
            for name, values in fields.items():
                values.append(str(meta.get(name, "")))
        model = bm25s.BM25()
        if texts:
            model.index(tokenize(texts), show_progress=False)
        return cls(model, ids, fields)

    def __len__(self) -> int:
        return len(self.ids)

    def search(self, query: str, k: int, where: dict[str, str] | None = None,
               as_of: int | None = None) -> list[tuple[str, float]]:
        """Top-k (chunk id, BM25 score) with score > 0, optionally restricted by exact field values.

        Like dense search, only current versions count, or with ``as_of`` (a day number, see
        :mod:`tutor.library.versions`) the versions in force that day. An index saved before versions existed
        has no such fields and is searched whole.
        """
        if not self.ids or k <= 0:
            return []
        keep = np.ones(len(self.ids), dtype=bool)
        for name, value in (where or {}).items():
            keep &= np.asarray(self.fields.get(name, []), dtype=object) == value
        keep &= self._in_force(as_of)
        if not keep.any():
            return []
        mask = None if keep.all() else keep.astype(np.float32)
        tokens = tokenize([query])
        if not len(tokens.ids[0]):  # no indexable word (token id 0 is a real word, so not any())
            return []
        docs, scores = self.model.retrieve(tokens, k=min(k, len(self.ids)), show_progress=False,
                                           weight_mask=mask, n_threads=1)
        return [(self.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]

    def _in_force(self, as_of: int | None) -> np.ndarray:
        if "status" not in self.fields:
            return np.ones(len(self.ids), dtype=bool)
        if as_of is None:
            return ~np.isin(np.asarray(self.fields["status"], dtype=object), ["superseded", "retired"])
        start = np.asarray([int(v or 0) for v in self.fields["from_day"]])
        end = np.asarray([int(v or 0) for v in self.fields["until_day"]])
        return (start <= as_of) & (end > as_of)

    # --- persistence --------------------------------------------------------------------------
    def save(self, root: Path, version: str | None = None) -> Path:
        """Write to a version folder (a new one by default), then point ``CURRENT`` at it (an atomic rename)."""
        root.mkdir(parents=True, exist_ok=True)
        version = version or f"v{time.time_ns()}"
        folder = root / version
        if self.ids:
            self.model.save(str(folder), show_progress=False)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "chunks.json").write_text(json.dumps({"ids": self.ids, "fields": self.fields}))
        pointer = root / "CURRENT.tmp"
        pointer.write_text(version)
        os.replace(pointer, root / "CURRENT")
        for old in sorted(p for p in root.iterdir() if p.is_dir() and p.name != version)[:-(_KEEP_VERSIONS - 1) or None]:
            shutil.rmtree(old, ignore_errors=True)
        return folder

    @staticmethod
    def current_version(root: Path) -> str | None:
        try:
            return (root / "CURRENT").read_text().strip() or None
        except FileNotFoundError:
            return None

    @classmethod
    def load(cls, root: Path, version: str | None = None) -> LexicalIndex | None:
        """Load the published version (or ``None`` when nothing was ever published)."""
        import bm25s

        version = version or cls.current_version(root)
        if not version:
            return None
        folder = root / version
        data = json.loads((folder / "chunks.json").read_text())
        model = bm25s.BM25.load(str(folder), show_progress=False) if data["ids"] else bm25s.BM25()
        return cls(model, data["ids"], data["fields"])


class LexicalCache:
    """Holds the loaded index for a long-running process and reloads it when ingestion publishes a new one.

    Without a store it follows the local ``CURRENT`` pointer. With one (:meth:`follow`), the version
    published in Chroma wins, checked at most every ``check_interval_s``: when this data folder has no
    copy of that version (another replica or an ``ingest.py`` elsewhere wrote it), the index is rebuilt
    from the store. One thread rebuilds; the others keep answering with the previous index meanwhile.
    """

    def __init__(self, root: Path, store: Any = None, check_interval_s: float = 1.0) -> None:
        self.root = root
        self.store = store
        self.check_interval_s = check_interval_s
        self._index: LexicalIndex | None = None
        self._version: str | None = None
        self._loaded = False
        self._published: str | None = None
        self._checked_at = float("-inf")
        self._lock = threading.Lock()

    def follow(self, store: Any, check_interval_s: float | None = None) -> LexicalCache:
        """Track the index version ``store`` publishes (several replicas, one Chroma). Returns ``self``."""
        self.store = store
        if check_interval_s is not None:
            self.check_interval_s = check_interval_s
        self._checked_at = float("-inf")
        return self

    def _wanted(self) -> str | None:
        local = LexicalIndex.current_version(self.root)
        if self.store is None:
            return local
        now = time.monotonic()
        if now - self._checked_at >= self.check_interval_s:
            self._checked_at = now
            try:
                self._published = self.store.index_version()
            except Exception:  # the store briefly unreachable must not fail answers
                log.warning("could not read the index version from the store; keeping BM25 index %s",
                            self._version, exc_info=True)
                return self._version
        return self._published or local

    def get(self) -> LexicalIndex | None:
        wanted = self._wanted()
        if self._loaded and wanted == self._version:
            return self._index
        if not self._lock.acquire(blocking=not self._loaded):
            return self._index  # another thread is loading the new version: answer with the current one
        try:
            if not self._loaded or wanted != self._version:
                self._index, self._version = self._load(wanted)
                self._loaded = True
        except Exception:
            if not self._loaded:
                raise
            log.exception("could not load BM25 index %s; still using %s", wanted, self._version)
        finally:
            self._lock.release()
        return self._index

    def _load(self, version: str | None) -> tuple[LexicalIndex | None, str | None]:
        if version and (self.root / version / "chunks.json").exists():
            log.info("loading BM25 index %s", version)
            return LexicalIndex.load(self.root, version), version
        if self.store is None:
            return (LexicalIndex.load(self.root, version) if version else None), version
        started = time.perf_counter()
        index = LexicalIndex.build(self.store.iter_chunks())
        folder = index.save(self.root, version)
        log.info("rebuilt BM25 index %s from the store (%d chunks) in %.1f s", folder.name, len(index),
                 time.perf_counter() - started)
        return index, version or folder.name


def rebuild(store: Any, root: Path) -> LexicalIndex:
    """Rebuild the BM25 index from every chunk in the store, save it, and publish its version in the store."""
    index = LexicalIndex.build(store.iter_chunks())
    folder = index.save(root)
    publish = getattr(store, "publish_version", None)
    if callable(publish):
        publish(folder.name)
    return index
