"""HTML loader: the main text of a page, without navigation, header, footer, scripts or forms."""

from __future__ import annotations

import re
from pathlib import Path

from tutor.library.loaders.base import LoadedDocument, Section, is_reference_heading
from tutor.library.loaders.textio import read_text

#: Elements that never carry the page's own content.
_BOILERPLATE_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe",
                     "svg", "button", "template", "select")
_BOILERPLATE_ROLES = re.compile(r"^(navigation|banner|contentinfo|complementary|search|menu)$", re.IGNORECASE)
_BLOCK_TAGS = ("p", "div", "li", "ul", "ol", "tr", "table", "section", "article", "pre", "blockquote",
               "dd", "dt", "br", "main", "figure", "figcaption")
_HEADINGS = ("h1", "h2", "h3", "h4")
_MARK = "\x00H"


def _meta(soup: object, *names: str) -> str | None:
    for name in names:
        tag = soup.find("meta", attrs={"name": name}) or soup.find("meta", attrs={"property": name})  # type: ignore[attr-defined]
        if tag and tag.get("content"):
            return str(tag["content"]).strip()
    return None


def _file_meta(soup: object) -> dict[str, object]:
    meta: dict[str, object] = {}
    title = _meta(soup, "og:title", "dc.title") or (soup.title.get_text(strip=True) if soup.title else None)  # type: ignore[attr-defined]
    if title:
        meta["title"] = title
    publisher = _meta(soup, "publisher", "dc.publisher", "og:site_name", "author")
    if publisher:
        meta["publisher"] = publisher
    date = _meta(soup, "article:published_time", "dc.date", "date", "citation_publication_date")
    if date and (year := re.search(r"\b(19|20)\d{2}\b", date)):
        meta["year"] = int(year.group(0))
    url = _meta(soup, "og:url")
    if url:
        meta["url"] = url
    return meta


def load_html(path: Path) -> LoadedDocument:
    """Keep ``<main>``/``<article>`` (or ``<body>``) minus boilerplate; headings become section paths."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(read_text(path), "lxml")
    file_meta = _file_meta(soup)
    for tag in soup.find_all(_BOILERPLATE_TAGS):
        tag.decompose()
    for tag in soup.find_all(attrs={"role": _BOILERPLATE_ROLES}):
        tag.decompose()
    root = soup.find("main") or soup.find(attrs={"role": "main"}) or soup.find("article") or soup.body or soup
    for heading in root.find_all(_HEADINGS):
        level = int(heading.name[1])
        heading.replace_with(f"\n{_MARK}{level} {heading.get_text(' ', strip=True)}\n")
    for tag in root.find_all(_BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    text = root.get_text()
    stack: list[tuple[int, str]] = []
    sections: list[Section] = []
    buffer: list[str] = []

    def flush() -> None:
        body = re.sub(r"\n{3,}", "\n\n", "\n".join(buffer)).strip()
        buffer.clear()
        if body and not any(is_reference_heading(name) for _, name in stack):
            sections.append(Section(text=body, section=" > ".join(name for _, name in stack)))

    for raw in text.splitlines():
        line = re.sub(r"\s+", " ", raw).strip()
        if line.startswith(_MARK):
            flush()
            level, name = int(line[2]), line[4:].strip()
            stack = [(lv, nm) for lv, nm in stack if lv < level] + [(level, name)]
        else:
            buffer.append(line)
    flush()
    return LoadedDocument(kind="html", sections=sections, file_meta=file_meta).require_text()
