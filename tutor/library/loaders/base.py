"""What every loader returns: a document as a list of sections with page or heading metadata."""

from __future__ import annotations

from dataclasses import dataclass, field

from tutor.errors import DocumentError

#: Headings whose sections are reference lists: kept out of the index, because quoting a bibliography
#: line is never a useful answer (the URLs survive in the document metadata).
REFERENCE_HEADINGS = frozenset({"sources", "references", "bibliography", "further reading"})


#: Roles of text that is kept searchable (an official may look for a title) but never quoted as an answer:
#: a contents line or a bibliography entry answers nothing.
NON_ANSWER_ROLES = frozenset({"cover", "contents", "figures-list", "index", "references", "acknowledgements"})


@dataclass(frozen=True)
class Section:
    """A run of text with where it came from: a 1-based PDF page, or a heading path.

    PDFs say more, because an official quotes what is printed: ``page_label`` is the number printed on
    the page (``"25"`` on the 26th sheet; ``"1999–2000"`` for a provision that runs on over a page break,
    ``page`` being the first of them), ``citation`` the legal unit of an Act or regulation
    (``"s. 25(1)"``, ``"reg. 12(3)"``), ``ocr`` marks text read from a page image, and ``role`` says
    what kind of text it is; a section whose role is in :data:`NON_ANSWER_ROLES` is not quotable.
    """

    text: str
    page: int | None = None
    section: str = ""
    page_label: str = ""
    citation: str = ""
    ocr: bool = False
    role: str = "body"

    @property
    def quotable(self) -> bool:
        """False for covers, contents, lists of figures, indexes, reference lists and acknowledgements."""
        return self.role not in NON_ANSWER_ROLES


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
    #: 1-based numbers of PDF pages that have no text layer (scans): the OCR step reads them.
    image_pages: list[int] = field(default_factory=list)

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
