"""The cues that make a list, a person, a place and an account question lead with what answers it
(tutor/answers/cues.py, and the sentence forms it reads in tutor/answers/forms.py; issue 14): a list of the thing asked
for, a name of a body or a person, place names, and not a sentence that only says what a document is
about. Each rule is checked on sentences shaped like the development sets' (in the team's words), then
through the lead's choice between two candidates."""

from __future__ import annotations

import pytest

from tutor.answers.candidates import Candidate
from tutor.answers.cues import (
    ABOUT_PENALTY,
    ANNOUNCE_PENALTY,
    FIGURE_BONUS,
    HERE_PENALTY,
    NAME_BONUS,
    OWN_NUMBER_BONUS,
    asked_members,
    cue,
    members,
)
from tutor.answers.forms import asked_years, counts_only, list_form, list_items, names, places
from tutor.answers.lead import echoes, introduces, is_heading, lead_and_more, predicate_terms
from tutor.answers.understand import understand

DIMENSIONS = "What are the dimensions of UNESCO's AI competency framework for students?"


@pytest.mark.parametrize(("text", "items"), [
    ("The four dimensions are human-centred mindset; ethics of AI; AI techniques; and AI system design.", 4),
    ("The core parts are digital identity, digital payments and data exchange.", 3),
    (("The principles contain two parts: five principles for anyone who builds or uses AI, and five "
      "recommendations to governments."), 2),
    ("The framework was published in 2024.", 0),
])
def test_the_items_of_a_list_are_counted_after_where_it_starts(text: str, items: int) -> None:
    """A final "and" after the last comma adds an item; an "or" inside an item does not."""
    assert list_items(text) == items


def test_a_list_of_what_was_asked_scores_by_its_length_and_its_head() -> None:
    asked = {"dimens"}
    four = "The four dimensions are human-centred mindset; ethics of AI; AI techniques; and AI system design."
    assert list_form(four, asked) == pytest.approx(0.75)
    assert list_form("The four levels are understand, apply, create and share.", asked) == 0.0, "not dimensions"
    assert list_form("The UNESCO framework for students is organised in four dimensions.", asked) == 0.0


def test_the_list_that_gives_the_items_leads_though_it_ranks_lower() -> None:
    """The announcing sentence shares more of the question's words and ranks first; the list after it
    takes its subject from it and leads, and a list the ranking did not choose may lead too."""
    understood = understand(DIMENSIONS)
    assert understood.question_type == "list"
    intro = Candidate(0, 0, "The UNESCO AI competency framework for students is organised in four dimensions.", 1.0)
    items = Candidate(0, 1, "The four dimensions are human-centred mindset; ethics of AI; AI techniques and "
                            "applications; and AI system design.", 0.68)
    assert lead_and_more([intro, items], [intro, items], understood).lead[0] == items
    # Not chosen by the ranking (only the introduction was), still at least half as relevant: it leads.
    assert lead_and_more([intro], [intro, items], understood).lead[0] == items


def test_a_list_of_the_wrong_thing_does_not_lead_a_which_question() -> None:
    """"Which countries...": the six dimensions are a list, but not of countries."""
    understood = understand("Which countries performed best in the user-driven dimension of the DGI?")
    dims = Candidate(0, 0, "The six DGI dimensions are digital by design, data-driven public sector, government as "
                           "a platform, open by default, user-driven, and proactiveness.", 1.0)
    assert list_form(dims.text, {"countri", "perform", "best"}) == 0.0
    assert cue(dims.text, understood) <= 0.0


def test_a_series_of_counts_announces_lists_and_gives_none() -> None:
    counts = ("The paper identifies ten priority benefits of AI, ten priority risks of AI, and ten priorities "
              "for policy.")
    assert counts_only(counts)
    assert not counts_only("The ten priority risks include cyberattacks, disinformation and fraud, and power "
                           "concentrated in a few hands.")
    understood = understand("What future AI risks and policy priorities does OECD AI Paper No. 27 identify?")
    assert cue(counts, understood) <= -ANNOUNCE_PENALTY


@pytest.mark.parametrize("about", [
    "The OECD Digital Government Policy Framework describes what a mature digital government looks like.",
    "The working paper looks at how member governments build the digital skills of their civil servants.",
    "The Recommendation tells governments which values and principles should guide AI.",
    "The generative AI work covered here includes a 2023 policy paper and a page of issues.",
])
def test_a_sentence_about_a_text_does_not_answer_an_account(about: str) -> None:
    understood = understand("What does the OECD consider a mature digital government to look like?")
    assert cue(about, understood) <= -ABOUT_PENALTY


def test_a_year_in_a_title_is_not_the_time_asked_about() -> None:
    """"What is in Kenya's National AI Strategy 2025-2030?" names the strategy by its years: a sentence
    giving the period is not about what is in it. "What changed in 2025?" asks about the year."""
    assert asked_years("What is in Kenya's National AI Strategy 2025-2030?", ("2025", "2030")) == []
    assert asked_years("What changed in Kenya's cybercrimes law in 2025?", ("2025",)) == ["2025"]
    assert asked_years("Which OECD countries are missing from the 2017 OURdata Index?", ("2017",)) == []
    assert asked_years("What policy issues did the OECD flag in its 2023 paper?", ("2023",)) == ["2023"]
    understood = understand("What is in Kenya's National AI Strategy 2025-2030?")
    assert cue("Most sources give the period of Kenya's National AI Strategy as 2025–2030.", understood) \
        < OWN_NUMBER_BONUS


@pytest.mark.parametrize(("text", "count", "doer"), [
    ("NC4 also coordinates Kenya's response to cybercrime.", 1, True),
    ("The Act sets up a national body to coordinate the response.", 0, False),
    ("Kenya's Computer Misuse and Cybercrimes Act (CMCA) is the country's main cybercrime law.", 0, False),
    ("Its development was supported by the European Union (EU), GIZ and IDRC, according to City Mirror.", 3, True),
    ("Kenya's first Data Commissioner, Immaculate Kassait, took her oath of office in November 2020.", 2, False),
])
def test_names_of_persons_and_bodies_not_of_laws_or_sources(text: str, count: int, doer: bool) -> None:
    assert names(text, frozenset({"Kenya"}), frozenset({"coordin", "support"})) == (count, doer)


def test_a_who_question_leads_with_the_sentence_that_names_the_body() -> None:
    understood = understand("Which body coordinates the national response to cybercrime in Kenya?")
    assert understood.question_type == "person"
    vague = Candidate(0, 1, "The Computer Misuse and Cybercrimes Act defines offences against computers and sets up "
                            "a national body to coordinate the response.", 1.0)
    named = Candidate(1, 3, "NC4 also coordinates Kenya's response to cybercrime.", 0.76)
    assert cue(vague.text, understood) == -NAME_BONUS
    assert lead_and_more([vague, named], [vague, named], understood).lead[0] == named


def test_a_where_question_leads_with_place_names() -> None:
    understood = understand("Where are the Kenya School of Government campuses?")
    merged = Candidate(0, 2, "The four Government Training Institutes became KSG campuses.", 1.0)
    sites = Candidate(1, 1, "KSG's other campuses are at Mombasa, Matuga, Embu and Baringo.", 0.9)
    assert places(sites.text, frozenset({"Kenya", "School", "Government"})) == 4
    assert places(merged.text, frozenset()) == 0
    assert lead_and_more([merged, sites], [merged, sites], understood).lead[0] == sites


def test_a_sentence_that_restates_the_question_does_not_lead_an_account() -> None:
    """It shares the most words with the question because it adds nothing to them."""
    understood = understand("Why do chatbots sometimes state false things so confidently?")
    restates = Candidate(1, 2, "Generative AI tools can also state false things with great confidence.", 0.83)
    answers = Candidate(0, 2, "NIST uses confabulation to mean output that is stated confidently but is false or "
                              "wrong, and that can mislead users.", 0.86)
    assert echoes(restates.text, understood) and not echoes(answers.text, understood)
    assert lead_and_more([restates, answers], [restates, answers], understood).lead[0] == answers


@pytest.mark.parametrize(("text", "heading"), [
    ("The six dimensions of the DGI, OECD average", True),
    (("Finalisation of the data validation process March-April 2017 • Production of the 2017 Index • Regular "
     "interactions with country delegates and key stakeholders"), True),
    (("Policy levers 54 Requirements for data leadership Yes / No 0.76% (5.30%) institution 56 Requirements for "
     "institutional roles in data"), True),
    (("The Data Commissioner may publish on its website a list of the countries, territories and specified sectors "
     "within that other country"), False),
    ("Nearly all governments scored above the 0.5 mark, with an OECD average of 0.605 (see Figure 2).", False),
])
def test_headings_captions_and_table_rows_are_told_from_sentences(text: str, heading: bool) -> None:
    assert is_heading(text) == heading


def test_a_caption_does_not_lead_a_figure_question() -> None:
    understood = understand("What was the OECD average on the 2023 Digital Government Index?")
    caption = Candidate(0, 1, "The six dimensions of the DGI, OECD average", 0.85)
    figure = Candidate(1, 2, "Nearly all governments scored above the 0.5 mark, situating themselves in the upper "
                             "half of the Index, with an OECD average of 0.605 (see Figure 2).", 0.86)
    assert lead_and_more([caption, figure], [caption, figure], understood).lead[0] == figure


def test_a_sentence_about_the_note_itself_does_not_lead() -> None:
    """"covered here" makes sense only inside the note, whatever the sentence lists."""
    understood = understand("What policy issues did the OECD flag in its 2023 paper on generative AI?")
    assert cue("The work covered here includes a 2023 policy paper, a web page and a 2024 paper.", understood) \
        <= -HERE_PENALTY + OWN_NUMBER_BONUS


def test_a_list_takes_its_subject_and_year_from_the_sentence_that_announces_it() -> None:
    """The list ranks far lower than the note's overview; the sentence before it names the 2023 paper and its
    four issues, so the list is about what was asked and leads."""
    understood = understand("What policy issues did the OECD flag in its 2023 paper on generative AI?")
    overview = Candidate(0, 2, "The OECD generative AI work covered here includes a 2023 policy paper, the OECD.AI "
                               "page on generative AI issues, and a 2024 paper on future AI risks.", 1.0)
    names_four = Candidate(1, 1, "According to published summaries, the 2023 OECD paper names four main policy issues "
                                 "for generative AI.", 0.84)
    four = Candidate(1, 2, "The four issues are shifts in the labour market, copyright and intellectual property "
                           "questions, bias inherited from training data, and misuse to spread disinformation.", 0.35)
    ranked = [overview, names_four, four]
    assert lead_and_more([overview, names_four], ranked, understood).lead[0] == four


def test_advice_to_the_reader_does_not_lead_unless_advice_is_asked() -> None:
    listing = understand("What limitations of large language models does the UK generative AI framework warn about?")
    advice = Candidate(1, 3, "Before wide use, test generative AI tools against the UK framework with varied examples "
                             "from your own office.", 1.0, advice=True)
    limits = Candidate(0, 1, "According to the UK framework, large language models have no personal experience or "
                             "emotions.", 0.9)
    assert lead_and_more([advice, limits], [advice, limits], listing).lead[0] == limits
    asks = understand("Why does the UK framework matter for how we use generative AI tools?")
    assert lead_and_more([advice, limits], [advice, limits], asks).lead[0] == advice


def test_who_and_where_is_led_by_the_sentence_that_answers_both() -> None:
    understood = understand("Who launched the Digital Master Plan, and where?")
    who = Candidate(0, 0, "President Uhuru Kenyatta launched the Digital Master Plan in May 2019.", 1.0)
    both = Candidate(1, 1, "Cabinet Secretary Joe Mucheru launched the Digital Master Plan in April 2022 at the "
                           "Connected Kenya Summit, held in Diani, Kwale County.", 0.9)
    assert places(who.text, frozenset()) == 0, "a month is not a place"
    assert lead_and_more([who, both], [who, both], understood).lead[0] == both


def test_how_far_is_answered_with_a_figure() -> None:
    understood = understand("How far has Kenya actually gone in putting government services online?")
    assert understood.question_type == "explanation"
    launched = Candidate(0, 1, "In June 2023 the government launched Gava Mkononi to bring public services onto "
                               "eCitizen and related channels.", 1.0)
    figure = Candidate(1, 3, "A government update reported in December 2025 put eCitizen at 22,510 services from "
                             "583 agencies.", 0.8)
    assert cue(figure.text, understood) - cue(launched.text, understood) == pytest.approx(FIGURE_BONUS)
    assert lead_and_more([launched, figure], [launched, figure], understood).lead[0] == figure


def test_a_relative_clause_is_not_an_introduction() -> None:
    """"A data controller who is a transferring entity shall..." states a rule; "eCitizen is Kenya's online
    platform..." introduces its subject."""
    assert not introduces("A data controller or data processor who is a transferring entity shall before transferring "
                          "personal data out of Kenya ascertain that the transfer is based on (a) appropriate "
                          "safeguards; (b) an adequacy decision; (c) necessity; or (d) consent.")
    assert introduces("eCitizen is Kenya's online platform for applying for government services.")


def test_what_a_document_says_about_something_is_asked_by_what_follows_about() -> None:
    understood = understand("What does the article on cross-border transfers say about sending civil registration "
                            "data abroad?")
    assert predicate_terms(understood) == {"send", "civil", "registr", "data", "abroad"}
    general = Candidate(0, 2, "Organisations must stay abreast of sector-specific regulations when planning "
                              "cross-border data transfers.", 1.0)
    specific = Candidate(1, 0, "Civil registration data, covering births, deaths, marriages and adoptions, enjoys "
                               "heightened protection under Kenyan law.", 0.7)
    assert lead_and_more([general, specific], [general, specific], understood).lead[0] == specific


def test_an_account_takes_only_a_counted_or_introduced_list() -> None:
    """"What is in the strategy?" does not ask for a list by name: "are" alone does not start one."""
    asked = {"data", "share"}
    loose = ("The scope of data sharing under the Act, 2019 is data shared on a routine basis, where the same data "
             "sets are shared between the same bodies, for the same purpose, and on the same terms.")
    counted = "The three data-sharing models are routine sharing, one-off requests and data pooling."
    assert list_form(loose, asked) > 0 and list_form(loose, asked, announced=True) == 0.0
    assert list_form(counted, asked, announced=True) > 0


def test_a_definition_may_lead_with_the_characteristics_that_define_it() -> None:
    """"Cloud computing is now central to government ICT" is about cloud computing and defines nothing; the
    five characteristics of it (named after its last "of") do."""
    understood = understand("What is cloud computing?")
    assert understood.question_type == "definition"
    central = Candidate(0, 0, "Cloud computing is now central to government ICT, from eCitizen services to data "
                              "centres and AI tools.", 1.0)
    five = Candidate(5, 0, "The five essential characteristics of cloud computing in NIST SP 800-145 are on-demand "
                           "self-service, broad network access, resource pooling, rapid elasticity and measured "
                           "service.", 0.68)
    assert list_form(five.text, {"cloud", "comput"}, announced=True) == 1.0
    assert lead_and_more([central, five], [central, five], understood).lead[0] == five


def test_which_countries_is_answered_by_the_sentence_that_names_them() -> None:
    understood = understand("Which OECD countries are missing from the 2017 OURdata Index?")
    assert asked_members(understood) == "country"
    missing = Candidate(6, 0, "Data were collected for all OECD member countries with the exception of Hungary, "
                              "Iceland and Luxembourg, which did not return the questionnaire.", 0.8)
    timeline = Candidate(0, 0, "The index was produced in 2017 after the data validation with country delegates and "
                               "key stakeholders were complete.", 1.0)
    assert members(missing.text, understood) == 3 and members(timeline.text, understood) == 0
    assert lead_and_more([timeline, missing], [timeline, missing], understood).lead[0] == missing
