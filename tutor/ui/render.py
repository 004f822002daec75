"""Turning the tutor's events into text and HTML for the page: escaping, highlighting, status lines.

Everything that comes from documents or users is escaped here, once, before it reaches the browser.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from tutor.events import Source
from tutor.learning.grading import Grade
from tutor.library import versions

_MD_SPECIAL = re.compile(r"([\\`*_~|])")
EMPTY_LIBRARY = ("The library is empty: run `python ingest.py` on the server, or upload documents in the "
                 "**Library** tab.")


def md_escape(text: str) -> str:
    """Show text literally in a Markdown message: no emphasis, code or HTML from the documents."""
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = html.escape(text, quote=False)
    return re.sub(r"(?m)^(\s*)([#>+-]|\d+\.)(\s)", r"\1\\\2\3", text)


def safe_url(url: str) -> str | None:
    """Only plain web links are rendered as links (no ``javascript:`` or ``data:``)."""
    url = (url or "").strip()
    return url if re.match(r"https?://[^\s\"'<>]+$", url) else None


def _words_pattern(words: Sequence[str]) -> str:
    return r"\s+".join(re.escape(w) for w in words)


def mark_span(escaped: str, span: str) -> str:
    """``escaped`` (HTML or Markdown-escaped text) with the first occurrence of ``span`` (escaped the same
    way) wrapped in ``<strong class="mw-answer-span">``: the exact answer, cut out of a quoted sentence."""
    words = span.split()
    if not words:
        return escaped
    match = re.search(_words_pattern(words), escaped)
    if not match:
        return escaped
    start, end = match.span()
    return f'{escaped[:start]}<strong class="mw-answer-span">{escaped[start:end]}</strong>{escaped[end:]}'


def answer_markdown(lead: str, more: str = "", span: str = "", sources_block: str = "", detailed: bool = False,
                    ) -> str:
    """A chat message: the lead answer with its exact answer in bold, "More from the sources" folded
    (open in the Detailed view), then the Sources list. Text is escaped; only the tags added here are HTML."""
    out = mark_span(md_escape(lead), md_escape(span)) if span else md_escape(lead)
    if more:
        state = " open" if detailed else ""
        out += (f'\n\n<details class="mw-more"{state}><summary>More from the sources</summary>\n\n'
                f"{md_escape(more)}\n\n</details>")
    if sources_block:
        out += md_escape(sources_block)
    return out


def highlight(text: str, sentences: Sequence[str], span: str = "") -> str:
    """The passage as escaped HTML, with each cited sentence inside ``<mark>`` (whitespace-tolerant) and
    the exact answer ``span``, where a cited sentence holds it, in bold inside its mark."""
    spans: list[tuple[int, int]] = []
    for sentence in sentences:
        words = sentence.split()
        if not words:
            continue
        match = re.search(_words_pattern(words), text)
        if match:
            spans.append(match.span())
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    out, last, marked = [], 0, False
    for start, end in merged:
        out.append(html.escape(text[last:start]))
        inside = html.escape(text[start:end])
        if span and not marked:
            bolded = mark_span(inside, html.escape(span))
            marked = bolded != inside
            inside = bolded
        out.append(f"<mark>{inside}</mark>")
        last = end
    out.append(html.escape(text[last:]))
    return "".join(out)


def source_card(source: Source, span: str = "") -> str:
    title = html.escape(source.title or "Untitled document")
    url = safe_url(source.url)
    heading = (f'<a href="{html.escape(url)}" target="_blank" rel="noopener noreferrer">{title}'
               '<span class="mw-visually-hidden"> (opens the original in a new tab)</span></a>' if url else title)
    sheet = (f"PDF page {source.page}" if source.page and source.page_label and source.page_label != str(source.page)
             else "")
    meta = " · ".join(html.escape(p) for p in (source.publisher, source.year, source.where(), sheet,
                                                versions.version_label(source)) if p)
    ocr = ('<div class="mw-ocr" role="note">Read by OCR: check the page, the text may hold misread words.</div>'
           if source.ocr else "")
    return (
        f'<li class="mw-source" id="mw-source-{source.n}">'
        f'<div class="mw-source-head"><span class="mw-n">[{source.n}]</span> {heading}</div>'
        f'<div class="mw-meta">{meta}</div>{ocr}'
        f'<blockquote class="mw-passage">{highlight(source.text, source.cited_sentences, span)}</blockquote>'
        "</li>"
    )


def cited_source_html(title: str, url: str, page: int | None = None, section: str = "") -> str:
    """``Source: Title § Section`` (or ``, p. N``), escaped, the title linked to the original (plain web
    links only)."""
    link = safe_url(url)
    name = html.escape(title)
    if link:
        name = f'<a href="{html.escape(link)}" target="_blank" rel="noopener noreferrer">{name}</a>'
    where = f", p. {page}" if page else (f" § {html.escape(section)}" if section else "")
    return f"Source: {name}{where}"


def feedback_html(result: Grade, source: str, note: str = "") -> str:
    """Right or wrong, the explanation and the source of a quiz answer as escaped HTML (a generated question
    quotes a document, which may hold Markdown or HTML), in a box whose colour repeats what the words say.

    ``source`` is HTML already (see :func:`cited_source_html`); ``note``, plain text, ends the box.
    """
    if result.correct:
        verdict = '<p class="mw-verdict">Right.</p>'
    else:
        verdict = ('<p class="mw-verdict">Not quite.</p><p>The answer is: '
                   f"<strong>{html.escape(result.expected)}</strong>.</p>")
    parts = [
        verdict,
        f"<p>{html.escape(result.explanation)}</p>",
        f'<p class="mw-feedback-source">{source}</p>',
    ]
    if note:
        parts.append(f"<p><em>{html.escape(note)}</em></p>")
    kind = "mw-right" if result.correct else "mw-wrong"
    return f'<div class="mw-feedback {kind}" role="status">{"".join(parts)}</div>'


def sources_html(sources: Sequence[Source], refused: bool = False, pending: bool = False, span: str = "") -> str:
    """The sources panel: one card per cited passage, in answer order; ``span`` (the exact answer) is in
    bold in the first quoted sentence that holds it."""
    if pending:
        body = '<p class="mw-muted">Looking through the library…</p>'
    elif sources:
        holder = next((s.n for s in sources if span and any(span in c for c in s.cited_sentences)), None)
        cards = "".join(source_card(s, span if s.n == holder else "") for s in sources)
        note = " The exact answer is in bold." if holder is not None else ""
        body = (f'<p class="mw-muted">Highlighted: the sentences the answer quotes.{note}</p>'
                f'<ol class="mw-source-list">{cards}</ol>')
    elif refused:
        body = '<p class="mw-muted">No sources: the library does not support an answer to this question.</p>'
    else:
        body = '<p class="mw-muted">The passages behind each answer appear here, with links to the originals.</p>'
    return f'<section class="mw-sources" aria-label="Sources" aria-live="polite"><h2>Sources</h2>{body}</section>'


def status_line(status: dict[str, Any]) -> str:
    """``Library: 35 documents · 412 passages · Answers: offline (extractive)``, or what to do when empty."""
    backend = md_escape(str(status.get("backend", "")))
    if not status.get("chunks"):
        return f"⚠ {EMPTY_LIBRARY} Answers: {backend}."
    docs, chunks = int(status.get("documents", 0)), int(status["chunks"])
    return (f"Library: {docs} document{'s' * (docs != 1)} · {chunks} passage{'s' * (chunks != 1)} · "
            f"Answers: {backend}")


def answer_note(backend: str, total_ms: float | None, notices: Sequence[str] = (), refused: bool = False) -> str:
    """The line under the chat: who answered, how fast, and any notice."""
    took = f" in {total_ms / 1000:.1f} s" if total_ms else ""
    head = "No answer from the library" if refused else f"Answered by **{md_escape(backend)}**"
    lines = [f"{head}{took}."]
    lines += [f"⚠ {md_escape(n)}" for n in notices]
    return "  \n".join(lines)


def error_note(message: str) -> str:
    return f"⚠ {md_escape(message)}"
