"""Scanned pages are read by OCR (Debian's tesseract): made here as images of text, and a real scan read in place.

The scans are real PDFs with no text layer (text rendered to pixels by Pillow, placed by reportlab), ingested
for real; the questions can only be answered from the pixels.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import factories
import pytest
from system import require_tesseract

from tutor.errors import DocumentError
from tutor.library.ingestion import Ingestor
from tutor.library.loaders import OcrOptions, load_file
from tutor.library.loaders.ocr import read_pages
from tutor.library.loaders.ocr_text import ocr_sections
from tutor.library.register import Hit
from tutor.library.store import ChunkStore
from tutor.settings import Settings

Search = Callable[[str, int], list[Hit]]
REALDOCS = Path(os.environ.get("MWALIMU_REALDOCS") or Path(__file__).resolve().parents[1].parent / "shared" / "realdocs")
SCANNED = REALDOCS / "kenya-odpc-data-sharing-code-scanned.pdf"
ALLOWANCE = "What hardship allowance do officers posted to Marsabit County receive?"


@pytest.fixture(autouse=True)
def tesseract() -> None:
    """Every test here runs Debian's tesseract, with the English and Kiswahili data `make test` installs."""
    require_tesseract("eng", "swa")


def reason(path: Path, options: OcrOptions) -> str:
    with pytest.raises(DocumentError) as caught:
        load_file(path, ocr=options)
    return str(caught.value)


def test_a_fact_only_on_a_scanned_page_is_answered_from_that_page(ingestor: Ingestor, settings: Settings,
                                                                  dense_search: Search) -> None:
    factories.make_scanned_pdf(settings.corpus_dir / "circular.pdf", first_number=7)
    summary = ingestor.run()
    assert not summary.failures, summary.text()
    best = dense_search(ALLOWANCE, 1)[0]
    assert "eleven thousand four hundred shillings" in best.text
    assert best.metadata["ocr"] is True
    assert best.metadata["page"] == 1 and best.metadata["page_label"] == "7"


def test_a_mixed_pdf_keeps_its_text_pages_and_reads_its_scanned_page(ingestor: Ingestor, settings: Settings,
                                                                     dense_search: Search) -> None:
    text_pages = [["Road maintenance in Kajiado is funded by the fuel levy collected at the pump."],
                  ["The county engineer inspects every culvert before the long rains each year."]]
    path = factories.make_scanned_pdf(settings.corpus_dir / "mixed.pdf", text_pages=text_pages)
    doc = load_file(path)
    assert doc.image_pages == [3]
    assert sorted({(s.page, s.ocr) for s in doc.sections}) == [(1, False), (2, False), (3, True)]
    assert not ingestor.run().failures
    scanned = dense_search(ALLOWANCE, 1)[0]
    assert "eleven thousand four hundred" in scanned.text
    assert (scanned.metadata["page"], scanned.metadata["page_label"], scanned.metadata["ocr"]) == (3, "3", True)
    typed = dense_search("Who inspects culverts before the long rains?", 1)[0]
    assert "county engineer" in typed.text and typed.metadata["page"] == 2 and "ocr" not in typed.metadata


def test_ocr_off_or_missing_refuses_a_scan_in_one_line(tmp_path: Path) -> None:
    path = factories.make_scanned_pdf(tmp_path / "scan.pdf")
    assert reason(path, OcrOptions(enabled=False)) == "no extractable text: scanned PDF and OCR is off (TUTOR_OCR)"
    assert reason(path, OcrOptions(tesseract="no-such-tesseract")) == (
        "no extractable text: scanned PDF and OCR is unavailable (apt-get install tesseract-ocr)")


def test_ocr_off_still_reads_the_text_pages_of_a_mixed_pdf(tmp_path: Path) -> None:
    path = factories.make_scanned_pdf(tmp_path / "mixed.pdf", text_pages=[["Typed page about the fuel levy."]])
    doc = load_file(path, ocr=OcrOptions(enabled=False))
    assert [(s.page, s.ocr) for s in doc.sections] == [(1, False)] and doc.image_pages == [2]


def test_missing_language_data_is_one_line(tmp_path: Path) -> None:
    path = factories.make_scanned_pdf(tmp_path / "scan.pdf")
    assert reason(path, OcrOptions(languages="eng+xyz")) == (
        "OCR language data missing: xyz (apt-get install tesseract-ocr-xyz)")


def test_a_page_over_the_ocr_time_limit_fails_its_file_alone(ingestor: Ingestor, settings: Settings,
                                                             store: ChunkStore, dense_search: Search) -> None:
    factories.make_note(settings.corpus_dir / "note.md")
    assert not ingestor.run().failures
    before = set(store.records())
    settings.ocr_page_timeout_s = 0.01
    factories.make_scanned_pdf(settings.corpus_dir / "circular.pdf")
    summary = ingestor.run()
    assert [(f.source, f.action) for f in summary.failures] == [("circular.pdf", "failed")]
    message = summary.failures[0].reason
    assert message == "OCR of page 1 took longer than 0.01 s (TUTOR_OCR_PAGE_TIMEOUT_S)"
    assert set(store.records()) == before
    assert "eleven thousand" not in " ".join(h.text for h in dense_search(ALLOWANCE, 5))


def test_ocr_text_becomes_sections_with_headings_labels_and_joined_words() -> None:
    page = "| ODPC — DATA SHARING CODE\n\n{body}\n\nF| ODPC = DATA SHARING CODE {n} |\n\n& G\n"
    bodies = {7: "3.2 Scope of sharing\n\nThe scope of data shar-\ning is set\nby the Act.",
              8: "Every share needs a lawful\nbasis.", 9: "Records of each share\nare kept."}
    sections = ocr_sections({n: page.format(n=n, body=body) for n, body in bodies.items()})
    assert [(s.page, s.page_label) for s in sections] == [(7, "7"), (8, "8"), (9, "9")]
    assert sections[0].text == "3.2 Scope of sharing\n\nThe scope of data sharing is set by the Act."
    assert sections[0].section == "3.2 Scope of sharing" and all(s.ocr for s in sections)


@pytest.fixture(scope="module")
def odpc_pages() -> dict[int, str]:
    assert SCANNED.exists(), f"{SCANNED} is missing: set MWALIMU_REALDOCS to the folder of the real documents"
    return read_pages(SCANNED, [4, 5, 16], OcrOptions())


def test_the_real_scanned_data_sharing_code_is_read_page_by_page(odpc_pages: dict[int, str]) -> None:
    sections = ocr_sections(odpc_pages)
    by_page = {n: " ".join(s.text for s in sections if s.page == n) for n in (4, 5, 16)}
    assert "Section 55 of the Act provides for the issuance of a Data sharing code" in by_page[4]
    assert "Data minimization" in by_page[5] and "Storage limitation" in by_page[5]
    assert "Section 30 of the Data Protection Act 2019" in by_page[16]
    assert "DATA SHARING CODE" not in " ".join(by_page.values())  # the running foot is gone
    assert {s.page: s.page_label for s in sections} == {4: "4", 5: "5", 16: "15"}  # as printed
    assert any(s.section.endswith("2.1 Key Data Sharing Principles") for s in sections if s.page == 5)


def test_a_kiswahili_scan_is_read_with_the_kiswahili_language_data(tmp_path: Path) -> None:
    page = ["Serikali ya kaunti itatoa huduma za afya bila malipo kwa wazee wote kuanzia mwezi Julai.",
            "Ofisi ya mkurugenzi itapokea maombi ya wananchi kila Jumatatu na Alhamisi."]
    path = factories.make_scanned_pdf(tmp_path / "tangazo.pdf", [page])
    doc = load_file(path, ocr=OcrOptions(languages="swa"))
    text = " ".join(s.text for s in doc.sections)
    assert all(s.ocr for s in doc.sections)
    for words in ("huduma za afya bila malipo", "wazee wote", "kila Jumatatu na Alhamisi"):
        assert words in text, text


def test_a_scanned_cover_gives_the_title_and_publisher(tmp_path: Path) -> None:
    """No PDF properties and no text layer: the title is the cover's largest type, the publisher its office."""
    cover = ["REPUBLIC OF KENYA", "", "MINISTRY OF ROADS AND TRANSPORT", "", "", "# Staff Transport", "# Circular",
             "", "Issued in March 2024"]
    path = factories.make_scanned_pdf(tmp_path / "scan0001.pdf", [cover, factories.SCANNED_PAGE])
    doc = load_file(path)
    assert doc.file_meta.get("title") == "Staff Transport Circular"
    assert doc.file_meta.get("publisher") == "Ministry of Roads and Transport"
