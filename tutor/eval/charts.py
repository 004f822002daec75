"""The figures of a run, drawn the same way in ``report.html`` and in the Evaluate tab: metric values as
people read them, the metric bars and the latency histogram (inline SVG), and the tables by topic and by
question type.

Kept apart from :mod:`tutor.eval.htmlpage` because the Evaluate tab shows these figures without the rest of
the page; both import them from here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from tutor.eval.gates import lower_is_better
from tutor.eval.runner import SUMMARY_METRICS

GREEN, RED, AMBER, GREY, BLUE = "#1a7f37", "#cf222e", "#9a6700", "#6e7781", "#0969da"


def esc(value: Any) -> str:
    """Any value as HTML text (``None`` as nothing)."""
    return escape("" if value is None else str(value))


def fmt(name: str, value: float | None) -> str:
    """A metric value as the reports show it: times in ms, lengths in words, MRR as a number, shares in %."""
    if value is None:
        return "n/a"
    if name.endswith("_ms"):
        return f"{value:,.0f} ms"
    if name.startswith("words_"):
        return f"{value:,.0f} words"
    return f"{value * 100:.1f}%" if name != "mrr" else f"{value:.3f}"


# --- charts (inline SVG) -----------------------------------------------------------------------------
def metric_bars(summary: Mapping[str, float | None], gates: Mapping[str, float], baseline: Mapping[str, Any]) -> str:
    names = [n for n, info in SUMMARY_METRICS.items() if info.unit == "share" and summary.get(n) is not None]
    label_w, bar_w, row_h = 270, 330, 26
    height = row_h * len(names) + 24
    parts = [(f'<svg role="img" aria-label="Summary metrics" viewBox="0 0 {label_w + bar_w + 70} {height}" '
              f'width="100%" style="max-width:{label_w + bar_w + 70}px">')]
    for x in (0, 0.25, 0.5, 0.75, 1.0):
        px = label_w + x * bar_w
        parts.append(f'<line x1="{px}" y1="0" x2="{px}" y2="{height - 18}" stroke="#eaeef2"/>'
                     f'<text x="{px}" y="{height - 4}" font-size="10" text-anchor="middle" fill="#57606a">{x:.0%}</text>')
    for i, name in enumerate(names):
        value = float(summary[name] or 0.0)
        y = i * row_h + 4
        threshold = gates.get(name)
        ok = None if threshold is None else (value <= threshold if lower_is_better(name) else value >= threshold)
        colour = BLUE if ok is None else (GREEN if ok else RED)
        label = SUMMARY_METRICS[name].label + (" ↓" if lower_is_better(name) else "")
        parts.append(f'<text x="{label_w - 8}" y="{y + 14}" font-size="12" text-anchor="end">{esc(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 2}" width="{max(value, 0.002) * bar_w:.1f}" height="16" rx="3" '
                     f'fill="{colour}"><title>{esc(name)} = {value:.4f}</title></rect>')
        parts.append(f'<text x="{label_w + max(value, 0) * bar_w + 6:.1f}" y="{y + 14}" font-size="12">{fmt(name, value)}</text>')
        if threshold is not None:
            tx = label_w + min(max(threshold, 0), 1) * bar_w
            parts.append(f'<line x1="{tx:.1f}" y1="{y}" x2="{tx:.1f}" y2="{y + 20}" stroke="#1f2328" stroke-width="2" '
                         f'stroke-dasharray="3,2"><title>gate {threshold:g}</title></line>')
        old = baseline.get(name)
        if isinstance(old, (int, float)):
            bx = label_w + min(max(old, 0), 1) * bar_w
            parts.append(f'<circle cx="{bx:.1f}" cy="{y + 10}" r="4" fill="#fff" stroke="#57606a" stroke-width="2">'
                         f'<title>baseline {old:.4f}</title></circle>')
    parts.append("</svg>")
    legend = '<div class="muted">Bars: this run. Dashed line: release gate. ○ baseline. ↓ lower is better.</div>'
    return "".join(parts) + legend


def latency_histogram(latencies: Sequence[float], p50: float | None, p95: float | None, bins: int = 12) -> str:
    if not latencies:
        return '<p class="muted">No timings.</p>'
    top = max(latencies) or 1.0
    width = top / bins
    counts = [0] * bins
    for value in latencies:
        counts[min(int(value / width), bins - 1)] += 1
    w, h, left, bottom = 460, 230, 34, 30
    bw = (w - left - 10) / bins
    peak = max(counts) or 1
    parts = [f'<svg role="img" aria-label="Latency histogram" viewBox="0 0 {w} {h}" width="100%" style="max-width:{w}px">']
    for i, c in enumerate(counts):
        bh = (h - bottom - 50) * c / peak
        x = left + i * bw
        parts.append(f'<rect x="{x + 1:.1f}" y="{h - bottom - bh:.1f}" width="{bw - 2:.1f}" height="{bh:.1f}" fill="{BLUE}">'
                     f'<title>{i * width:,.0f}–{(i + 1) * width:,.0f} ms: {c} answer(s)</title></rect>')
        if c:
            parts.append(f'<text x="{x + bw / 2:.1f}" y="{h - bottom - bh - 3:.1f}" font-size="10" text-anchor="middle">{c}</text>')
    for i in range(0, bins + 1, max(1, bins // 4)):
        x = left + i * bw
        parts.append(f'<text x="{x:.1f}" y="{h - bottom + 14}" font-size="10" text-anchor="middle" fill="#57606a">'
                     f'{i * width / 1000:.1f}s</text>')
    parts.append(f'<line x1="{left}" y1="{h - bottom}" x2="{w - 10}" y2="{h - bottom}" stroke="#8c959f"/>')
    for label, mark, colour, y in (("p50", p50, GREEN, 14), ("p95", p95, RED, 30)):
        if mark is None:
            continue
        x = left + min(mark / top, 1.0) * bins * bw
        anchor = "end" if x > w * 0.7 else "start"
        tx = x - 4 if anchor == "end" else x + 4
        parts.append(f'<line x1="{x:.1f}" y1="{y - 10}" x2="{x:.1f}" y2="{h - bottom}" stroke="{colour}" stroke-width="2" '
                     f'stroke-dasharray="4,3"/><text x="{tx:.1f}" y="{y}" font-size="11" fill="{colour}" '
                     f'text-anchor="{anchor}">{label} {mark:,.0f} ms</text>')
    parts.append(f'<text x="{w / 2}" y="{h - 2}" font-size="11" text-anchor="middle" fill="#57606a">seconds per answer</text>')
    parts.append("</svg>")
    return "".join(parts)


def _mini_bar(value: float | None, lower_better: bool = False) -> str:
    if value is None:
        return '<span class="muted">–</span>'
    good = (1 - value) if lower_better else value
    colour = GREEN if good >= 0.9 else (AMBER if good >= 0.7 else RED)
    return (f'<svg width="70" height="10" style="vertical-align:middle"><rect width="70" height="10" rx="2" fill="#eaeef2"/>'
            f'<rect width="{70 * max(min(value, 1), 0):.1f}" height="10" rx="2" fill="{colour}"/></svg> {value * 100:.0f}%')


TOPIC_COLUMNS = (("pass_rate", "Fully right"), ("hit_at_k", "Right source found"), ("key_fact_recall", "Key facts"),
                 ("citation_precision", "Citations check out"), ("refusal_accuracy", "Declined out-of-scope"),
                 ("false_refusal_rate", "Wrongly declined ↓"))


#: The breakdown by question type: does the lead answer what was asked, at the length the type needs?
TYPE_COLUMNS = (("answer_leads", "First sentence answers"), ("words_p50", "Words (median) ↓"),
                ("words_p90", "Words (p90) ↓"), ("key_fact_recall", "Key facts"),
                ("citation_precision", "Citations check out"), ("refusal_accuracy", "Declined out-of-scope"),
                ("false_refusal_rate", "Wrongly declined ↓"))


def _cell(name: str, value: float | None) -> str:
    if name.startswith("words_"):
        return f"<td>{esc(fmt(name, value))}</td>" if value is not None else '<td><span class="muted">–</span></td>'
    return f'<td class="bar">{_mini_bar(value, lower_is_better(name))}</td>'


def topic_table(by_topic: Mapping[str, Mapping[str, float | None]], columns: Sequence[tuple[str, str]] = TOPIC_COLUMNS,
                first: str = "Topic") -> str:
    """One row per group (a topic, or a question type with ``columns=TYPE_COLUMNS``), one mini bar per metric."""
    head = "".join(f"<th>{esc(label)}</th>" for _, label in columns)
    rows = []
    for topic, values in by_topic.items():
        cells = "".join(_cell(name, values.get(name)) for name, _ in columns)
        rows.append(f"<tr><td><b>{esc(topic)}</b></td><td>{int(values.get('questions') or 0)}</td>{cells}</tr>")
    return f'<table><tr><th>{esc(first)}</th><th>Questions</th>{head}</tr>{"".join(rows)}</table>'


def type_table(by_type: Mapping[str, Mapping[str, float | None]]) -> str:
    return topic_table(by_type, TYPE_COLUMNS, "Question type")
