"""The Gradio app: built by a factory, handlers tested directly, and a real server called with gradio_client.

The starter corpus is ingested once per session (``ingested_corpus``); tests that change a library use
their own empty one (``settings``) with small generated documents.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import pytest
from accounts import PASSWORD, with_people
from conftest import free_port
from factories import make_image_only_pdf, make_note, make_report_pdf, shipped_documents
from gradio_client import Client, handle_file

from tutor.errors import DocumentError, TutorError
from tutor.events import Source
from tutor.settings import Settings
from tutor.ui import chat, chat_feedback, library, render, uploads
from tutor.ui.app import build_app, launch_app
from tutor.ui.chat import EXAMPLES, SIMPLER_PROMPT, SORRY, Frame
from tutor.ui.feedback import FeedbackStore
from tutor.ui.services import Services, make_services

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning",
                                        "ignore:.*(no_silent_downcasting|copy keyword).*")

STAFF = "Chebet Content"  # the content-staff account of tests/accounts.py
ECITIZEN = "How many services are on eCitizen?"


def last(frames: Iterator[Frame]) -> Frame:
    frames = list(frames)
    assert frames, "the handler yielded nothing"
    return frames[-1]


@pytest.fixture
def staff_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"auth": "password"})


@pytest.fixture
def desk(staff_settings: Settings, embeddings: Any) -> Services:
    """Services over an empty library of this test's own, with accounts that sign in by password."""
    return with_people(make_services(staff_settings, embeddings=embeddings), "password")


# --- the factory ----------------------------------------------------------------------------------------
def test_app_builds_with_chat_library_and_ask_api(ingested_corpus: Settings, app_services: Services) -> None:
    demo = build_app(ingested_corpus, app_services)
    assert isinstance(demo, gr.Blocks)
    config = demo.get_config_file()
    labels = {c["props"].get("label") for c in config["components"] if c["type"] == "tabitem"}
    assert {"Chat", "Library"} <= labels
    api_names = {d.get("api_name") for d in config["dependencies"]}
    assert {"ask", "chat", "upload_document", "reingest", "delete_document"} <= api_names
    assert demo._queue.default_concurrency_limit == 4


def test_optional_tabs_plug_in_and_a_broken_one_does_not_break_the_app(
        ingested_corpus: Settings, app_services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    seen: dict[str, Any] = {}
    learn = types.ModuleType("tutor.ui.learn")

    def build_tab(shell: Any) -> None:
        seen["services"] = shell.services
        button = gr.Button("Ask about cloud")
        shell.ask_in_chat(button, "What does Kenya's cloud policy require?")
        seen["status"] = shell.status_text()

    learn.build_tab = build_tab  # type: ignore[attr-defined]
    evaluate = types.ModuleType("tutor.ui.evaluate")

    def broken(shell: Any) -> None:
        raise RuntimeError("half-written tab")

    evaluate.build_tab = broken  # type: ignore[attr-defined]
    monkeypatch.setitem(__import__("sys").modules, "tutor.ui.learn", learn)
    monkeypatch.setitem(__import__("sys").modules, "tutor.ui.evaluate", evaluate)
    config = build_app(ingested_corpus, app_services).get_config_file()
    tabs = [c["props"].get("label") for c in config["components"] if c["type"] == "tabitem"]
    assert tabs == ["Chat", "Learn", "Evaluate", "Library", "People"]
    assert seen["services"] is app_services and seen["status"].startswith(f"Library: {shipped_documents()} documents")
    texts = [str(c["props"].get("value")) for c in config["components"] if c["type"] == "markdown"]
    assert any("The Evaluate tab is not available right now" in t for t in texts)


def test_importing_the_app_does_no_io() -> None:
    import subprocess
    import sys

    code = ("import sys, tutor.ui.app, tutor.ui.chat, tutor.ui.library;"
            "assert 'chromadb' not in sys.modules and 'sentence_transformers' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])


# --- chat handlers ----------------------------------------------------------------------------------------
def test_answer_streams_then_cites_with_sources_panel(app_services: Services) -> None:
    frames = list(chat.respond(app_services, ECITIZEN, []))
    assert len(frames) >= 2
    assert chat.THINKING in frames[0].messages[-1]["content"] and "Looking through" in frames[0].sources
    final = frames[-1]
    assert final.error is None and len(final.turns) == 1
    turn = final.turns[0]
    assert not turn.refused and "[1]" in turn.body and turn.sources
    assert [m["role"] for m in final.messages] == ["user", "assistant"]
    assert "[1]" in final.messages[1]["content"]
    assert "<mark>" in final.sources and 'id="mw-source-1"' in final.sources
    assert "eCitizen" in final.sources and 'rel="noopener noreferrer"' in final.sources
    assert "Answered by **offline (extractive)**" in final.note
    assert 1 <= len(final.suggestions) <= chat.MAX_SUGGESTIONS


def test_follow_up_gets_this_sessions_history(app_services: Services) -> None:
    first = last(chat.respond(app_services, ECITIZEN, []))
    second = last(chat.respond(app_services, "When was it launched?", first.turns))
    assert len(second.turns) == 2 and len(second.messages) == 4
    turn = second.turns[1]
    assert not turn.refused
    assert any("ecitizen" in s.doc_id for s in turn.sources)
    assert chat.history(second.turns)[1] == {"role": "assistant", "content": first.turns[0].body}


def test_explain_more_simply_reasks_the_last_question(app_services: Services) -> None:
    first = last(chat.respond(app_services, "What are the OECD AI principles?", []))
    simpler = last(chat.simplify(app_services, first.turns))
    assert len(simpler.turns) == 2
    turn = simpler.turns[1]
    assert turn.shown == SIMPLER_PROMPT and turn.question == first.turns[0].question
    assert not turn.refused and len(turn.body.split()) <= len(first.turns[0].body.split())
    nothing = last(chat.simplify(app_services, []))
    assert nothing.error and "Ask a question first" in nothing.error and not nothing.turns


def test_unanswerable_question_is_refused_without_sources(app_services: Services) -> None:
    final = last(chat.respond(app_services, "What is the best recipe for chocolate cake?", []))
    assert final.turns[0].refused and not final.turns[0].sources
    assert "No sources" in final.sources and not final.suggestions


@pytest.mark.parametrize("question", [q for qs in EXAMPLES.values() for q in qs])
def test_every_example_question_is_answered(app_services: Services, question: str) -> None:
    done = app_services.tutor.answer(question)
    assert not done.refused and "[1]" in done.body, done.answer


class ScriptedTutor:
    """A tutor that streams a fixed answer in two pieces, with a notice, like an LLM that fell back."""

    def ask(self, question: str, history: Any = (), filters: Any = None, simple: bool = False) -> Iterator[Any]:
        from tutor.events import AnswerDelta, Done, Notice, SourcesEvent

        source = Source(n=1, chunk_id="d:1:0", doc_id="d", title="Note", publisher="KSG", year="2024", page=None,
                        section="Scope", url="https://example.org/n", text="First fact. Second fact.",
                        cited_sentences=("First fact.",))
        yield Notice("The language model did not answer; here is the offline answer instead.")
        yield AnswerDelta("First fact [1].")
        yield AnswerDelta(" Second fact [1].")
        yield SourcesEvent((source,))
        yield Done(answer="First fact [1]. Second fact [1].\n\nSources:\n[1] Note, KSG, 2024, § Scope",
                   body="First fact [1]. Second fact [1].", sources=(source,), retrieved=(source,), refused=False,
                   backend="offline (extractive)", question=question, standalone_question=question,
                   timings_ms={"total_ms": 1234.0}, suggestions=("More?",),
                   notices=("The language model did not answer; here is the offline answer instead.",))


def test_streamed_pieces_and_notices_are_shown(app_services: Services) -> None:
    scripted = dataclasses.replace(app_services, tutor=ScriptedTutor())
    frames = list(chat.respond(scripted, "What are the facts?", []))
    texts = [f.messages[-1]["content"] for f in frames]
    assert texts[1] == "First fact [1]." and texts[2] == "First fact [1]. Second fact [1]."
    final = frames[-1]
    assert "Answered by **offline (extractive)** in 1.2 s." in final.note
    assert "⚠ The language model did not answer" in final.note
    assert "<mark>First fact.</mark> Second fact." in final.sources and final.suggestions == ("More?",)


class BrokenTutor:
    """A tutor whose answer fails halfway, the way a bug or a lost index would."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def ask(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        raise self.exc
        yield  # pragma: no cover

    def status(self) -> dict[str, Any]:
        raise self.exc


@pytest.mark.parametrize("exc, shown", [(RuntimeError("boom at line 12"), SORRY),
                                        (TutorError("The index is locked: try again in a minute."),
                                         "The index is locked: try again in a minute.")])
def test_errors_become_friendly_messages(app_services: Services, exc: Exception, shown: str,
                                         caplog: pytest.LogCaptureFixture) -> None:
    broken = dataclasses.replace(app_services, tutor=BrokenTutor(exc))
    final = last(chat.respond(broken, ECITIZEN, []))
    assert final.error == shown and "Traceback" not in final.note and "boom" not in final.note
    assert final.turns == [] and final.messages == []
    assert any(r.getMessage() for r in caplog.records)


def test_feedback_up_down_reason_and_take_back(app_services: Services) -> None:
    question = "What does Kenya's cloud policy require?"
    turns = last(chat.respond(app_services, question, [])).turns
    store = app_services.feedback
    up = chat_feedback.rate(app_services, turns, {}, 1, True)
    assert not up.ask_reason and store.get(up.ratings[1]).rating == "up"
    down = chat_feedback.rate(app_services, turns, up.ratings, 1, False)
    assert down.ask_reason and down.pending == down.ratings[1]
    assert store.get(up.ratings[1]) is None  # switching thumbs replaces the rating
    note = chat_feedback.send_reason(app_services, down.pending, "unsupported",
                                     "  The figure is not in the source. ")
    assert "saved" in note
    record = store.get(down.pending)
    assert record.rating == "down" and record.reason == "unsupported"
    assert record.comment == "The figure is not in the source."
    assert record.question == question and record.answer == turns[0].answer
    assert record.sources[0]["n"] == 1 and set(record.sources[0]) == SOURCE_KEYS
    assert record.backend == "offline (extractive)" and record.model == "extractive" and record.k == 5
    assert record.id in {r.id for r in store.thumbs_down()}
    undone = chat_feedback.rate(app_services, turns, down.ratings, 1, "")
    assert undone.ratings == {} and store.get(down.pending) is None
    ignored = chat_feedback.rate(app_services, turns, {}, 0, False)  # a user message: nothing to rate
    assert ignored.ratings == {} and not ignored.ask_reason
    with pytest.raises(TutorError, match="Choose a reason"):
        chat_feedback.send_reason(app_services, 123, None, "")


def test_thumbs_down_list_is_newest_first(settings: Settings) -> None:
    from tutor.db import make_engine
    from tutor.ui.feedback import SettingsSnapshot

    store = FeedbackStore(make_engine(settings)).create()
    snap = SettingsSnapshot("offline (extractive)", "extractive", "all-MiniLM-L6-v2", 5)
    ids = [store.add(rating=r, question=f"q{i}", answer="a [1]", sources=[{"n": 1}], refused=False, snapshot=snap,
                     reason="wrong" if r == "down" else None) for i, r in enumerate(["down", "up", "down"])]
    downs = store.thumbs_down()
    assert [r.id for r in downs] == [ids[2], ids[0]]
    assert downs[0].to_dict()["created_at"].endswith("+00:00") and downs[0].reason == "wrong"
    with pytest.raises(ValueError):
        store.add(rating="down", question="q", answer="a", sources=[], refused=False, snapshot=snap, reason="rude")


# --- rendering ------------------------------------------------------------------------------------------
def test_sources_panel_escapes_and_highlights() -> None:
    evil = Source(n=1, chunk_id="x:1:0", doc_id="x", title="<script>alert(1)</script>", publisher="A & B",
                  year="2024", page=3, section="", url="javascript:alert(1)",
                  text="Intro <img src=x onerror=alert(1)>.\nThe cited   sentence is here. Tail ${x}.",
                  cited_sentences=("The cited sentence is here.",))
    html = render.sources_html([evil])
    assert "<script>" not in html and "<img" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html and "href" not in html
    assert "<mark>The cited   sentence is here.</mark>" in html
    assert "A &amp; B · 2024 · p. 3" in html
    good = dataclasses.replace(evil, url="https://example.org/a?b=1&c=2", page=None, section="Scope > Duties")
    html = render.sources_html([good])
    assert 'href="https://example.org/a?b=1&amp;c=2"' in html and "§ Scope &gt; Duties" in html


def test_markdown_from_documents_is_shown_literally() -> None:
    assert render.md_escape("- dial *2222# <b>now</b>") == "\\- dial \\*2222# &lt;b&gt;now&lt;/b&gt;"


def test_status_line_says_what_to_do_when_empty(desk: Services) -> None:
    line = render.status_line(desk.tutor.status())
    assert "python ingest.py" in line and "upload documents" in line
    full = render.status_line({"documents": 35, "chunks": 262, "backend": "offline (extractive)"})
    assert full == "Library: 35 documents · 262 passages · Answers: offline (extractive)"


# --- uploads --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("given, expected", [
    ("../../x.pdf", "x.pdf"), ("..\\..\\windows\\x.PDF", "x.pdf"), ("/etc/passwd", "passwd"),
    (".bashrc.md", "bashrc.md"), ("...", "document"), ("", "document"), ("my report (final) 2024.docx",
                                                                         "my-report-final-2024.docx"),
    ("Ripoti ya Wizara – ñ.txt", "Ripoti-ya-Wizara-n.txt"), ("a/..", "document"), ("x.pdf\x00.txt", "x.pdf.txt"),
])
def test_safe_name(given: str, expected: str) -> None:
    assert uploads.safe_name(given) == expected


def test_traversal_name_lands_inside_the_uploads_folder(staff_settings: Settings, tmp_path: Path) -> None:
    src = make_report_pdf(tmp_path / "incoming" / "report.pdf")
    saved = uploads.save_upload(staff_settings, src, "../../x.pdf")
    corpus = staff_settings.corpus_dir.resolve()
    assert saved.path == corpus / "uploads" / "x.pdf" and saved.source == "uploads/x.pdf" and saved.created
    assert not (corpus.parent / "x.pdf").exists() and not (corpus.parent.parent / "x.pdf").exists()


def test_uploads_never_overwrite_a_different_file(staff_settings: Settings, tmp_path: Path) -> None:
    one = make_note(tmp_path / "a" / "note.md")
    two = make_note(tmp_path / "b" / "note.md", body="# Other\n\nA different note about Konza.\n")
    first = uploads.save_upload(staff_settings, one)
    again = uploads.save_upload(staff_settings, one)
    other = uploads.save_upload(staff_settings, two)
    assert (first.path.name, again.path.name, other.path.name) == ("note.md", "note.md", "note-2.md")
    assert first.created and not again.created and other.created
    assert first.path.read_bytes() == one.read_bytes()


def test_uploads_refuse_a_symlinked_uploads_folder(staff_settings: Settings, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (staff_settings.corpus_dir / "uploads").symlink_to(outside, target_is_directory=True)
    with pytest.raises(DocumentError, match="outside the library folder"):
        uploads.save_upload(staff_settings, make_note(tmp_path / "n.md"))
    assert not any(outside.iterdir())


@pytest.mark.parametrize("name, data, reason", [
    ("fake.pdf", b"this is plain text pretending to be a PDF", "corrupt PDF"),
    ("tool.exe", b"MZ\x90\x00binary", "unsupported file type"),
    ("notes.md", b"\x00\x01\x02\x03binary\x00", "binary content"),
    ("empty.txt", b"", "empty"),
])
def test_uploads_check_type_by_content(staff_settings: Settings, tmp_path: Path, name: str, data: bytes,
                                       reason: str) -> None:
    src = tmp_path / name
    src.write_bytes(data)
    with pytest.raises(DocumentError, match=reason):
        uploads.save_upload(staff_settings, src)
    assert not (staff_settings.corpus_dir / "uploads" / name).exists()


def test_uploads_respect_the_size_limit(staff_settings: Settings, tmp_path: Path) -> None:
    small = staff_settings.model_copy(update={"max_file_mb": 0.001})
    src = make_report_pdf(tmp_path / "report.pdf")
    with pytest.raises(DocumentError, match="file too large"):
        uploads.save_upload(small, src)


def test_upload_metadata_is_kept_for_ingest_py(staff_settings: Settings, tmp_path: Path) -> None:
    meta = uploads.UploadMeta.clean(" County  paper ", "KSG", "2023", "https://example.org/paper")
    pdf = uploads.save_upload(staff_settings, make_report_pdf(tmp_path / "r.pdf"), meta=meta)
    note = uploads.save_upload(staff_settings, make_note(tmp_path / "n.md"), meta=meta)
    from tutor.library.loaders.markdown import split_front_matter
    from tutor.library.metadata import catalog_entry, load_catalog

    entry = catalog_entry(load_catalog(staff_settings.corpus_dir), pdf.source)
    assert entry == {"title": "County paper", "publisher": "KSG", "year": "2023", "url": "https://example.org/paper"}
    front, _ = split_front_matter(note.path.read_text())
    assert front["title"] == "County paper" and front["year"] == 2023 and front["topic"] == "Infrastructure"
    with pytest.raises(DocumentError, match="four digits"):
        uploads.UploadMeta.clean(year="last year")
    with pytest.raises(DocumentError, match="http"):
        uploads.UploadMeta.clean(url="javascript:alert(1)")


# --- the library desk ---------------------------------------------------------------------------------
def test_library_changes_are_refused_at_an_open_kiosk(app_server: str, app_services: Services,
                                                      tmp_path: Path) -> None:
    client = Client(app_server, verbose=False)
    before = app_services.store.count()
    pdf = make_report_pdf(tmp_path / "r.pdf")
    for call in (lambda: client.predict(handle_file(str(pdf)), "", "", "", "", api_name="/upload_document"),
                 lambda: client.predict(False, api_name="/reingest"),
                 lambda: client.predict("x", api_name="/delete_document")):
        with pytest.raises(Exception, match="open kiosk that keeps no records"):
            call()
    assert app_services.store.count() == before
    assert not (app_services.settings.corpus_dir / "uploads").exists()


def test_upload_is_answerable_then_delete_removes_it_for_good(desk: Services, tmp_path: Path) -> None:
    report = library.upload(desk, make_report_pdf(tmp_path / "in" / "paper.pdf"), "County Digital Skills Paper",
                            "Kenya School of Government", "2024", "https://example.org/paper", STAFF)
    assert report.startswith("Added “County Digital Skills Paper” as uploads/paper.pdf")
    assert "1 added" in report and "0 failed" in report
    row = library.documents_table(desk)[0]
    assert row[:4] == ["County Digital Skills Paper", "Kenya School of Government", "2024", 4]
    assert row[6] == "uploads/paper.pdf"
    done = desk.tutor.answer("How many officers were in the pilot cohort of the Nyeri county course?")
    assert not done.refused and "412" in done.body
    assert done.sources[0].title == "County Digital Skills Paper" and done.sources[0].page == 1
    assert "unchanged" in library.upload(desk, make_report_pdf(tmp_path / "in" / "paper.pdf"), actor=STAFF)

    doc_id = library.document_choices(desk)[0][1]
    message = library.delete(desk, doc_id, STAFF)
    assert "Deleted “County Digital Skills Paper”" in message and "moved to" in message
    assert desk.store.count() == 0 and not (desk.settings.corpus_dir / "uploads" / "paper.pdf").exists()
    assert list((desk.settings.data_dir / "deleted").rglob("paper.pdf"))
    assert desk.tutor.answer("How many officers were in the Nyeri pilot cohort?").refused
    again = library.reingest(desk, STAFF)
    assert again.startswith("Ingested 0 file(s)") and desk.store.count() == 0
    with pytest.raises(TutorError, match="no longer in the library"):
        library.delete(desk, doc_id, STAFF)


def test_a_file_that_fails_ingestion_is_reported_and_not_kept(desk: Services, tmp_path: Path) -> None:
    report = library.upload(desk, make_image_only_pdf(tmp_path / "scan.pdf"), actor=STAFF)
    assert report.startswith("Could not add scan.pdf:") and "FAILED uploads/scan.pdf:" in report
    assert not (desk.settings.corpus_dir / "uploads" / "scan.pdf").exists()


def test_reingest_prints_the_cli_summary(desk: Services) -> None:
    make_note(desk.settings.corpus_dir / "konza.md")
    (desk.settings.corpus_dir / "broken.pdf").write_bytes(b"%PDF-1.4 truncated")
    report = library.reingest(desk, STAFF)
    assert report.splitlines()[0].startswith("Ingested 2 file(s)") and "1 added" in report
    assert "FAILED broken.pdf:" in report
    assert library.reingest(desk, STAFF).splitlines()[0].endswith("1 unchanged, 0 removed, 1 failed; 0 chunks "
                                                                      "written.")


# --- a real server, called with gradio_client ---------------------------------------------------------
# DESIGN.md's eight keys, and the citation fields beside them (printed page label, section path, provision, OCR,
# document version, its as-of date and status).
SOURCE_KEYS = {"n", "title", "publisher", "year", "page", "section", "url", "text",
               "page_label", "section_path", "provision", "ocr", "version", "as_of", "status"}


def test_ask_endpoint_returns_a_cited_answer_and_its_sources(app_server: str) -> None:
    client = Client(app_server, verbose=False)
    answer, sources = client.predict(ECITIZEN, api_name="/ask")
    assert isinstance(answer, str) and "[1]" in answer and "Sources:" in answer
    assert isinstance(sources, list) and sources and all(set(s) == SOURCE_KEYS for s in sources)
    assert sources[0]["n"] == 1 and "eCitizen" in sources[0]["title"] and sources[0]["url"].startswith("https://")
    refused, none = client.predict("What is the best recipe for chocolate cake?", api_name="/ask")
    assert none == [] and "doesn't cover" in refused


def test_two_clients_at_once_keep_their_own_history(app_server: str) -> None:
    conversations = {
        "a": [ECITIZEN, "When was it launched?"],
        "b": ["What is the EU AI Act?", "When does it apply?"],
    }
    results: dict[str, list[Any]] = {}
    barrier = threading.Barrier(2)

    def talk(name: str) -> None:
        client = Client(app_server, verbose=False)
        out = []
        for question in conversations[name]:
            barrier.wait(timeout=60)
            out.append(client.predict(question, api_name="/chat"))
        results[name] = out

    threads = [threading.Thread(target=talk, args=(n,)) for n in conversations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert set(results) == {"a", "b"}
    for name, questions in conversations.items():
        chatbot = results[name][-1][0]
        assert [m["role"] for m in chatbot] == ["user", "assistant"] * 2
        asked = [m["content"][0]["text"] for m in chatbot if m["role"] == "user"]
        assert asked == questions
    assert "eCitizen" in results["a"][-1][0][-1]["content"][0]["text"]
    assert "AI Act" in results["b"][-1][0][-1]["content"][0]["text"]


@pytest.fixture
def desk_server(staff_settings: Settings, desk: Services) -> Iterator[str]:
    demo = build_app(staff_settings, desk)
    _, url, _ = launch_app(demo, staff_settings, port=free_port(), prevent_thread_lock=True)
    yield url
    demo.close()


def test_upload_through_the_server_needs_a_content_account(desk_server: str, desk: Services,
                                                          tmp_path: Path) -> None:
    learner = Client(desk_server, auth=("Amina Otieno", PASSWORD), verbose=False)
    pdf = make_report_pdf(tmp_path / "County paper.pdf")
    with pytest.raises(Exception, match="needs the content role; Amina Otieno has the learner role"):
        learner.predict(handle_file(str(pdf)), "County paper", "KSG", "2024", "", api_name="/upload_document")
    assert desk.store.count() == 0 and not (desk.settings.corpus_dir / "uploads").exists()

    client = Client(desk_server, auth=(STAFF, PASSWORD), verbose=False)
    result, table, _, status = client.predict(handle_file(str(pdf)), "County paper", "KSG", "2024",
                                              "https://example.org/p", api_name="/upload_document")
    assert result.startswith("Added “County paper” as uploads/County-paper.pdf"), result
    assert table["data"][0][:3] == ["County paper", "KSG", "2024"]
    assert "1 document · " in status
    answer, sources = client.predict("What does the working paper recommend for algorithmic tools in procurement?",
                                     api_name="/ask")
    assert "[1]" in answer and sources[0]["title"] == "County paper" and sources[0]["page"] == 4


def test_traversal_file_name_through_the_server_lands_in_the_library(desk_server: str, desk: Services,
                                                                     tmp_path: Path) -> None:
    pdf = make_report_pdf(tmp_path / "report.pdf")
    client = Client(desk_server, auth=(STAFF, PASSWORD), verbose=False)
    with httpx.Client(base_url=desk_server, cookies=client.cookies) as http:
        response = http.post("gradio_api/upload",
                             files={"files": ("../../x.pdf", pdf.read_bytes(), "application/pdf")})
    response.raise_for_status()
    server_path = Path(response.json()[0])
    result = client.predict(handle_file(str(server_path)), "", "", "", "", api_name="/upload_document")[0]
    assert "Added" in result, result
    corpus = desk.settings.corpus_dir.resolve()
    stored = [p for p in (corpus / "uploads").iterdir()]
    assert len(stored) == 1 and stored[0].suffix == ".pdf" and stored[0].name.startswith("x")
    assert not (corpus.parent / "x.pdf").exists() and not (corpus.parent.parent / "x.pdf").exists()
    assert {r.source for r in desk.store.records().values()} == {f"uploads/{stored[0].name}"}
