"""The Evaluate tab: handlers called directly, the running app through gradio_client, and a real browser.

A three-question test set (one answerable question that passes, one with a key fact no document states,
so it fails, and one the library should decline) runs against the starter corpus ingested once per session.
The browser test saves ``docs/evaluate.png``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from accounts import BY_ROLE, PASSWORD, sign_in_page
from gradio_client import Client, handle_file

from tutor.ui import evaluate
from tutor.ui.evaluate import EvaluateView, EvaluationError
from tutor.ui.evaluate_results import ALL, COLUMNS, FAILURES, summary_html

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning",
                                        "ignore:.*(no_silent_downcasting|copy keyword).*")

DESIGN_METRICS = ("hit_at_k", "mrr", "key_fact_recall", "citation_precision", "refusal_accuracy",
                  "false_refusal_rate", "latency_p50_ms", "latency_p95_ms")
MISSING_FACT = "a fact that no document states"
ITEMS: list[dict[str, Any]] = [
    {"id": "ecitizen", "question": "How many services are on eCitizen?", "key_facts": ["22,510"],
     "sources": ["kenya-ecitizen"], "topic": "Kenya policy"},
    {"id": "principles", "question": "What are the OECD AI principles?",
     "key_facts": ["values-based | value-based", MISSING_FACT], "sources": ["oecd-ai-principles"],
     "topic": "OECD"},
    {"id": "cake", "question": "What is the best recipe for chocolate cake?", "answerable": False,
     "topic": "Out of scope"},
]


class Recorder:
    """Stands in for ``gr.Progress``: records every update."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, str]] = []

    def __call__(self, value: Any, desc: str = "", **_: Any) -> None:
        self.calls.append((value, desc))


@pytest.fixture(scope="module")
def testset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("testset") / "small set.jsonl"
    path.write_text("\n".join(json.dumps(item) for item in ITEMS) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def finished(app_services: Any, testset: Path) -> tuple[Any, ...]:
    """One run of the handler, shared by the tests that read its outputs."""
    progress = Recorder()
    config = app_services.tutor.retriever.config
    k_before = config.k
    out = EvaluateView(app_services).run(str(testset), 3, "hit_at_k=0.5, key_fact_recall=99%", ALL, progress)
    assert config.k == k_before, "the run changed the retrieval depth of the tutor every chat shares"
    return (*out, progress)


def test_run_shows_verdict_summary_charts_and_saves_reports(finished: tuple[Any, ...], app_services: Any) -> None:
    message, summary, _, files, report, _, progress = finished
    assert message.startswith("Evaluated **3** questions from small set.jsonl"), message
    assert "2 passed every check, 1 failed. ✘ Release gate missed: key_fact_recall 75.0% (needs ≥ 99.0%)." in message
    assert "\n" not in message
    for metric in DESIGN_METRICS:  # a card per DESIGN.md metric, named as the gates and report.json name it
        assert f'data-metric="{metric}"' in summary and f"<code>{metric}</code>" in summary
    assert 'aria-label="Summary metrics"' in summary and 'aria-label="Latency histogram"' in summary
    data = json.loads(Path(files[0]).read_text(encoding="utf-8"))
    data["by_topic"]["<b>Kenya</b>"] = data["by_topic"].pop("Kenya policy")  # text from a test set is escaped
    assert "&lt;b&gt;Kenya&lt;/b&gt;" in summary_html(data) and "<b>Kenya" not in summary_html(data)

    assert [Path(f).name for f in files] == ["report.json", "report.csv", "report.html"]
    folder = Path(files[0]).parent
    assert folder.parent == app_services.settings.data_dir / "eval" and (folder / "testset.jsonl").exists()
    assert set(DESIGN_METRICS) <= set(data["summary"]) and len(data["questions"]) == 3
    assert data["meta"]["k"] == 3 and data["meta"]["testset"] == "small set.jsonl"
    assert {g["metric"]: g["passed"] for g in data["gates"]} == {"hit_at_k": True, "key_fact_recall": False}
    assert data["summary"]["refusal_accuracy"] == 1.0

    assert report.startswith('<iframe title="Evaluation report" sandbox="allow-scripts" srcdoc="&lt;!DOCTYPE html')
    assert "<script" not in report and "&lt;script&gt;" in report  # the page is inert text until the iframe

    assert [v for v, _ in progress.calls[1:]] == [(1, 3), (2, 3), (3, 3)]
    assert progress.calls[-1][1].startswith("Answered 3 of 3")


def test_table_filters_to_failures(finished: tuple[Any, ...]) -> None:
    table, rows = finished[2], finished[5]
    assert len(table) == 3 and all(len(row) == len(COLUMNS) for row in table)
    by_id = {row[1]: row for row in rows}
    assert by_id["ecitizen"][0] == "PASS" and by_id["cake"][0] == "PASS" and by_id["cake"][8] == "declined"
    failures = EvaluateView.filter(rows, FAILURES)
    assert [row[1] for row in failures] == ["principles"]
    assert failures[0][6] == "1/2 ✘" and MISSING_FACT in failures[0][4]
    assert len(EvaluateView.filter(rows, ALL)) == 3 and EvaluateView.filter([], FAILURES) == []


BAD_UPLOADS = [
    ("notes.txt", b'{"question": "What is eCitizen?"}\n', "notes.txt is not a test set file: upload a .jsonl or .csv"),
    ("broken.jsonl", b'{"question": "What is eCitizen?"}\n{"question": "oops",\n',
     "broken.jsonl cannot be used: line 2: not valid JSON"),
    ("empty.jsonl", b"", "empty.jsonl is empty."),
    ("latin.csv", "question\nQu'est-ce que l'État numérique?\n".encode("latin-1"), "latin.csv is not UTF-8 text"),
    ("columns.csv", b"prompt,answer\nWhat is eCitizen?,A portal\n", "has no 'question' column"),
    ("no question.jsonl", b'{"id": "a", "question": ""}\n{"id": "a", "question": "Again?"}\n',
     "line 1: question is empty"),
]


@pytest.mark.parametrize(("name", "content", "expected"), BAD_UPLOADS, ids=[n for n, _, _ in BAD_UPLOADS])
def test_a_bad_upload_gives_a_one_line_error(app_services: Any, tmp_path: Path, name: str, content: bytes,
                                             expected: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(EvaluationError) as caught:
        evaluate.load_upload(path)
    assert expected in str(caught.value) and "\n" not in str(caught.value)
    assert str(tmp_path) not in str(caught.value)  # the server's temporary path is not shown

    message, summary, table, files, report, rows = EvaluateView(app_services).run(str(path), 5, "", ALL, Recorder())
    assert message.startswith("⚠ ") and expected.split(":")[0] in message and "\n" not in message
    assert "Traceback" not in message and (summary, table, files, report, rows) == ("", [], None, "", [])


def test_an_oversized_upload_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evaluate, "MAX_TESTSET_MB", 0.001)
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"question": "x" * 2000}) + "\n", encoding="utf-8")
    with pytest.raises(EvaluationError, match=r"big.jsonl is too large: 0.0 MB \(the limit is 0.001 MB\)"):
        evaluate.load_upload(path)


@pytest.mark.parametrize(("text", "expected"), [
    ("", []),
    ("hit_at_k=0.9, key_fact_recall = 80% ;false_refusal_rate=0.1\nlatency_p95_ms=2500",
     [("hit_at_k", 0.9), ("key_fact_recall", 0.8), ("false_refusal_rate", 0.1), ("latency_p95_ms", 2500.0)]),
])
def test_release_gates_are_parsed(text: str, expected: list[tuple[str, float]]) -> None:
    gates = evaluate.parse_gates(text)
    assert [name for name, _ in gates] == [name for name, _ in expected]
    assert [value for _, value in gates] == pytest.approx([value for _, value in expected])


@pytest.mark.parametrize(("text", "expected"), [
    ("recall=0.9", "unknown metric 'recall'; choose from hit_at_k, mrr"),
    ("hit_at_k", "expects METRIC=VALUE"),
    ("hit_at_k=high", "'high' is not a number"),
    ("hit_at_k=90", "hit_at_k is a share; give a value from 0 to 1 or a percentage"),
])
def test_bad_release_gates_say_what_to_write(text: str, expected: str) -> None:
    with pytest.raises(EvaluationError, match=expected.replace("(", r"\(")):
        evaluate.parse_gates(text)


def test_an_empty_library_is_reported_before_running(settings: Any, embeddings: Any, testset: Path) -> None:
    from tutor.ui.services import make_services

    services = make_services(settings, embeddings=embeddings)
    with pytest.raises(EvaluationError, match="The library is empty"):
        evaluate.run_evaluation(services, testset)


def test_reports_outside_the_served_folders_are_offered_from_a_copy(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    report = tmp_path / "data" / "report.json"
    report.parent.mkdir()
    report.write_text("{}", encoding="utf-8")
    assert evaluate.downloadable([report]) == [str(report)]  # under the temporary folder: served as it is
    served = tmp_path / "served"
    served.mkdir()
    monkeypatch.setattr(evaluate.tempfile, "gettempdir", lambda: str(served))
    [copy] = evaluate.downloadable([report])
    assert Path(copy).parent.parent == served and Path(copy).read_text(encoding="utf-8") == "{}"


# --- the running app ----------------------------------------------------------------------------------
def test_run_evaluation_endpoint(staff_server: str, testset: Path) -> None:
    client = Client(staff_server, auth=(BY_ROLE["evaluator"], PASSWORD), verbose=False)
    message, summary, table, files, _ = client.predict(handle_file(str(testset)), 3, "", FAILURES,
                                                            api_name="/run_evaluation")
    assert message.startswith("Evaluated **3** questions") and "gate" not in message, message
    assert 'data-metric="hit_at_k"' in summary
    assert [row[1] for row in table["data"]] == ["principles"]  # the filter chosen before the run applies
    assert sorted(Path(f).name for f in files) == ["report.csv", "report.html", "report.json"]
    wrong = client.predict(handle_file(str(testset.with_suffix(".jsonl"))), 3, "recall=1", ALL,
                           api_name="/run_evaluation")[0]
    assert wrong.startswith("⚠ Release gates: unknown metric 'recall'")


# --- a real browser -----------------------------------------------------------------------------------
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
DOCS = Path(__file__).resolve().parents[1] / "docs"




@pytest.mark.browser
def test_upload_run_and_read_the_results_in_a_browser(browser: Any, staff_server: str, testset: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in_page(page, staff_server, BY_ROLE["evaluator"])
    page.get_by_role("tab", name="Evaluate").click()
    page.locator("#mw-eval-file input[type=file]").set_input_files(str(testset))
    page.get_by_text("small set.jsonl").first.wait_for()
    page.get_by_label("Release gates (optional)").fill("hit_at_k=0.5, key_fact_recall=99%")
    page.get_by_role("button", name="Run evaluation").click()
    message = page.locator("#mw-eval-message")
    message.get_by_text("Evaluated").wait_for(timeout=120_000)
    assert "2 passed every check, 1 failed" in message.inner_text()
    summary = page.locator("#mw-eval-summary")
    assert summary.locator(".card").count() >= len(DESIGN_METRICS)
    assert summary.locator(".card.fail").count() == 1 and summary.locator("svg").count() >= 2
    table = page.locator("#mw-eval-table")
    page.wait_for_function("() => document.querySelector('#mw-eval-table').innerText.includes('principles')")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "page scrolls sideways"
    page.get_by_label(FAILURES).check()
    page.wait_for_function("() => !document.querySelector('#mw-eval-table').innerText.includes('ecitizen')")
    assert "principles" in table.inner_text()
    page.locator("#mw-eval-downloads").get_by_text("report.html").wait_for()
    DOCS.mkdir(exist_ok=True)
    page.locator("#mw-eval-message").scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, document.querySelector('#mw-eval-file').getBoundingClientRect().top "
                  "+ window.scrollY - 16)")
    page.screenshot(path=str(DOCS / "evaluate.png"), full_page=True)

    page.get_by_text("Full report (every answer").click()
    frame = page.frame_locator("#mw-eval-report iframe")
    frame.get_by_role("heading", name="Mwalimu evaluation report").wait_for()
    frame.get_by_role("button", name="Failures only (1)").click()
    assert frame.locator("details.q:not(.hidden)").count() == 1  # the report's own filter runs in the iframe
    page.close()
