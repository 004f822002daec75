"""Versions as content staff and officials meet them: the chat's "Answer as of" box over real HTTP, the
Library table's version columns, the source card's version line, and a backdated version.

Real files, real Chroma, the real model, the real Gradio app (``gradio_client`` over HTTP, and one
check in headless chromium). The circular and its two versions come from ``test_versions``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import factories
import pytest
from conftest import free_port
from gradio_client import Client
from helpers import all_chunks
from test_versions import QUESTION, V1, V2, V3, FailingUpsert, circular

from tutor.answers.tutor import Tutor
from tutor.library import versions
from tutor.library.ingestion import Ingestor
from tutor.library.lexical import LexicalCache
from tutor.library.store import ChunkStore
from tutor.settings import Settings
from tutor.ui import library, render
from tutor.ui.app import build_app, launch_app
from tutor.ui.services import Services, make_services

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning",
                                        "ignore:.*(no_silent_downcasting|copy keyword).*")

REVIEW = "How often does the county ICT officer review the cloud hosting register?"


@pytest.fixture
def tutor(store: ChunkStore, embeddings: Any, settings: Settings) -> Tutor:
    return Tutor(store, embeddings, LexicalCache(settings.lexical_dir, store))


@pytest.fixture
def two_versions(ingestor: Ingestor, settings: Settings) -> Ingestor:
    """The circular in force from 2023-01-01, replaced by version 2 from 2025-03-01; a note never changed."""
    circular(settings.corpus_dir, V1, "2023-01-01")
    factories.make_note(settings.corpus_dir / "konza.md")
    assert ingestor.run().failures == []
    circular(settings.corpus_dir, V2, "2025-03-01")
    summary = ingestor.run()
    assert summary.failures == [] and "WARNING" not in summary.text()  # a later date is no news
    return ingestor


@pytest.fixture
def services(two_versions: Ingestor, settings: Settings, store: ChunkStore, embeddings: Any) -> Services:
    return make_services(settings, store=store, embeddings=embeddings)


@pytest.fixture
def server(services: Services, settings: Settings) -> Iterator[str]:
    demo = build_app(settings, services)
    _, url, _ = launch_app(demo, settings, port=free_port(), prevent_thread_lock=True)
    yield url
    demo.close()


def chat(url: str, question: str, **inputs: str) -> tuple[str, str, str, str]:
    """One question from a fresh browser session: (the answer's text, the sources panel, the note, the box)."""
    outputs = Client(url, verbose=False).predict(question, api_name="/chat", **inputs)
    chatbot, box, sources, note = outputs[:4]
    answer = chatbot[-1]["content"][0]["text"] if chatbot and chatbot[-1]["role"] == "assistant" else ""
    return answer, sources, note, box


# --- the chat's "Answer as of" box ------------------------------------------------------------------------
def test_the_chat_answers_as_of_a_date_and_says_the_version_is_superseded(server: str, services: Services) -> None:
    answer, sources, note, _ = chat(server, QUESTION)  # a script that sends the question alone still works
    assert "Form B" in answer and "Form A" not in answer and "earlier version" not in answer
    assert "version 2, in force from 2025-03-01" in sources and "as they stood" not in note

    answer, sources, note, _ = chat(server, QUESTION, as_of="2024-06-30")
    assert "Form A" in answer and "Form B" not in answer
    notes = [line for line in answer.splitlines() if "earlier version" in line]
    assert len(notes) == 1 and "version 1 as of 2023-01-01 (until 2025-03-01), since superseded" in notes[0]
    assert "version 1, in force 2023-01-01 to 2025-03-01, superseded" in sources
    assert "Answered from the documents as they stood on 2024-06-30." in note
    recorded = [r for r in services.audit.rows() if r["channel"] == "chat"]  # type: ignore[union-attr]
    assert {p["version"] for p in recorded[-1]["passages"] if p["doc_id"] == "circular" and p["cited"]} == {1}
    assert [r["as_of"] for r in recorded[-2:]] == [None, "2024-06-30"]


def test_an_unreadable_as_of_date_gives_one_line_and_keeps_the_question(server: str) -> None:
    answer, _, note, box = chat(server, QUESTION, as_of="last June")
    assert answer == "" and box == QUESTION  # nothing answered; the question is back in the box to send again
    assert note.startswith("⚠") and "\n" not in note
    assert "last June" in note and "YYYY-MM-DD" in note and "2024-06-30" in note


def test_the_as_of_box_is_folded_away_under_answer_options(services: Services, settings: Settings) -> None:
    config = build_app(settings, services).get_config_file()
    boxes = [c for c in config["components"] if c["props"].get("elem_id") == "mw-as-of"]
    assert len(boxes) == 1 and boxes[0]["props"]["label"] == "Answer as of (YYYY-MM-DD)"
    options = [c for c in config["components"] if c["props"].get("elem_id") == "mw-answer-options"]
    assert len(options) == 1 and options[0]["props"]["open"] is False


# --- the Library table ------------------------------------------------------------------------------------
def test_the_library_table_shows_versions_dates_and_retired_documents(two_versions: Ingestor, services: Services,
                                                                       settings: Settings) -> None:
    assert library.COLUMNS[-4:] == ["Version", "In force from", "State", "Versions kept"]
    rows = {row[6]: dict(zip(library.COLUMNS, row)) for row in library.documents_table(services)}
    assert all(len(row) == len(library.COLUMNS) for row in rows.values())
    assert [rows["circular.md"][c] for c in library.COLUMNS[-4:]] == [2, "2025-03-01", "current", 2]
    assert rows["konza.md"]["Version"] == 1 and rows["konza.md"]["Versions kept"] == 1
    assert rows["konza.md"]["State"] == "current"

    (settings.corpus_dir / "circular.md").unlink()
    two_versions.run(prune=True)
    retired = {row[6]: dict(zip(library.COLUMNS, row)) for row in library.documents_table(services)}["circular.md"]
    day = services.store.record("circular").retired_on  # type: ignore[union-attr]
    assert day and retired["State"] == f"retired on {day}" and retired["Versions kept"] == 2


# --- a backdated version ----------------------------------------------------------------------------------
def versions_in_force(store: ChunkStore, day: int) -> set[int]:
    return {int(meta["version"]) for _, meta in all_chunks(store).values()
            if meta["doc_id"] == "circular" and versions.in_force(meta, day)}


def test_a_backdated_version_is_current_warned_about_and_ends_the_older_ones(
        two_versions: Ingestor, tutor: Tutor, store: ChunkStore, settings: Settings,
        caplog: pytest.LogCaptureFixture) -> None:
    circular(settings.corpus_dir, V3, "2024-01-01")  # dated before version 2 (2025-03-01)
    with caplog.at_level(logging.WARNING, logger="tutor.library.ingestion"):
        summary = two_versions.run()
    result = next(f for f in summary.files if f.source == "circular.md")
    assert result.action == "updated" and result.warning.startswith(
        "version 3 is dated 2024-01-01, before version 2 (2025-03-01) which it replaces")
    warnings = [line for line in summary.text().splitlines() if line.startswith("WARNING")]
    assert warnings == [f"WARNING circular.md: {result.warning}"]
    assert [r.getMessage() for r in caplog.records if "is dated" in r.getMessage()] == [
        f"circular.md: {result.warning}"]

    # the newest ingested is current, in force from its own date; no day has two versions in force
    record = store.record("circular")
    assert record is not None and (record.version, record.as_of) == (3, "2024-01-01")
    assert [(v["version"], v["as_of"], v["until"]) for v in record.history] == [
        (1, "2023-01-01", "2024-01-01"), (2, "2025-03-01", "2024-01-01")]
    assert {day: versions_in_force(store, day) for day in (20230601, 20240601, 20250601, 20260601)} == {
        20230601: {1}, 20240601: {3}, 20250601: {3}, 20260601: {3}}
    assert "quarter" in tutor.answer(REVIEW).answer
    old = tutor.answer(QUESTION, as_of="2023-06-30")
    assert "Form A" in old.answer and {(s.version, s.until) for s in old.sources} == {(1, "2024-01-01")}
    assert {s.version for s in tutor.answer(QUESTION, as_of="2025-06-30").sources} == {3}


def test_a_failed_backdated_version_leaves_every_version_dated_as_before(
        two_versions: Ingestor, store: ChunkStore, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    before = all_chunks(store), store.record("circular")
    circular(settings.corpus_dir, V3, "2024-01-01")
    monkeypatch.setattr(store, "chunks", FailingUpsert(store.chunks, "zzformczz"))
    summary = two_versions.run()
    monkeypatch.undo()
    assert [f.source for f in summary.failures] == ["circular.md"] and "WARNING" not in summary.text()
    assert (all_chunks(store), store.record("circular")) == before  # version 1 still ends on 2025-03-01


def test_the_source_card_names_the_version_and_its_dates(two_versions: Ingestor, tutor: Tutor) -> None:
    current = render.sources_html(tutor.answer(QUESTION).sources)
    assert "version 2, in force from 2025-03-01" in current and "superseded" not in current
    old = render.sources_html(tutor.answer(QUESTION, as_of="2024-06-30").sources)
    assert "version 1, in force 2023-01-01 to 2025-03-01, superseded" in old


@pytest.mark.browser
def test_the_as_of_option_in_a_real_browser(browser: Any, server: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.goto(server)
    page.get_by_label("Your question").wait_for()
    page.locator("#mw-answer-options").get_by_text("Answer options").click()
    as_of = page.get_by_label("Answer as of (YYYY-MM-DD)")
    as_of.wait_for(state="visible")
    as_of.fill("2024-06-30")
    page.get_by_label("Your question").fill(QUESTION)
    page.keyboard.press("Enter")
    page.locator("#mw-source-1").wait_for(timeout=90_000)
    page.locator("#mw-answer-note").get_by_text("as they stood on 2024-06-30").wait_for(timeout=90_000)
    assert "earlier version" in page.locator("#mw-chatbot").inner_text()
    assert "superseded" in page.locator("#mw-source-1").inner_text()
    page.close()
