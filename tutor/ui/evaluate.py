"""The Evaluate tab: upload a Q&A test set, run it with progress, read the summary, charts and failures,
and download ``report.json``, ``report.csv`` and ``report.html``.

Everything about evaluating lives in :mod:`tutor.eval`; this module only checks the upload, calls
``load_testset``, ``run_testset``, ``check_gates`` and ``write_reports``, and hands what they return to
:mod:`tutor.ui.evaluate_results`, which renders it.

The tab is open to everyone, like the Chat: a run only reads the index (it asks the same questions an
official could ask) and writes its reports to a fresh folder ``<TUTOR_DATA_DIR>/eval/<timestamp>``. What
protects the server is the upload check (``.jsonl``/``.csv`` only, at most ``MAX_TESTSET_MB`` and
``MAX_QUESTIONS``, parsed by the evaluator's own loader) and one evaluation at a time.
"""

from __future__ import annotations

import copy
import csv
import logging
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gradio as gr

from tutor.errors import TutorError
from tutor.eval.gates import check_gates, parse_threshold
from tutor.eval.report import write_reports
from tutor.eval.runner import SUMMARY_METRICS, run_testset
from tutor.eval.testset import TestItem, TestSetError, load_testset
from tutor.ui import render
from tutor.ui.evaluate_results import (
    ALL,
    COLUMN_WIDTHS,
    COLUMNS,
    FAILURES,
    PAGE_STYLE,
    SUMMARY_CSS,
    Outcome,
    filter_rows,
    question_rows,
    report_frame,
    summary_html,
    verdict,
)
from tutor.ui.services import Services

log = logging.getLogger(__name__)

TAB_LABEL = "Evaluate"
SUFFIXES = (".jsonl", ".csv")
MAX_TESTSET_MB = 5.0
#: A run asks every question like an official would (about a second each here): cap it for a shared server.
MAX_QUESTIONS = 500
K_MIN, K_MAX = 1, 20
_MAX_MESSAGE = 400
#: The default that tells Gradio to pass a progress tracker (it makes a fresh one for every call).
_PROGRESS = gr.Progress()
Progress = Callable[[int, int, str], None]


class EvaluationError(TutorError):
    """The evaluation cannot start: the message is one line that says what to fix."""


def one_line(message: str, limit: int = _MAX_MESSAGE) -> str:
    text = " ".join(str(message).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- checking the inputs -----------------------------------------------------------------------------
def load_upload(file: str | Path | None, name: str | None = None) -> list[TestItem]:
    """The uploaded test set's items, or an :class:`EvaluationError` saying what is wrong with the file."""
    if not file:
        raise EvaluationError("Choose a test set first: a .jsonl or .csv file (see docs/evaluation.md).")
    path = Path(file)
    name = name or path.name
    if path.suffix.lower() not in SUFFIXES:
        raise EvaluationError(f"{name} is not a test set file: upload a .jsonl or .csv file.")
    try:
        size = path.stat().st_size
        data = path.read_bytes() if 0 < size <= MAX_TESTSET_MB * 1024 * 1024 else b""
    except OSError as exc:
        raise EvaluationError(f"{name} could not be read ({exc.strerror or exc}); upload it again.") from exc
    if size == 0:
        raise EvaluationError(f"{name} is empty.")
    if size > MAX_TESTSET_MB * 1024 * 1024:
        raise EvaluationError(f"{name} is too large: {size / 1048576:.1f} MB (the limit is {MAX_TESTSET_MB:g} MB).")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise EvaluationError(f"{name} is not UTF-8 text: save it as UTF-8 and upload it again.") from None
    if "\x00" in text:
        raise EvaluationError(f"{name} is not a text file: upload a .jsonl or .csv file.")
    try:
        items = load_testset(path)
    except TestSetError as exc:
        detail = str(exc).replace(f"{path}: ", "").replace(str(path), name)
        raise EvaluationError(one_line(f"{name} cannot be used: {detail}")) from exc
    except (csv.Error, ValueError) as exc:
        raise EvaluationError(one_line(f"{name} cannot be read: {exc}")) from exc
    if len(items) > MAX_QUESTIONS:
        raise EvaluationError(f"{name} has {len(items)} questions; the app runs at most {MAX_QUESTIONS} "
                              "(use `python -m tutor.eval` for larger sets).")
    return items


def parse_gates(text: str | None) -> list[tuple[str, float]]:
    """``"hit_at_k=0.9, false_refusal_rate=10%"`` -> ``[("hit_at_k", 0.9), ("false_refusal_rate", 0.1)]``."""
    cleaned = re.sub(r"\s*=\s*", "=", (text or "").strip())
    gates = []
    for spec in (s for s in re.split(r"[,;\s]+", cleaned) if s):
        percent = spec.endswith("%")
        try:
            metric, threshold = parse_threshold(spec.removesuffix("%"))
        except ValueError as exc:
            raise EvaluationError(f"Release gates: {str(exc).replace('--fail-under', '').strip()} "
                                  "(write METRIC=VALUE, e.g. hit_at_k=0.9).") from None
        if metric not in SUMMARY_METRICS:
            raise EvaluationError(f"Release gates: unknown metric {metric!r}; choose from "
                                  f"{', '.join(SUMMARY_METRICS)}.")
        if percent:
            threshold /= 100
        if SUMMARY_METRICS[metric].unit == "share" and not 0 <= threshold <= 1:
            raise EvaluationError(f"Release gates: {metric} is a share; give a value from 0 to 1 or a percentage "
                                  f"(e.g. {metric}=0.9 or {metric}=90%).")
        gates.append((metric, threshold))
    return gates


def eval_tutor(tutor: Any, k: int) -> Any:
    """The app's tutor with its own retrieval depth ``k``.

    ``run_testset`` sets ``retriever.config.k``; the shared tutor answers every chat, so the run gets a
    shallow copy (same index, model and caches) with a config of its own.
    """
    clone = copy.copy(tutor)
    retriever = getattr(tutor, "retriever", None)
    config = getattr(retriever, "config", None)
    if config is not None:
        clone.retriever = copy.copy(retriever)
        clone.retriever.config = copy.copy(config)
        clone.retriever.config.k = k
    return clone


def reports_folder(settings: Any) -> Path:
    """A new folder ``<data>/eval/<UTC timestamp>`` (with a suffix if that second is taken)."""
    root = Path(settings.data_dir) / "eval"
    root.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    for n in range(1, 100):
        folder = root / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise EvaluationError("Could not create a folder for the reports; try again in a second.")


# --- the run -------------------------------------------------------------------------------------------
def run_evaluation(services: Services, file: str | Path | None, k: float = 5, gates_text: str | None = "",
                   progress: Progress | None = None, name: str | None = None) -> Outcome:
    """Check the inputs, run the test set against the app's index and write the three reports."""
    items = load_upload(file, name)
    thresholds = parse_gates(gates_text)
    k = int(k or 5)
    if not K_MIN <= k <= K_MAX:
        raise EvaluationError(f"k must be between {K_MIN} and {K_MAX}.")
    store = services.store
    if store.count() == 0:
        raise EvaluationError("The library is empty: add documents in the Library tab (or run `python ingest.py`) "
                              "before evaluating.")
    testset = name or Path(str(file)).name
    meta = {"testset": testset, "index": str(services.settings.chroma_url or services.settings.data_dir),
            "chunks": store.count(), "documents": len(store.records()), "source": "app"}
    run = run_testset(eval_tutor(services.tutor, k), items, k=k, embeddings=services.embeddings,
                      progress=progress, show_progress=False, meta=meta, audit=services.audit)
    gates = check_gates(run.summary, thresholds)
    folder = reports_folder(services.settings)
    paths = write_reports(run, folder, gates)
    shutil.copyfile(str(file), folder / f"testset{Path(str(file)).suffix.lower()}")
    log.info("evaluated %s (%d questions, k=%d): reports in %s", testset, len(items), k, folder)
    return Outcome(run, gates, folder, paths, testset)


def downloadable(paths: Sequence[Path]) -> list[str]:
    """Paths Gradio may serve: it only hands out files under the working or temporary folder, so reports
    kept elsewhere (``TUTOR_DATA_DIR=/var/lib/...``) are offered from a temporary copy."""
    roots = [Path.cwd().resolve(), Path(tempfile.gettempdir()).resolve()]
    if all(any(p.resolve().is_relative_to(root) for root in roots) for p in paths):
        return [str(p) for p in paths]
    copy_dir = Path(tempfile.mkdtemp(prefix="mwalimu-reports-"))
    return [str(shutil.copy2(p, copy_dir / p.name)) for p in paths]


# --- the view ------------------------------------------------------------------------------------------
class EvaluateView:
    """Builds the Evaluate tab over the app's shared services."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def build(self) -> EvaluateView:
        gr.Markdown(
            "For evaluators: run a **test set** of questions with their expected key facts and sources against "
            "this library, then read what passed, what failed and why. The format is in `docs/evaluation.md` "
            "(one JSON object per line, or a CSV with the same columns); `python -m tutor.eval` runs the same "
            "evaluation from the command line."
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=280):
                self.file = gr.File(label=f"Test set (.jsonl or .csv, up to {MAX_TESTSET_MB:g} MB)",
                                    file_types=list(SUFFIXES), type="filepath", elem_id="mw-eval-file")
            with gr.Column(scale=2, min_width=280):
                self.k = gr.Slider(K_MIN, K_MAX, value=self._default_k(), step=1, label="Passages per question (k)",
                                   info="Passages retrieved for each question; also the cut-off of hit@k.")
                self.gates = gr.Textbox(
                    label="Release gates (optional)", max_lines=2, elem_id="mw-eval-gates",
                    placeholder="e.g. hit_at_k=0.9, key_fact_recall=80%, false_refusal_rate=0.1",
                    info="Fail the run when a metric is worse than this (names on the cards below).")
                self.run_button = gr.Button("Run evaluation", variant="primary", elem_id="mw-eval-run")
        self.message = gr.Markdown("", elem_id="mw-eval-message")
        self.summary = gr.HTML("", elem_id="mw-eval-summary", css_template=SUMMARY_CSS, js_on_load=None,
                               head=PAGE_STYLE)
        self.show = gr.Radio([ALL, FAILURES], value=ALL, label="Questions", elem_id="mw-eval-show")
        self.table = gr.Dataframe(headers=COLUMNS, value=[], interactive=False, wrap=True, elem_id="mw-eval-table",
                                  label="Per question (the full report below has each answer and its passages)",
                                  max_height=560,
                                  column_widths=COLUMN_WIDTHS)
        self.downloads = gr.File(label="Reports: report.json, report.csv, report.html", file_count="multiple",
                                 interactive=False, elem_id="mw-eval-downloads")
        with gr.Accordion("Full report (every answer, its citations and retrieved passages)", open=False):
            self.report = gr.HTML("", elem_id="mw-eval-report", js_on_load=None)
        self.rows = gr.State([])
        self._wire()
        return self

    def _default_k(self) -> int:
        config = getattr(getattr(self.services.tutor, "retriever", None), "config", None)
        return min(max(int(getattr(config, "k", 5) or 5), K_MIN), K_MAX)

    def run(self, file: str | None, k: float, gates_text: str, show: str,
            progress: gr.Progress = _PROGRESS) -> tuple[Any, ...]:
        """Message, summary and charts, table, downloads, full report, and the rows kept for filtering."""
        def report(done: int, total: int, item_id: str) -> None:
            progress((done, total), desc=f"Answered {done} of {total} ({item_id})", unit="questions")

        try:
            progress(0, desc="Reading the test set; the first answer also warms up the model")
            outcome = run_evaluation(self.services, file, k, gates_text, report)
        except TutorError as exc:
            return self._failed(one_line(str(exc)))
        except Exception:
            log.exception("the evaluation failed")
            return self._failed("Sorry, the evaluation did not finish; the details are in the server log.")
        rows = question_rows(outcome.run)
        page = outcome.paths["html"].read_text(encoding="utf-8")
        files = downloadable([outcome.paths["json"], outcome.paths["csv"], outcome.paths["html"]])
        return (verdict(outcome), summary_html(outcome.data), filter_rows(rows, show), files, report_frame(page),
                rows)

    @staticmethod
    def _failed(message: str) -> tuple[Any, ...]:
        return render.error_note(message), "", [], None, "", []

    @staticmethod
    def filter(rows: list[list[Any]], show: str) -> list[list[Any]]:
        return filter_rows(rows or [], show)

    def _wire(self) -> None:
        outputs = [self.message, self.summary, self.table, self.downloads, self.report, self.rows]
        self.run_button.click(self.run, [self.file, self.k, self.gates, self.show], outputs,
                              api_name="run_evaluation", concurrency_id="evaluate", concurrency_limit=1)
        self.show.change(self.filter, [self.rows, self.show], self.table, api_visibility="private",
                         queue=False)


def build_tab(shell: Any) -> None:
    """Called by :func:`tutor.ui.app.build_app` inside the Evaluate tab."""
    EvaluateView(shell.services).build()
