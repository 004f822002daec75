"""Structure-aware chunking that fits the embedding model exactly.

Sections (pages, headings) are never merged, so every chunk cites one page or one section. Inside a
section LangChain's recursive splitter cuts at paragraphs, then sentences, then words, measuring with
the embedding model's own tokenizer: a chunk plus its title/section header always fits the model's
maximum sequence length, so nothing is silently truncated at embedding time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from langchain_text_splitters import RecursiveCharacterTextSplitter

from tutor.library.loaders.base import Section
from tutor.text import spell_citation

#: Paragraphs, lines, sentence ends, clauses, words, characters: coarsest first.
_SEPARATORS = ["\n\n", "\n", r"(?<=[.!?])\s+", r"(?<=[;:])\s+", " ", ""]
#: Chunks are kept under this many word pieces even when the model reads more: shorter passages
#: retrieve more precisely and read better as citations.
MAX_CHUNK_TOKENS = 220
#: The title/section line embedded with every chunk is clipped to this many word pieces, so a huge
#: title or heading (a paragraph styled as a heading, a junk PDF title) still leaves room for the text.
MAX_HEADER_TOKENS = 48


class TokenCounter(Protocol):
    """What chunking needs from an embedding model."""

    @property
    def max_tokens(self) -> int: ...

    def count_tokens(self, texts: list[str]) -> list[int]: ...


@dataclass(frozen=True)
class Chunk:
    """One unit of retrieval: ``text`` is shown and quoted, ``embed_text`` (header + text) is embedded."""

    id: str
    text: str
    embed_text: str
    metadata: dict[str, str | int | float | bool] = field(default_factory=dict)


def slugify(value: str, limit: int = 60) -> str:
    """A lowercase, colon-free slug, so chunk ids split cleanly on ``:``."""
    slug = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")
    return slug[:limit].rstrip("-") or "text"


def document_heading(title: str, publisher: str = "") -> str:
    """The title, with its publisher when the title does not name it, and the publisher's initials.

    Officials name a document by who issued it ("the ODPC's code", "the OECD index"); a title read from
    a cover ("Data Sharing Code") often does not say who that is.
    """
    first = re.sub(r"\(.*?\)", "", publisher.split(";")[0]).strip()
    if not first or first.lower() in title.lower():
        return title
    initials = "".join(w[0] for w in re.findall(r"\b[A-Z][a-z]+", first))
    short = f" ({initials})" if len(initials) >= 3 and initials not in title else ""
    return f"{title} ({first}{short})"


def embed_header(title: str, section: str, citation: str = "", publisher: str = "") -> str:
    """The context line embedded with every chunk (not stored as its text).

    A legal unit's citation is spelt out ("reg. 37(1)" -> "regulation 37(1)") because officials ask
    for "regulation 37", not for the abbreviation.
    """
    where = section if section and section != title else ""
    if citation:
        where = f"{where} ({spell_citation(citation)})" if where else spell_citation(citation)
    heading = document_heading(title, publisher)
    return f"{heading} | {where}\n" if where else f"{heading}\n"


def section_meta(section: Section) -> dict[str, str | int | bool]:
    """What a section says about where its text stands, as flat chunk metadata (only what is set).

    ``quotable`` is stored only when false (covers, contents, reference lists: searchable, never quoted).
    """
    meta: dict[str, str | int | bool] = {}
    if section.page is not None:
        meta["page"] = section.page
    if section.page_label:
        meta["page_label"] = section.page_label
    if section.citation:
        meta["citation"] = section.citation
    if section.ocr:
        meta["ocr"] = True
    if section.role != "body":
        meta["role"] = section.role
    if not section.quotable:
        meta["quotable"] = False
    return meta


class Chunker:
    """Splits a document's sections into :class:`Chunk` objects with deterministic ids."""

    def __init__(self, counter: TokenCounter, overlap_tokens: int = 32, max_chunk_tokens: int = MAX_CHUNK_TOKENS):
        self.counter = counter
        self.overlap = overlap_tokens
        self.max_chunk_tokens = max_chunk_tokens
        self._memo: dict[str, int] = {}

    def _count(self, text: str) -> int:
        """Word pieces without [CLS]/[SEP]; memoised per ``split`` call (the splitter measures each piece twice)."""
        count = self._memo.get(text)
        if count is None:
            count = self._memo[text] = self.counter.count_tokens([text])[0] - 2
        return count

    def _splitter(self, budget: int) -> RecursiveCharacterTextSplitter:
        return RecursiveCharacterTextSplitter(
            chunk_size=budget,
            chunk_overlap=min(self.overlap, budget // 4),
            length_function=self._count,
            separators=_SEPARATORS,
            is_separator_regex=True,
            keep_separator="end",
        )

    def split(self, doc_id: str, title: str, sections: list[Section],
              base_meta: dict[str, str | int | float | bool]) -> list[Chunk]:
        """Chunk every section; ids are ``doc_id:<page or section slug>:<index in that page/section>``."""
        self._memo = {}
        chunks: list[Chunk] = []
        seen_keys: dict[str, int] = {}
        per_key: dict[str, int] = {}
        limit = self.counter.max_tokens
        for section in sections:
            key = str(section.page) if section.page is not None else slugify(section.section or "text")
            seen_keys[key] = seen_keys.get(key, 0) + 1
            if seen_keys[key] > 1:  # two sections with the same heading path
                key = f"{key}-{seen_keys[key]}"
            header = self._clip(embed_header(title, section.section, section.citation,
                                             str(base_meta.get("publisher", ""))).rstrip(),
                                MAX_HEADER_TOKENS) + "\n"
            where = section_meta(section)
            budget = min(self.max_chunk_tokens, limit - 2 - self._count(header) - 2)
            pieces = self._splitter(max(budget, 16)).split_text(section.text)
            for piece in self._fit(pieces, header, limit):
                meta = dict(base_meta)
                meta["chunk_index"] = len(chunks)
                meta.update(where)
                if section.section or section.page is None:  # every chunk cites a page or a section
                    meta["section"] = section.section
                index = per_key.get(key, 0)
                per_key[key] = index + 1
                chunks.append(Chunk(id=f"{doc_id}:{key}:{index}", text=piece, embed_text=header + piece, metadata=meta))
        return chunks

    def _clip(self, text: str, budget: int) -> str:
        """Shorten ``text`` (at a word boundary where there is one) until it has at most ``budget`` word pieces."""
        while len(text) > 1 and self._count(text) > budget:
            cut = text[: len(text) * 3 // 4]
            space = cut.rfind(" ")
            text = cut[:space] if space > 0 else cut
        return text

    def _fit(self, pieces: list[str], header: str, limit: int) -> list[str]:
        """Verify each piece with its header against the model limit; halve by words any that overflow."""
        out: list[str] = []
        queue = [p.strip() for p in pieces if p.strip()]
        counts = self.counter.count_tokens([header + p for p in queue])
        pending = list(zip(queue, counts))
        while pending:
            piece, count = pending.pop(0)
            if count <= limit:
                out.append(piece)
                continue
            words = piece.split()
            if len(words) < 2:  # one enormous "word": cut by characters
                half = len(piece) // 2
                parts = [piece[:half], piece[half:]]
            else:
                mid = len(words) // 2
                parts = [" ".join(words[:mid]), " ".join(words[mid:])]
            parts = [p for p in parts if p.strip()]
            pending = list(zip(parts, self.counter.count_tokens([header + p for p in parts]))) + pending
        return out
