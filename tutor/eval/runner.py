"""Run a test set through the tutor and score every answer.

The runner only talks to :meth:`Tutor.answer` and reads the :class:`~tutor.events.Done` event it
returns (``body``, ``more``, ``sources``, ``retrieved``, ``refused``), so it measures exactly what an
official sees: facts and citations over the whole reply (the lead and "More from the sources", which is
collapsed but there), and how well the lead answers (its first sentence, its length) on the lead alone. It never ingests: the tutor it is given decides which index is evaluated.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tqdm import tqdm

from tutor.answers.understand import FACTOID_TYPES
from tutor.eval import metrics as m
from tutor.eval.testset import TestItem

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class MetricInfo:
    """How a summary metric reads to a person and which direction is better."""

    label: str
    help: str
    higher_is_better: bool = True
    unit: str = "share"  # "share" (0..1), "ms" or "words"


#: Summary metrics in report order: the DESIGN.md metrics first, then the extras.
SUMMARY_METRICS: dict[str, MetricInfo] = {
    "hit_at_k": MetricInfo("Right source found (hit@k)", "Answerable questions with a supporting passage among the top k retrieved."),
    "mrr": MetricInfo("Rank of the right source (MRR)", "Mean of 1/rank of the first supporting passage (1 = always first)."),
    "key_fact_recall": MetricInfo("Key facts stated", "Average share of the expected key facts that the answer states."),
    "citation_precision": MetricInfo("Citations that check out", "Share of [n] markers whose passage is from a right source or holds a key fact."),
    "refusal_accuracy": MetricInfo("Out-of-scope questions declined", "Share of unanswerable questions that the tutor declined."),
    "false_refusal_rate": MetricInfo("Answerable questions wrongly declined", "Share of answerable questions that the tutor declined.", higher_is_better=False),
    "latency_p50_ms": MetricInfo("Typical answer time (p50)", "Median end-to-end time per answer.", higher_is_better=False, unit="ms"),
    "latency_p95_ms": MetricInfo("Slow answer time (p95)", "95% of answers came faster than this.", higher_is_better=False, unit="ms"),
    "token_f1": MetricInfo("Word overlap with model answer (F1)", "SQuAD-style token F1 against the reference answer."),
    "rouge_l": MetricInfo("ROUGE-L vs model answer", "Longest-common-subsequence F-measure against the reference answer."),
    "semantic_similarity": MetricInfo("Meaning close to model answer", "Cosine similarity of answer and reference answer embeddings."),
    "citation_grounding": MetricInfo("Cited passage contains the sentence", "Share of [n] markers whose passage holds most of the sentence's content words."),
    "answer_leads": MetricInfo("First sentence answers", "Answered questions whose first sentence states a key fact."),
    "words_p50": MetricInfo("Words in the answer (median)", "Median words in the lead answer an official reads first (More from the sources not counted).", higher_is_better=False, unit="words"),
    "words_p90": MetricInfo("Words in the answer (p90)", "90% of lead answers are at most this long.", higher_is_better=False, unit="words"),
    "factoid_words_p50": MetricInfo("Words in a short answer (median)", "Median words in the lead answer to a date, number, name, place or yes/no question: one or two sentences should do.", higher_is_better=False, unit="words"),
    "pass_rate": MetricInfo("Questions fully right", "Share of questions that pass every check that applies to them."),
}

WARMUP_QUESTION = "What topics does the library cover?"

#: Per-question checks that decide whether a question passes (each ``True``/``False``/``None``).
CHECKS = ("retrieval", "key_facts", "citations", "behaviour")


@dataclass
class QuestionResult:
    """Everything recorded about one question."""

    item: TestItem
    answer: str = ""
    body: str = ""  # the lead answer
    more: str = ""  # "More from the sources"
    question_type: str = ""  # what the tutor read the question as asking for
    refused: bool = False
    latency_ms: float = 0.0
    standalone_question: str = ""
    backend: str = ""
    notices: tuple[str, ...] = ()
    retrieved: list[dict[str, Any]] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)
    citation_checks: list[dict[str, Any]] = field(default_factory=list)  # one per [n] marker
    facts_found: list[bool] = field(default_factory=list)
    first_rank: int | None = None
    scores: dict[str, float | None] = field(default_factory=dict)
    checks: dict[str, bool | None] = field(default_factory=dict)
    diagnosis: list[str] = field(default_factory=list)
    error: str = ""
    k: int = 5
    unretrieved_facts: list[str] = field(default_factory=list)  # key facts in none of the top-k passages

    @property
    def reply(self) -> str:
        """Lead and more: what key facts and citations are checked on (nothing relevant is dropped)."""
        return f"{self.body} {self.more}".strip() if self.more else self.body

    @property
    def words(self) -> int | None:
        """Words in the lead answer, for an answered question (``None`` for a refusal or an error)."""
        return None if self.refused or self.error else m.word_count(self.body)

    @property
    def type(self) -> str:
        """The question's labelled type, else the type the tutor read it as."""
        return self.item.type or self.question_type

    @property
    def passed(self) -> bool:
        return not self.error and all(v is not False for v in self.checks.values())

    def to_dict(self) -> dict[str, Any]:
        item = self.item
        return {
            "id": item.id, "question": item.question, "answer": self.answer, "refused": self.refused,
            "citations": self.citations, "retrieved": self.retrieved, "scores": self.scores,
            "latency_ms": self.latency_ms,
            # beyond the contract: what a reader needs to see why a question passed or failed
            "body": self.body, "more": self.more, "question_type": self.question_type, "type": self.type,
            "words": self.words, "topic": item.topic, "answerable": item.answerable, "history": list(item.history),
            "standalone_question": self.standalone_question, "key_facts": list(item.key_facts),
            "facts_found": self.facts_found, "sources": list(item.sources),
            "reference_answer": item.reference_answer, "first_supporting_rank": self.first_rank,
            "citation_checks": self.citation_checks, "checks": self.checks, "passed": self.passed,
            "diagnosis": self.diagnosis, "backend": self.backend, "notices": list(self.notices), "error": self.error,
        }


@dataclass
class EvalRun:
    """A finished run: per-question results, the summary and facts about the run."""

    results: list[QuestionResult]
    summary: dict[str, float | None]
    meta: dict[str, Any]
    by_topic: dict[str, dict[str, float | None]] = field(default_factory=dict)
    by_type: dict[str, dict[str, float | None]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary, "questions": [r.to_dict() for r in self.results], "meta": self.meta,
                "by_topic": self.by_topic, "by_type": self.by_type}


# --- scoring one answer --------------------------------------------------------------------------------
def score_answer(result: QuestionResult, k: int) -> None:
    """Fill ``scores``, ``checks`` and ``diagnosis`` from the recorded answer (no model needed)."""
    item = result.item
    facts, sources = item.key_facts, item.sources
    result.k, result.unretrieved_facts = k, []
    passages = [(p["doc_id"], p["text"]) for p in result.retrieved[:k]]
    for rank, p in enumerate(result.retrieved, start=1):
        p["supporting"] = m.is_supporting(p["doc_id"], p["text"], sources, facts)
        p["in_top_k"] = rank <= k
    scores: dict[str, float | None] = {name: None for name in SUMMARY_METRICS
                                       if not name.startswith(("latency", "words"))}
    scores.pop("pass_rate")
    checks: dict[str, bool | None] = {name: None for name in CHECKS}
    diagnosis: list[str] = []

    cited = {c["n"]: (c["doc_id"], c["text"]) for c in result.citations}
    citation_checks = m.check_citations(result.reply, cited, sources, facts) if not result.refused else []
    by_n: dict[int, list[m.CitationCheck]] = {}
    for check in citation_checks:
        by_n.setdefault(check.n, []).append(check)
    for c in result.citations:
        mine = by_n.get(c["n"], [])
        c["supported"] = all(x.supported for x in mine) if mine else None
        c["grounded"] = all(x.grounded for x in mine) if mine else None
    scores["citation_precision"] = m.citation_precision(citation_checks)
    scores["citation_grounding"] = m.citation_grounding(citation_checks)
    result.citation_checks = [c.to_dict() for c in citation_checks]
    if citation_checks:
        checks["citations"] = all(c.supported for c in citation_checks)

    if item.answerable:
        scores["false_refusal_rate"] = 1.0 if result.refused else 0.0
        checks["behaviour"] = not result.refused
        if sources or facts:
            result.first_rank = m.first_supporting_rank(passages, sources, facts, k)
            scores["hit_at_k"] = m.hit_at_k(result.first_rank, k)
            scores["mrr"] = m.reciprocal_rank(result.first_rank)
            checks["retrieval"] = result.first_rank is not None
        result.facts_found = m.facts_stated(facts, result.reply, result.refused)
        scores["key_fact_recall"] = m.key_fact_recall(facts, result.reply, result.refused)
        if facts:
            checks["key_facts"] = all(result.facts_found)
            if not result.refused:
                scores["answer_leads"] = m.answer_leads(facts, result.body)
        if item.reference_answer:
            plain = m.strip_markers(result.reply)
            scores["token_f1"] = m.token_f1(plain, item.reference_answer)
            scores["rouge_l"] = m.rouge_l(plain, item.reference_answer)
    else:
        scores["refusal_accuracy"] = 1.0 if result.refused else 0.0
        checks["behaviour"] = result.refused

    # Plain-language reasons, most fundamental first.
    if result.error:
        diagnosis.append(f"error while answering: {result.error}")
    if not item.answerable and not result.refused:
        diagnosis.append("answered a question the library does not cover (it should have declined)")
    if item.answerable and checks["retrieval"] is False:
        wanted = ", ".join(sources) if sources else "a passage holding a key fact"
        got = ", ".join(dict.fromkeys(d for d, _ in passages)) or "nothing"
        diagnosis.append(f"retrieval miss: no passage from {wanted} in the top {k} (retrieved: {got})")
    if item.answerable and result.refused:
        where = (f"the right source was retrieved at rank {result.first_rank}" if result.first_rank
                 else "and the right source was not retrieved either")
        diagnosis.append(f"false refusal: declined an answerable question ({where})")
    elif item.answerable:
        for fact, found in zip(facts, result.facts_found):
            if found:
                continue
            holder = next((r for r, (_, text) in enumerate(passages, start=1) if m.fact_stated(fact, text)), None)
            if holder:
                diagnosis.append(f"key fact {fact!r} is in retrieved passage {holder} but not in the answer's sentences")
            else:
                result.unretrieved_facts.append(fact)
                diagnosis.append(_unretrieved(fact, k))
    for check in citation_checks:
        if not check.exists:
            diagnosis.append(f"[{check.n}] points to no listed source")
        elif not check.supported:
            diagnosis.append(f"[{check.n}] cites {check.doc_id}, which is not a right source and holds no key fact")
    result.scores, result.checks, result.diagnosis = scores, checks, list(dict.fromkeys(diagnosis))


def _passage_dict(rank: int, source: Any) -> dict[str, Any]:
    return {"rank": rank, "n": source.n, "doc_id": source.doc_id, "chunk_id": source.chunk_id,
            "title": source.title, "citation": source.citation(), "text": source.text, "score": source.score,
            "page": source.page, "page_label": source.page_label, "ocr": source.ocr}


def answer_item(tutor: Any, item: TestItem, k: int, audit: Any = None) -> QuestionResult:
    """Ask one question (with its history) and record the answer and its timing (and, given an
    :class:`~tutor.audit.AuditLog`, in the audit record as channel ``eval``)."""
    result = QuestionResult(item)
    started = time.perf_counter()
    try:
        done = tutor.answer(item.question, list(item.history))
    except Exception as exc:  # a crash on one question is recorded as its failure, with the traceback logged
        log.exception("question %s failed", item.id)
        result.error = f"{type(exc).__name__}: {exc}"
        result.refused = True
        result.latency_ms = round((time.perf_counter() - started) * 1000, 1)
        score_answer(result, k)
        return result
    result.latency_ms = round((time.perf_counter() - started) * 1000, 1)
    if audit is not None:
        audit.record(done, "eval", latency_ms=result.latency_ms)
    result.answer, result.body, result.refused = done.answer, done.body, done.refused
    result.more, result.question_type = getattr(done, "more", ""), getattr(done, "question_type", "")
    result.standalone_question, result.backend, result.notices = done.standalone_question, done.backend, done.notices
    result.retrieved = [_passage_dict(rank, s) for rank, s in enumerate(done.retrieved, start=1)]
    result.citations = [{**_passage_dict(0, s), "cited_sentences": list(s.cited_sentences)} for s in done.sources]
    for c in result.citations:
        c.pop("rank")
    score_answer(result, k)
    return result


# --- the run -----------------------------------------------------------------------------------------
def add_semantic_similarity(results: Sequence[QuestionResult], embeddings: Any) -> None:
    """Cosine similarity of each answer to its reference answer, with one batched embedding call."""
    from tutor.library.embeddings import embed_matrix

    todo = [r for r in results if r.item.answerable and r.item.reference_answer]
    if not todo or embeddings is None:
        return
    texts = [t for r in todo for t in (m.strip_markers(r.reply) or " ", r.item.reference_answer)]
    vectors = embed_matrix(embeddings, texts)
    for i, r in enumerate(todo):
        r.scores["semantic_similarity"] = round(max(0.0, m.cosine(vectors[2 * i], vectors[2 * i + 1])), 6)


def locate_missing_facts(results: Sequence[QuestionResult], store: Any) -> None:
    """For key facts that no retrieved passage holds, say where the gold document has them (if anywhere).

    That separates a ranking problem (the fact is in a chunk of the right document that was not in the
    top k) from a test-set problem (the document never states it in those words).
    """
    todo = [r for r in results if r.unretrieved_facts and r.item.sources]
    if not todo or store is None:
        return
    doc_ids = list(store.records())
    for r in todo:
        gold = [d for d in doc_ids if m.from_gold_source(d, r.item.sources)]
        if not gold:
            continue
        got = store.chunks.get(where={"doc_id": {"$in": gold}}, include=["documents"])
        chunks = list(zip(got["ids"], got["documents"]))
        where = {}
        for fact in r.unretrieved_facts:
            holders = [cid for cid, text in chunks if m.fact_stated(fact, text)]
            where[_unretrieved(fact, r.k)] = _unretrieved(fact, r.k) + (
                f" (the gold document states it in {', '.join(holders[:3])}: not in the top {r.k})" if holders
                else " (the gold document never states it in these words: check the test item)")
        r.diagnosis = [where.get(reason, reason) for reason in r.diagnosis]


def _unretrieved(fact: str, k: int) -> str:
    return f"key fact {fact!r} is in none of the top {k} passages"


def summarise(results: Sequence[QuestionResult]) -> dict[str, float | None]:
    """The summary metrics of DESIGN.md (plus extras) over a set of results."""
    checks = [c for r in results for c in r.citation_checks]
    summary: dict[str, float | None] = {}
    for name in SUMMARY_METRICS:
        if name in ("citation_precision", "citation_grounding"):
            key = "supported" if name == "citation_precision" else "grounded"
            summary[name] = sum(c[key] for c in checks) / len(checks) if checks else None
        elif name == "latency_p50_ms":
            summary[name] = m.percentile([r.latency_ms for r in results], 50)
        elif name == "latency_p95_ms":
            summary[name] = m.percentile([r.latency_ms for r in results], 95)
        elif name in ("words_p50", "words_p90", "factoid_words_p50"):
            words = [float(w) for w in (r.words for r in results if r.item.answerable
                                        and (name != "factoid_words_p50" or r.type in FACTOID_TYPES)) if w is not None]
            summary[name] = m.percentile(words, 90 if name == "words_p90" else 50)
        elif name == "pass_rate":
            summary[name] = sum(r.passed for r in results) / len(results) if results else None
        else:
            summary[name] = m.mean(r.scores.get(name) for r in results)
    return {k: (round(v, 4) if isinstance(v, float) and "latency" not in k and "words" not in k else
                (round(v, 1) if isinstance(v, float) else v)) for k, v in summary.items()}


def breakdown(results: Sequence[QuestionResult], key: Callable[[QuestionResult], str],
              ) -> dict[str, dict[str, float | None]]:
    """Summary per value of ``key`` (a topic, a question type); results without one are left out."""
    out: dict[str, dict[str, float | None]] = {}
    for value in sorted({key(r) for r in results} - {""}):
        group = [r for r in results if key(r) == value]
        out[value] = {"questions": len(group), **summarise(group)}
    return out


def by_topic(results: Sequence[QuestionResult]) -> dict[str, dict[str, float | None]]:
    """Summary per ``topic`` (only when some items carry one)."""
    return breakdown(results, lambda r: r.item.topic)


def by_type(results: Sequence[QuestionResult]) -> dict[str, dict[str, float | None]]:
    """Summary per question type: the test set's ``type`` label, else the type the tutor read."""
    return breakdown(results, lambda r: r.type)


def run_testset(tutor: Any, items: Sequence[TestItem], k: int = 5, embeddings: Any = None,
                progress: Progress | None = None, show_progress: bool | None = None,
                meta: dict[str, Any] | None = None, warmup: bool = True, audit: Any = None) -> EvalRun:
    """Answer and score every item; ``k`` is both the retrieval depth and the cut-off for hit@k.

    ``progress(done, total, item_id)`` is called after each question (for the app's Evaluate tab);
    ``show_progress`` controls the terminal bar (``None``: only on a terminal). With ``warmup`` a warm-up
    question is asked once, untimed, before the run, so that one-off start-up work (loading the BM25
    index, first model call) does not count as answer time.
    """
    retriever = getattr(tutor, "retriever", None)
    if retriever is not None and getattr(retriever, "config", None) is not None:
        retriever.config.k = k
    started_at = datetime.now(UTC)
    started = time.perf_counter()
    if warmup and items:
        try:  # a question of its own, so that no test item finds its embeddings already cached
            tutor.answer(WARMUP_QUESTION)
        except Exception:  # the timed run records the same failure properly
            log.debug("warm-up question failed", exc_info=True)
    results: list[QuestionResult] = []
    disable = None if show_progress is None else not show_progress  # None: tqdm shows it on a terminal only
    bar = tqdm(total=len(items), desc="evaluate", unit="question", disable=disable)
    for number, item in enumerate(items, start=1):
        results.append(answer_item(tutor, item, k, audit))
        bar.update(1)
        if progress:
            progress(number, len(items), item.id)
    bar.close()
    locate_missing_facts(results, getattr(tutor, "store", None))
    add_semantic_similarity(results, embeddings if embeddings is not None else getattr(tutor, "embeddings", None))
    summary = summarise(results)
    info = {
        "k": k, "backend": getattr(tutor, "backend", ""), "questions": len(items),
        "answerable": sum(i.answerable for i in items), "unanswerable": sum(not i.answerable for i in items),
        "with_history": sum(bool(i.history) for i in items), "started_at": started_at.isoformat(timespec="seconds"),
        "duration_s": round(time.perf_counter() - started, 2), **(meta or {}),
    }
    return EvalRun(results, summary, info, by_topic(results), by_type(results))
