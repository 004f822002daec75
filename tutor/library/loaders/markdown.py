"""Markdown and plain-text loaders: YAML front matter as declared metadata, sections by heading."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tutor.errors import DocumentError
from tutor.library.loaders.base import LoadedDocument, Section, is_reference_heading
from tutor.library.loaders.textio import read_text

_HEADING = re.compile(r"^(#{1,4})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = [
    re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"),  # **bold**, __bold__
    re.compile(r"(?<![\w*])(\*|_)(?=\S)(.+?)(?<=\S)\1(?![\w*])"),  # *italic*, _italic_
    re.compile(r"(`)(.+?)\1"),  # `code`
]


def plain_inline(text: str) -> str:
    """Drop inline Markdown (bold, italics, code ticks, link targets) so quoted passages read as prose.

    Line structure (bullets, paragraphs) is kept: the sentence splitter uses it.
    """
    text = _LINK.sub(r"\1", text)
    for pattern in _EMPHASIS:
        text = pattern.sub(r"\2", text)
    return text


def split_front_matter(text: str) -> tuple[dict[str, object], str]:
    """Return the YAML front matter (``---`` block at the very top) and the body after it."""
    if not text.startswith("---"):
        return {}, text
    match = re.match(r"^---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|$)", text, re.DOTALL)
    if not match:
        return {}, text
    try:
        data = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0]
        raise DocumentError(f"front matter is not valid YAML: {first}") from exc
    if not isinstance(data, dict):
        raise DocumentError("front matter must be a YAML mapping (key: value lines)")
    return data, text[match.end():]


def split_by_headings(body: str) -> tuple[str | None, list[Section]]:
    """Split Markdown into sections keyed by heading path; returns the first H1 (a title) too.

    The single top-level H1 is the document title, so paths start below it ("Pillars > Skills");
    text under no heading but the H1 is the "Introduction". Reference lists are dropped.
    """
    lines = body.splitlines()
    h1s = [m.group(2) for ln in lines if (m := _HEADING.match(ln)) and len(m.group(1)) == 1]
    title = h1s[0] if len(h1s) == 1 else None
    stack: list[tuple[int, str]] = []
    sections: list[Section] = []
    buffer: list[str] = []
    in_fence = False

    def flush() -> None:
        text = "\n".join(buffer).strip()
        buffer.clear()
        names = [name for level, name in stack if not (title and level == 1)]
        if not text or any(is_reference_heading(name) for _, name in stack):
            return
        sections.append(Section(text=plain_inline(text), section=" > ".join(names) or ("Introduction" if title else "")))

    for line in lines:
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match:
            flush()
            level = len(match.group(1))
            stack = [(lv, name) for lv, name in stack if lv < level] + [(level, match.group(2))]
        else:
            buffer.append(line)
    flush()
    return title, sections


def load_markdown(path: Path) -> LoadedDocument:
    """Load a Markdown note; front matter fields (title, publisher, year, url...) are declared metadata."""
    declared, body = split_front_matter(read_text(path))
    title, sections = split_by_headings(body)
    file_meta: dict[str, object] = {"title": title} if title else {}
    return LoadedDocument(kind="markdown", sections=sections, declared=declared, file_meta=file_meta).require_text()


def load_text(path: Path) -> LoadedDocument:
    """Load a plain-text file as one section; the chunker splits it by paragraph and sentence."""
    text = read_text(path).strip()
    first_line = text.splitlines()[0].strip() if text else ""
    meta: dict[str, object] = {"title": first_line[:120]} if 0 < len(first_line) <= 120 else {}
    return LoadedDocument(kind="text", sections=[Section(text=text)], file_meta=meta).require_text()
