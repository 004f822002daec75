"""A question's plain words and a regulation's drafting words (tutor/answers/wording.py; issue 14): the
subsection that answers in the drafter's words ("excludes", "shall ascertain") leads, and a condition the
question opens or ends with does not count as what it asks. Sentences are shaped like the Data Protection
(General) Regulations' subsections, in the team's words."""

from __future__ import annotations

import pytest

from tutor.answers.candidates import Candidate
from tutor.answers.lead import enumerates, lead_and_more, predicate_terms
from tutor.answers.understand import understand
from tutor.answers.wording import asked_part, plain_terms


@pytest.mark.parametrize(("question", "asked"), [
    ("When a transfer relies on appropriate safeguards, what must the documentation contain?",
     "what must the documentation contain?"),
    ("Before relying on necessity, what must the transferring entity make sure of?",
     "what must the transferring entity make sure of?"),
    ("Which personal data is left out of the Second Schedule when deciding whether a breach is notifiable?",
     "Which personal data is left out of the Second Schedule?"),
    ("What must every instance of data sharing be based on, according to the ODPC code?",
     "What must every instance of data sharing be based on ?"),
    ("According to the OECD, what are the six dimensions?", "what are the six dimensions?"),
    # The "when" asks here: nothing is cut.
    ("Under the Regulations, when is a data breach notifiable?", "Under the Regulations, when is a data breach notifiable?"),
    ("When was the Act assented to?", "When was the Act assented to?"),
    ("What did the Plan change, and when was it adopted?", "What did the Plan change, and when was it adopted?"),
    ("When did the OECD adopt it, and what does it ask for?", "When did the OECD adopt it, and what does it ask for?"),
    # Cutting the condition would leave nothing to ask about: the question stays whole.
    ("What happens if a breach occurs?", "What happens if a breach occurs?"),
])
def test_the_condition_a_question_opens_or_ends_with_is_not_what_it_asks(question: str, asked: str) -> None:
    assert asked_part(question) == asked


def test_plain_phrases_and_drafting_words_meet_in_one_vocabulary() -> None:
    assert {"exclud", "publish", "ensur", "inform"} <= plain_terms(
        "What is left out, where is it made known, what must it make sure of, and what was the subject told?")
    assert {"exclud", "publish", "ensur", "includ"} <= plain_terms(
        "The Schedule excludes public data; the Commissioner shall publish it and shall ascertain that it contains")
    assert "exclud" not in plain_terms("The list was set out in the Schedule.")


def test_lettered_items_of_a_provision_enumerate() -> None:
    assert enumerates("(3) The data in the Schedule excludes (a) data that is publicly available; or "
                      "(b) data disclosed under a written law.")
    assert not enumerates("(2) The Commissioner may publish the list on its website.")


def test_the_subsection_that_answers_leads_over_the_one_that_restates_the_condition() -> None:
    """Subsection (1) restates the question's condition and ranks first; (2) says what the documentation
    must hold and leads."""
    understood = understand("When a transfer abroad relies on appropriate safeguards, what must the "
                            "documentation of the transfer contain?")
    assert predicate_terms(understood) == {"document", "includ", "transfer"}
    first = Candidate(0, 0, "(1) A transfer of personal data abroad is based on appropriate safeguards where "
                            "(a) a legal instrument containing appropriate safeguards binds the recipient; or "
                            "(b) the controller concludes that appropriate safeguards exist.", 1.0)
    second = Candidate(1, 0, "(2) Where a transfer relies on sub-regulation (1) (a) the transfer shall be "
                             "documented; and (b) the documentation shall include the date and time of the "
                             "transfer and the name of the recipient.", 0.85)
    assert lead_and_more([first, second], [first, second], understood).lead[0] == second


def test_a_drafting_word_for_the_plain_one_makes_the_answering_subsection_lead() -> None:
    understood = understand("Which personal data is left out of the Second Schedule categories when deciding "
                            "whether a breach is notifiable?")
    risk = Candidate(0, 0, "(1) A data breach is taken to result in real risk of harm if it relates to (a) the "
                           "data subject's name and any personal data set out in the Second Schedule; or (b) a "
                           "password or security code of the data subject's account.", 1.0)
    excluded = Candidate(0, 1, "(3) The personal data set out in the Second Schedule excludes (a) personal data "
                               "that is publicly available; or (b) personal data disclosed under a written law.", 0.95)
    assert lead_and_more([risk, excluded], [risk, excluded], understood).lead[0] == excluded
