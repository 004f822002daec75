"""Reports of a run: ``report.json`` (the contract), ``report.csv`` (one row per question) and a
self-contained ``report.html`` (inline CSS, inline SVG charts, a few lines of inline JavaScript for the
filters; no external file, font or script, so it opens offline and can be mailed as one file).
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tutor.eval import htmlpage as page
from tutor.eval.gates import Gate

log = logging.getLogger(__name__)


def report_dict(run: Any, gates: Sequence[Gate] = (), comparison: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``{"summary", "questions", "meta", "by_topic"[, "gates", "baseline"]}``."""
    data = run.to_dict()
    if gates:
        data["gates"] = [g.to_dict() for g in gates]
    if comparison is not None:
        data["baseline"] = dict(comparison)
    return data


def _cell(values: Iterable[Any]) -> str:
    return " ; ".join(str(v) for v in values if str(v))


CSV_FIXED = ("id", "topic", "question", "answerable", "refused", "passed", "diagnosis", "answer", "citations",
             "retrieved", "key_facts", "facts_missing", "sources", "latency_ms")


def write_csv(data: Mapping[str, Any], path: Path) -> None:
    """One row per question; list cells use `` ; `` like the test-set contract."""
    metrics = list(data["summary"])
    score_names = [m for m in metrics if not m.startswith("latency") and m != "pass_rate"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*CSV_FIXED[:-1], *score_names, "latency_ms"])
        for q in data["questions"]:
            missing = [f for f, ok in zip(q.get("key_facts", []), q.get("facts_found", [])) if not ok]
            writer.writerow([
                q["id"], q.get("topic", ""), q["question"], q.get("answerable", True), q["refused"], q.get("passed"),
                _cell(q.get("diagnosis", [])), q.get("body", q["answer"]),
                _cell(f"[{c['n']}] {c['doc_id']}" for c in q["citations"]),
                _cell(p["doc_id"] for p in q["retrieved"]), _cell(q.get("key_facts", [])), _cell(missing),
                _cell(q.get("sources", [])),
                *["" if q["scores"].get(m) is None else round(q["scores"][m], 4) for m in score_names],
                q["latency_ms"],
            ])


def write_reports(run: Any, out_dir: str | Path, gates: Sequence[Gate] = (),
                  comparison: Mapping[str, Any] | None = None) -> dict[str, Path]:
    """Write the three reports into ``out_dir`` (created if needed); returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = report_dict(run, gates, comparison)
    paths = {"json": out / "report.json", "csv": out / "report.csv", "html": out / "report.html"}
    paths["json"].write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    write_csv(data, paths["csv"])
    paths["html"].write_text(page.render(data), encoding="utf-8")
    log.info("reports written to %s", out)
    return paths


def summary_text(data: Mapping[str, Any]) -> str:
    """A plain-text summary for the terminal."""
    from tutor.eval.runner import SUMMARY_METRICS

    meta = data.get("meta", {})
    lines = [(f"{meta.get('questions', len(data['questions']))} questions "
              f"({meta.get('answerable', '?')} answerable, {meta.get('unanswerable', '?')} unanswerable), "
              f"k={meta.get('k')}, backend: {meta.get('backend')}, {meta.get('duration_s')} s")]
    deltas = (data.get("baseline") or {}).get("deltas", {})
    for name, value in data["summary"].items():
        info = SUMMARY_METRICS.get(name)
        shown = "n/a" if value is None else (f"{value:.0f} ms" if name.endswith("_ms") else
                                             f"{value:.0f} words" if name.startswith("words_") else f"{value:.3f}")
        delta = f"  ({deltas[name]:+.3f} vs baseline)" if name in deltas else ""
        lines.append(f"  {name:<22} {shown:>10}  {info.label if info else ''}{delta}")
    for qtype, values in (data.get("by_type") or {}).items():
        leads, words = values.get("answer_leads"), values.get("words_p50")
        lines.append(f"  type {qtype:<12} {int(values.get('questions') or 0):>3} questions: first sentence answers "
                     f"{'n/a' if leads is None else f'{leads:.2f}'}, median {'n/a' if words is None else f'{words:.0f}'}"
                     f" words, key facts {values.get('key_fact_recall')}")
    failed = [q for q in data["questions"] if not q.get("passed", True)]
    if failed:
        lines.append(f"{len(failed)} question(s) with a failed check:")
        for q in failed:
            lines.append(f"  {q['id']}: " + "; ".join(q.get("diagnosis", [])[:3]))
    worse = (data.get("baseline") or {}).get("worse", [])
    if worse:
        lines.append(f"{len(worse)} question(s) worse than the baseline: " + ", ".join(w["id"] for w in worse))
    for gate in data.get("gates", []):
        g = Gate(gate["metric"], gate["threshold"], gate["value"], gate["higher_is_better"])
        lines.append(g.describe())
    return "\n".join(lines)


__all__ = ["report_dict", "summary_text", "write_csv", "write_reports"]
