"""How the Evaluate tab shows a finished run: the verdict line, the summary cards with the report's own
charts, one table row per question, and the full ``report.html`` in a sandboxed frame.

Kept apart from :mod:`tutor.ui.evaluate`, which checks the upload, runs the test set and wires the tab, so
that changing how results look never touches how a run is started or guarded.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tutor.eval.charts import fmt, latency_histogram, metric_bars, topic_table, type_table
from tutor.eval.gates import Gate, lower_is_better
from tutor.eval.report import report_dict
from tutor.eval.runner import SUMMARY_METRICS, EvalRun
from tutor.ui import render

ALL, FAILURES = "All questions", "Failures only"
COLUMNS = ["Result", "ID", "Topic", "Question", "Why it failed", "Right source", "Key facts", "Citations",
           "Behaviour", "Time (ms)"]
#: In pixels, so that a phone scrolls the table sideways instead of squeezing every column to a letter.
COLUMN_WIDTHS = ["64px", "96px", "104px", "250px", "290px", "78px", "66px", "76px", "96px", "66px"]


@dataclasses.dataclass
class Outcome:
    """A finished run as the tab shows it."""

    run: EvalRun
    gates: list[Gate]
    folder: Path
    paths: dict[str, Path]
    testset: str

    @property
    def data(self) -> dict[str, Any]:
        return report_dict(self.run, self.gates)



def _badge(state: bool | None, yes: str, no: str) -> str:
    return "–" if state is None else (yes if state else no)


def question_rows(run: EvalRun) -> list[list[Any]]:
    """One row per question for the table (plain text: the table shows cells literally)."""
    rows = []
    for r in run.results:
        checks, facts = r.checks, r.item.key_facts
        found = sum(r.facts_found)
        cites = r.citation_checks
        rank = r.first_rank
        behaviour = (_badge(checks.get("behaviour"), "answered", "declined ✘") if r.item.answerable
                     else _badge(checks.get("behaviour"), "declined", "answered ✘"))
        rows.append([
            "PASS" if r.passed else "FAIL", r.item.id, r.item.topic, r.item.question, "; ".join(r.diagnosis),
            _badge(checks.get("retrieval"), f"#{rank}" if rank else "yes", "missed ✘"),
            f"{found}/{len(facts)}" + ("" if found == len(facts) else " ✘") if facts and r.item.answerable else "–",
            (f"{sum(c['supported'] for c in cites)}/{len(cites)}" + ("" if checks.get("citations") else " ✘")
             if cites else "–"),
            behaviour, round(r.latency_ms),
        ])
    return rows


def filter_rows(rows: Sequence[Sequence[Any]], show: str | None) -> list[list[Any]]:
    return [list(row) for row in rows if show != FAILURES or row[0] == "FAIL"]


def verdict(outcome: Outcome) -> str:
    """The one line above the results (Markdown)."""
    results = outcome.run.results
    failed = sum(not r.passed for r in results)
    took = outcome.run.meta.get("duration_s")
    head = (f"Evaluated **{len(results)}** questions from {render.md_escape(outcome.testset)}"
            f"{f' in {took:g} s' if isinstance(took, (int, float)) else ''}: {len(results) - failed} passed every "
            f"check, {failed} failed.")
    missed = [g for g in outcome.gates if not g.passed]
    if missed:
        head += " ✘ Release gate missed: " + ", ".join(
            f"{g.metric} {fmt(g.metric, g.value)} (needs {'≥' if g.higher_is_better else '≤'} "
            f"{fmt(g.metric, g.threshold)})" for g in missed) + "."
    elif outcome.gates:
        head += " ✔ Every release gate met."
    return f"{head} Reports saved in `eval/{outcome.folder.name}`."


#: Page-level style for the tab's table: the app's font rather than the data grid's monospace.
PAGE_STYLE = "<style>#mw-eval-table * { font-family: var(--font) !important; }</style>"
SUMMARY_CSS = """
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 10px; margin: 0 0 14px; }
.card { border: 1px solid var(--border-color-primary); border-radius: var(--radius-lg); padding: 10px 12px;
  background: var(--background-fill-secondary); }
.card.pass { border-color: #4ac26b; } .card.fail { border-color: #cf222e; background: #fff1f0; color: #1f2328; }
.card .l { font-weight: 700; font-size: 0.9rem; line-height: 1.25; }
.card .v { font-size: 1.6rem; font-weight: 700; margin: 2px 0; }
.card code { font-size: 0.75rem; color: var(--body-text-color-subdued); overflow-wrap: anywhere; }
.card .g { font-size: 0.8rem; font-weight: 700; }
.charts { display: grid; grid-template-columns: 3fr 2fr; gap: 10px; }
.panel { background: #fff; color: #1f2328; border: 1px solid var(--border-color-primary);
  border-radius: var(--radius-lg); padding: 10px 12px; overflow-x: auto; }
.panel h3 { font-size: 1rem; margin: 0 0 6px; }
.muted { color: #57606a; font-size: 0.8rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.85rem; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid #eaeef2; }
.topics { margin-top: 10px; }
@media (max-width: 900px) { .charts { grid-template-columns: 1fr; } }
@media (max-width: 600px) { .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px; }
  .card { padding: 8px; } .card .l { font-size: 0.8rem; } .card .v { font-size: 1.25rem; } }
"""


def summary_html(data: dict[str, Any]) -> str:
    """Summary cards (one per metric, with its name for the gates) and the report's own SVG charts."""
    summary = data["summary"]
    gate_by_metric = {g["metric"]: g for g in data.get("gates", [])}
    cards = []
    for metric, info in SUMMARY_METRICS.items():
        if metric not in summary:
            continue
        gate = gate_by_metric.get(metric)
        state, note = "", ""
        if gate:
            state = " pass" if gate["passed"] else " fail"
            op = "≤" if lower_is_better(metric) else "≥"
            note = (f'<div class="g">{"✔" if gate["passed"] else "✘"} gate {op} '
                    f'{html.escape(fmt(metric, gate["threshold"]))}</div>')
        cards.append(f'<div class="card{state}" title="{html.escape(info.help)}" data-metric="{metric}">'
                     f'<div class="l">{html.escape(info.label)}</div>'
                     f'<div class="v">{html.escape(fmt(metric, summary[metric]))}</div>'
                     f"<code>{metric}</code>{note}</div>")
    gates = {g["metric"]: g["threshold"] for g in data.get("gates", [])}
    latencies = [float(q.get("latency_ms", 0)) for q in data["questions"]]
    charts = (f'<div class="charts"><div class="panel"><h3>Metrics</h3>{metric_bars(summary, gates, {})}</div>'
              f'<div class="panel"><h3>Answer time</h3>'
              f'{latency_histogram(latencies, summary.get("latency_p50_ms"), summary.get("latency_p95_ms"))}'
              "</div></div>")
    topics = (f'<div class="panel topics"><h3>By topic</h3>{topic_table(data["by_topic"])}</div>'
              if data.get("by_topic") else "")
    types = (f'<div class="panel topics"><h3>By question type</h3>{type_table(data["by_type"])}</div>'
             if data.get("by_type") else "")
    return f'<div class="cards">{"".join(cards)}</div>{charts}{topics}{types}'


def report_frame(page: str) -> str:
    """The self-contained report.html in a sandboxed iframe: its scripts (filters) run, but with no access
    to the app's page, cookies or origin."""
    return (f'<iframe title="Evaluation report" sandbox="allow-scripts" srcdoc="{html.escape(page, quote=True)}" '
            'style="width:100%;height:760px;border:1px solid var(--border-color-primary);'
            'border-radius:var(--radius-lg);background:#fff"></iframe>')
