"""Reading what a question asks for: its answer type, its names and numbers, and whether a sentence states it."""

from __future__ import annotations

import pytest

from tutor.question import analyse, answer_type, states_answer


@pytest.mark.parametrize(("question", "kind"), [
    ("Within how many hours must a processor tell the controller about a breach?", "duration"),
    ("What is the prison term for exporting civil registration data?", "duration"),
    ("What fine applies under regulation 48?", "amount"),
    ("How much can the Data Commissioner fine our organisation?", "amount"),
    ("When did Kenya's Data Protection Act come into force?", "date"),
    ("In what year was the Act passed?", "date"),
    ("What was Estonia's score for the data-driven public sector dimension?", "number"),
    ("How many countries took part in the 2023 DGI?", "number"),
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
