"""The Learn tab: its handlers called directly, then the running app through gradio_client and a browser.

Handlers run on the starter library ingested once per session (``app_services``) with a progress database
of each test's own; the app tests share the session's server, so each uses a learner name of its own.
"""

from __future__ import annotations

import csv
import html
import io
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from accounts import PASSWORD, new_learner, sign_in_page, with_people
from conftest import free_port
from gradio_client import Client

from tests.factories import COUNTY_CLOUD_REVIEW
from tutor import db
from tutor.errors import TutorError
from tutor.learning.cloze import BLANK
from tutor.learning.curriculum import Curriculum, load_curriculum
from tutor.learning.grading import Grade
from tutor.learning.models import Citation
from tutor.learning.progress import ModuleProgress, ProgressStore
from tutor.learning.wording import normalise
from tutor.library.ingestion import Ingestor
from tutor.library.store import ChunkStore
from tutor.settings import Settings
from tutor.ui.app import build_app, launch_app
from tutor.ui.learn import LearnView
from tutor.ui.learn_desk import (
    LIBRARY_MODULE,
    NOT_SAVED,
    LearnDesk,
    Quiz,
    module_choices,
    progress_label,
)
from tutor.ui.render import md_escape
from tutor.ui.services import Services, make_services

pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning", "ignore::FutureWarning", "ignore:.*(no_silent_downcasting|copy keyword).*"
)

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DOCS = ROOT / "docs"


def learner_name() -> str:
    """A learner of this test only (the app tests share one database)."""
    return f"Test Learner {uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def curriculum() -> Curriculum:
    return load_curriculum(ROOT / "corpus")


@pytest.fixture
def progress(settings: Settings, curriculum: Curriculum) -> ProgressStore:
    """Progress in this test's own SQLite file under its data folder."""
    return ProgressStore.from_settings(settings, curriculum)


@pytest.fixture
def desk(curriculum: Curriculum, progress: ProgressStore, app_services: Services) -> LearnDesk:
    """The Learn tab's desk over the ingested starter library and this test's progress database."""
    return LearnDesk(curriculum, progress, app_services.store)


class SignedIn:
    """Whose request the view's handlers are answering (the app takes it from the signed-in account)."""

    name = ""

    def __call__(self) -> str:
        return self.name


@pytest.fixture
def who() -> SignedIn:
    return SignedIn()


@pytest.fixture
def view(desk: LearnDesk, tmp_path: Path, who: SignedIn) -> LearnView:
    with gr.Blocks():
        return LearnView(desk, export_root=tmp_path / "exports", learner=who).build()


def answer_all(desk: LearnDesk, learner: str, module_id: str, right: bool) -> Quiz:
    """Answer every question of a module, all right or all wrong; returns the finished quiz."""
    _, quiz = desk.open_module(learner, module_id)
    while not quiz.finished:
        question = quiz.question
        assert question is not None
        response = question.answer if right else wrong_answer(question)
        quiz = desk.next_question(desk.check(learner, quiz, response).quiz)
    return quiz


def wrong_answer(question: Any) -> str:
    if question.type == "mcq":
        return question.option_letter(next(o for o in question.options if o != question.answer))
    return "something else entirely"


# --- handlers -------------------------------------------------------------------------------------------
def test_the_tab_greets_the_signed_in_learner_and_a_kiosk_visitor(
    desk: LearnDesk, view: LearnView, who: SignedIn
) -> None:
    who_text, note, study_button, modules = view._welcome()
    assert who_text == "Open kiosk: quizzes work, but nothing is saved."
    assert study_button["visible"] is False and "With an account, Mwalimu keeps your progress" in note
    who.name = "Jane Wanjiru"
    who_text, note, study_button, modules = view._welcome()
    assert who_text == "Your answers are saved under **Jane Wanjiru**."
    assert "Progress of **Jane Wanjiru**" in note
    assert study_button["value"] == "Study next: What AI is and isn't" and study_button["visible"]
    assert modules["choices"][0] == ("What AI is and isn't — not started", "what-is-ai")
    assert desk.progress.find_learner("Jane Wanjiru") is None  # looking is not storing


def test_quiz_right_and_wrong_with_explanation_and_source_recorded_in_progress(
    desk: LearnDesk, curriculum: Curriculum
) -> None:
    learner = "Otieno Ouma"
    module, quiz = desk.open_module(learner, "data-governance")
    assert (quiz.title, quiz.module_id, len(quiz.questions)) == (
        module.title,
        module.id,
        len(module.questions),
    )
    first = quiz.question
    assert first is not None and first.type == "mcq"

    with pytest.raises(TutorError, match="Choose an answer first"):
        desk.check(learner, quiz, "")
    wrong = desk.check(learner, quiz, wrong_answer(first))
    note = curriculum.notes[first.citation.doc_id]
    assert not wrong.grade.correct and wrong.saved
    assert "mw-wrong" in wrong.feedback and "Not quite." in wrong.feedback
    assert f"The answer is: <strong>{html.escape(first.answer)}</strong>" in wrong.feedback
    assert f"<p>{html.escape(first.explanation)}</p>" in wrong.feedback
    assert f">{html.escape(note.title)}</a> § {html.escape(first.citation.section)}" in wrong.feedback
    assert f'href="{note.url}"' in wrong.feedback
    assert wrong.quiz.answered and wrong.quiz.right == 0 and wrong.quiz.done == 1
    with pytest.raises(TutorError, match="Next question"):
        desk.check(learner, wrong.quiz, first.answer)  # one answer per question

    quiz = desk.next_question(wrong.quiz)
    assert quiz.index == 1 and not quiz.answered
    second = quiz.question
    assert second is not None
    right = desk.check(
        learner, quiz, second.answer if second.type == "short" else second.option_letter(second.answer)
    )
    assert right.grade.correct and "mw-right" in right.feedback and "Right." in right.feedback
    assert "Source: " in right.feedback and NOT_SAVED not in right.feedback
    assert right.quiz.right == 1 and right.quiz.done == 2

    row = next(p for p in desk.progress.module_progress(learner) if p.module_id == module.id)
    assert (row.attempts, row.correct, row.mastery) == (2, 1, 0.5) and row.last_visit is not None
    assert progress_label(row) == (f"{module.title} — practising: 50% right, 2 answers, last visit today")


def test_short_answers_accept_alternatives_and_answers_without_a_name_are_not_saved(desk: LearnDesk) -> None:
    _, quiz = desk.open_module("", "what-is-ai")
    quiz = desk.next_question(quiz)
    question = quiz.question
    assert question is not None and question.type == "short" and question.accepted
    checked = desk.check("", quiz, f"  {question.accepted[0].upper()} ")
    assert checked.grade.correct and not checked.saved and NOT_SAVED in checked.feedback
    assert desk.progress.learner_count() == 0


def test_the_quiz_ends_with_a_score_and_starts_again(desk: LearnDesk) -> None:
    quiz = answer_all(desk, "Wafula", "cloud-first", right=True)
    assert quiz.finished and quiz.question is None and quiz.right == quiz.done == len(quiz.questions)
    again = desk.next_question(quiz)
    assert again.index == 0 and again.right == 0 and again.question == quiz.questions[0]
    with pytest.raises(TutorError, match="Open a module"):
        desk.check("Wafula", None, "A")


def test_study_next_changes_after_answering(desk: LearnDesk, curriculum: Curriculum) -> None:
    learner = "Achieng Otieno"
    first, second = curriculum.module_ids[:2]
    assert desk.overview(learner).study_next.module_id == first
    answer_all(desk, learner, first, right=True)
    overview = desk.overview(learner)
    assert overview.study_next.module_id == second
    labels = {v: k for k, v in module_choices(desk.overview(learner))}
    assert labels[first].endswith(
        f"mastered: 100% right, {len(curriculum.module(first).questions)} answers, last visit today"
    )
    for module_id in curriculum.module_ids[1:]:
        answer_all(desk, learner, module_id, right=True)
    weakest = curriculum.module_ids[3]
    answer_all(desk, learner, weakest, right=False)
    assert desk.overview(learner).study_next.module_id == weakest
    module, _ = desk.study_next(learner)
    assert module.id == weakest
    assert "3 of your last 10 answers were right (30%)" in desk.overview(learner).study_next.reason


def test_progress_labels_in_plain_words() -> None:
    today = date(2026, 3, 12)
    seen = datetime(2026, 3, 9, 23, 0, tzinfo=UTC)
    assert progress_label(ModuleProgress("m", "Cloud", 0, 0, 0, 0, None), today) == "Cloud — not started"
    assert progress_label(ModuleProgress("m", "Cloud", 0, 0, 0, 0, seen), today) == (
        "Cloud — opened 3 days ago, no answers yet"
    )
    row = ModuleProgress("m", "Cloud", 12, 9, 10, 8, seen - timedelta(days=30))
    assert progress_label(row, today) == "Cloud — mastered: 80% right, 12 answers, last visit 7 Feb 2026"
    one = ModuleProgress("m", "Cloud", 1, 0, 1, 0, datetime(2026, 3, 11, 8, 0, tzinfo=UTC))
    assert progress_label(one, today) == "Cloud — learning: 0% right, 1 answer, last visit yesterday"


def test_the_module_page_shows_objectives_notes_key_terms_and_questions_to_ask(
    view: LearnView, desk: LearnDesk, curriculum: Curriculum, who: SignedIn
) -> None:
    who.name = "Kamau"
    outputs = view._open("governing-ai")
    by_component = dict(zip(view._study_outputs, outputs))
    module = curriculum.module("governing-ai")
    page, about = by_component[view.page], by_component[view.about]
    assert page.startswith(f"## {module.title}") and "### What you will learn" in page
    assert all(f"- {md_escape(o)}" in page for o in module.objectives)
    assert "### Notes it draws on" in about and "### Key terms" in about
    for note in curriculum.notes_for(module):
        assert note.url in about
    for term in module.key_terms:
        entry = curriculum.term(term)
        assert f"- **{term}**" + (f": {md_escape(entry.definition)}" if entry else "") in about
    asks = [by_component[b]["value"] for b in view.ask_buttons if by_component[b]["visible"]]
    assert asks == list(module.ask)
    assert (
        by_component[view.list_view]["visible"] is False and by_component[view.study_view]["visible"] is True
    )
    quiz = by_component[view.quiz]
    assert isinstance(quiz, Quiz) and quiz.module_id == "governing-ai"
    assert "**Question 1 of 8**" in by_component[view.prompt]
    assert desk.overview("Kamau").rows[curriculum.module_ids.index("governing-ai")].last_visit is not None
    with pytest.warns(UserWarning, match="no module called"):
        view._open("no-such-module")


def test_the_check_handler_locks_the_answer_and_offers_the_next_question(
    view: LearnView, curriculum: Curriculum, who: SignedIn
) -> None:
    who.name = "Njoki"
    outputs = dict(zip(view._study_outputs, view._open("what-is-ai")))
    quiz = outputs[view.quiz]
    assert outputs[view.choice]["visible"] and outputs[view.choice]["choices"][0][1] == "A"
    question = quiz.question
    checked = dict(
        zip(view._check_outputs, view._check(question.option_letter(question.answer), "", quiz))
    )
    assert "Right." in checked[view.feedback]
    assert checked[view.choice]["interactive"] is False and checked[view.check_button]["visible"] is False
    assert checked[view.next_button] == {"visible": True, "value": "Next question", "__type__": "update"}
    assert "practising: 100% right, 1 answer" in checked[view.modules]["choices"][0][0]
    following = dict(zip(view._quiz_outputs, view._next(checked[view.quiz])))
    assert following[view.typed]["visible"] and following[view.choice]["visible"] is False
    assert "**Question 2 of 7**" in following[view.prompt] and following[view.feedback] == ""


def test_feedback_escapes_what_documents_say(desk: LearnDesk) -> None:
    citation = Citation(doc_id="uploads/x", section="<b>Scope</b>", title="<script>alert(1)</script>")
    result = Grade(
        correct=False,
        response="a",
        expected="<img src=x onerror=alert(1)>",
        explanation='The passage reads: "**bold** <iframe src=javascript:alert(1)>"',
        citation=citation,
    )
    text = desk.feedback_html(result)
    assert "<script>" not in text and "<img" not in text and "<iframe" not in text and "<b>" not in text
    assert "&lt;script&gt;" in text and "**bold**" in text and "href" not in text


def test_cloze_practice_on_a_document_of_the_starter_library(
    desk: LearnDesk, app_services: Services, curriculum: Curriculum
) -> None:
    learner = "Mutua Kilonzo"
    assert (
        "eCitizen and Gava Mkononi: Kenya's Single Platform for Government Services",
        "kenya-ecitizen",
    ) in desk.documents()
    quiz = desk.practise(learner, "kenya-ecitizen", seed=11)
    assert quiz.title.startswith("Practice: eCitizen") and len(quiz.questions) == 5
    assert quiz.module_id == curriculum.modules_for_note("kenya-ecitizen")[0].id
    for question in quiz.questions:
        assert question.origin == "cloze" and question.prompt.count(BLANK) == 1
        chunk = app_services.store.get([question.citation.chunk_id])[0]
        assert chunk.metadata["doc_id"] == "kenya-ecitizen" == question.citation.doc_id
        sentence = question.prompt.removeprefix("Fill in the blank: ").replace(BLANK, question.answer)
        assert normalise(sentence) in normalise(chunk.text)  # a real passage of the ingested note
    assert [q.id for q in desk.practise(learner, "kenya-ecitizen", seed=11).questions] == [
        q.id for q in quiz.questions
    ]

    first = quiz.question
    checked = desk.check(learner, quiz, first.option_letter(first.answer))
    assert checked.grade.correct and "Right." in checked.feedback
    assert "The passage reads" in checked.feedback and "eCitizen and Gava Mkononi" in checked.feedback
    assert f"§ {html.escape(first.citation.section)}" in checked.feedback
    row = next(p for p in desk.progress.module_progress(learner) if p.module_id == quiz.module_id)
    assert row.attempts == 1 and row.correct == 1
    module_title = curriculum.module(quiz.module_id).title
    assert f"They count towards the module **{module_title}**" in desk.practice_markdown(quiz)
    with pytest.raises(TutorError, match="Choose a document"):
        desk.practise(learner, None)
    with pytest.raises(TutorError, match="no longer in the library"):
        desk.practise(learner, "not-a-document")




def test_practice_on_a_document_outside_the_curriculum_counts_as_library_practice(
    settings: Settings, ingestor: Ingestor, store: ChunkStore, curriculum: Curriculum, progress: ProgressStore
) -> None:
    (settings.corpus_dir / "uploads").mkdir()
    (settings.corpus_dir / "uploads" / "county-cloud-review.md").write_text(COUNTY_CLOUD_REVIEW, encoding="utf-8")
    shutil.copy(ROOT / "corpus" / "kenya-cloud-policy.md", settings.corpus_dir / "kenya-cloud-policy.md")
    assert ingestor.run().count("failed") == 0
    desk = LearnDesk(curriculum, progress, store)
    quiz = desk.practise("Kiprop", "uploads/county-cloud-review", seed=3, n=4)
    assert quiz.module_id == LIBRARY_MODULE and len(quiz.questions) == 4
    assert "library practice" in desk.practice_markdown(quiz)
    question = quiz.question
    checked = desk.check("Kiprop", quiz, question.option_letter(question.answer))
    assert 'href="https://example.org/county-cloud-review"' in checked.feedback
    overview = desk.overview("Kiprop")
    assert [r.module_id for r in overview.others] == [LIBRARY_MODULE]
    assert overview.study_next.module_id == curriculum.module_ids[0]  # practice never hides the modules
    assert all(r.module_id != LIBRARY_MODULE for r in overview.rows)


def test_glossary_search(desk: LearnDesk, curriculum: Curriculum) -> None:
    assert f"The glossary has {len(curriculum.glossary)} terms" in desk.glossary_markdown("  ")
    found = desk.glossary_markdown("rag")
    assert found.startswith("- **Retrieval-augmented generation** (also: RAG): Linking a language model")
    assert "*Source: Generative AI and Large Language Models" in found
    cloud = desk.glossary_markdown("cloud")
    assert "**Cloud-first**" in cloud and "**Public cloud**" in cloud
    assert "No glossary term matches “zzqx”" in desk.glossary_markdown("zzqx")
    assert desk.glossary_markdown("*").startswith("Type a word")  # nothing to search for


def test_export_my_record_as_csv(
    view: LearnView, desk: LearnDesk, curriculum: Curriculum, tmp_path: Path, who: SignedIn
) -> None:
    with pytest.warns(UserWarning, match="This needs an account"):
        update, note = view._export()
    assert update["visible"] is False and "This needs an account" in note
    who.name = "Nobody Yet"
    update, note = view._export()
    assert update["visible"] is False and "Nothing is stored" in note

    learner = "Halima Hassan"
    _, quiz = desk.open_module(learner, "cybersecurity-basics")
    first = desk.check(
        learner,
        quiz,
        quiz.question.answer
        if quiz.question.type == "short"
        else quiz.question.option_letter(quiz.question.answer),
    )
    desk.check(learner, desk.next_question(first.quiz), "wrong on purpose")
    desk.open_module(learner, "cloud-first")
    who.name = "halima hassan"
    update, note = view._export()
    path = Path(update["value"])
    assert update["visible"] and path.is_file() and path.suffix == ".csv" and "ready" in note
    assert path.is_relative_to(tmp_path / "exports") and "halima" not in path.name.lower()
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [r["record"] for r in rows] == ["learner"] + ["module"] * len(curriculum.modules) + ["answer"] * 2
    assert {r["learner"] for r in rows} == {"Halima Hassan"}
    cyber = next(r for r in rows if r["record"] == "module" and r["module_id"] == "cybersecurity-basics")
    assert (cyber["attempts"], cyber["correct"], cyber["mastery"]) == ("2", "1", "0.50")
    cloud = next(r for r in rows if r["record"] == "module" and r["module_id"] == "cloud-first")
    assert cloud["attempts"] == "0" and cloud["last_visit"]
    assert [r["answer_correct"] for r in rows if r["record"] == "answer"] == ["yes", "no"]


def test_delete_my_record_needs_a_confirmation(view: LearnView, desk: LearnDesk, who: SignedIn) -> None:
    learner = "Chebet Rono"
    answer_all(desk, learner, "what-is-ai", right=True)
    answer_all(desk, "Barasa", "what-is-ai", right=False)

    who.name = learner
    confirm, text, note = view._delete_ask()
    assert confirm["visible"] is True and "**Chebet Rono**" in text and "cannot be undone" in text
    assert desk.progress.find_learner(learner) is not None  # asking deletes nothing
    confirm, note = view._cancel_delete()
    assert confirm["visible"] is False and note == "Nothing was deleted."
    assert desk.progress.find_learner(learner) is not None

    outputs = view._delete_confirm()
    assert outputs[0]["visible"] is False and "Deleted" in outputs[1]
    assert outputs[2]["visible"] is False  # the download of the record is gone too
    assert desk.progress.find_learner(learner) is None
    assert desk.progress.export_csv(learner).count("\n") == 1
    assert desk.overview("Barasa").rows[0].attempts == 7  # nobody else's record is touched
    confirm, _, note = view._delete_ask()
    assert confirm["visible"] is False and "Nothing is stored" in note
    assert "Nothing was stored" in desk.delete(learner)


# --- the running app --------------------------------------------------------------------------------------
def _by_prompt(curriculum: Curriculum, prompt_markdown: str) -> Any:
    """The curated question whose prompt the page shows (the page escapes Markdown characters)."""
    shown = prompt_markdown.split("\n\n", 1)[1].replace("\\", "")
    return next(q for _, q in curriculum.questions() if q.prompt == shown)


def test_learn_tab_through_the_running_app(
    staff_server: str, staff_services: Services, curriculum: Curriculum, tmp_path: Path
) -> None:
    learner = new_learner(staff_services)
    client = Client(staff_server, auth=(learner, PASSWORD), verbose=False, download_files=str(tmp_path))

    page, about, prompt, choice, typed, feedback, note, modules = client.predict(
        "digital-public-infrastructure", api_name="/learn_open_module"
    )
    assert f"Progress of **{learner}**" in note, "the signed-in account's progress, with no name typed"
    assert page.startswith("## Digital public infrastructure") and "### Key terms" in about
    question = _by_prompt(curriculum, prompt)
    assert question.id == curriculum.module("digital-public-infrastructure").questions[0].id
    letter = question.option_letter(question.answer)
    assert [c[1] for c in choice["choices"]] == list("ABCD") and choice["visible"] and not typed["visible"]
    feedback, choice, _typed, _note, modules = client.predict(letter, "", api_name="/learn_check_answer")
    title = curriculum.note_title(question.citation.doc_id)
    assert "Right." in feedback and "Source: " in feedback and html.escape(title) in feedback
    label = {v: k for k, v in modules["choices"]}["digital-public-infrastructure"]
    assert "100% right, 1 answer" in label

    progress = ProgressStore(staff_services.engine, curriculum)
    row = next(p for p in progress.module_progress(learner) if p.module_id == "digital-public-infrastructure")
    assert row.attempts == 1 and row.correct == 1

    prompt, choice, _typed, feedback = client.predict(api_name="/learn_next_question")
    assert "**Question 2 of" in prompt and feedback == ""

    assert "Cloud-first" in client.predict("cloud first", api_name="/learn_glossary")
    practice = client.predict("kenya-cloud-policy", api_name="/learn_practise_document")
    assert (
        practice[0].startswith("## Practice: Kenya Cloud Policy") and BLANK.replace("_", "\\_") in practice[2]
    )

    record, message = client.predict(api_name="/learn_export")
    assert record["visible"] and "ready" in message
    rows = list(csv.DictReader(io.StringIO(Path(record["value"]).read_text(encoding="utf-8"))))
    assert rows[0]["learner"] == learner and [r["question_id"] for r in rows if r["record"] == "answer"] == [
        question.id
    ]

    text, message = client.predict(api_name="/learn_delete_ask")
    assert "cannot be undone" in text and progress.find_learner(learner) is not None
    message, record, _, _ = client.predict(api_name="/learn_delete_confirm")
    assert "Deleted" in message and not record["visible"] and progress.find_learner(learner) is None


def answer_on_screen(client: Client, curriculum: Curriculum, prompt: str, right: bool) -> str:
    """Answer the question on the page, right or wrong, through the check endpoint; returns the feedback."""
    question = _by_prompt(curriculum, prompt)
    response = question.answer if right else wrong_answer(question)
    if question.type == "mcq":
        return client.predict(
            response if not right else question.option_letter(response), "", api_name="/learn_check_answer"
        )[0]
    return client.predict(None, response, api_name="/learn_check_answer")[0]


def test_progress_survives_an_app_restart(
    ingested_corpus: Settings,
    embeddings: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    curriculum: Curriculum,
) -> None:
    """Two apps, one after the other, on the same data folder: the second shows what the first recorded."""
    data, corpus = tmp_path / "data", ingested_corpus.corpus_dir
    settings = Settings(data_dir=data, corpus_dir=corpus, auth="password", _env_file=None)  # type: ignore[call-arg]
    learner = "Wanjiku Kariuki"
    module = curriculum.module("cloud-first")
    engines = []

    @contextmanager
    def running_app() -> Iterator[Client]:
        monkeypatch.setattr(db, "_engines", {})  # as in a new process: the engine is built afresh
        services = with_people(make_services(settings, embeddings=embeddings), "password")
        if services.access.users.get(learner) is None:  # type: ignore[union-attr]
            services.access.users.add(learner, "learner", PASSWORD, actor="test")  # type: ignore[union-attr]
        engines.append(services.engine)
        demo = build_app(settings, services)
        _, url, _ = launch_app(demo, settings, port=free_port(), prevent_thread_lock=True)
        try:
            yield Client(url, auth=(learner, PASSWORD), verbose=False)
        finally:
            demo.close()
            services.engine.dispose()

    with running_app() as client:
        prompt = client.predict(module.id, api_name="/learn_open_module")[2]
        assert "Right." in answer_on_screen(client, curriculum, prompt, right=True)
        prompt = client.predict(api_name="/learn_next_question")[0]
        assert "Not quite." in answer_on_screen(client, curriculum, prompt, right=False)

    with running_app() as client:
        note, modules = client.predict(module.id, api_name="/learn_open_module")[-2:]
        label = {v: k for k, v in modules["choices"]}[module.id]
        assert label == f"{module.title} — practising: 50% right, 2 answers, last visit today"
        assert "Why this one: You have not answered any questions" in note  # the first module is still unseen
    assert engines[0] is not engines[1]
    assert (settings.data_dir / "mwalimu.sqlite").is_file()


# --- a real browser ---------------------------------------------------------------------------------------


def _sign_in(page: Any, server: str, learner: str) -> None:
    sign_in_page(page, server, learner)
    page.get_by_role("tab", name="Learn").click()
    page.get_by_text(f"Your answers are saved under {learner}").wait_for()
    assert page.get_by_text(f"Progress of {learner}").is_visible()


@pytest.mark.browser
def test_browser_open_a_module_answer_and_see_the_source(
    browser: Any, staff_server: str, staff_services: Services, curriculum: Curriculum
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    learner = "Amina Wekesa"  # the screenshot shows the name
    ProgressStore(staff_services.engine, curriculum).delete_learner(learner)
    if staff_services.access.users.get(learner) is None:  # type: ignore[union-attr]
        staff_services.access.users.add(learner, "learner", PASSWORD, actor="test")  # type: ignore[union-attr]
    _sign_in(page, staff_server, learner)
    module = curriculum.module("what-is-ai")
    question = module.questions[0]
    assert question.type == "mcq"
    page.locator("#mw-learn-modules label").filter(has_text=module.title).click()
    page.get_by_role("button", name="Open module").click()
    page.locator("#mw-learn-page h2").filter(has_text=module.title).wait_for()
    assert page.get_by_text(question.prompt).is_visible()
    page.locator("#mw-learn-choice label").filter(has_text=question.answer).click()
    page.get_by_role("button", name="Check my answer").click()
    feedback = page.locator(".mw-feedback")
    feedback.wait_for()
    text = feedback.inner_text()
    assert "Right." in text and "Source:" in text and question.citation.section in text
    note = curriculum.notes[question.citation.doc_id]
    assert feedback.locator(f'a[href="{note.url}"][target="_blank"]').count() == 1
    assert page.get_by_role("button", name="Next question").is_visible()
    assert page.get_by_role("button", name=module.ask[0]).is_visible()
    stored = ProgressStore(staff_services.engine, curriculum).module_progress(learner)[0]
    assert (stored.module_id, stored.attempts, stored.correct) == ("what-is-ai", 1, 1)

    DOCS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    height = page.evaluate("document.documentElement.scrollHeight")
    page.screenshot(
        path=str(DOCS / "learn.png"),
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1280, "height": min(height, 1500)},
    )
    page.close()


@pytest.mark.browser
def test_browser_at_phone_width_by_keyboard_then_ask_about_this(
    browser: Any, staff_server: str, staff_services: Services, curriculum: Curriculum
) -> None:
    page = browser.new_page(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    _sign_in(page, staff_server, new_learner(staff_services))
    module = curriculum.module(curriculum.module_ids[0])  # a new learner is sent to the first module
    page.get_by_role("button", name=f"Study next: {module.title}").click()
    page.locator("#mw-learn-page h2").filter(has_text=module.title).wait_for()
    page.get_by_role("button", name="Check my answer").click()  # nothing chosen yet: a warning, no grading
    page.get_by_text("Choose an answer first.").first.wait_for()
    wrong = next(o for o in module.questions[0].options if o != module.questions[0].answer)
    page.locator("#mw-learn-choice label").filter(has_text=wrong).click()
    page.get_by_role("button", name="Check my answer").click()
    page.locator(".mw-feedback.mw-wrong").wait_for()
    page.get_by_role("button", name="Next question").click()

    second = module.questions[1]
    assert second.type == "short"
    box = page.locator("#mw-learn-typed").get_by_role("textbox")
    box.wait_for()
    box.focus()
    page.keyboard.type(second.answer)
    page.keyboard.press("Enter")  # keyboard only: Enter checks the answer
    page.locator(".mw-feedback.mw-right").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (
        "page scrolls sideways"
    )
    quiz_box = page.locator("#mw-learn-quiz").bounding_box()
    about_box = page.locator("#mw-learn-about").bounding_box()
    assert about_box["y"] >= quiz_box["y"] + quiz_box["height"] - 1 and quiz_box["width"] > 300  # stacked

    page.get_by_role("button", name=module.ask[0]).click()  # "Ask about this" sends it to the chat
    page.locator("#mw-source-1").wait_for(timeout=90_000)
    assert module.ask[0] in page.locator("#mw-chatbot").inner_text()
    page.close()


def test_importing_the_tab_does_no_io() -> None:
    import subprocess
    import sys

    code = (
        "import sys, tutor.ui.learn;"
        "assert 'chromadb' not in sys.modules and 'sentence_transformers' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
