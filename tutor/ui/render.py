"""Turning the tutor's events into text and HTML for the page: escaping, highlighting, status lines.

Everything that comes from documents or users is escaped here, once, before it reaches the browser.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from tutor import versions
from tutor.events import Source
from tutor.grading import Grade

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


def highlight(text: str, sentences: Sequence[str]) -> str:
    """The passage as escaped HTML, with each cited sentence inside ``<mark>`` (whitespace-tolerant)."""
    spans: list[tuple[int, int]] = []
    for sentence in sentences:
        words = sentence.split()
        if not words:
            continue
        pattern = r"\s+".join(re.escape(w) for w in words)
        match = re.search(pattern, text)
        if match:
            spans.append(match.span())
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    out, last = [], 0
    for start, end in merged:
        out.append(html.escape(text[last:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        last = end
    out.append(html.escape(text[last:]))
    return "".join(out)


def source_card(source: Source) -> str:
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
        f'<blockquote class="mw-passage">{highlight(source.text, source.cited_sentences)}</blockquote>'
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


def sources_html(sources: Sequence[Source], refused: bool = False, pending: bool = False) -> str:
    """The sources panel: one card per cited passage, in answer order."""
    if pending:
        body = '<p class="mw-muted">Looking through the library…</p>'
    elif sources:
        body = ('<p class="mw-muted">Highlighted: the sentences the answer quotes.</p>'
                f'<ol class="mw-source-list">{"".join(source_card(s) for s in sources)}</ol>')
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
