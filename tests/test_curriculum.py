"""The starter library and the curriculum built on it: notes, modules, quiz bank, glossary, grading, cloze.

Everything runs on the real files in ``corpus/``; the cloze tests ingest generated documents into a real
Chroma in ``tmp_path`` with the real embedding model (see ``conftest.py``).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from tests.factories import COUNTY_CLOUD_REVIEW, REPORT_PAGES, make_pdf
from tutor.learning.cloze import BLANK, cloze_from_chunks, generate_cloze
from tutor.learning.curriculum import CURRICULUM_DIR, Curriculum, CurriculumError, load_curriculum
from tutor.learning.grading import Grade, check_options, check_support, grade
from tutor.learning.models import OECD_SKILL_GROUPS, UNESCO_AREAS, Citation, Question
from tutor.learning.wording import normalise
from tutor.library.ingestion import Ingestor
from tutor.library.loaders.markdown import split_front_matter
from tutor.library.store import ChunkStore

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
NOTES = sorted(p for p in CORPUS.glob("*.md"))
FINES = "Fines and remedies (sections 63–65)"
REQUIRED_FIELDS = ("title", "publisher", "year", "url", "topic", "as_of")


@pytest.fixture(scope="module")
def curriculum() -> Curriculum:
    return load_curriculum(CORPUS)


def _section(body: str, heading: str) -> str | None:
    match = re.search(rf"^## {re.escape(heading)}\s*$(.*?)(?=^## |\Z)", body, re.MULTILINE | re.DOTALL)
    return match.group(1).strip() if match else None


def _bank() -> list[tuple[str, str]]:
    """(module id, question id) for every curated question, read straight from the YAML for test ids."""
    data = yaml.safe_load((CORPUS / CURRICULUM_DIR / "quizzes.yaml").read_text(encoding="utf-8"))
    return [(module, q["id"]) for module, questions in data.items() for q in questions]


# --- the notes ----------------------------------------------------------------------------------


def test_the_starter_library_has_at_least_30_notes() -> None:
    assert len(NOTES) >= 30


@pytest.mark.parametrize("path", NOTES, ids=lambda p: p.stem)
def test_note_has_front_matter_sources_and_why_it_matters(path: Path) -> None:
    declared, body = split_front_matter(path.read_text(encoding="utf-8"))
    missing = [f for f in REQUIRED_FIELDS if not str(declared.get(f) or "").strip()]
    assert not missing, f"front matter lacks {missing}"
    urls = declared["url"] if isinstance(declared["url"], list) else [declared["url"]]
    assert all(str(u).startswith(("http://", "https://")) for u in urls)

    sources = _section(body, "Sources")
    assert sources is not None, "no '## Sources' section"
    assert re.search(r"https?://\S+", sources), "the Sources section has no URL"
    for url in urls:  # every URL the front matter declares is a full reference in Sources
        assert str(url) in sources, f"{url} is in the front matter but not in Sources"

    why = _section(body, "Why it matters for your work")
    assert why and len(why.split()) >= 30, "no substantial '## Why it matters for your work' section"

    words = len(body.split())
    assert 400 <= words <= 1500, f"{words} words"


# --- modules, questions, glossary ---------------------------------------------------------------


def test_curriculum_has_enough_modules_mapped_to_unesco_and_oecd(curriculum: Curriculum) -> None:
    assert len(curriculum.modules) >= 8
    assert {m.unesco_area for m in curriculum.modules} == set(UNESCO_AREAS)
    assert {m.oecd_skill_group for m in curriculum.modules} == set(OECD_SKILL_GROUPS)
    titles = " | ".join(m.title.lower() for m in curriculum.modules)
    for topic in (
        "what ai is",
        "generative ai",
        "data protection",
        "cloud",
        "cybersecurity",
        "digital public infrastructure",
        "governing ai",
        "leading digital transformation",
    ):
        assert topic in titles


@pytest.mark.parametrize(
    "module_id",
    [
        m["id"]
        for m in yaml.safe_load((CORPUS / CURRICULUM_DIR / "modules.yaml").read_text(encoding="utf-8"))[
            "modules"
        ]
    ],
)
def test_module_is_complete_and_refers_to_existing_notes(curriculum: Curriculum, module_id: str) -> None:
    module = curriculum.module(module_id)
    assert len(module.objectives) >= 2 and len(module.key_terms) >= 3
    assert all((CORPUS / f"{doc_id}.md").is_file() for doc_id in module.notes)
    assert len(module.questions) >= 6
    assert {q.type for q in module.questions} == {"mcq", "short"}
    cited = {q.citation.doc_id for q in module.questions}
    assert cited <= set(module.notes), f"questions cite notes outside the module: {cited - set(module.notes)}"
    assert [n.title for n in curriculum.notes_for(module)] == [curriculum.note_title(d) for d in module.notes]


def test_every_note_is_taught_by_some_module(curriculum: Curriculum) -> None:
    taught = {doc_id for m in curriculum.modules for doc_id in m.notes}
    assert {p.stem for p in NOTES} <= taught


def test_glossary_has_60_terms_with_existing_source_notes(curriculum: Curriculum) -> None:
    assert len(curriculum.glossary) >= 60
    for entry in curriculum.glossary:
        assert (CORPUS / f"{entry.source}.md").is_file(), entry.term
        assert "\n" not in entry.definition and len(entry.definition) <= 300
    assert len({normalise(g.term) for g in curriculum.glossary}) == len(curriculum.glossary)


def test_glossary_search(curriculum: Curriculum) -> None:
    assert curriculum.search_glossary("DPIA")[0].term == "Data protection impact assessment"  # by alias
    cloud = [g.term for g in curriculum.search_glossary("cloud")]
    starts = [t for t in cloud if t.lower().startswith("cloud")]
    assert {"Cloud computing", "Cloud-first", "Cloud Adoption Committee"} <= set(starts)
    assert (
        cloud[: len(starts)] == starts and "Hybrid cloud" in cloud[len(starts) :]
    )  # prefix before substring
    assert [g.term for g in curriculum.search_glossary("physically stored")] == [
        "Data residency"
    ]  # definition
    assert curriculum.search_glossary("zzzz no such term") == []
    assert (
        curriculum.term("rag") is not None and curriculum.term("rag").term == "Retrieval-augmented generation"
    )


def test_lookups_and_vocabulary(curriculum: Curriculum) -> None:
    question = curriculum.question("dpa-fine")
    assert curriculum.module_of("dpa-fine").id == "data-protection-kenya"
    assert question.citation.doc_id == "kenya-data-protection-act"
    assert [m.id for m in curriculum.modules_for_note("kenya-ecitizen")] == ["digital-public-infrastructure"]
    with pytest.raises(CurriculumError, match="no module"):
        curriculum.module("no-such-module")
    vocabulary = curriculum.vocabulary()
    assert "Data protection impact assessment" in vocabulary and "DPIA" in vocabulary
    assert len(vocabulary[0]) >= len(vocabulary[-1])  # longest first, so long terms win overlaps


# --- every curated answer is supported by its cited section --------------------------------------


@pytest.mark.parametrize(("module_id", "question_id"), _bank(), ids=[q for _, q in _bank()])
def test_quiz_answer_is_supported_by_cited_section(
    curriculum: Curriculum, module_id: str, question_id: str
) -> None:
    question = curriculum.question(question_id)
    assert curriculum.module_of(question_id).id == module_id
    note = curriculum.notes[question.citation.doc_id]
    assert question.citation.section in note.sections, f"no '## {question.citation.section}' in {note.doc_id}"
    text = note.sections[question.citation.section]
    support = check_support(question, text)
    assert support.ok, support.reason
    options = check_options(question, text)
    assert options.ok, options.reason
    assert grade(question, question.answer).correct
    assert all(grade(question, alt).correct for alt in question.accepted)


def _variant(curriculum: Curriculum, question_id: str, **changes: object) -> tuple[Question, str]:
    question = curriculum.question(question_id)
    data = question.model_dump()
    data.update(changes)
    bad = Question.model_validate(data)
    note = curriculum.notes[bad.citation.doc_id]
    return bad, note.sections.get(bad.citation.section, "")


def test_support_check_rejects_deliberately_wrong_items(curriculum: Curriculum) -> None:
    # A wrong date: the cited section never states 2020.
    bad, text = _variant(curriculum, "dpa-in-force", answer="25 Nov 2020", accepted=())
    assert not check_support(bad, text).ok
    # A wrong amount, with plausible evidence: KSh 10 million is not in the section.
    bad, text = _variant(
        curriculum,
        "dpa-fine",
        answer="Up to KSh 10 million or 1% of annual turnover, whichever is lower",
        options=(
            "Up to KSh 10 million or 1% of annual turnover, whichever is lower",
            "Up to KSh 5 million or 2% of annual turnover, whichever is higher",
            "Up to KSh 3 million or 10 years in prison",
            "Up to €35 million or 7% of global turnover",
        ),
        evidence=("KSh 10 million", "1%"),
    )
    assert "never states 10" in check_support(bad, text).reason
    # The right answer under the wrong section.
    bad, text = _variant(
        curriculum,
        "dpa-in-force",
        citation=Citation(doc_id="kenya-data-protection-act", section=FINES),
    )
    assert not check_support(bad, text).ok
    assert curriculum.question_problems(bad)
    # A paraphrased answer with no evidence listed cannot be verified, so it is refused.
    bad, text = _variant(curriculum, "ai-infers-outputs", evidence=())
    assert "no evidence" in check_support(bad, text).reason
    # Evidence that the section lacks: the section speaks of an index of documents, not of laws.
    wrong = (
        "It connects a language model to a searchable index of laws, so the model answers from retrieved text"
    )
    bad, text = _variant(
        curriculum,
        "genai-rag",
        answer=wrong,
        options=(wrong, *curriculum.question("genai-rag").options[1:]),
        evidence=("searchable index of laws", "answers from retrieved text"),
    )
    assert check_support(bad, text).reason == "the section does not contain 'searchable index of laws'"
    # The answer key set to another item the section lists: Respond instead of Recover.
    bad, text = _variant(curriculum, "csf-recover", answer="Respond")
    assert check_support(bad, text).ok  # "Respond" is in the section, so containment alone passes...
    assert not check_options(bad, text).ok  # ...but the section ties "Recover" to the question
    # A section that does not exist.
    bad, _ = _variant(
        curriculum, "dgi-top", citation=Citation(doc_id="oecd-digital-government-index", section="Results")
    )
    assert curriculum.question_problems(bad) == [
        "note 'oecd-digital-government-index' has no '## Results' section"
    ]


def test_evidence_must_come_from_the_answer() -> None:
    with pytest.raises(ValueError, match="not part of the answer"):
        Question(
            id="x",
            type="short",
            prompt="Which body enforces the DPA?",
            answer="ODPC",
            explanation="The ODPC enforces the Data Protection Act.",
            evidence=("High Court",),
            citation=Citation(
                doc_id="kenya-odpc-data-subject-rights", section="Complaints, appeals and compensation"
            ),
        )


def test_support_checks_catch_nearly_every_swapped_answer_key(curriculum: Curriculum) -> None:
    """Mutation test of the checker: make each multiple-choice key point at each wrong option in turn,
    and each short answer take another short question's answer; the checks must catch almost all."""
    caught = total = 0
    for _, question in curriculum.questions():
        note = curriculum.notes[question.citation.doc_id]
        text = note.sections[question.citation.section]
        if question.type == "mcq":
            wrong = [o for o in question.options if o != question.answer]
        else:
            wrong = [
                q.answer
                for _, q in curriculum.questions()
                if q.type == "short" and normalise(q.answer) != normalise(question.answer)
            ][:8]
        for answer in wrong:
            bad = question.model_copy(update={"answer": answer, "evidence": (), "accepted": ()})
            total += 1
            caught += not (check_support(bad, text).ok and check_options(bad, text).ok)
    assert total > 300
    assert caught / total >= 0.95, f"only {caught}/{total} wrong keys caught"


# --- loading errors ------------------------------------------------------------------------------


def _copy_corpus(tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


def test_missing_note_or_section_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    corpus = _copy_corpus(tmp_path)
    (corpus / "kenya-ecitizen.md").unlink()
    with pytest.raises(CurriculumError, match="kenya-ecitizen"):
        load_curriculum(corpus)
    assert load_curriculum(corpus, check=False).problems()


def test_malformed_question_is_refused_naming_file_and_item(tmp_path: Path) -> None:
    corpus = _copy_corpus(tmp_path)
    path = corpus / CURRICULUM_DIR / "quizzes.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["cloud-first"][1]["options"] = data["cloud-first"][1]["options"][:3]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(
        CurriculumError, match=r"quizzes\.yaml: module cloud-first, question #2.*exactly 4 options"
    ):
        load_curriculum(corpus)


def test_missing_curriculum_file_is_reported(tmp_path: Path) -> None:
    corpus = _copy_corpus(tmp_path)
    (corpus / CURRICULUM_DIR / "glossary.yaml").unlink()
    with pytest.raises(CurriculumError, match="glossary.yaml is missing"):
        load_curriculum(corpus)


# --- grading -------------------------------------------------------------------------------------


def test_short_answers_ignore_case_punctuation_articles_and_accept_alternatives(
    curriculum: Curriculum,
) -> None:
    assert grade(curriculum.question("ai-machine-based"), "  Machine BASED. ").correct
    assert grade(curriculum.question("ai-definition-revised-when"), "nov. 2023").correct
    assert grade(curriculum.question("genai-how-many-risks"), "Twelve").correct
    assert grade(curriculum.question("csf-govern"), "the govern function!").correct
    assert grade(curriculum.question("dpa-dpia-section"), "s. 31").correct
    assert not grade(curriculum.question("dpa-dpia-section"), "section 310").correct
    assert not grade(curriculum.question("ai-definition-revised-when"), "November 2024").correct
    assert not grade(curriculum.question("csf-govern"), "").correct
    # a few extra words are fine; a whole list of guesses is not
    assert grade(curriculum.question("odpc-first-commissioner"), "It was Immaculate Kassait").correct
    assert not grade(
        curriculum.question("csf-govern"), "identify protect detect respond recover govern map measure manage"
    ).correct


def test_multiple_choice_accepts_option_text_or_letter(curriculum: Curriculum) -> None:
    question = curriculum.question("csf-recover")
    letter = "ABCD"[question.options.index(question.answer)]
    assert grade(question, question.answer).correct
    assert grade(question, letter.lower()).correct
    wrong = next(o for o in question.options if o != question.answer)
    result = grade(question, wrong)
    assert not result.correct and result.expected == "Recover"
    feedback = result.feedback_markdown(curriculum.note_title(result.citation.doc_id))
    assert "Not quite" in feedback and question.explanation in feedback
    assert "NIST Cybersecurity Framework (CSF) 2.0" in feedback and "§ The six functions" in feedback


def test_feedback_markdown_escapes_what_documents_say() -> None:
    citation = Citation(doc_id="uploads/x", section="<b>Scope</b>", title="<script>alert(1)</script>")
    result = Grade(
        correct=False,
        response="a",
        expected="<img src=x onerror=alert(1)>",
        explanation='The passage reads: "<iframe src=javascript:alert(1)>"',
        citation=citation,
    )
    feedback = result.feedback_markdown()
    assert "<script>" not in feedback and "<img" not in feedback and "<iframe" not in feedback
    assert "<b>" not in feedback and "&lt;script&gt;" in feedback and "&lt;img src=x" in feedback


def test_numbers_match_with_or_without_thousands_separators(curriculum: Curriculum) -> None:
    assert normalise("22,510 services") == normalise("22510 Services.")
    assert normalise("5 per cent") == normalise("5%")
    assert grade(curriculum.question("ecitizen-paybill"), "Paybill 222").correct


# --- cloze questions from ingested documents -----------------------------------------------------



@pytest.fixture
def ingested(settings, ingestor: Ingestor, store: ChunkStore, curriculum: Curriculum) -> ChunkStore:
    (settings.corpus_dir / "county-cloud-review.md").write_text(COUNTY_CLOUD_REVIEW, encoding="utf-8")
    make_pdf(
        settings.corpus_dir / "working-paper.pdf", REPORT_PAGES, title="County Digital Skills Working Paper"
    )
    shutil.copy(CORPUS / "kenya-cloud-policy.md", settings.corpus_dir / "kenya-cloud-policy.md")
    summary = ingestor.run()
    assert summary.count("failed") == 0 and summary.count("added") == 3
    return store


def _assert_cloze_is_grounded(question: Question, store: ChunkStore) -> str:
    """The blanked sentence, with the answer put back, is a passage of the chunk the question cites."""
    assert question.origin == "cloze" and question.type == "mcq"
    assert len(set(question.options)) == 4 and question.answer in question.options
    assert question.prompt.count(BLANK) == 1
    chunk = store.get([question.citation.chunk_id])[0]
    assert chunk.metadata["doc_id"] == question.citation.doc_id
    assert question.citation.chunk_id.startswith(question.citation.doc_id + ":")
    sentence = question.prompt.removeprefix("Fill in the blank: ").replace(BLANK, question.answer)
    assert normalise(sentence) in normalise(chunk.text)
    assert sentence in question.explanation
    for option in question.options:
        if option != question.answer:
            assert f" {normalise(option)} " not in f" {normalise(sentence)} "
            others = [t for cid, t, _ in store.iter_chunks() if cid != question.citation.chunk_id]
            assert any(option.casefold() in t.casefold() for t in others), (
                f"{option!r} is not from another chunk"
            )
    return sentence


def test_cloze_questions_come_from_real_passages_of_an_ingested_document(
    ingested: ChunkStore, curriculum: Curriculum
) -> None:
    questions = generate_cloze(
        ingested, doc_id="county-cloud-review", n=6, seed=7, vocabulary=curriculum.vocabulary()
    )
    assert len(questions) == 6
    sections = {"Background", "What went well", "What needs work"}
    for question in questions:
        _assert_cloze_is_grounded(question, ingested)
        assert question.citation.doc_id == "county-cloud-review"
        assert question.citation.section in sections and question.citation.page is None
        assert question.citation.title == "County Cloud Migration Review"
        if question.kind in {"year", "date", "number", "money", "percent"}:
            assert all(re.search(r"\d", o) for o in question.options), question.options
        if question.kind == "year":
            assert all(re.fullmatch(r"(19|20)\d\d", o) for o in question.options)
        assert grade(question, question.answer).correct
        assert not grade(question, next(o for o in question.options if o != question.answer)).correct
    assert len({q.answer for q in questions}) == len(questions)  # no answer asked twice
    assert len({q.kind for q in questions}) >= 2  # a mix of terms, figures and dates


def test_cloze_on_a_pdf_cites_pages(ingested: ChunkStore, curriculum: Curriculum) -> None:
    questions = generate_cloze(
        ingested, doc_id="working-paper", n=3, seed=1, vocabulary=curriculum.vocabulary()
    )
    assert questions
    for question in questions:
        _assert_cloze_is_grounded(question, ingested)
        chunk = ingested.get([question.citation.chunk_id])[0]
        assert question.citation.page == chunk.metadata["page"] and 1 <= question.citation.page <= len(
            REPORT_PAGES
        )
        assert question.citation.label().endswith(f"p. {question.citation.page}")


def test_cloze_is_deterministic_for_a_seed(ingested: ChunkStore, curriculum: Curriculum) -> None:
    def run(seed: int) -> list[tuple[str, tuple[str, ...]]]:
        return [
            (q.id, q.options)
            for q in generate_cloze(
                ingested, doc_id="county-cloud-review", n=5, seed=seed, vocabulary=curriculum.vocabulary()
            )
        ]

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_cloze_blanks_are_chosen_sensibly() -> None:
    chunks = [
        (
            "a:s:0",
            "The Govern function is new in CSF 2.0 and sits at the centre of the framework.",
            {"doc_id": "a", "section": "S"},
        ),
        (
            "a:s:1",
            "The county laid 480 km of cable in 2021 and another 480 km in 2023 along the roads.",
            {"doc_id": "a", "section": "S"},
        ),
        (
            "b:t:0",
            "Budgets rose by 12 units in 2019, by 35 units in 2020 and by 64 units in 2022 overall.",
            {"doc_id": "b", "section": "T"},
        ),
        (
            "b:t:1",
            "Reviews in 2017 and 2018 counted 77 sites, 150 sites and 905 sites across the region.",
            {"doc_id": "b", "section": "T"},
        ),
    ]
    questions = cloze_from_chunks(chunks[:2], n=5, seed=0, pool=chunks)
    assert [q.kind for q in questions] == [
        "year"
    ]  # one blank per sentence: 2021 or 2023; nothing else qualifies
    for question in questions:
        assert question.answer not in {"2.0", "480"}  # part of the name "CSF 2.0"; repeated in its sentence
        others = [text for cid, text, _ in chunks if cid != question.citation.chunk_id]
        for distractor in (o for o in question.options if o != question.answer):
            assert any(distractor in text for text in others)
            assert distractor not in question.prompt
    assert cloze_from_chunks([], n=3) == []
