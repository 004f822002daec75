"""When the library holds different dated figures for a "how many" question, the lead says so, with each
figure's date and source (issue 14, "the lead says so with both dates").

The integration tests ingest two small notes written here, which disagree about a count because each was
true on its own date, into a real Chroma with the real embedding model, and ask the offline answerer.
"""

from __future__ import annotations

import pytest
from factories import make_markdown
from openai_stub import OpenAIStub

from tutor.answers.candidates import Candidate
from tutor.answers.differ import FRAME, dated_figures, differing, note
from tutor.answers.lead import FACTOID_WORDS
from tutor.answers.llm import make_chat_model
from tutor.answers.tutor import Tutor
from tutor.eval.metrics import word_count
from tutor.library.chroma import open_store
from tutor.library.ingestion import Ingestor
from tutor.library.lexical import LexicalCache
from tutor.settings import Settings
from tutor.text import content_terms, split_sentences

GROWTH = ("In short, eCitizen grew from more than 5,000 services (June 2023) to 10,513 (as of 4 Oct 2023) and "
          "then to 22,510 services from 583 agencies (as of 7 Dec 2025).")

EARLY = """# Huduma Centres in 2021

## Coverage

By March 2021 the Huduma programme ran 52 Huduma centres across the country, one in every county.
Each centre offers national and county services under one roof, from birth certificates to business permits.
"""

LATER = """# Huduma Centres: 2024 update

## Coverage

A ministry update in August 2024 put the programme at 61 Huduma centres, after new ones opened in sub-counties.
The centres now also help citizens to open eCitizen accounts and to pay for services online.
"""


def _asked(words: str) -> set[str]:
    return set(content_terms(words))


# --- the figures and their dates ---------------------------------------------------------------------------
def test_each_figure_gets_the_date_beside_it() -> None:
    """A date in brackets annotates the figure before it; a figure inside another's phrase ("from 583
    agencies") does not take that phrase's date; a figure that does not count what was asked is left out."""
    found = [(f.figure, f.date, f.when) for f in dated_figures(Candidate(0, 0, GROWTH), _asked("services"))]
    assert found == [("more than 5,000 services", "June 2023", (2023, 6)),
                     ("22,510 services", "7 Dec 2025", (2025, 12))]


def test_a_plan_period_and_an_undated_figure_are_not_dates_of_a_figure() -> None:
    assert dated_figures(Candidate(0, 0, "The Digital Master Plan 2022–2032 plans 25,000 services."),
                         _asked("services")) == []
    assert dated_figures(Candidate(0, 0, "eCitizen offers 22,510 services from 583 agencies."), _asked("services")) == []


def test_figures_that_agree_or_share_a_date_make_no_note() -> None:
    same_value = [Candidate(0, 0, "In June 2023 the portal had 5,000 services."),
                  Candidate(1, 0, "By June 2024 it still listed 5,000 services.")]
    same_date = [Candidate(0, 0, "In June 2023 the portal had 5,000 services."),
                 Candidate(1, 0, "In June 2023 another count gave 4,900 services.")]
    assert differing(same_value, _asked("services")) == []
    assert differing(same_date, _asked("services")) == []


def test_the_note_lists_the_newest_first_and_cites_every_part() -> None:
    cands = [Candidate(0, 0, "In 2021 the index covered 29 countries."),
             Candidate(1, 0, "The 2023 edition (2023) covered 33 countries [2].")]
    figures = differing(cands, _asked("countries"))
    text = note(figures, lambda cand: cand.passage_index + 1)
    assert text == f"{FRAME} 33 countries (2023) [2]; 29 countries (2021) [1]."


def test_money_counts_only_for_how_much() -> None:
    cand = Candidate(0, 0, "Dailycast reported on 27 Dec 2024 that eCitizen collects KSh 900 million daily.")
    assert dated_figures(cand, _asked("services")) == []
    assert [f.figure for f in dated_figures(cand, _asked("collect"), money=True)] == ["KSh 900 million"]


# --- on a real library -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def huduma_tutor(tmp_path_factory: pytest.TempPathFactory, embeddings: object) -> Tutor:
    root = tmp_path_factory.mktemp("huduma")
    corpus = root / "corpus"
    make_markdown(corpus / "huduma-2021.md", EARLY, {"title": "Huduma Centres in 2021", "publisher": "Test desk",
                                                      "year": 2021, "topic": "Services"})
    make_markdown(corpus / "huduma-2024.md", LATER, {"title": "Huduma Centres: 2024 update",
                                                      "publisher": "Test desk", "year": 2024, "topic": "Services"})
    settings = Settings(data_dir=root / "data", corpus_dir=corpus, ingest_lock_timeout_s=30.0,
                        _env_file=None)  # type: ignore[call-arg]
    store = open_store(settings)
    summary = Ingestor(settings, store, embeddings).run([corpus])  # type: ignore[arg-type]
    assert not summary.failures, summary.text()
    return Tutor(store, embeddings, LexicalCache(settings.lexical_dir, store))  # type: ignore[arg-type]


def _source_of(done: object, n: int) -> str:
    return next(s.text for s in done.sources if s.n == n)  # type: ignore[attr-defined]


def test_the_lead_says_the_figures_differ_with_both_dates_each_cited(huduma_tutor: Tutor) -> None:
    done = huduma_tutor.answer("How many Huduma centres are there?")
    first = split_sentences(done.body)[0]
    assert first.startswith(FRAME), done.body
    newest, older = first[len(FRAME):].rstrip(".").split(";")
    assert "61 Huduma centres (August 2024)" in newest and "52 Huduma centres (March 2021)" in older
    for part, figure in ((newest, "61 Huduma centres"), (older, "52 Huduma centres")):
        n = int(part.strip().rsplit("[", 1)[1].rstrip("]"))
        assert figure in _source_of(done, n), "each part cites the passage it was cut from"
    assert {s.doc_id for s in done.sources} == {"huduma-2021", "huduma-2024"}
    assert done.span == "61", "the newest figure is the answer"
    assert "By March 2021" in done.reply and "August 2024" in done.reply, "the sentences behind both stay"


def test_no_note_when_the_question_names_its_year_or_is_not_a_count(huduma_tutor: Tutor) -> None:
    dated = huduma_tutor.answer("How many Huduma centres were there in 2021?")
    assert not dated.refused and FRAME not in dated.reply
    what = huduma_tutor.answer("What services does a Huduma centre offer?")
    assert FRAME not in what.reply


def test_the_note_counts_against_the_factoid_length(huduma_tutor: Tutor) -> None:
    """The lead of a factoid stays within its 60 words, note included: the next sentence joins only if it fits."""
    done = huduma_tutor.answer("How many Huduma centres are there?")
    assert word_count(done.body) <= FACTOID_WORDS, done.body


def test_an_llm_answer_gets_the_same_note_with_each_part_cited(huduma_tutor: Tutor) -> None:
    """The model quotes only the newest figure; the lead still says the figures differ, and the older
    figure's passage, which the model did not cite, joins the sources."""
    import re

    def respond(request: dict) -> str:
        human = request["messages"][-1]["content"]
        passages = re.findall(r'<passage n="(\d+)"[^>]*>(.*?)</passage>', human, re.DOTALL)
        n = next(n for n, text in passages if "61 Huduma centres" in text)
        return f"A ministry update in August 2024 put the programme at 61 Huduma centres [{n}]."

    with OpenAIStub(respond) as stub:
        settings = Settings(llm="openai:stub-model", llm_base_url=stub.base_url, llm_timeout_s=5,
                            _env_file=None)  # type: ignore[call-arg]
        llm = Tutor(huduma_tutor.store, huduma_tutor.embeddings, huduma_tutor.retriever.lexical,
                    make_chat_model(settings), "openai:stub-model")
        done = llm.answer("How many Huduma centres are there?")
        plain = llm.answer("What services does a Huduma centre offer?")
    assert done.backend == "openai:stub-model", done.notices
    first = split_sentences(done.body)[0]
    assert first.startswith(FRAME), done.body
    for figure in ("61 Huduma centres", "52 Huduma centres"):
        part = next(p for p in first[len(FRAME):].split(";") if figure in p)
        n = int(part.strip().rstrip(".").rsplit("[", 1)[1].rstrip("]"))
        assert figure in _source_of(done, n)
    assert "put the programme at 61 Huduma centres" in done.body, "the model's own sentence follows the note"
    assert {s.doc_id for s in done.sources} == {"huduma-2021", "huduma-2024"}
    assert FRAME not in plain.reply
