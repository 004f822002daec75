"""Metric functions: pure, deterministic, no I/O, no model (vectors are passed in).

The definitions follow DESIGN.md ("Test-set contract"); ``docs/evaluation.md`` compares them with
RAGAS's non-LLM metrics and trec_eval's conventions.

Key-fact matching (:func:`fact_stated`): case-insensitive; Unicode compatibility forms folded;
thousands separators ignored ("1,450" = "1450"); punctuation ignored, tried both as a space
("machine-based" = "machine based") and as nothing ("e-government" = "egovernment"); matched on word
boundaries, so "AI" is not found inside "said"; a fact written ``"Nov 2023 | November 2023"`` is stated
when any alternative is.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any

from tutor.eval.testset import split_alternatives

_THOUSANDS = re.compile(r"(?<=\d)[,\u00a0\u202f\u2009'](?=\d{3}\b)")
_PUNCT = re.compile(r"[^\w\s]|_")
_SPACES = re.compile(r"\s+")
_MARKER = re.compile(r"\s*\[(\d+)\]")
_MARKER_GROUP = re.compile(r"(?:\s*\[\d+\])+")
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_ALNUM = re.compile(r"[a-z0-9]+")
_SLUG = re.compile(r"[^a-z0-9._-]+")

#: A cited sentence is "grounded" when at least this share of its content words occur in the passage.
GROUNDING_THRESHOLD = 0.6


# --- key facts --------------------------------------------------------------------------------
def _fold(text: str) -> str:
    text = _THOUSANDS.sub("", text)  # before NFKC, which turns a narrow no-break space into a plain space
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return _THOUSANDS.sub("", text)


@lru_cache(maxsize=4096)
def normalise_for_match(text: str, mode: str = "space") -> str:
    """Lowercased, separators folded, punctuation -> space (``mode="space"``) or removed (``"delete"``),
    whitespace collapsed, padded with one space each side so that ``" x "`` finds whole words."""
    folded = _PUNCT.sub(" " if mode == "space" else "", _fold(text))
    return " " + _SPACES.sub(" ", folded).strip() + " "


def fact_stated(fact: str, text: str) -> bool:
    """Whether ``text`` states ``fact`` (any of its `` | `` alternatives), as defined above."""
    if not text:
        return False
    for alternative in split_alternatives(fact):
        for mode in ("space", "delete"):
            needle = normalise_for_match(alternative, mode)
            if needle.strip() and needle in normalise_for_match(text, mode):
                return True
    return False


def facts_stated(facts: Sequence[str], text: str, refused: bool = False) -> list[bool]:
    """One flag per key fact; a refused answer states none."""
    return [False if refused else fact_stated(fact, text) for fact in facts]


def key_fact_recall(facts: Sequence[str], answer: str, refused: bool = False) -> float | None:
    """Share of key facts stated in ``answer``; ``None`` when the item has no key facts."""
    if not facts:
        return None
    flags = facts_stated(facts, answer, refused)
    return sum(flags) / len(flags)


# --- sources and supporting passages ---------------------------------------------------------------
def _slug(path: str) -> str:
    """The document id ingestion gives a file (``tutor.library.files.doc_id_for``; a test keeps them equal)."""
    try:
        stem = PurePosixPath(path.replace("\\", "/")).with_suffix("").as_posix()
    except ValueError:  # a name like "." has no suffix to drop
        stem = path
    parts = (_SLUG.sub("-", part.lower()).strip("-.") for part in stem.split("/"))
    return "/".join(p for p in parts if p)


def source_matches(gold: str, doc_id: str) -> bool:
    """A gold ``sources`` entry names this document: its ``doc_id``, its file name or its path."""
    gold = gold.strip()
    if not gold or not doc_id:
        return False
    if gold == doc_id or gold.lower() == doc_id.lower():
        return True
    slug = _slug(gold)
    if slug == doc_id:
        return True
    # "note.md" given for a document filed under a folder ("briefings/note")
    return "/" not in slug and doc_id.rsplit("/", 1)[-1] == slug


def from_gold_source(doc_id: str, sources: Sequence[str]) -> bool:
    return any(source_matches(gold, doc_id) for gold in sources)


def contains_key_fact(text: str, facts: Sequence[str]) -> bool:
    return any(fact_stated(fact, text) for fact in facts)


def is_supporting(doc_id: str, text: str, sources: Sequence[str], facts: Sequence[str]) -> bool:
    """For hit@k and MRR: a passage from a gold source or, when the item names no sources, one that
    contains at least one key fact."""
    if sources:
        return from_gold_source(doc_id, sources)
    return contains_key_fact(text, facts)


def first_supporting_rank(passages: Sequence[tuple[str, str]], sources: Sequence[str],
                          facts: Sequence[str], k: int | None = None) -> int | None:
    """1-based rank of the first supporting passage among ``(doc_id, text)`` pairs (top ``k`` only)."""
    for rank, (doc_id, text) in enumerate(passages[:k] if k else passages, start=1):
        if is_supporting(doc_id, text, sources, facts):
            return rank
    return None


def hit_at_k(rank: int | None, k: int) -> float:
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(rank: int | None) -> float:
    return 1.0 / rank if rank else 0.0


# --- citations ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CitationCheck:
    """One ``[n]`` marker of an answer, checked against the sentence it ends."""

    n: int
    sentence: str  # without its markers
    doc_id: str  # "" when the marker points to no source
    exists: bool  # the answer lists a source numbered n
    supported: bool  # DESIGN.md: the passage contains a key fact or comes from a gold source
    grounded: bool  # the passage contains most of the sentence's content words

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "sentence": self.sentence, "doc_id": self.doc_id, "exists": self.exists,
                "supported": self.supported, "grounded": self.grounded}


def strip_markers(text: str) -> str:
    """The text without its ``[n]`` markers."""
    return _SPACES.sub(" ", _MARKER.sub("", text)).replace(" .", ".").strip()


def grounding(sentence: str, passage: str) -> float:
    """Share of the sentence's content words (stemmed, stopwords out) that occur in the passage."""
    from tutor.text import content_terms

    terms = set(content_terms(sentence))
    if not terms:
        return 1.0
    return len(terms & set(content_terms(passage))) / len(terms)


def check_citations(body: str, cited: Mapping[int, tuple[str, str]], sources: Sequence[str],
                    facts: Sequence[str]) -> list[CitationCheck]:
    """Split ``body`` into sentences and check every ``[n]`` against the passage numbered n.

    ``cited`` maps n -> (doc_id, passage text), as ``Done.sources`` numbers them. A marker with no such
    source is unsupported. A sentence may carry several markers; each is checked.
    """
    from tutor.text import split_sentences

    checks: list[CitationCheck] = []
    for sentence in split_sentences(body):
        for claim, numbers in _claims(sentence):
            for n in numbers:
                if n not in cited:
                    checks.append(CitationCheck(n, claim, "", False, False, False))
                    continue
                doc_id, text = cited[n]
                supported = from_gold_source(doc_id, sources) or contains_key_fact(text, facts)
                checks.append(CitationCheck(n, claim, doc_id, True, supported,
                                            grounding(claim, text) >= GROUNDING_THRESHOLD))
    return checks


def _claims(sentence: str) -> list[tuple[str, list[int]]]:
    """The text each group of markers ends: from the previous group (or the sentence start) to this one.

    Usually one group closes the sentence; a sentence that carries markers mid-way ("A [1], and B [2].")
    gives each group only its own part, so a passage is not blamed for the words another one supports.
    """
    out: list[tuple[str, list[int]]] = []
    start = 0
    for group in _MARKER_GROUP.finditer(sentence):
        claim = sentence[start: group.start()].lstrip("?!.;:,* ").rstrip(" ,;:")
        numbers = [int(n) for n in re.findall(r"\d+", group.group())]
        if claim.strip(" .!?*") or not out:
            out.append((strip_markers(claim) or strip_markers(sentence), numbers))
        else:  # markers right after the previous group's punctuation: they share its claim
            out[-1][1].extend(numbers)
        start = group.end()
    return out


def citation_precision(checks: Sequence[CitationCheck]) -> float | None:
    """Share of markers whose passage supports their sentence; ``None`` when there are no markers."""
    return sum(c.supported for c in checks) / len(checks) if checks else None


def citation_grounding(checks: Sequence[CitationCheck]) -> float | None:
    """Share of markers whose passage contains the sentence's content (an extra, stricter check)."""
    return sum(c.grounded for c in checks) / len(checks) if checks else None


# --- answer vs reference answer -----------------------------------------------------------------
def _squad_tokens(text: str) -> list[str]:
    text = _PUNCT.sub(" ", _fold(strip_markers(text)))
    return _ARTICLES.sub(" ", text).split()


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD-style bag-of-words F1 (lowercase, punctuation and articles removed)."""
    pred, ref = _squad_tokens(prediction), _squad_tokens(reference)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


@lru_cache(maxsize=1)
def _porter() -> Any:
    import Stemmer

    return Stemmer.Stemmer("porter")


def rouge_tokens(text: str) -> list[str]:
    """ROUGE tokens as the ``rouge_score`` package makes them: lowercase alphanumeric runs, Porter-stemmed
    when longer than three characters."""
    stem = _porter().stemWord
    return [stem(t) if len(t) > 3 else t for t in _ALNUM.findall(_fold(strip_markers(text)))]


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (two-row dynamic programme)."""
    if not a or not b:
        return 0
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F-measure (sentence-level LCS, beta = 1), as RAGAS's ``RougeScore`` default."""
    pred, ref = rouge_tokens(prediction), rouge_tokens(reference)
    lcs = lcs_length(pred, ref)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(pred), lcs / len(ref)
    return 2 * precision * recall / (precision + recall)


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two vectors (0 when either is all zeros)."""
    dot = sum(float(x) * float(y) for x, y in zip(a, b))
    norm = math.sqrt(sum(float(x) ** 2 for x in a)) * math.sqrt(sum(float(y) ** 2 for y in b))
    return dot / norm if norm else 0.0


# --- aggregation ----------------------------------------------------------------------------------
def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not ``None`` (``None`` when there are none)."""
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation between closest ranks (NumPy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# --- ranked retrieval (BEIR) ----------------------------------------------------------------------
def ndcg_at_k(ranking: Sequence[str], qrels: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with linear gains (trec_eval ``ndcg_cut``): sum rel/log2(rank+1), over the ideal ordering."""
    dcg = sum(qrels.get(doc, 0) / math.log2(rank + 1)
              for rank, doc in enumerate(ranking[:k], start=1) if qrels.get(doc, 0) > 0)
    ideal = sorted((r for r in qrels.values() if r > 0), reverse=True)[:k]
    idcg = sum(r / math.log2(rank + 1) for rank, r in enumerate(ideal, start=1))
    return dcg / idcg if idcg else 0.0


def recall_at_k(ranking: Sequence[str], qrels: Mapping[str, int], k: int = 100) -> float:
    """Share of the relevant documents found in the top k."""
    relevant = {doc for doc, rel in qrels.items() if rel > 0}
    return len(relevant & set(ranking[:k])) / len(relevant) if relevant else 0.0


def first_relevant_rank(ranking: Sequence[str], qrels: Mapping[str, int], k: int | None = None) -> int | None:
    for rank, doc in enumerate(ranking[:k] if k else ranking, start=1):
        if qrels.get(doc, 0) > 0:
            return rank
    return None


def word_count(text: str) -> int:
    """Words a reader reads: without the ``[n]`` markers."""
    return len(strip_markers(text).split())


def first_sentence(text: str) -> str:
    from tutor.text import split_sentences

    sentences = split_sentences(text or "")
    return sentences[0] if sentences else ""


def answer_leads(facts: Sequence[str], lead: str) -> float | None:
    """1.0 when the answer's first sentence states one of the key facts (any of its wordings), else 0.0;
    ``None`` without key facts. The first sentence is what a reader between meetings actually takes in."""
    if not facts:
        return None
    first = first_sentence(lead)
    return 1.0 if any(fact_stated(fact, first) for fact in facts) else 0.0
