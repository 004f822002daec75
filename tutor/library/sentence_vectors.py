"""Sentence vectors made at ingestion, so that answering a question embeds the question and nothing else.

The offline answerer scores every candidate sentence of the retrieved passages by cosine similarity
with the question. Embedding those sentences when a passage is first retrieved cost 1.2 to 2.8 s on
long PDF passages (issue #15); ingestion embeds them instead, in its big pools and in the corpus
precision, and the store keeps them beside their chunk.

One row per chunk holds all its sentence vectors (float16, base64) with a short hash of each sentence's
text. Measured on 10,000 chunks of 8 sentences each (2 cores): writing them as one row per chunk took
5 s against 109 s for one Chroma vector per sentence (whose HNSW index had to take 80,000 vectors), and
fetching the sentences of 32 chunks took 3 ms against 10 to 20 ms. Looking sentences up by the hash of
their text, not by position, means a sentence split that changed since ingestion can never pair a
sentence with another one's vector: the answerer embeds whatever it does not find.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tutor.text import looks_like_instruction, split_sentences

#: The fewest words of a sentence an answer may quote (the offline answerer's default ``min_words``).
MIN_QUOTABLE_WORDS = 5
#: Metadata keys of a stored row.
_KEYS, _VECTORS, _DIM = "keys", "vectors", "dim"


def sentence_key(text: str) -> str:
    """A 64-bit hash of a sentence's exact text: what the answerer looks a stored vector up by."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


@dataclass(frozen=True)
class SentenceVectors:
    """The vectors of one chunk's quotable sentences, keyed by :func:`sentence_key`."""

    keys: tuple[str, ...]
    vectors: np.ndarray  # float32, one unit-length row per key

    @classmethod
    def of(cls, sentences: Sequence[str], vectors: np.ndarray) -> SentenceVectors:
        return cls(tuple(sentence_key(s) for s in sentences), np.asarray(vectors, dtype=np.float32))

    def lookup(self) -> dict[str, np.ndarray]:
        return dict(zip(self.keys, self.vectors))

    def to_metadata(self, doc_id: str) -> dict[str, Any]:
        """A Chroma metadata dict (str/int only); float16 halves the size and changes cosines by < 1e-3."""
        packed = base64.b64encode(np.ascontiguousarray(self.vectors, dtype=np.float16).tobytes()).decode("ascii")
        return {"doc_id": doc_id, "count": len(self.keys), _DIM: int(self.vectors.shape[1]) if len(self.keys) else 0,
                _KEYS: ",".join(self.keys), _VECTORS: packed}

    @classmethod
    def from_metadata(cls, meta: dict[str, Any] | None) -> SentenceVectors | None:
        """The stored row back as vectors, or ``None`` if it is malformed (then the answerer embeds)."""
        if not meta:
            return None
        try:
            keys = tuple(k for k in str(meta.get(_KEYS, "")).split(",") if k)
            dim = int(meta.get(_DIM, 0))
            flat = np.frombuffer(base64.b64decode(str(meta.get(_VECTORS, ""))), dtype=np.float16)
            if not keys or dim <= 0 or flat.size != len(keys) * dim:
                return None
        except (ValueError, TypeError):
            return None
        vectors = flat.reshape(len(keys), dim).astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return cls(keys, vectors / np.where(norms > 0, norms, 1.0))


#: Signposting that only makes sense inside the note ("The sections below explain...").
_SIGNPOST = re.compile(r"\b(sections? (below|above)|following sections|this note|the note below|see below|"
                       r"companion note|described (below|above))\b", re.IGNORECASE)



def quotable_sentences(text: str, min_words: int = MIN_QUOTABLE_WORDS) -> list[tuple[int, str]]:
    """(position, sentence) for each sentence of a passage that an answer may quote.

    Ingestion embeds exactly these (with the default ``min_words``) and the answerer considers exactly
    these, so the two cannot drift apart: not a fragment, not a lead-in ending with ":", not an
    instruction addressed to an AI, not signposting that only makes sense inside the note.
    """
    return [(position, sentence) for position, sentence in enumerate(split_sentences(text))
            if len(sentence.split()) >= min_words and not sentence.rstrip().endswith(":")
            and not looks_like_instruction(sentence) and not _SIGNPOST.search(sentence)]
