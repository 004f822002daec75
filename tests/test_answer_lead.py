"""The answer leads with what was asked (issue 14): question types, exact spans, the lead and "more",
the LLM contract, ``/ask_full``, the chat's folded section and Brief / Detailed, and the evaluation metrics.

The integration tests run on the starter library (real Chroma, the real embedding model) and ask the
questions the issue was filed with.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client

from tests.openai_stub import OpenAIStub
from tutor.answers.llm import build_messages, make_chat_model
from tutor.answers.spans import find_span, latest_date
from tutor.answers.tutor import Tutor
from tutor.answers.understand import understand
from tutor.eval import metrics as m
from tutor.eval.runner import run_testset
from tutor.eval.testset import load_testset
from tutor.library.chroma import open_store
from tutor.library.lexical import LexicalCache
from tutor.settings import Settings
from tutor.text import split_sentences
from tutor.ui import render

ASSENT = "On what date was the Computer Misuse and Cybercrimes Act assented to?"
UNESCO = [{"role": "user", "content": "What is UNESCO's Recommendation on the Ethics of AI?"},
          {"role": "assistant", "content": "The UNESCO Recommendation on the Ethics of Artificial Intelligence is the "
                                           "first global standard on the ethics of AI [1]."}]


# --- what is asked ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("question", "expected"), [
    (ASSENT, "date"),
    ("When did Kenya's Data Protection Act come into force?", "date"),
    ("How many services are on eCitizen?", "number"),
    ("What composite score and rank did Denmark get in the 2023 DGI?", "number"),
    ("How strongly does the OURdata Index correlate with the Open Data Barometer?", "number"),
    ("Who launched the Digital Master Plan?", "person"),
    ("Where are the Kenya School of Government campuses?", "place"),
    ("What are the six functions of the NIST Cybersecurity Framework 2.0?", "list"),
    ("What must binding corporate rules for a group of companies specify?", "list"),
    ("What is meant by 'digital public infrastructure'?", "definition"),
    ("Does the EU AI Act matter for us in Kenya?", "yesno"),
    ("According to the ODPC code, can the recipient of shared data sell it on?", "yesno"),
    ("Why do chatbots sometimes state false things so confidently?", "explanation"),
    ("What changed in Kenya's cybercrimes law in 2025?", "explanation"),
])
def test_question_types(question: str, expected: str) -> None:
    understood = understand(question)
    assert understood.question_type == expected
    assert understood.factoid == (expected in {"date", "number", "person", "place", "yesno"})


def test_a_follow_up_is_understood_once_with_its_topic() -> None:
    understood = understand("When was it adopted?", UNESCO)
    assert understood.rewritten and "UNESCO" in understood.standalone
    assert understood.question_type == "date" and understood.question == "When was it adopted?"


# --- exact spans ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("kind", "sentence", "own", "span"), [
    ("date", "The CMCA was assented on 16 May 2018 and came into force on 30 May 2018 [2].", (), "16 May 2018"),
    ("date", "Member States adopted it in Paris from 9–24 Nov 2021 [4].", (), "9–24 Nov 2021"),
    ("date", "The 2019 Recommendation was revised in May 2024.", ("2019",), "May 2024"),
    ("number", "The fine is capped at KSh 5 million or 1% of turnover [1].", (), "KSh 5 million"),
    ("number", "The Commissioner can impose fines under section 63 of the Act [1].", (), ""),
    ("number", "Signed on 26 Apr 2019 in Beijing.", (), ""),
    ("number", "It runs for ten (10) years.", (), "ten (10) years"),
    ("person", "Cabinet Secretary Joe Mucheru launched the DMP in April 2022.", ("DMP",), "Cabinet Secretary Joe Mucheru"),
    ("definition", "Phishing is a fraud that tricks people into giving away secrets.", (), ""),
])
def test_spans_are_cut_from_the_sentence(kind: str, sentence: str, own: tuple[str, ...], span: str) -> None:
    found = find_span(kind, sentence, own)
    assert found == span
    assert not found or found in sentence, "a span is extracted, never written"


def test_latest_date_ignores_bare_years_of_a_plan() -> None:
    assert latest_date("The Digital Master Plan 2022–2032 calls for it.") == (0, 0)
    assert latest_date("From 5,000 (June 2023) to 22,510 (as of 7 Dec 2025).") == (2025, 12)


# --- the lead on the starter library -----------------------------------------------------------------
@pytest.fixture(scope="module")
def starter_tutor(ingested_corpus: Settings, embeddings: object) -> Tutor:
    return Tutor(open_store(ingested_corpus), embeddings, LexicalCache(ingested_corpus.lexical_dir))  # type: ignore[arg-type]


def test_the_date_asked_for_leads_the_answer(starter_tutor: Tutor) -> None:
    done = starter_tutor.answer(ASSENT)
    first = split_sentences(done.body)[0]
    assert done.question_type == "date" and done.span == "16 May 2018"
    assert "16 May 2018" in first and "[1]" in first
    assert m.word_count(done.body) <= 60, done.body
    assert done.more, "the rest of what was relevant goes under More from the sources"
    assert all(f"[{s.n}]" in done.body + done.more for s in done.sources)


def test_a_follow_up_date_leads_too(starter_tutor: Tutor) -> None:
    done = starter_tutor.answer("When was it adopted?", UNESCO)
    assert "Nov 2021" in split_sentences(done.body)[0]
    assert done.span.endswith("Nov 2021")


def test_the_newest_dated_figure_leads_and_the_older_ones_stay(starter_tutor: Tutor) -> None:
    done = starter_tutor.answer("How many services are on eCitizen?")
    assert "22,510" in split_sentences(done.body)[0] and done.span == "22,510"
    assert "5,000" in done.reply, "the earlier figure, with its date, is still in the answer"


def test_an_explanation_gets_more_room_and_nothing_is_dropped(starter_tutor: Tutor) -> None:
    question = "Why do generative AI tools hallucinate?"
    done = starter_tutor.answer(question)
    assert done.question_type == "explanation"
    assert 20 < m.word_count(done.body) <= 130
    chosen = starter_tutor.extractive.select(done.standalone_question,
                                             _quotable_passages(starter_tutor, done.standalone_question), question)
    reply = _flat(done.reply)
    assert all(_flat(c.text) in reply for c in chosen), "every sentence the answerer chose is in lead or more"


def _quotable_passages(tutor: Tutor, question: str) -> list[Any]:
    from tutor.answers.sources import quotable

    passages = quotable(tutor._retrieve(question, None, None))
    return quotable(passages + tutor._rest_of_top_document(passages))


def _flat(text: str) -> str:
    import re

    return re.sub(r"\s*\[\d+\]", "", " ".join(text.split()))


# --- LLM backends --------------------------------------------------------------------------------------
def _llm_tutor(library: Settings, embeddings: object, base_url: str) -> Tutor:
    settings = library.model_copy(update={"llm": "openai:stub-model", "llm_base_url": base_url, "llm_timeout_s": 5})
    return Tutor(open_store(settings), embeddings, LexicalCache(settings.lexical_dir),  # type: ignore[arg-type]
                 make_chat_model(settings), "openai:stub-model")


def test_the_prompt_states_the_lead_contract_and_the_length_by_type() -> None:
    factoid = build_messages("When did it come into force?", [], question_type="date")[0].content
    explain = build_messages("Why do chatbots hallucinate?", [], question_type="explanation")[0].content
    assert "first sentence answers the question directly" in factoid
    assert "60 words" in factoid and "120 words" not in factoid
    assert "120 words" in explain


def test_an_llm_reply_whose_first_sentence_is_unsupported_is_not_used(ingested_corpus: Settings,
                                                                      embeddings: object) -> None:
    reply = ("The Act was assented to by the Queen of England in 1066 [1]. "
             "The CMCA was assented on 16 May 2018 [1].")
    with OpenAIStub(lambda request: reply) as stub:
        done = _llm_tutor(ingested_corpus, embeddings, stub.base_url).answer(ASSENT)
        system = stub.requests[-1]["messages"][0]["content"]
    assert "60 words" in system, "a date question gets the factoid length"
    assert done.backend == "offline (extractive)" and done.notices
    assert "1066" not in done.answer and "16 May 2018" in split_sentences(done.body)[0]


def test_a_supported_llm_reply_is_split_into_lead_and_more(ingested_corpus: Settings, embeddings: object) -> None:
    import re

    def respond(request: dict) -> str:
        """Quote the passages back as a well-behaved model would: the date first, then two more sentences."""
        human = request["messages"][-1]["content"]
        passages = re.findall(r'<passage n="(\d+)"[^>]*>(.*?)</passage>', human, re.DOTALL)
        quoted = [(n, sentence) for n, text in passages for sentence in split_sentences(text)]
        first = [f"{s.rstrip('.')} [{n}]." for n, s in quoted if "16 May 2018" in s][:1]
        rest = [f"{s.rstrip('.')} [{n}]." for n, s in quoted if "16 May 2018" not in s and len(s.split()) > 6][:3]
        return " ".join(first + rest)

    with OpenAIStub(respond) as stub:
        done = _llm_tutor(ingested_corpus, embeddings, stub.base_url).answer(ASSENT)
    assert done.backend == "openai:stub-model", done.notices
    assert "16 May 2018" in split_sentences(done.body)[0] and done.span == "16 May 2018"
    assert done.more and m.word_count(done.body) <= 60, "a factoid's lead is one or two sentences"


# --- the web app: /ask, /ask_full and the chat ---------------------------------------------------------
def test_ask_full_returns_lead_more_sources_type_and_span(app_server: str) -> None:
    client = Client(app_server, verbose=False)
    full = client.predict(ASSENT, api_name="/ask_full")
    assert set(full) >= {"answer", "more", "sources", "question_type", "span"}
    assert full["question_type"] == "date" and full["span"] == "16 May 2018"
    assert full["span"] in split_sentences(full["answer"])[0]
    assert full["more"] and full["sources"][0]["n"] == 1
    answer, sources = client.predict(ASSENT, api_name="/ask")
    assert answer.startswith(full["answer"].split(" [1]")[0]), "/ask keeps returning the lead answer"
    assert "Sources:" in answer and sources == full["sources"]


def test_the_chat_bolds_the_answer_and_folds_the_rest(app_server: str) -> None:
    client = Client(app_server, verbose=False)
    chatbot = client.predict(ASSENT, api_name="/chat")[0]
    text = chatbot[-1]["content"][0]["text"]
    assert '<strong class="mw-answer-span">16 May 2018</strong>' in text
    assert '<details class="mw-more"><summary>More from the sources</summary>' in text
    assert text.index("mw-answer-span") < text.index("<details") < text.index("Sources:")


def test_answer_markdown_escapes_document_text() -> None:
    shown = render.answer_markdown("A <script>x</script> fine of *KSh 5 million* [1].", "More <b>text</b> [2].",
                                   "KSh 5 million", "\n\nSources:\n[1] Act")
    assert "<script>" not in shown and "<b>" not in shown
    assert '<details class="mw-more">' in shown and " open" not in shown
    assert " open>" in render.answer_markdown("Lead [1].", "More [1].", detailed=True)


# --- the evaluation desk -------------------------------------------------------------------------------
def test_answer_leads_and_words_are_measured_and_gated(tmp_path: Path, ingested_corpus: Settings,
                                                       starter_tutor: Tutor) -> None:
    items = [
        {"id": "a1", "question": ASSENT, "key_facts": ["16 May 2018"], "type": "date"},
        {"id": "a2", "question": "Why do generative AI tools hallucinate?", "key_facts": ["Saint Nobody"],
         "type": "explanation"},
        {"id": "u1", "question": "Who won the 2022 FIFA World Cup final?", "answerable": False, "type": "person"},
    ]
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(i) for i in items) + "\n", encoding="utf-8")
    run = run_testset(starter_tutor, load_testset(path), show_progress=False, warmup=False)
    by_id = {r.item.id: r for r in run.results}
    assert by_id["a1"].scores["answer_leads"] == 1.0 and by_id["a2"].scores["answer_leads"] == 0.0
    assert run.summary["answer_leads"] == 0.5
    assert by_id["u1"].words is None, "a refusal has no answer length"
    assert run.summary["words_p50"] == m.percentile([float(by_id["a1"].words), float(by_id["a2"].words)], 50)
    assert set(run.by_type) == {"date", "explanation", "person"}
    assert run.by_type["date"]["answer_leads"] == 1.0

    from tutor.eval.cli import main

    out = tmp_path / "report"
    missed = main([str(path), "--out", str(out), "--no-progress", "--fail-under", "words_p50=5",
                   "--fail-under", "answer_leads=0.4"], settings=ingested_corpus, embeddings=starter_tutor.embeddings)
    assert missed == 2, "a median of more than 5 words misses the words_p50 gate"
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    gates = {g["metric"]: g["passed"] for g in report["gates"]}
    assert gates == {"words_p50": False, "answer_leads": True}
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "By question type" in html and "First sentence answers" in html


def test_the_development_sets_carry_question_types() -> None:
    from tutor.answers.understand import QUESTION_TYPES

    for name in ("devset.jsonl", "realdocs_devset.jsonl"):
        items = load_testset(Path(__file__).parent / "data" / name)
        assert all(i.type in QUESTION_TYPES for i in items), name
        assert len({i.type for i in items}) >= 6, name


def test_an_unknown_type_label_is_a_clear_error(tmp_path: Path) -> None:
    from tutor.eval.testset import TestSetError

    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"question": "When?", "type": "when-ish"}) + "\n", encoding="utf-8")
    with pytest.raises(TestSetError, match="type 'when-ish' is not one of"):
        load_testset(path)
