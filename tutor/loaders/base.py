"""What every loader returns: a document as a list of sections with page or heading metadata."""

from __future__ import annotations

from dataclasses import dataclass, field

from tutor.errors import DocumentError

#: Headings whose sections are reference lists: kept out of the index, because quoting a bibliography
#: line is never a useful answer (the URLs survive in the document metadata).
REFERENCE_HEADINGS = frozenset({"sources", "references", "bibliography", "further reading"})


@dataclass(frozen=True)
class Section:
    """A run of text with where it came from: a 1-based PDF page, or a heading path."""

    text: str
    page: int | None = None
    section: str = ""


@dataclass
class LoadedDocument:
    """A parsed file.

    ``declared`` holds metadata the author wrote into the file on purpose (Markdown front matter) and
    wins over the catalog; ``file_meta`` is what the format records incidentally (PDF info, DOCX core
    properties, HTML ``<title>``) and only fills gaps.
    """

    kind: str
    sections: list[Section]
    declared: dict[str, object] = field(default_factory=dict)
    file_meta: dict[str, object] = field(default_factory=dict)
    pages: int | None = None

    def require_text(self) -> LoadedDocument:
        """Refuse a document with nothing to index, so that it is reported rather than silently empty."""
        if not any(any(ch.isalnum() for ch in s.text) for s in self.sections):
            if self.kind == "pdf":
                raise DocumentError("no extractable text: scanned? needs OCR")
            raise DocumentError("no extractable text")
        return self


def is_reference_heading(title: str) -> bool:
    """True for headings like "Sources" or "References" whose content is a citation list."""
    return title.strip().strip(":").lower() in REFERENCE_HEADINGS
