"""Where a passage stands, as an official cites it: printed page, legal provision, OCR, non-answer pages.

The PDF loader fills these fields on :class:`Section`; here they travel through chunking, a real Chroma,
retrieval and the answer to the citation line, the ``/ask`` shape and the Sources panel.
"""

from __future__ import annotations

import time

import pytest

from tutor.answers.tutor import Tutor
from tutor.events import Source
from tutor.library.chroma import open_store
from tutor.library.chunking import Chunker, embed_header
from tutor.library.embeddings import embed_matrix
from tutor.library.lexical import LexicalCache, rebuild
from tutor.library.loaders.base import Section
from tutor.library.register import DocumentRecord
from tutor.settings import Settings
from tutor.ui.render import source_card

TITLE = "Data Protection (General) Regulations, 2021"
SECTIONS = [
    Section("What a notification of a data breach to the Data Commissioner must state, regulation 38 on page 1997. "
            "Categories of notifiable data breach, regulation 37 on page 1997.", page=1, page_label="1995",
            role="contents"),
    Section("A notification to the Data Commissioner of a notifiable data breach shall state the number of data "
            "subjects affected by the breach.", page=3, page_label="1997",
            section="Part VI Notification of personal data breaches > 38. Notification to the Data Commissioner",
            citation="reg. 38(1)"),
    Section("A data controller shall notify the Data Commissioner of a notifiable data breach within seventy-two "
            "hours of becoming aware of it.", page=3, page_label="1997",
            section="Part VI Notification of personal data breaches > 38. Notification to the Data Commissioner",
            citation="reg. 38(3)"),
    Section("The Data Commissioner keeps a public register of data controllers, read from a scanned page.",
            page=4, page_label="1998", ocr=True),
]


def _meta(section: Section, chunker: Chunker) -> dict[str, object]:
    [chunk] = chunker.split("regs", TITLE, [section], {"doc_id": "regs", "title": TITLE})
    return dict(chunk.metadata)


def test_chunks_carry_printed_page_provision_ocr_and_role(embeddings: object) -> None:
    chunker = Chunker(embeddings)  # type: ignore[arg-type]
    contents, regulation, _, scanned = (_meta(s, chunker) for s in SECTIONS)
    assert contents["page"] == 1 and contents["page_label"] == "1995"
    assert contents["role"] == "contents" and contents["quotable"] is False
    assert regulation["citation"] == "reg. 38(1)" and regulation["page_label"] == "1997"
    assert "quotable" not in regulation and "role" not in regulation and "ocr" not in regulation
    assert scanned["ocr"] is True


def test_the_embedded_header_spells_the_provision_out() -> None:
    header = embed_header(TITLE, "Part VI > 38. Notification", "reg. 38(1)")
    assert "regulation 38(1)" in header and "Part VI > 38. Notification" in header
    assert embed_header(TITLE, "", "s. 25(1)") == f"{TITLE} | section 25(1)\n"
    assert embed_header(TITLE, "") == f"{TITLE}\n"


def test_the_citation_line_gives_the_provision_and_the_printed_page() -> None:
    base = {"n": 1, "chunk_id": "regs:3:0", "doc_id": "regs", "title": TITLE, "publisher": "Government of Kenya",
            "year": "2021", "page": 3, "section": "Part VI > 38. Notification", "url": "", "text": "..."}
    legal = Source(**base, page_label="1997", provision="reg. 38(1)")  # type: ignore[arg-type]
    assert legal.citation() == f"{TITLE}, Government of Kenya, 2021, reg. 38(1), p. 1997"
    over_a_page = Source(**base, page_label="1999–2000", provision="reg. 42")  # type: ignore[arg-type]
    assert over_a_page.citation() == f"{TITLE}, Government of Kenya, 2021, reg. 42, pp. 1999–2000"
    unlabelled = Source(**base)  # type: ignore[arg-type]
    assert unlabelled.citation().endswith("2021, p. 3")
    scanned = Source(**{**base, "page": 4}, page_label="1998", ocr=True)  # type: ignore[arg-type]
    assert scanned.citation().endswith("p. 1998 (read by OCR: check the page)")
    api = legal.to_api()
    assert api["page"] == 3 and api["page_label"] == "1997" and api["provision"] == "reg. 38(1)"
    assert api["section_path"] == ["Part VI", "38. Notification"] and api["ocr"] is False


def test_the_sources_panel_warns_about_ocr_and_names_the_pdf_page() -> None:
    scanned = Source(n=2, chunk_id="c", doc_id="d", title="Code", publisher="ODPC", year="2025", page=4,
                     section="", url="", text="Some text.", page_label="3", ocr=True)
    card = source_card(scanned)
    assert "Read by OCR: check the page" in card and "p. 3" in card and "PDF page 4" in card
    plain = source_card(Source(n=1, chunk_id="c", doc_id="d", title="Code", publisher="", year="", page=4,
                               section="", url="", text="Some text.", page_label="4"))
    assert "OCR" not in plain and "PDF page" not in plain


@pytest.fixture(scope="module")
def regulations(tmp_path_factory: pytest.TempPathFactory, embeddings: object) -> Settings:
    """The three sections stored for real (real model, real Chroma, BM25 published)."""
    root = tmp_path_factory.mktemp("citations")
    settings = Settings(data_dir=root / "data", corpus_dir=root, _env_file=None)  # type: ignore[call-arg]
    store = open_store(settings)
    chunks = Chunker(embeddings).split("regs", TITLE, SECTIONS, {"doc_id": "regs", "title": TITLE,  # type: ignore[arg-type]
                                                                 "publisher": "Government of Kenya", "year": "2021"})
    record = DocumentRecord(doc_id="regs", source="regs.pdf", fingerprint="f", content_sha256="s", title=TITLE,
                            kind="pdf", chunks=len(chunks), ingested_at=time.time(),
                            chunk_ids=tuple(c.id for c in chunks))
    store.replace_document(record, chunks, embed_matrix(embeddings, [c.embed_text for c in chunks]))  # type: ignore[arg-type]
    rebuild(store, settings.lexical_dir)
    return settings


def test_a_contents_page_is_found_but_never_quoted(regulations: Settings, embeddings: object) -> None:
    tutor = Tutor(open_store(regulations), embeddings, LexicalCache(regulations.lexical_dir))  # type: ignore[arg-type]
    done = tutor.answer("What must a notification of a data breach to the Data Commissioner state?")
    assert not done.refused
    assert any(s.chunk_id.startswith("regs:1:") for s in done.retrieved)  # the contents page was retrieved...
    assert done.sources and all(s.page != 1 for s in done.sources)  # ...but nothing from it is quoted
    assert "number of data subjects" in done.body
    assert "reg. 38(1), p. 1997" in done.answer


def test_a_question_asking_for_a_value_the_library_does_not_state_is_refused(regulations: Settings,
                                                                              embeddings: object) -> None:
    """Close in meaning is not enough: "regulation 52" stands nowhere, and no sentence states a fine."""
    tutor = Tutor(open_store(regulations), embeddings, LexicalCache(regulations.lexical_dir))  # type: ignore[arg-type]
    answered = tutor.answer("Within how many hours must a data controller notify the Data Commissioner of a breach?")
    assert not answered.refused and "seventy-two hours" in answered.body
    assert tutor.answer("What fine applies under regulation 52 for notifying a data breach late?").refused
    assert tutor.answer("How much does the Data Commissioner charge to register a data controller?").refused
