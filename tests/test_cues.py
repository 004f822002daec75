"""What in a sentence answers a yes/no, an explanation or a list question (tutor/answers/cues.py), and how the lead
uses it: each cue checked on sentences from the starter library and the real documents, and the lead's
choice between an on-topic sentence and the one that answers."""

from __future__ import annotations

import pytest

from tutor.answers.candidates import Candidate
from tutor.answers.cues import (
    ANNOUNCE_PENALTY,
    CAUSE_BONUS,
    DECISION_BONUS,
    OWN_NUMBER_BONUS,
    cue,
    decision_words,
)
from tutor.answers.lead import lead_and_more
from tutor.answers.understand import understand

LOCAL = "Does Kenya require all data to be stored locally, according to the article on cross-border transfers?"
ADHERE = ("Before embarking on any cross-border data transfer, data controllers and processors in Kenya must "
          "diligently adhere to the stringent requirements outlined in the Data Protection Act, 2019 [1].")
BLANKET = ("Data localisation: While Kenya does not impose a blanket data localisation requirement, certain "
           "sectors, such as financial institutions, may have specific data residency mandates [2].")


@pytest.mark.parametrize(("question", "decides", "does_not"), [
    (LOCAL, "Kenya does not impose it.", "Controllers must adhere to the Act."),
    ("Can a foreign recipient pass the data on?", "The recipient may not pass it on.", "The Act does apply."),
    ("Is sharing between units counted as data sharing?", "It is not considered data sharing.", "Units must agree."),
    ("According to the ODPC code, must the agreement be in writing?", "It must be in writing.", "It is a code."),
])
def test_a_yes_no_is_decided_in_the_questions_own_terms(question: str, decides: str, does_not: str) -> None:
    words = decision_words(question)
    assert words is not None and words.search(decides) and not words.search(does_not)


def test_the_yes_no_lead_is_the_sentence_that_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    """The "must adhere" sentence holds a modal and ranks first here; the decision in the question's terms
    ("does not impose") is what makes the other one lead. (The article the question names is the source,
    not what it asks, so its words "cross-border transfers" earn the "adhere" sentence nothing.)"""
    understood = understand(LOCAL)
    adhere, blanket = Candidate(0, 0, ADHERE, 1.0), Candidate(1, 0, BLANKET, 0.85)
    assert cue(BLANKET, understood) == DECISION_BONUS and cue(ADHERE, understood) == 0.0
    assert lead_and_more([blanket, adhere], [blanket, adhere], understood).lead[0] == blanket
    monkeypatch.setattr("tutor.answers.cues.DECISION_BONUS", 0.0)
    assert lead_and_more([blanket, adhere], [blanket, adhere], understood).lead[0] == adhere


def test_an_explanation_states_a_cause_and_a_sentence_with_the_asked_year_is_about_it() -> None:
    why = understand("Why do generative AI tools hallucinate?")
    assert cue("They predict the next word rather than look facts up.", why) == CAUSE_BONUS
    assert cue("Generative AI tools can state false things with great confidence.", why) == 0.0
    changed = understand("What changed in Kenya's cybercrimes law in 2025?")
    assert cue("An amendment signed in October 2025 widened the law.", changed) == OWN_NUMBER_BONUS
    version = understand("What is new in NIST CSF 2.0 compared with the original framework?")
    assert cue("CSF 2.0 widens the scope to all organisations.", version) == 0.0, "a version number is a name"


def test_the_lead_of_an_explanation_is_not_an_introduction() -> None:
    understood = understand("What changed in Kenya's cybercrimes law in 2025?")
    intro = Candidate(0, 0, "Kenya's Computer Misuse and Cybercrimes Act (CMCA) is the country's main cybercrime law.",
                      1.0)
    change = Candidate(0, 3, "An amendment signed in October 2025 widened the law and is being challenged in court.",
                       0.73)
    assert lead_and_more([intro, change], [intro, change], understood).lead[0] == change


def test_a_list_is_answered_by_its_items_not_by_their_announcement() -> None:
    understood = understand("What limitations of large language models does the UK generative AI framework warn about?")
    assert understood.question_type == "list"
    assert cue("The UK framework lists further limits of LLMs.", understood) == -ANNOUNCE_PENALTY
    assert cue("LLMs have no personal experience, no emotions and no memory.", understood) == 0.0


def test_doing_questions_ask_for_an_account() -> None:
    assert understand("What is the African Union doing on AI?").question_type == "explanation"
    assert understand("What is phishing?").question_type == "definition"


def test_a_sentence_cut_at_a_chunk_boundary_does_not_lead() -> None:
    """The rest of a legal sentence split across chunks starts with a lower-case word: it cannot open an answer,
    however relevant; a name spelt with a small letter ("eCitizen") can."""
    understood = understand("If we decide not to inform the affected data subjects of a breach, what extra must our "
                            "notice to the Data Commissioner say?")
    cut = Candidate(0, 0, "controller or data processor after the data controller became aware that the data breach "
                          "had occurred, including its assessment that the breach is notifiable.", 1.0)
    whole = Candidate(1, 0, "Where the data controller does not notify the data subjects, the notice to the Data "
                            "Commissioner shall state the grounds for not notifying them.", 0.8)
    assert lead_and_more([cut, whole], [cut, whole], understood).lead[0] == whole
    name = Candidate(0, 0, "eCitizen lists 22,510 services from 583 agencies.", 1.0)
    other = Candidate(1, 0, "Kenya's online services are growing.", 0.8)
    assert lead_and_more([name, other], [name, other], understand("What does eCitizen offer?")).lead[0] == name
