"""The evaluator's metric functions, test-set loading, gates and baseline comparison, on hand-computed cases.

No model and no index: every function here is pure, so each case states its inputs and the number a
person would compute on paper.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from tutor.eval import metrics as m
from tutor.eval.feedback import draft_items, is_thumbs_down
from tutor.eval.gates import check_gates, compare, parse_threshold
from tutor.eval.runner import QuestionResult, score_answer, summarise
from tutor.eval.testset import TestItem, TestSetError, load_testset, split_alternatives, split_list_cell


# --- key facts -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("fact", "text"), [
    ("OECD", "the oecd principles"),  # case
    ("1450", "The regulator counted 1,450 agents."),  # thousands separator in the answer
    ("1,450", "The regulator counted 1450 agents."),  # ... or in the fact
    ("22,510", "eCitizen offered 22\u202f510 services"),  # narrow no-break space as a separator
    ("machine-based", "a machine based system"),  # punctuation as a space
    ("e-government", "early egovernment strategies"),  # punctuation removed
    ("November 2023 | Nov 2023", "It was revised in Nov. 2023."),  # the second alternative
    ("Data Protection Act, No. 24 of 2019", "the data protection act no 24 of 2019 says"),
    ("0.61", "an average of 0.61 on the index"),
    ("Kenya's", "Kenya\u2019s strategy"),  # curly apostrophe
])
def test_fact_stated_matches(fact: str, text: str) -> None:
    assert m.fact_stated(fact, text)


@pytest.mark.parametrize(("fact", "text"), [
    ("AI", "the minister said so"),  # whole words only
    ("0.61", "61 percent"),  # a decimal is not its digits
    ("1450", "14,500 agents"),  # a different number
    ("May 2019 | May 2024", "In March 2019 and May 2023"),  # no alternative present
    ("red lines", ""),
])
def test_fact_stated_rejects(fact: str, text: str) -> None:
    assert not m.fact_stated(fact, text)


def test_key_fact_recall_counts_alternatives_once_and_refusals_state_nothing() -> None:
    facts = ["digital by design", "government as a platform | GaaP", "open by default"]
    answer = "The framework asks for digital-by-design services and treats government as a platform [1]."
    assert m.facts_stated(facts, answer) == [True, True, False]
    assert m.key_fact_recall(facts, answer) == pytest.approx(2 / 3)
    assert m.key_fact_recall(facts, answer, refused=True) == 0.0  # even when the refusal text names a fact
    assert m.key_fact_recall([], answer) is None


def test_split_alternatives_and_list_cells() -> None:
    assert split_alternatives("November 2023 | Nov 2023") == ["November 2023", "Nov 2023"]
    assert split_alternatives("a|b") == ["a|b"]  # only " | " separates
    assert split_list_cell("Govern ; Protect ; Respond") == ["Govern", "Protect", "Respond"]
    assert split_list_cell('["a ; b", "c"]') == ["a ; b", "c"]  # a JSON list cell is taken as is
    assert split_list_cell("") == []


# --- sources, hit@k, MRR ------------------------------------------------------------------------------
def test_source_matches_doc_ids_file_names_and_paths() -> None:
    assert m.source_matches("kenya-ecitizen", "kenya-ecitizen")
    assert m.source_matches("kenya-ecitizen.md", "kenya-ecitizen")
    assert m.source_matches("reports/OECD skills.pdf", "reports/oecd-skills")
    assert m.source_matches("OECD skills.pdf", "reports/oecd-skills")  # a bare file name in a folder
    assert not m.source_matches("kenya-data", "kenya-data-protection-act")
    assert not m.source_matches("", "kenya-ecitizen")


def test_gold_slug_is_the_ingestion_doc_id() -> None:
    from tutor.library.files import doc_id_for

    for name in ("reports/OECD Skills 2024.pdf", "Notes/eCitizen (draft).docx", "plain.md", "a.b.c.txt"):
        assert m.source_matches(name, doc_id_for(name)), name


def test_rank_positions_hit_and_reciprocal_rank() -> None:
    passages = [("oecd-ai-principles", "values"), ("eu-ai-act", "fines of EUR 35 million"),
                ("kenya-ecitizen", "22,510 services"), ("eu-ai-act", "risk tiers")]
    rank = m.first_supporting_rank(passages, ["kenya-ecitizen"], ["22510"])
    assert rank == 3
    assert m.hit_at_k(rank, 5) == 1.0 and m.hit_at_k(rank, 3) == 1.0 and m.hit_at_k(rank, 2) == 0.0
    assert m.reciprocal_rank(rank) == pytest.approx(1 / 3)
    # With no gold sources, a passage that holds a key fact supports the answer.
    assert m.first_supporting_rank(passages, [], ["35 million"]) == 2
    # Gold sources given: a key fact elsewhere does not count for retrieval.
    assert m.first_supporting_rank(passages, ["kenya-cloud-policy"], ["35 million"]) is None
    assert m.first_supporting_rank(passages, ["kenya-ecitizen"], [], k=2) is None
    assert m.reciprocal_rank(None) == 0.0 and m.hit_at_k(None, 5) == 0.0


# --- citations --------------------------------------------------------------------------------------------
def test_citation_precision_checks_each_marker_against_its_passage() -> None:
    body = ("The Act created the ODPC [1]. Fines reach KES 5 million [2]. Kenya joined the OECD [3]. "
            "It also covers transfers abroad [4].")
    cited = {
        1: ("kenya-data-protection-act", "The Data Protection Act created the ODPC."),  # gold source
        2: ("other-note", "Penalties: fines reach KES 5 million or 1% of turnover."),  # holds a key fact
        3: ("oecd-ai-principles", "The OECD adopted principles in 2019."),  # neither
    }  # [4] points to no listed source
    checks = m.check_citations(body, cited, ["kenya-data-protection-act"], ["5 million"])
    assert [(c.n, c.supported, c.exists) for c in checks] == [(1, True, True), (2, True, True), (3, False, True),
                                                             (4, False, False)]
    assert m.citation_precision(checks) == 0.5
    assert checks[0].sentence == "The Act created the ODPC"
    assert checks[0].grounded and not checks[2].grounded  # "Kenya joined" is not in passage 3
    assert m.citation_precision(m.check_citations("No markers here.", cited, [], [])) is None


def test_several_markers_on_one_sentence_are_each_checked() -> None:
    checks = m.check_citations("Both notes agree [1][2].", {1: ("a", "both notes agree"), 2: ("b", "x")}, ["a"], [])
    assert [c.supported for c in checks] == [True, False]
    # Markers mid-sentence: each group is checked against its own part of the sentence.
    cited = {1: ("a", "Kenya passed the Data Protection Act in 2019."), 2: ("b", "The ODPC enforces the Act.")}
    checks = m.check_citations("Kenya passed the Data Protection Act in 2019 [1], and the ODPC enforces it [2].",
                               cited, ["a", "b"], [])
    assert [(c.n, c.sentence, c.grounded) for c in checks] == [
        (1, "Kenya passed the Data Protection Act in 2019", True), (2, "and the ODPC enforces it", True)]


# --- similarity to the reference answer ---------------------------------------------------------------------
def test_token_f1_hand_computed() -> None:
    # prediction tokens {cat, sat}; reference {cat, sat, down}: P = 1, R = 2/3, F1 = 0.8 ("the" is dropped)
    assert m.token_f1("The cat sat [1].", "cat sat down") == pytest.approx(0.8)
    assert m.token_f1("1,450 agents", "1450 agents") == 1.0
    assert m.token_f1("", "") == 1.0 and m.token_f1("x", "") == 0.0


def test_rouge_l_hand_computed() -> None:
    # LCS of (one two three four) and (one three four five) = one three four: P = R = 3/4
    assert m.lcs_length("abcd", "acde") == 3
    assert m.rouge_l("one two three four", "one three four five") == pytest.approx(0.75)
    assert m.rouge_l("Running cats", "run cat") == 1.0  # Porter stemming, as rouge_score does
    assert m.rouge_l("alpha", "beta") == 0.0


def test_cosine() -> None:
    assert m.cosine([1, 0], [0, 1]) == 0.0
    assert m.cosine([1, 1], [2, 2]) == pytest.approx(1.0)
    assert m.cosine([0, 0], [1, 0]) == 0.0


def test_percentiles_interpolate_like_numpy() -> None:
    values = [10.0, 20.0, 30.0, 40.0]
    assert m.percentile(values, 50) == 25.0
    assert m.percentile(values, 95) == pytest.approx(38.5)  # position 2.85: 30 + 0.85 * 10
    rng = np.random.default_rng(7)
    sample = list(rng.uniform(0, 1000, 37))
    for q in (50, 90, 95, 99):
        assert m.percentile(sample, q) == pytest.approx(float(np.percentile(sample, q)))
    assert m.percentile([], 50) is None


# --- ranked retrieval (BEIR) ------------------------------------------------------------------------------
def test_ndcg_recall_and_first_relevant_rank() -> None:
    ranking = ["d1", "d2", "d3"]
    qrels = {"d2": 1, "d3": 1}
    dcg = 1 / math.log2(3) + 1 / math.log2(4)
    idcg = 1 + 1 / math.log2(3)
    assert m.ndcg_at_k(ranking, qrels, 10) == pytest.approx(dcg / idcg)
    assert m.ndcg_at_k(["d2", "d3"], qrels, 10) == 1.0
    assert m.ndcg_at_k(ranking, qrels, 1) == 0.0
    assert m.ndcg_at_k(["d1", "d2"], {"d1": 2, "d2": 1}, 10) == 1.0  # graded: linear gains, ideal order
    assert m.recall_at_k(["a", "x", "b"], {"a": 1, "b": 1, "c": 1}, 2) == pytest.approx(1 / 3)
    assert m.recall_at_k(["a"], {"a": 0}, 10) == 0.0  # relevance 0 is not relevant
    assert m.first_relevant_rank(ranking, qrels) == 2
    assert m.first_relevant_rank(ranking, qrels, k=1) is None


# --- per-question scoring and the summary --------------------------------------------------------------------
def _result(item: TestItem, body: str, refused: bool = False, retrieved: tuple[str, ...] = (),
            cited: tuple[str, ...] = (), latency: float = 100.0) -> QuestionResult:
    result = QuestionResult(item, answer=body, body=body, refused=refused, latency_ms=latency)
    result.retrieved = [{"rank": i, "doc_id": d, "chunk_id": f"{d}:x:0", "text": f"text of {d}"}
                        for i, d in enumerate(retrieved, start=1)]
    result.citations = [{"n": n, "doc_id": d, "text": f"text of {d}"}
                        for n, d in enumerate(cited, start=1)]
    score_answer(result, k=3)
    return result


def test_summary_over_answerable_and_unanswerable_questions() -> None:
    good = TestItem("a1", "How many services?", key_facts=("22,510", "583"), sources=("kenya-ecitizen",),
                    reference_answer="22,510 services from 583 institutions.")
    wrongly_declined = TestItem("a2", "Who enforces it?", key_facts=("ODPC",), sources=("kenya-dpa",))
    out_of_scope = TestItem("u1", "Who won the World Cup?", answerable=False)
    answered_anyway = TestItem("u2", "Paracetamol dose?", answerable=False)
    results = [
        _result(good, "eCitizen offers 22510 services [1]. It is popular [2].", retrieved=("eu-ai-act", "kenya-ecitizen"),
                cited=("kenya-ecitizen", "eu-ai-act"), latency=100),
        _result(wrongly_declined, "The library doesn't cover this, ODPC aside.", refused=True, retrieved=("kenya-dpa",),
                latency=200),
        _result(out_of_scope, "The library doesn't cover this question.", refused=True, latency=300),
        _result(answered_anyway, "Take two [1].", cited=("kenya-ecitizen",), latency=400),
    ]
    first = results[0]
    assert first.first_rank == 2 and first.scores["mrr"] == 0.5 and first.scores["hit_at_k"] == 1.0
    assert first.scores["key_fact_recall"] == 0.5 and first.facts_found == [True, False]
    assert first.scores["citation_precision"] == 0.5  # [1] gold source; [2] eu-ai-act holds no key fact
    assert any("'583' is in none of the top 3 passages" in d for d in first.diagnosis)
    assert results[1].scores["key_fact_recall"] == 0.0  # a refusal states no key facts
    assert any("false refusal" in d for d in results[1].diagnosis)
    summary = summarise(results)
    assert summary["hit_at_k"] == 1.0  # both answerable questions retrieved a gold passage
    assert summary["mrr"] == pytest.approx((0.5 + 1.0) / 2)
    assert summary["key_fact_recall"] == pytest.approx((0.5 + 0.0) / 2)
    assert summary["refusal_accuracy"] == 0.5 and summary["false_refusal_rate"] == 0.5
    # Micro-averaged over markers: [1] ok, [2] not, and u2's [1] cites a passage for an unanswerable question.
    assert summary["citation_precision"] == pytest.approx(1 / 3, abs=1e-4)  # the summary keeps 4 decimals
    assert summary["latency_p50_ms"] == 250.0
    assert summary["pass_rate"] == 0.25  # only u1, declined as it should be, passes every check
    assert 0 < summary["token_f1"] < 1 and 0 < summary["rouge_l"] < 1


# --- test sets -------------------------------------------------------------------------------------------
def test_load_csv_with_list_cells_alternatives_and_history(tmp_path: Path) -> None:
    path = tmp_path / "set.csv"
    path.write_text(
        "id,question,key_facts,sources,answerable,history,topic\n"
        'c1,What are its functions?,Govern ; Identify | ID ; Protect,nist-cybersecurity-framework-2,,'
        '"user: Is there a cybersecurity framework? ; assistant: NIST CSF 2.0.",Frameworks\n'
        "c2,Who won the World Cup?,,,false,,Out of scope\n", encoding="utf-8")
    first, second = load_testset(path)
    assert first.key_facts == ("Govern", "Identify | ID", "Protect")
    assert first.sources == ("nist-cybersecurity-framework-2",) and first.answerable
    assert first.history == ({"role": "user", "content": "Is there a cybersecurity framework?"},
                             {"role": "assistant", "content": "NIST CSF 2.0."})
    assert first.topic == "Frameworks"
    assert second.answerable is False and second.key_facts == ()


def test_load_jsonl_reports_every_problem_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    lines = [json.dumps({"id": "a", "question": "Q?"}), "{not json", json.dumps({"id": "a", "question": "R?"}),
             json.dumps({"id": "b", "question": ""}), json.dumps({"id": "c", "question": "S?", "answerable": "maybe"})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(TestSetError) as info:
        load_testset(path)
    message = str(info.value)
    for expected in ("line 2: not valid JSON",):
        assert expected in message
    path.write_text("\n".join(lines[:1] + lines[2:]) + "\n", encoding="utf-8")
    with pytest.raises(TestSetError) as info:
        load_testset(path)
    message = str(info.value)
    assert "line 2: duplicate id 'a' (first at line 1)" in message
    assert "line 3: question is empty" in message
    assert "line 4: expected true or false" in message


def test_the_development_test_set_loads() -> None:
    items = load_testset(Path(__file__).parent / "data" / "devset.jsonl")
    assert len(items) >= 60
    assert sum(not i.answerable for i in items) >= 10 and sum(bool(i.history) for i in items) >= 8


def test_every_development_key_fact_is_in_one_of_its_gold_notes() -> None:
    """A key fact no gold note states would make the metric unreachable and blame the tutor for the test set."""
    corpus = Path(__file__).parent.parent / "corpus"
    missing = []
    for item in load_testset(Path(__file__).parent / "data" / "devset.jsonl"):
        if not item.answerable:
            continue
        notes = " ".join((corpus / f"{source}.md").read_text(encoding="utf-8") for source in item.sources)
        missing += [(item.id, fact) for fact in item.key_facts if not m.fact_stated(fact, notes)]
    assert missing == []


# --- gates and baselines -----------------------------------------------------------------------------------
def test_gates_read_the_direction_of_each_metric() -> None:
    summary = {"hit_at_k": 0.96, "false_refusal_rate": 0.08, "latency_p95_ms": 900.0, "refusal_accuracy": None}
    gates = {g.metric: g for g in check_gates(summary, [("hit_at_k", 0.95), ("false_refusal_rate", 0.05),
                                                         ("latency_p95_ms", 1000), ("refusal_accuracy", 0.9)])}
    assert gates["hit_at_k"].passed
    assert not gates["false_refusal_rate"].passed  # lower is better: 0.08 > 0.05 misses
    assert gates["latency_p95_ms"].passed
    assert not gates["refusal_accuracy"].passed  # not measured: a gate that cannot be checked fails
    assert parse_threshold("mrr=0.5") == ("mrr", 0.5)
    with pytest.raises(ValueError):
        parse_threshold("mrr>0.5")


def test_baseline_comparison_lists_questions_that_got_worse() -> None:
    old = {"summary": {"hit_at_k": 1.0, "false_refusal_rate": 0.0},
           "questions": [{"id": "q1", "question": "A?", "passed": True, "scores": {"key_fact_recall": 1.0}},
                         {"id": "q2", "question": "B?", "passed": True, "scores": {"false_refusal_rate": 0.0}},
                         {"id": "q3", "question": "C?", "passed": False, "scores": {"key_fact_recall": 0.5}}]}
    new = {"summary": {"hit_at_k": 0.9, "false_refusal_rate": 0.5},
           "questions": [{"id": "q1", "question": "A?", "passed": False, "scores": {"key_fact_recall": 0.5}},
                         {"id": "q2", "question": "B?", "passed": False, "scores": {"false_refusal_rate": 1.0}},
                         {"id": "q3", "question": "C?", "passed": True, "scores": {"key_fact_recall": 1.0}},
                         {"id": "q4", "question": "D?", "passed": True, "scores": {}}]}
    result = compare(new, old)
    assert result["deltas"] == {"hit_at_k": -0.1, "false_refusal_rate": 0.5}
    assert [w["id"] for w in result["worse"]] == ["q1", "q2"]
    assert result["worse"][0]["changes"] == [{"metric": "key_fact_recall", "before": 1.0, "after": 0.5}]
    assert result["added"] == ["q4"]


# --- feedback -------------------------------------------------------------------------------------------
def test_thumbs_down_rows_become_one_draft_per_question() -> None:
    assert is_thumbs_down("down") and is_thumbs_down(-1) and is_thumbs_down(False) and not is_thumbs_down("up")
    rows = [
        {"rating": "down", "question": "Who enforces the DPA?", "answer": "Old answer", "reason": "wrong"},
        {"rating": "up", "question": "What is eCitizen?", "answer": "A portal"},
        {"rating": "down", "question": "who enforces the  DPA?", "answer": "New answer [1]", "reason": "unsupported",
         "comment": "cites the wrong act", "sources": json.dumps([{"title": "EU AI Act"}])},
    ]
    (draft,) = draft_items(rows)
    assert draft["question"] == "Who enforces the DPA?" and draft["answer_given"] == "New answer [1]"
    assert draft["reason"] == "wrong ; unsupported" and draft["comment"] == "cites the wrong act"
    assert draft["cited_given"] == ["EU AI Act"] and draft["reports"] == 2
    assert draft["key_facts"] == [] and draft["draft"] is True
