"""Chroma clients: the embedded store under ``TUTOR_DATA_DIR`` or a Chroma server, telemetry off.

``open_store`` is the only place that builds a Chroma client; an embedded client can be re-opened on the same
folder to see another process's writes (see :mod:`tutor.library.store`).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from tutor.library.store import ChunkStore

if TYPE_CHECKING:
    from tutor.settings import Settings

log = logging.getLogger(__name__)


def chroma_settings() -> Any:
    """Client settings shared by both modes: telemetry off (it would try the network)."""
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=True)



def _reopen_persistent(old: Any) -> Any:
    """A new embedded client on the same folder that loads the vector index from disk again.

    Chroma shares one ``System`` (holding the in-memory index) per folder within a process; dropping it
    from that cache, without stopping it, lets queries still running on the old client finish while new
    ones use the fresh index. The old one is freed when its last collection object goes.
    """
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient

    identifier = getattr(old, "_identifier", None)
    systems = getattr(SharedSystemClient, "_identifier_to_system", None)
    refcounts = getattr(SharedSystemClient, "_identifier_to_refcount", None)
    if identifier is None or not isinstance(systems, dict) or not isinstance(refcounts, dict):
        SharedSystemClient.clear_system_cache()  # the public, coarser way
    else:
        with SharedSystemClient._refcount_lock:
            systems.pop(identifier, None)
            refcounts.pop(identifier, None)
    path = old.get_settings().persist_directory
    return chromadb.PersistentClient(path=path, settings=chroma_settings())



def open_store(settings: Settings) -> ChunkStore:
    """Open the embedded store under ``TUTOR_DATA_DIR``, or the Chroma server at ``TUTOR_CHROMA_URL``."""
    import chromadb

    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        client = chromadb.HttpClient(host=url.hostname or "127.0.0.1", port=url.port or (443 if url.scheme == "https" else 8000),
                                     ssl=url.scheme == "https", settings=chroma_settings())
        reopen = None
    else:
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings())
        reopen = _reopen_persistent
    started = time.perf_counter()
    store = ChunkStore(client, settings.collection, reopen=reopen)
    log.debug("opened Chroma store in %.2fs", time.perf_counter() - started)
    return store
