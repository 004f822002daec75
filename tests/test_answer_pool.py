"""What the offline answerer may quote from: the covering document first, a long report read by relevance,
and the question's telling words weighed above the words every candidate shares."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tests.factories import make_markdown
from tutor.answers.extractive import (
    ExtractiveAnswerer,
    ExtractiveConfig,
    is_caption,
    term_overlap,
    term_weights,
    unit_ranks,
)
from tutor.answers.retrieval import Passage
from tutor.answers.sources import best_covered_first, by_best_sentence, named_coverage, naming_first
from tutor.answers.tutor import Tutor
from tutor.answers.understand import understand
from tutor.library.embeddings import embed_matrix
from tutor.library.ingestion import Ingestor
from tutor.library.lexical import LexicalCache
from tutor.library.sentence_vectors import SentenceVectors
from tutor.library.store import ChunkStore
from tutor.settings import Settings
from tutor.text import content_terms

COUNTIES = ["Baringo", "Bomet", "Bungoma", "Busia", "Embu", "Garissa", "Homa Bay", "Isiolo", "Kajiado", "Kakamega",
            "Kericho", "Kilifi", "Kirinyaga", "Kisii", "Kitui", "Kwale", "Laikipia", "Lamu", "Machakos", "Makueni",
            "Mandera", "Marsabit", "Meru", "Migori", "Nandi", "Narok", "Nyeri", "Samburu", "Siaya", "Turkana"]


SERVICES = ["birth registration", "land records", "business permits", "tax filing", "health insurance", "school fees",
            "vehicle licensing", "water billing", "pension claims", "passport renewal", "court filing",
            "procurement", "social protection", "agricultural subsidies", "trade licensing", "marriage records",
            "death registration", "police clearance", "student loans", "housing levy", "fisheries permits",
            "tourism levies", "energy connections", "postal addressing"]


def _county_report(folder: Path) -> Path:
    """A long report: one section per county, each with its own figures (the team's invented example)."""
    sections = [f"## {name} County\n\n{name} County opened {10 + i} community digital centres in 2024. "
                f"Its ICT office trained {200 + 7 * i} clerks in records management that year.\n"
                for i, name in enumerate(COUNTIES)]
    body = "# County digital centres report\n\n" + "\n".join(sections)
    return make_markdown(folder / "county-report.md", body, {"title": "County digital centres report 2024",
                                                             "publisher": "Mwalimu team", "year": 2024})


def test_a_long_report_joins_the_answer_by_relevance(settings: Settings, store: ChunkStore, ingestor: Ingestor,
                                                    embeddings: object) -> None:
    ingestor.run([_county_report(settings.corpus_dir)])
    tutor = Tutor(store, embeddings, LexicalCache(settings.lexical_dir, store))  # type: ignore[arg-type]
    record = store.record("county-report")
    assert record is not None and len(record.chunk_ids) > tutor.expand_limit + 5
    first = store.get([record.chunk_ids[0]])[0]
    top = Passage(first.id, first.text, first.metadata, dense=0.5)
    question = "How many community digital centres did Marsabit County open?"
    marsabit = next(h.id for h in store.get(list(record.chunk_ids)) if "Marsabit County opened" in h.text)
    assert marsabit not in record.chunk_ids[: tutor.expand_limit + 1]  # reading in order would never reach it

    rest = tutor._rest_of_top_document([top], question)

    assert marsabit in [p.id for p in rest]
    assert len(rest) <= tutor.expand_limit and first.id not in [p.id for p in rest]
    assert all(p.doc_id == "county-report" for p in rest)
    body = "".join(e.text for e in tutor.ask(question) if hasattr(e, "text"))
    assert "Marsabit County opened 31 community digital centres" in body


def _passage(cid: str, doc: str, text: str, dense: float) -> Passage:
    return Passage(f"{doc}:{cid}", text, {"doc_id": doc, "title": doc.replace("-", " ")}, dense=dense)


def test_the_document_naming_what_is_asked_answers_first() -> None:
    overview = _passage("0", "dgi-note", "The index scores digital government maturity on six dimensions.", 0.62)
    overview_2 = _passage("1", "dgi-note", "Scores run from 0 to 1.", 0.60)
    table = _passage("7", "dgi-report", "United Kingdom | user-driven 0.925 | proactiveness 0.700", 0.48)
    question = "What did the United Kingdom score on the user-driven dimension?"

    ordered = best_covered_first(question, [overview, overview_2, table])

    assert [p.id for p in ordered] == ["dgi-report:7", "dgi-note:0", "dgi-note:1"]
    tie = "What do the scores of the index run from?"
    assert best_covered_first(tie, [overview, overview_2, table]) == [overview, overview_2, table]
    assert best_covered_first(question, [overview, overview_2]) == [overview, overview_2]


def test_the_year_and_names_asked_about_weigh_more_than_a_common_word() -> None:
    """The note on the 2025 results says "score" but not "2023"; the 2023 report says "2023" (in its title)
    but its passages say "performers", not "score": a term count ties them, the names decide."""
    note = _passage("0", "dgi-2025-note", "The United Kingdom scored 0.78; each country gets a score on the "
                    "user-driven dimension.", 0.63)
    report = Passage("dgi-report:14", "The top performers on the user-driven dimension are the United Kingdom and "
                     "Korea.", {"doc_id": "dgi-report", "title": "2023 Digital Government Index"}, dense=0.57)
    question = "How did the United Kingdom score on the user-driven dimension of the 2023 index?"

    assert named_coverage(question, [report]) > named_coverage(question, [note])
    assert [p.id for p in best_covered_first(question, [note, report])] == ["dgi-report:14", "dgi-2025-note:0"]
    acronym = "What must data sharing be based on, according to the ODPC?"
    meta = {"doc_id": "code", "title": "Data Sharing Code"}
    code = Passage("code:6", "All data sharing must be based on a data request.", meta, dense=0.7)
    published = replace(code, metadata={**meta, "publisher": "Office of the Data Protection Commissioner"})
    assert named_coverage(acronym, [published]) > named_coverage(acronym, [code])  # the publisher spells it out


def test_the_chunks_that_name_everything_asked_come_first() -> None:
    rows = [_passage(str(i), "report", f"{name} (XX): user-driven 0.{i}00; proactiveness 0.{i}50", 0.4)
            for i, name in enumerate(["Norway", "United Kingdom", "Korea"])]
    prose = _passage("9", "report", "The user-driven dimension measures service design.", 0.6)
    question = "How did the United Kingdom score on the user-driven dimension?"

    assert [p.id for p in naming_first(question, [prose, *rows])] == ["report:1", "report:9", "report:0", "report:2"]
    assert naming_first("What does the user-driven dimension measure?", [prose, *rows]) == [prose, *rows]


def _table_report(folder: Path) -> list[Path]:
    """A long report whose county scores sit in a table annex, far from its prose about the dimension, and a
    short note that explains the scores in words: both close to a question on one county's score."""
    prose = [f"## Finding on {service}\n\nThe user-driven dimension of the index rewards service design that starts "
             f"from users' needs; for {service} services, counties improved on it through pilots.\n"
             for service in SERVICES]
    table = "\n".join(f"{name} ({name[:3].upper()}): User-Driven 0.{500 + 7 * i}; Proactiveness 0.{400 + 9 * i}."
                      for i, name in enumerate(COUNTIES))
    body = "# Service design index 2023\n\n" + "\n".join(prose) + "\n## Annex A. County scores\n\n" + table + "\n"
    report = make_markdown(folder / "service-index.md", body, {"title": "Service design index 2023",
                                                               "publisher": "Mwalimu team", "year": 2023})
    note = ("# How to read a user-driven score\n\n"
            + "\n".join(f"## {head}\n\nA county's score on the user-driven dimension of the 2023 index {says}.\n"
                         for head, says in [("Scale", "runs from 0 to 1, where 1 is the most user-driven"),
                                            ("Meaning", "says how far its services start from users' needs"),
                                            ("Limits", "does not say how satisfied users are"),
                                            ("Use", "is a starting point for a conversation with the county")]))
    return [report, make_markdown(folder / "score-note.md", note, {"title": "How to read a user-driven score",
                                                                  "publisher": "Mwalimu team", "year": 2024})]


def test_the_row_of_the_county_asked_about_leads(settings: Settings, store: ChunkStore, ingestor: Ingestor,
                                                 embeddings: object) -> None:
    """A note that explains the scores in words is closer to the question than the table; the report that
    names the county answers, and the row that names it leads, not the note's sentence on the scale."""
    ingestor.run(_table_report(settings.corpus_dir))
    tutor = Tutor(store, embeddings, LexicalCache(settings.lexical_dir, store))  # type: ignore[arg-type]

    done = tutor.answer("How did Kilifi score on the User-Driven dimension of the 2023 index?")

    assert not done.refused, done.answer
    assert done.body.startswith("Kilifi (KIL): User-Driven 0.577"), done.body  # the 12th county: 0.500 + 7 * 11
    assert done.sources[0].doc_id == "service-index"
    assert "runs from 0 to 1" in done.more  # the note's explanation is still there, below


def test_a_name_only_a_long_reports_table_holds_is_not_unknown(settings: Settings, store: ChunkStore,
                                                               ingestor: Ingestor, embeddings: object) -> None:
    """Retrieval's top passages are the report's prose and the note; the county is named only in the
    table, which the top document's chunks that name it bring in: the question is answered, not refused
    as being about a subject the library does not hold, and a county no chunk names still is."""
    report, _ = _table_report(settings.corpus_dir)
    ingestor.run([report])
    tutor = Tutor(store, embeddings, LexicalCache(settings.lexical_dir, store))  # type: ignore[arg-type]
    question = "How did Kilifi score on the User-Driven dimension of the 2023 index?"
    passages = tutor.retriever.retrieve(question)
    top = [p for p in passages if "Kilifi" not in p.text]
    assert top and not tutor.refusal.supported(question, top)  # on the prose alone, "Kilifi" is unknown

    assert tutor._supported(question, top)
    assert not tutor._supported(question.replace("Kilifi", "Mombasa"), top)
    understood = understand(question, [], None)
    assert tutor._states_a_value(understood, top)  # the value check reads the row too


def test_words_every_candidate_shares_weigh_less() -> None:
    generic = [f"A transfer on appropriate safeguards may rest on instrument number {n}." for n in range(9)]
    telling = "The documentation shall include the date, the recipient and the justification."
    terms = [set(content_terms(s)) for s in [*generic, telling]]
    question = set(content_terms("When a transfer relies on appropriate safeguards, what must the documentation contain?"))

    weight = term_weights(question, terms)

    assert weight[content_terms("documentation")[0]] > weight[content_terms("transfer")[0]] > 0
    uniform = {t: 1.0 for t in question}
    ratio = term_overlap(question, terms[-1], weight) / term_overlap(question, terms[0], weight)
    assert ratio > 1.5 * term_overlap(question, terms[-1], uniform) / term_overlap(question, terms[0], uniform)
    assert term_overlap(set(), terms[0], weight) == 0.0


def test_a_passage_close_in_wording_is_quoted_though_far_in_meaning(embeddings: object) -> None:
    phrase = _passage("16", "open-data-report", "OECD mean 0.54 0.63 0.46. Early reformers or trend setters, such as "
                      "Canada and Korea, have implemented their open data policies further.", 0.30)
    topical = _passage("24", "maturity-report", "Countries perform at the middle of the maturity scale on average.", 0.41)
    answerer = ExtractiveAnswerer(embeddings)  # type: ignore[arg-type]

    by_wording = answerer.candidates([replace(phrase, lexical=12.0), replace(topical, lexical=3.0)])
    assert {c.passage_index for c in by_wording} == {0, 1}
    assert {c.passage_index for c in answerer.candidates([phrase, topical])} == {1}  # dense alone leaves it out
    # Another document is not let in by wording alone: its tangential sentences would dilute the citations.
    other = answerer.candidates([replace(topical, lexical=3.0), replace(phrase, lexical=12.0)])
    assert {c.passage_index for c in other} == {0}


def test_headings_and_cut_sentences_do_not_outrank_the_statement(embeddings: object) -> None:
    assert is_caption("OURdata Index: Overall ranking, 2017")
    assert not is_caption("Korea | composite score 0.935 | rank 1")  # a table row holds a figure
    assert not is_caption("Korea ranked first in 2023.")
    text = ("Open data index: overall ranking, 2017\n\n"
            "controller or processor after it became aware of the breach of the open data index.\n\n"
            "a) Whether the open data index ranking covers every OECD member.\n\n"
            "The overall open data index ranking of 2017 put Korea first, France second and Japan third.")
    passage = _passage("12", "open-data-report", text, 0.6)
    question = "What was the overall open data index ranking in 2017?"
    scores, cut = {}, ExtractiveConfig().fragment_penalty
    for penalty in (0.0, cut):
        ranked = ExtractiveAnswerer(embeddings, ExtractiveConfig(fragment_penalty=penalty)  # type: ignore[arg-type]
                                    ).select_scored(question, [passage])[1]
        scores[penalty] = {c.text[:12]: c.score for c in ranked}
    drop = {text: round(scores[0.0][text] - score, 6) for text, score in scores[cut].items()}
    assert drop == {"Open data in": cut, "controller o": cut, "a) Whether t": 0.0, "The overall ": 0.0}
    assert max(scores[cut], key=scores[cut].get) == "The overall "


def test_word_counts_are_ceilings_for_every_words_gate() -> None:
    """A gate on the short answers' median length fails when answers get longer, not shorter."""
    from tutor.eval.gates import check_gates, lower_is_better
    from tutor.eval.runner import SUMMARY_METRICS

    for name, info in SUMMARY_METRICS.items():
        assert lower_is_better(name) is not info.higher_is_better, name
    (gate,) = check_gates({"factoid_words_p50": 29.0}, [("factoid_words_p50", 40.0)])
    assert gate.passed


def _subsection(cid: str, citation: str, text: str) -> Passage:
    doc = "data-protection-regulations"
    return Passage(f"{doc}:{cid}", text, {"doc_id": doc, "citation": citation}, dense=0.6)


def test_subsections_of_one_regulation_share_its_rank(embeddings: object) -> None:
    first = _subsection("3-3", "reg. 41(1)", "(1) A transfer of personal data to another country is based on "
                        "appropriate safeguards where a legal instrument binding the recipient protects the data.")
    other = _subsection("5-5", "reg. 46(1)", "(1) In the absence of appropriate safeguards, a transfer of personal "
                        "data to another country may rest on the consent of the data subject.")
    other2 = _subsection("5-9", "reg. 48", "A transferring entity may enter into a written agreement with the "
                         "recipient of the personal data about the transfer.")
    answer = _subsection("3-4", "reg. 41(2)", "(2) Where a transfer relies on appropriate safeguards, the "
                         "documentation of the transfer shall include the date and time of the transfer and the "
                         "name of the recipient.")
    passages = [first, other, other2, answer]  # the answering subsection joined last, from the rest of the Act
    assert unit_ranks(passages) == [0, 1, 2, 0]
    question = "When a transfer relies on appropriate safeguards, what must the documentation of the transfer contain?"
    ranked = ExtractiveAnswerer(embeddings).select_scored(question, passages)[1]  # type: ignore[arg-type]
    assert ranked[0].passage_index == 3, [c.text[:20] for c in ranked]
    # Without the shared rank, the first subsection's rank bonus outweighs the wording of the answer.
    alone = ExtractiveAnswerer(embeddings).select_scored(  # type: ignore[arg-type]
        question, [first, other, other2, replace(answer, metadata={"doc_id": answer.doc_id})])[1]
    assert alone[0].passage_index == 0


def test_a_long_documents_chunks_join_by_their_best_sentence(embeddings: object) -> None:
    """The ODPC code's case: retrieval within the document put a lone heading and the sharing principles
    ahead of the chunk whose sentence answers, diluted by a table of OCR noise. Fused with the best
    sentence's rank, the answering chunk comes up, and the heading (nothing to quote) goes down."""
    doc = "data-sharing-code"
    heading = _passage("2:0", doc, "INTRODUCTION", 0.81)
    principles = _passage("5:0", doc, "Data sharing should be fair and transparent. Controllers keep records.", 0.73)
    scope = _passage("4:0", doc, "This code applies to the private and the public sector.", 0.70)
    cost = _passage("18:0", doc, "Data for a public emergency is provided free of charge.", 0.69)
    answer = _passage("6-2:1", doc, "Summary table owattemenet | l | ee Yes No. All instances of data sharing must "
                      "be on the basis of a data request as stipulated in Regulation 21 (6).", 0.52)
    office = _passage("1:0", doc, "OFFICE OF THE DATA PROTECTION COMMISSIONER", 0.78)
    filler = _passage("13:0", doc, "Contracts between controllers and processors set out their duties.", 0.70)
    breach = _passage("22:0", doc, "Cross border sharing of personal data follows the Act and its regulations.", 0.63)
    ranked = [heading, principles, scope, cost, filler, answer, breach, office]  # retrieval's order in the document
    # Ingestion keeps vectors of quotable sentences only: the two headings have none.
    sentences = {p.id: [t for t in p.text.split(". ") if len(t.split()) > 4] for p in ranked if "." in p.text}
    stored = {cid: SentenceVectors.of(texts, embed_matrix(embeddings, texts))  # type: ignore[arg-type]
              for cid, texts in sentences.items()}
    query = embed_matrix(embeddings, ["What must every instance of data sharing be based on?"])[0]  # type: ignore[arg-type]

    order = [p.id for p in by_best_sentence(query, ranked, stored)]

    assert order.index(answer.id) < order.index(heading.id) and order.index(answer.id) < ranked.index(answer)
    assert order[-1] == office.id  # no sentence to quote, and last but one in retrieval's order
    assert by_best_sentence(query, ranked, {}) == ranked  # an index without sentence vectors keeps its order
