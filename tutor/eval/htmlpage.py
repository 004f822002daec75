"""``report.html``: one self-contained page an evaluator can open, read and mail.

Sections: the verdict (gates), summary cards, metric bars, latency histogram, results per topic,
questions worse than the baseline, and every question with its answer, citations, retrieved passages
and pass/fail per check, filterable to failures. Everything is inline: CSS, SVG, a little JavaScript.
The figures (metric values, charts, tables by topic and by type) come from :mod:`tutor.eval.charts`,
which the Evaluate tab draws too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tutor.eval.charts import GREEN, RED, esc, fmt, latency_histogram, metric_bars, topic_table, type_table
from tutor.eval.gates import lower_is_better
from tutor.eval.runner import SUMMARY_METRICS

CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;color:#1f2328;background:#f6f8fa;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 10px;border-bottom:1px solid #d0d7de;padding-bottom:6px}
.sub{color:#57606a;margin:0 0 16px}
.verdict{padding:12px 16px;border-radius:8px;margin:12px 0;font-weight:600}
.verdict.ok{background:#dafbe1;border:1px solid #4ac26b}.verdict.bad{background:#ffebe9;border:1px solid #ff8182}
.verdict ul{margin:6px 0 0;font-weight:400}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:12px}
.card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px 14px}
.card .v{font-size:28px;font-weight:700}.card .l{font-weight:600;font-size:14px}.card .h{color:#57606a;font-size:12px}
.card.fail{border-color:#ff8182;background:#fff8f7}.card.pass{border-color:#4ac26b}
.delta{font-size:13px;font-weight:600}
.panel{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:14px;overflow-x:auto}
.charts{display:grid;grid-template-columns:3fr 2fr;gap:12px}
@media (max-width:1000px){.charts{grid-template-columns:1fr}}
td.bar{white-space:nowrap}
table{border-collapse:collapse;width:100%;font-size:14px}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eaeef2;vertical-align:top}
th{background:#f6f8fa}
.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 0 12px}
.filters button{border:1px solid #d0d7de;background:#fff;border-radius:6px;padding:6px 12px;cursor:pointer;font-size:14px}
.filters button.on{background:#0969da;color:#fff;border-color:#0969da}
.filters input,.filters select{padding:6px 8px;border:1px solid #d0d7de;border-radius:6px;font-size:14px}
.qhead,.q>summary{display:grid;grid-template-columns:70px 62px 120px 1fr 78px 78px 78px 84px 70px;gap:6px;align-items:center;padding:7px 10px}
.qhead{font-weight:600;font-size:13px;background:#eaeef2;border-radius:6px 6px 0 0}
.q{background:#fff;border:1px solid #eaeef2;border-top:none}
.q>summary{cursor:pointer;list-style:none;font-size:14px}.q>summary::-webkit-details-marker{display:none}
.q[open]>summary{background:#f6f8fa}
.q .body{padding:8px 16px 16px;border-top:1px solid #eaeef2}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff}
.b-pass{background:#1a7f37}.b-fail{background:#cf222e}.b-na{background:#afb8c1}.b-part{background:#9a6700}
.why{background:#fff8f7;border:1px solid #ffcecb;border-radius:6px;padding:8px 12px;margin:8px 0}
.why li{margin:2px 0}
.answer{white-space:pre-wrap;background:#f6f8fa;border-radius:6px;padding:10px 12px}
.answer.refused{color:#57606a;font-style:italic}
.mk{display:inline-block;background:#ddf4ff;color:#0969da;border-radius:4px;padding:0 4px;font-size:12px;font-weight:600}
.passage{font-size:13px;color:#424a53;white-space:pre-wrap}
.ok{color:#1a7f37;font-weight:600}.no{color:#cf222e;font-weight:600}
.muted{color:#57606a;font-size:13px}
.hidden{display:none}
footer{color:#57606a;font-size:12px;margin:32px 0 8px}
"""

SCRIPT = """
(function(){
  var mode='all', topic='', text='';
  function apply(){
    var shown=0;
    document.querySelectorAll('details.q').forEach(function(el){
      var ok=(mode==='all')||(mode==='fail'&&el.dataset.pass==='0')||(mode==='worse'&&el.dataset.worse==='1');
      if(ok&&topic&&el.dataset.topic!==topic) ok=false;
      if(ok&&text&&el.textContent.toLowerCase().indexOf(text)<0) ok=false;
      el.classList.toggle('hidden',!ok); if(ok) shown++;
    });
    var c=document.getElementById('shown'); if(c) c.textContent=shown;
  }
  document.querySelectorAll('.filters button[data-mode]').forEach(function(b){
    b.addEventListener('click',function(){
      mode=b.dataset.mode;
      document.querySelectorAll('.filters button[data-mode]').forEach(function(x){x.classList.toggle('on',x===b)});
      apply();
    });
  });
  var s=document.getElementById('topic'); if(s) s.addEventListener('change',function(){topic=s.value;apply()});
  var t=document.getElementById('search'); if(t) t.addEventListener('input',function(){text=t.value.toLowerCase();apply()});
  var o=document.getElementById('expand'); if(o) o.addEventListener('click',function(){
    var open=o.dataset.open!=='1'; o.dataset.open=open?'1':'0'; o.textContent=open?'Collapse all':'Expand all';
    document.querySelectorAll('details.q:not(.hidden)').forEach(function(d){d.open=open});
  });
  if(location.hash==='#failures'){var f=document.querySelector('button[data-mode=fail]'); if(f) f.click();}
  apply();
})();
"""


def _label(metric: str) -> str:
    info = SUMMARY_METRICS.get(metric)
    return info.label if info else metric


def _when(stamp: str) -> str:
    from datetime import datetime

    try:
        return datetime.fromisoformat(stamp).strftime("%d %b %Y %H:%M %Z").strip()
    except (TypeError, ValueError):
        return stamp


def _delta(name: str, delta: float | None) -> str:
    if delta is None:
        return ""
    if abs(delta) < 1e-9:
        return '<div class="delta" style="color:#57606a">= baseline</div>'
    better = (delta > 0) != lower_is_better(name)
    colour = GREEN if better else RED
    arrow = "▲" if delta > 0 else "▼"
    shown = (f"{delta:+,.0f} ms" if name.endswith("_ms") else f"{delta:+,.0f} words" if name.startswith("words_")
             else f"{delta:+.3f}" if name == "mrr" else f"{delta * 100:+.1f} pts")
    return f'<div class="delta" style="color:{colour}">{arrow} {shown} vs baseline</div>'


# --- questions -----------------------------------------------------------------------------------
def _badge(state: bool | None, text_pass: str = "pass", text_fail: str = "fail", partial: str | None = None) -> str:
    if partial is not None:
        return f'<span class="badge b-part">{esc(partial)}</span>'
    if state is None:
        return '<span class="badge b-na">n/a</span>'
    return f'<span class="badge {"b-pass" if state else "b-fail"}">{esc(text_pass if state else text_fail)}</span>'


def _marked(text: str) -> str:
    return re.sub(r"\[(\d+)\]", r'<span class="mk">[\1]</span>', esc(text))


def question_block(q: Mapping[str, Any], worse_ids: set[str]) -> str:
    checks = q.get("checks", {})
    facts, found = q.get("key_facts", []), q.get("facts_found", [])
    fact_badge = (_badge(None) if not facts or checks.get("key_facts") is None else
                  _badge(True, f"{sum(found)}/{len(facts)}") if all(found) else
                  _badge(False, text_fail=f"{sum(found)}/{len(facts)}") if not any(found) else
                  _badge(None, partial=f"{sum(found)}/{len(facts)}"))
    cites = q.get("citation_checks", [])
    cite_badge = (_badge(None) if not cites else
                  _badge(checks.get("citations"), f"{sum(c['supported'] for c in cites)}/{len(cites)}",
                         f"{sum(c['supported'] for c in cites)}/{len(cites)}"))
    rank = q.get("first_supporting_rank")
    retrieval_badge = _badge(checks.get("retrieval"), f"#{rank}" if rank else "hit", "miss")
    behaviour = checks.get("behaviour")
    if q.get("answerable", True):
        behaviour_badge = _badge(behaviour, "answered", "declined")
    else:
        behaviour_badge = _badge(behaviour, "declined", "answered")
    passed = q.get("passed", True)
    summary = (f'<summary><span>{_badge(passed, "PASS", "FAIL")}</span><span class="muted">{esc(q["id"])}</span>'
               f'<span class="muted">{esc(q.get("topic", ""))}</span><span>{esc(q["question"])}</span>'
               f'<span>{retrieval_badge}</span><span>{fact_badge}</span><span>{cite_badge}</span>'
               f'<span>{behaviour_badge}</span><span class="muted">{q.get("latency_ms", 0):,.0f} ms</span></summary>')
    body: list[str] = []
    if q.get("diagnosis"):
        body.append('<div class="why"><b>Why it failed</b><ul>' +
                    "".join(f"<li>{esc(d)}</li>" for d in q["diagnosis"]) + "</ul></div>")
    if q.get("history"):
        turns = "".join(f"<li><b>{esc(t['role'])}:</b> {esc(t['content'])}</li>" for t in q["history"])
        body.append(f"<p><b>Earlier in the conversation</b></p><ul>{turns}</ul>")
        if q.get("standalone_question") and q["standalone_question"] != q["question"]:
            body.append(f'<p class="muted">Searched as: {esc(q["standalone_question"])}</p>')
    refused = q.get("refused")
    body.append(f'<p><b>Answer</b>{" (declined)" if refused else ""}</p>'
                f'<div class="answer{" refused" if refused else ""}">{_marked(q.get("body") or q["answer"])}</div>')
    if facts:
        items = "".join(f'<li><span class="{"ok" if ok else "no"}">{"✔" if ok else "✘"}</span> {esc(f)}</li>'
                        for f, ok in zip(facts, found or [False] * len(facts)))
        body.append(f"<p><b>Key facts expected</b></p><ul>{items}</ul>")
    if q.get("citations"):
        rows = []
        for c in q["citations"]:
            sup = c.get("supported")
            mark = '<span class="muted">not cited</span>' if sup is None else (
                '<span class="ok">✔ supports</span>' if sup else '<span class="no">✘ does not support</span>')
            rows.append(f'<tr><td><span class="mk">[{c["n"]}]</span></td><td>{esc(c.get("citation", ""))}<br>'
                        f'<span class="muted">{esc(c["doc_id"])}</span></td><td>{mark}</td>'
                        f'<td><details><summary class="muted">passage</summary><div class="passage">{esc(c["text"])}'
                        f'</div></details></td></tr>')
        body.append("<p><b>Citations</b></p><table><tr><th>#</th><th>Source</th><th>Check</th><th></th></tr>"
                    + "".join(rows) + "</table>")
    if q.get("retrieved"):
        rows = []
        for p in q["retrieved"]:
            sup = p.get("supporting")
            text = p["text"]
            short = text if len(text) <= 260 else text[:260].rsplit(" ", 1)[0] + " …"
            rows.append(f'<tr><td>{p["rank"]}</td><td>{esc(p.get("title") or p["doc_id"])}<br><span class="muted">'
                        f'{esc(p["chunk_id"])}</span></td><td>{"<span class=ok>✔</span>" if sup else ""}</td>'
                        f'<td>{p.get("score", 0):.2f}</td><td><div class="passage">{esc(short)}</div>'
                        + (f'<details><summary class="muted">full passage</summary><div class="passage">{esc(text)}</div>'
                           f'</details>' if short != text else "") + "</td></tr>")
        body.append('<p><b>Retrieved passages</b> <span class="muted">(✔ = from a right source or holding a key fact; '
                    'score = similarity to the question)</span></p><table><tr><th>Rank</th><th>Document</th>'
                    '<th>Right</th><th>Score</th><th>Text</th></tr>' + "".join(rows) + "</table>")
    if q.get("reference_answer"):
        body.append(f'<p><b>Model answer (reference)</b></p><div class="answer">{esc(q["reference_answer"])}</div>')
    scores = "".join(f"<tr><td>{esc(k)}</td><td>{'n/a' if v is None else f'{v:.3f}'}</td></tr>"
                     for k, v in q.get("scores", {}).items())
    body.append(f'<details><summary class="muted">All scores</summary><table>{scores}</table></details>')
    attrs = (f'data-pass="{1 if passed else 0}" data-worse="{1 if q["id"] in worse_ids else 0}" '
             f'data-topic="{esc(q.get("topic", ""))}"')
    return f'<details class="q" {attrs}>{summary}<div class="body">{"".join(body)}</div></details>'


# --- the page ----------------------------------------------------------------------------------------
def render(data: Mapping[str, Any]) -> str:
    summary: Mapping[str, float | None] = data["summary"]
    meta = data.get("meta", {})
    questions = data["questions"]
    gates = data.get("gates", [])
    gate_map = {g["metric"]: g["threshold"] for g in gates}
    baseline = data.get("baseline") or {}
    deltas = baseline.get("deltas", {})
    worse = baseline.get("worse", [])
    worse_ids = {w["id"] for w in worse}
    failures = sum(1 for q in questions if not q.get("passed", True))

    out: list[str] = [('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
                       '<meta name="viewport" content="width=device-width,initial-scale=1">'
                       f'<title>Mwalimu evaluation – {esc(meta.get("testset", "test set"))}</title>'
                       f"<style>{CSS}</style></head><body><main>")]
    out.append("<h1>Mwalimu evaluation report</h1>")
    out.append(f'<p class="sub">Test set <b>{esc(meta.get("testset", ""))}</b> · {len(questions)} questions '
               f'({meta.get("answerable", "?")} answerable, {meta.get("unanswerable", "?")} that should be declined) · '
               f'answers by <b>{esc(meta.get("backend", ""))}</b> · top {meta.get("k")} passages · '
               f'{esc(_when(meta.get("started_at", "")))} · run took {meta.get("duration_s", "?")} s</p>')
    if gates:
        missed = [g for g in gates if not g["passed"]]
        items = "".join(
            f'<li>{"✔" if g["passed"] else "✘"} {esc(_label(g["metric"]))}: '
            f'{fmt(g["metric"], g["value"])} (needs {"≤" if not g["higher_is_better"] else "≥"} '
            f'{fmt(g["metric"], g["threshold"])})</li>' for g in gates)
        verdict = ("Release gate FAILED: " + ", ".join(g["metric"] for g in missed)) if missed else "Release gate passed"
        out.append(f'<div class="verdict {"bad" if missed else "ok"}">{esc(verdict)}<ul>{items}</ul></div>')
    if failures:
        out.append(f'<p>{failures} of {len(questions)} questions failed at least one check. '
                   f'<a href="#questions" onclick="document.querySelector(\'button[data-mode=fail]\').click()">'
                   f'Show only the failures</a>.</p>')

    out.append("<h2>Summary</h2><div class=\"cards\">")
    for name, info in SUMMARY_METRICS.items():
        if name not in summary:
            continue
        value = summary[name]
        threshold = gate_map.get(name)
        state = ""
        if threshold is not None:
            ok = value is not None and (value <= threshold if lower_is_better(name) else value >= threshold)
            state = " pass" if ok else " fail"
        out.append(f'<div class="card{state}" title="{esc(name)}"><div class="l">{esc(info.label)}</div>'
                   f'<div class="v">{fmt(name, value)}</div><div class="h">{esc(info.help)}</div>'
                   f'{_delta(name, deltas.get(name))}</div>')
    out.append("</div>")

    latencies = [float(q.get("latency_ms", 0)) for q in questions]
    out.append('<h2>Charts</h2><div class="charts"><div class="panel"><b>Metrics</b>'
               f'{metric_bars(summary, gate_map, baseline.get("summary", {}))}</div>'
               f'<div class="panel"><b>Answer time</b>{latency_histogram(latencies, summary.get("latency_p50_ms"), summary.get("latency_p95_ms"))}'
               "</div></div>")
    if data.get("by_topic"):
        out.append(f'<h2>By topic</h2><div class="panel">{topic_table(data["by_topic"])}</div>')
    if data.get("by_type"):
        out.append(f'<h2>By question type</h2><div class="panel">{type_table(data["by_type"])}</div>')
    if baseline:
        out.append("<h2>Compared with the baseline</h2>")
        if worse:
            rows = "".join(
                f'<tr><td>{esc(w["id"])}</td><td>{esc(w["question"])}</td><td>'
                + ("; ".join(f'{esc(c["metric"])} {c["before"]:.2f} → {c["after"]:.2f}' for c in w["changes"])
                   or "now fails a check") + "</td></tr>" for w in worse)
            out.append(f'<div class="panel"><p>{len(worse)} question(s) got worse.</p><table><tr><th>ID</th>'
                       f'<th>Question</th><th>What changed</th></tr>{rows}</table></div>')
        else:
            out.append('<p>No question got worse than in the baseline.</p>')

    topics = sorted({q.get("topic", "") for q in questions if q.get("topic")})
    topic_select = ("" if not topics else '<select id="topic" aria-label="Topic"><option value="">All topics</option>'
                    + "".join(f'<option value="{esc(t)}">{esc(t)}</option>' for t in topics) + "</select>")
    worse_button = f'<button data-mode="worse">Worse than baseline ({len(worse)})</button>' if baseline else ""
    out.append('<h2 id="questions">Questions</h2>'
               f'<div class="filters"><button data-mode="all" class="on">All ({len(questions)})</button>'
               f'<button data-mode="fail">Failures only ({failures})</button>{worse_button}{topic_select}'
               '<input id="search" type="search" placeholder="Search questions and answers">'
               '<button id="expand">Expand all</button>'
               '<span class="muted">showing <b id="shown">' + str(len(questions)) + "</b></span></div>")
    out.append('<div class="qhead"><span>Result</span><span>ID</span><span>Topic</span><span>Question</span>'
               '<span>Right source</span><span>Key facts</span><span>Citations</span><span>Behaviour</span>'
               "<span>Time</span></div>")
    out.extend(question_block(q, worse_ids) for q in questions)
    out.append('<footer>Click a question to see its answer, citations and retrieved passages. Metric definitions: '
               'docs/evaluation.md. Generated by <code>python -m tutor.eval</code>.</footer>')
    out.append(f"</main><script>{SCRIPT}</script></body></html>")
    return "".join(out)
