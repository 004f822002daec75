"""Reading what a question asks for: its answer type, its names and numbers, and whether a sentence states it."""

from __future__ import annotations

import pytest

from tutor.answers.question import analyse, answer_type, states_answer
from tutor.answers.refusal import RefusalPolicy, unknown_names
from tutor.answers.retrieval import Passage


@pytest.mark.parametrize(("question", "kind"), [
    ("Within how many hours must a processor tell the controller about a breach?", "duration"),
    ("What is the prison term for exporting civil registration data?", "duration"),
    ("What fine applies under regulation 48?", "amount"),
    ("How much can the Data Commissioner fine our organisation?", "amount"),
    ("When did Kenya's Data Protection Act come into force?", "date"),
    ("In what year was the Act passed?", "date"),
    ("What was Estonia's score for the data-driven public sector dimension?", "number"),
    ("How many countries took part in the 2023 DGI?", "number"),
    ("How did the United Kingdom score on the User-Driven dimension?", "number"),
    ("How well does Korea rank on open data?", "number"),
    ("How did the ODPC handle the complaint?", "explanation"),
    ("Under the Regulations, when is a data breach taken to carry a real risk of harm?", "other"),
    ("Why does the Govern function matter?", "explanation"),
    ("Can personal data be transferred out of Kenya?", "yesno"),
    ("Who enforces the Data Protection Act?", "person"),
    ("What is an AI system?", "definition"),
])
def test_answer_types(question: str, kind: str) -> None:
    assert answer_type(question) == kind


def test_names_numbers_and_focus() -> None:
    shape = analyse("What was Kenya's score in the OECD OURdata Index 2017?")
    assert shape.factoid and shape.names == ("Kenya", "OECD", "OURdata", "Index") and shape.numbers == ("2017",)
    assert "score" not in " ".join(shape.focus)  # a word naming the answer's kind is not its subject


def test_a_sentence_states_an_answer_only_with_a_value_of_the_kind_asked_for() -> None:
    hours = analyse("Within how many hours must the controller notify the Data Commissioner?")
    context = "Regulations | Notification to the Data Commissioner"
    assert states_answer(hours, "The controller shall notify the Data Commissioner within 72 hours.", context)
    assert not states_answer(hours, "The controller shall notify the Data Commissioner without delay.", context)
    fine = analyse("What fine applies under regulation 48?")
    assert not states_answer(fine, "A fine of up to KSh 5 million applies.", "Regulations, regulation 41")
    assert states_answer(fine, "A fine of up to KSh 5 million applies.", "Regulations, regulation 48")


def test_an_acronym_matches_the_words_it_abbreviates() -> None:
    shape = analyse("How many countries took part in the 2023 DGI?")
    sentence = "The 2023 edition covers 38 countries."
    assert states_answer(shape, sentence, f"2023 OECD Digital Government Index {sentence}")
    assert not states_answer(shape, sentence, f"2023 OECD Open Data Report {sentence}")


def test_an_acronym_spelled_out_in_the_title_is_no_unknown_name_to_the_refusal_policy() -> None:
    """"per the 2023 DGI?" on the report titled "2023 OECD Digital Government Index", whose passages never
    write "DGI", was refused as if it named another subject (r032 of the real-documents set)."""
    question = "What share of countries have used AI to improve internal processes, per the 2023 DGI?"
    text = "66% of countries have used AI to improve internal governmental processes."
    dgi = Passage("c1", text, {"title": "2023 OECD Digital Government Index"}, dense=0.65)
    other = Passage("c2", text, {"title": "2023 OECD Open Data Report"}, dense=0.65)
    assert unknown_names(question, [dgi]) == []
    assert unknown_names(question, [other]) == ["DGI"]
    assert RefusalPolicy().supported(question, [dgi]) and not RefusalPolicy().supported(question, [other])


def test_a_legal_unit_is_matched_as_a_unit_not_as_any_number() -> None:
    fine = analyse("What fine applies under regulation 48 to a company that sends data abroad?")
    assert fine.legal_refs == (("regulation", "48"),)
    sentence = "A company that sends data abroad is liable to a fine of KSh 5 million."
    title = "The Data Protection (General) Regulations, 2021 (extract: regulations 36 to 48)"
    assert not states_answer(fine, sentence, f"{title} reg. 43(1) {sentence}")  # "36 to 48" is not reg. 48
    assert not states_answer(fine, sentence, f"{title} reg. 43(1) notify within 48 hours. {sentence}")
    assert states_answer(fine, sentence, f"{title} reg. 48(2) {sentence}")
    assert states_answer(fine, sentence, f"Regulations Part IX > 48. Offences {sentence}")
    what = analyse("What does section 43 of the Act require?")  # not a value question: only the unit is checked
    assert what.checked and states_answer(what, "Anything at all.", "Act s. 43(1) text")
    assert not states_answer(what, "Anything at all.", "Act s. 41(1) text, 43 days")


def test_an_amount_needs_money_and_a_duration_a_length_of_time() -> None:
    fee = analyse("What fee does the ODPC charge to approve a data sharing agreement?")
    context = "ODPC Data Sharing Code approve agreement charge fee"
    assert not states_answer(fee, "(1) One party shall approve the agreement and charge nothing.", context)
    assert states_answer(fee, "The ODPC charges a fee of KSh 10,000 to approve an agreement.", context)
    term = analyse("What is the prison term for exporting civil registration data?")
    context = "Data Protection Act 2019 civil registration data export"
    assert not states_answer(term, "Exporting civil registration data under the Act of 2019 needs approval.", context)
    assert states_answer(term, "Exporting civil registration data carries imprisonment for ten years.", context)
    assert states_answer(term, "Exporting civil registration data carries a term of 3 years.", context)


def test_a_score_is_a_figure_and_a_coming_date_is_in_the_future() -> None:
    score = analyse("What score did Kenya get in its digital maturity self-assessment?")
    context = "Kenya digital maturity self-assessment"
    assert not states_answer(score, "Kenya can use the six dimensions of digital maturity as a grid.", context)
    assert not states_answer(score, "Kenya's digital maturity work began in 2025.", context)
    assert states_answer(score, "Kenya's digital maturity self-assessment score was 0.61.", context)
    nxt = analyse("When will the next digital maturity report be published?")
    assert nxt.future
    assert not states_answer(nxt, "The digital maturity report was published in 2020.", "report")
    assert states_answer(nxt, "The next digital maturity report will be published in 2027.", "report")


@pytest.mark.parametrize(("question", "entity"), [
    ("Which countries has Kenya's Data Commissioner so far declared to have adequate protection?", "country"),
    ("Which Kenyan counties have signed data sharing agreements with the national government?", "county"),
    ("Which Kenyan ministries have adopted binding corporate rules?", "organisation"),
    ("Which countries are deemed to have appropriate safeguards?", ""),  # a rule: a criterion answers it
    ("Which countries performed best in that dimension?", ""),  # a ranking: a table answers it
    ("What share of countries have used AI?", ""),
])
def test_which_named_things_did_something(question: str, entity: str) -> None:
    assert analyse(question).entity == entity


def test_a_which_question_is_answered_only_by_naming_one_of_them() -> None:
    counties = analyse("Which Kenyan counties have signed data sharing agreements?")
    context = "Kenyan data sharing agreements signed"
    assert not states_answer(counties, "Counties have signed data sharing agreements under the Kenyan code.", context)
    assert states_answer(counties, "Kisumu and Nakuru have signed data sharing agreements, as Kenyan law asks.",
                         context)
    countries = analyse("Which countries has Kenya's Data Commissioner so far declared adequate?")
    context = "Kenya Data Commissioner adequate"
    assert not states_answer(countries, "The Data Commissioner of Kenya has declared no adequate country.", context)
    assert states_answer(countries, "The Data Commissioner has declared Rwanda adequate for Kenya.", context)
    ministries = analyse("Which Kenyan ministries have adopted binding corporate rules?")
    context = "Kenyan binding corporate rules adopted"
    assert not states_answer(ministries, "Kenyan groups of companies adopted binding corporate rules.", context)
    assert states_answer(ministries, "The Ministry of Health has adopted binding corporate rules (Kenyan).", context)
