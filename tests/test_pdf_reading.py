"""PDF reading as an official reads: real institutional PDFs read in place, and small PDFs made here.

The real documents are in ../shared/realdocs (MWALIMU_REALDOCS may point elsewhere); they are read in
place, never copied. Each test names the fact it checks on a specific page of a specific document.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

import pytest

from tests import factories
from tutor.library.loaders import load_file
from tutor.library.loaders.base import LoadedDocument, Section
from tutor.library.loaders.pdf import load_pdf
from tutor.library.loaders.pdf_layout import fix_glyphs
from tutor.library.loaders.pdf_paragraphs import join_lines

REALDOCS = Path(os.environ.get("MWALIMU_REALDOCS") or Path(__file__).resolve().parents[1].parent / "shared" / "realdocs")
DGI = "oecd-2023-digital-government-index.pdf"
OURDATA = "oecd-ourdata-index-2017.pdf"
REGULATIONS = "kenya-data-protection-general-regulations-2021-extract.pdf"
ARTICLE = "article-transfer-personal-data-out-of-kenya.pdf"
SCANNED = "kenya-odpc-data-sharing-code-scanned.pdf"


@cache
def real(name: str) -> LoadedDocument:
    """A real document, loaded once per test session (the DGI takes seconds)."""
    path = REALDOCS / name
    assert path.exists(), f"{path} is missing: set MWALIMU_REALDOCS to the folder of the real documents"
    return load_pdf(path)


def on_page(doc: LoadedDocument, page: int) -> list[Section]:
    return [s for s in doc.sections if s.page == page]


def cited(doc: LoadedDocument, citation: str) -> list[Section]:
    return [s for s in doc.sections if s.citation == citation]


# --- tables ---------------------------------------------------------------------------------------

def test_dgi_ranking_table_is_read_as_labelled_rows_korea_first() -> None:
    """DGI Table A.1 (PDF page 26): each country a sentence, every number with its column's label."""
    tables = [s for s in on_page(real(DGI), 26) if s.role == "table"]
    assert len(tables) == 1
    caption, *rows = tables[0].text.splitlines()
    assert caption == "Table A.1. 2023 OECD Digital Government Index Results"  # heads the rows it names
    assert rows[0].startswith("Korea (KOR): Digital by Design 0.971;")
    assert "Composite Score 0.935; Ranking 1 (first)." in rows[0]
    assert rows[1].startswith("Denmark (DNK):") and rows[1].endswith("Ranking 2 (second).")
    assert rows[10].endswith("Ranking 11.")
    oecd = next(r for r in rows if r.startswith("OECD average (OECD)"))
    assert "Composite Score 0.605" in oecd and "Ranking" not in oecd  # the average has no rank
    assert "Table A.1" in tables[0].section
    assert not any("KOR 0.971 1.000" in s.text for s in real(DGI).sections)  # the old run of codes is gone


def test_ourdata_pillar_correlation_table_keeps_pillar_labels() -> None:
    """OURdata Annex F (PDF page 43): the correlation between pillars, each value with both pillar names."""
    tables = [s for s in on_page(real(OURDATA), 43) if s.role == "table"]
    assert tables, [s.text[:80] for s in on_page(real(OURDATA), 43)]
    text = tables[0].text
    assert "Pillar 2: Data accessibility: Pillar 1: Data availability 0.68***" in text
    assert re.search(r"Pillar 3: Government support for data re-use: .*Pillar 2: Data accessibility 0\.70\*\*\*", text)


def test_ourdata_annex_c_drawn_table_rows_keep_their_column_names_across_pages() -> None:
    """OURdata Annex C (PDF pages 25 and 26): a table of shaded cells; the header is printed once."""
    doc = real(OURDATA)
    first = next(s for s in on_page(doc, 25) if s.role == "table").text.splitlines()
    assert first[0].startswith("N° 1; Pillar: Data availability; Sub-pillar: Content of the open by default policy;")
    assert first[0].endswith("Response options: Yes/No; IODC principle: 1.a.")
    assert len(first) == 8
    carried = next(s for s in on_page(doc, 26) if s.role == "table").text.splitlines()
    assert carried[0].startswith("N° 9; Pillar: Data availability; Sub-pillar: Stakeholder engagement for data release;")
    assert not any(s.text.strip() == "25" for s in on_page(doc, 26))  # the landscape page's number is gone


def test_generated_table_rows_keep_their_cell_labels(tmp_path: Path) -> None:
    doc = load_pdf(factories.make_table_pdf(tmp_path / "table.pdf"))
    table = next(s for s in doc.sections if s.role == "table")
    assert table.text.splitlines() == [
        "Table 2.1. Digital readiness scores, 2024",
        "Kenya (KEN): Open data 0.812; Skills 0.640; Rank 1 (first).",
        "Rwanda (RWA): Open data 0.705; Skills 0.702; Rank 2 (second).",
        "Uganda (UGA): Open data 0.611; Skills 0.533; Rank 3 (third).",
        "Tanzania (TZA): Open data 0.540; Skills 0.498; Rank 4 (fourth).",
    ]
    assert not any(s.role == "caption" for s in doc.sections)  # the caption went into the table
    assert any("Kenya leads on open data" in s.text for s in doc.sections if s.role == "body")


# --- page labels and legislation ------------------------------------------------------------------

def test_printed_page_label_of_dgi_page_26_is_25() -> None:
    sections = on_page(real(DGI), 26)
    assert sections and {s.page_label for s in sections} == {"25"}
    assert {s.page_label for s in on_page(real(DGI), 10)} == {"9"}


def test_regulation_37_1_is_cited_with_its_marginal_note_and_printed_page() -> None:
    """Kenya's Data Protection (General) Regulations: reg. 37(1) on the sheet printed "1997"."""
    doc = real(REGULATIONS)
    (section,) = cited(doc, "reg. 37(1)")
    assert section.section == "Part VI Notification of personal data breaches > 37. Categories of notifiable data breach"
    assert section.page == 1 and section.page_label == "1997"
    assert section.text.startswith("(1) For the purpose of section 43 of the Act")
    assert "Categories of" not in section.text  # the marginal note is the title, not part of the sentence
    assert [s.page_label for s in cited(doc, "reg. 41(2)")] == ["1999"]
    assert doc.file_meta["publisher"] == "Government of Kenya"


def test_part_headings_are_not_fused_to_the_regulations_after_them() -> None:
    doc = real(REGULATIONS)
    for section in doc.sections:
        assert "PART VII" not in section.text and "TRANSFER OF PERSONAL DATA OUTSIDE" not in section.text
        assert "Kenya Subsidiary" not in section.text  # the running head
    (first,) = [s for s in cited(doc, "reg. 39") if s.page == 2]
    assert first.section == "Part VII Transfer of personal data outside Kenya > 39. Interpretation of the Part VII"
    assert first.text.startswith("In this Part, unless the context otherwise requires")


def test_a_regulation_running_over_a_page_break_is_split_there() -> None:
    """reg. 38(1) starts on the sheet printed 1997 and ends on 1998: two Sections, one citation."""
    parts = cited(real(REGULATIONS), "reg. 38(1)")
    assert [(s.page, s.page_label) for s in parts] == [(1, "1997"), (2, "1998")]
    assert parts[1].text.startswith("controller or data processor after the data controller")


def test_a_regulation_that_starts_at_the_foot_of_a_page_is_one_section_cited_to_both_pages() -> None:
    """reg. 42's first three lines are at the foot of 1999 and its three conditions on 2000. Cut at the page,
    the second half would start "safeguards if that country ..." and could not be quoted."""
    (deeming,) = cited(real(REGULATIONS), "reg. 42")
    assert (deeming.page, deeming.page_label) == (3, "1999–2000")
    assert deeming.text.startswith("For the purpose of confirming the existence of appropriate data protection")
    assert "(a) ratified the African Union Convention" in deeming.text


def _tokens(text: str) -> set[str]:
    return {t.strip(".,;:()“”\"'’").lower() for t in text.split()} - {""}


@pytest.mark.parametrize("name", [REGULATIONS, ARTICLE])
def test_no_word_is_cut_by_the_reader(name: str) -> None:
    """Every word we output is a word of the page's text layer (pypdf), two halves of a word hyphenated
    across a line end, or a word read by OCR in a Section marked ``ocr``. A Section cited to two pages
    ("1999–2000") holds words of both."""
    from pypdf import PdfReader

    reader = PdfReader(REALDOCS / name)
    doc = real(name)
    texts = [page.extract_text() for page in reader.pages]
    for number, text in enumerate(texts, start=1):
        for section in on_page(doc, number):
            pages = texts[number - 1: number + 1] if "–" in section.page_label else [text]
            _assert_words_from(section.text, set().union(*map(_tokens, pages)), section.ocr, number)


def _assert_words_from(text: str, source: set[str], ocr: bool, number: int) -> None:
    """Each word of ``text`` is in ``source``, or is two halves of a word hyphenated there, or was read by OCR."""
    pieces = {t.rstrip("-") for t in source}
    for token in _tokens(text):
        if token in source or token in pieces or ocr:
            continue
        halves = [(token[:i], token[i:]) for i in range(2, len(token) - 1)]
        joined = any(a in pieces and b in source for a, b in halves) or (
            "-" in token and all(p in pieces or p in source for p in token.split("-")))
        assert joined, f"page {number}: {token!r} is not in the text layer"


def test_words_drawn_as_outlines_are_read_back_and_marked_as_ocr() -> None:
    """On the sheet printed 1998 the text layer has "(a) hrough Kenya": the words between are drawn as
    letter outlines. They are read by OCR of that strip, and the Section says so."""
    doc = real(REGULATIONS)
    (definition,) = [s for s in cited(doc, "reg. 39") if s.page == 2]
    assert "(a) “data in transit” means personal data transferred through Kenya in the course" in definition.text
    assert definition.ocr
    (first,) = cited(doc, "reg. 37(1)")
    assert "(a) the data subject’s full name or identification number and any" in first.text
    assert not cited(doc, "reg. 37(2)")[0].ocr  # a sub-regulation with only real text is not marked
    assert not any(re.search(r"\bhrough\b|\bsubjec\b", s.text) for s in doc.sections)


# --- title, publisher, roles, spacing -------------------------------------------------------------

def test_oecd_titles_and_publishers_come_from_the_first_pages() -> None:
    dgi = real(DGI).file_meta
    assert dgi["title"] == "2023 OECD Digital Government Index"
    assert dgi["publisher"] == "OECD" and dgi["year"] == 2024  # not "GONZALEZ-ZAPATA Felipe"
    ourdata = real(OURDATA).file_meta
    assert "OURdata" in str(ourdata["title"]) and "Index" in str(ourdata["title"])
    assert ourdata["publisher"] == "OECD"


def test_contents_references_and_cover_pages_are_flagged_not_quotable() -> None:
    dgi = real(DGI)
    assert {s.role for s in on_page(dgi, 1)} == {"cover"}
    assert {s.role for s in on_page(dgi, 6)} == {"contents"}
    assert {s.role for s in on_page(dgi, 25)} == {"references"}
    assert all(not s.quotable for s in on_page(dgi, 25))
    assert all(s.quotable for s in on_page(dgi, 26))  # Annex A follows the references: it is an answer
    assert {s.role for s in on_page(real(OURDATA), 4)} == {"contents"}
    references = [s for s in real(OURDATA).sections if s.role == "references"]
    assert references and {s.page_label for s in references} >= {"19"}


def test_article_runs_of_spaces_are_normalised() -> None:
    doc = real(ARTICLE)
    text = "\n".join(s.text for s in doc.sections)
    assert "protected even when transferred to jurisdictions with potentially less stringent privacy" in text
    assert not re.search(r"\w \n|  ", text.replace("\n\n", " "))
    start = next(s for s in doc.sections if "Before embarking on any cross-border data transfer" in s.text)
    assert start.section == "Key requirements for lawful data transfers"  # from the PDF outline
    assert not start.text.startswith("transfers")  # the second line of the wrapped heading is heading too
    lead = "Kenya’s data protection framework recognises the diversity of data protection regimes across"
    assert any(lead in s.text for s in doc.sections)  # a double-spaced paragraph stays one paragraph
    assert not any(s.text.startswith("(Regulation 21)") for s in doc.sections)


def test_scanned_pdf_is_not_refused_but_its_pages_are_listed_for_ocr() -> None:
    doc = real(SCANNED)
    assert doc.image_pages == list(range(1, 25)) and doc.sections == []


def test_ourdata_footnote_marker_leaves_the_sentence_and_the_note_stands_alone() -> None:
    """OURdata sheet 7 (printed 6): "December 2016¹." and footnote 1 at the foot of the page."""
    page = on_page(real(OURDATA), 7)
    assert any("between October and December 2016. Respondents were" in s.text for s in page if s.role == "body")
    notes = [s for s in page if s.role == "footnote"]
    assert [n.text[:40] for n in notes] == ["1 Data were collected for all OECD membe"]
    assert not any("Data were collected for all OECD member" in s.text for s in page if s.role == "body")


def test_dgi_outline_with_a_file_name_entry_and_bad_nesting_gives_clean_paths() -> None:
    dgi = real(DGI)
    paths = {s.section for s in dgi.sections}
    assert not any(".pdf" in p for p in paths)
    assert "Annex B. Methodological note > Data collection and calculation" in {s.section for s in on_page(dgi, 28)}
    assert any(p.startswith("2 Overall results and key findings > Key findings on the 2023 DGI") for p in paths)


# --- generated layouts ----------------------------------------------------------------------------

def test_two_columns_are_read_left_then_right(tmp_path: Path) -> None:
    doc = load_pdf(factories.make_two_column_pdf(tmp_path / "columns.pdf"))
    text = "\n".join(s.text for s in doc.sections)
    left = " ".join(factories.TWO_COLUMN_LEFT)
    right = " ".join(factories.TWO_COLUMN_RIGHT)
    assert left in text and right in text
    assert text.rindex(left) < text.index(right)
    assert doc.file_meta["title"] == "County registries go digital"


def test_footnote_is_kept_apart_from_the_sentence_it_interrupts(tmp_path: Path) -> None:
    doc = load_pdf(factories.make_footnote_pdf(tmp_path / "footnote.pdf"))
    body = [s for s in doc.sections if s.role == "body"]
    notes = [s for s in doc.sections if s.role == "footnote"]
    assert any("forty-seven counties in 2023 and found that most registries" in s.text for s in body)
    assert [s.text for s in notes] == ["1 Nairobi and Mombasa answered through their county secretaries."]
    assert notes[0].quotable and not any("Nairobi" in s.text for s in body)


def test_hyphenated_words_are_rejoined_unless_printed_with_a_hyphen(tmp_path: Path) -> None:
    page_two = load_pdf(factories.make_report_pdf(tmp_path / "report.pdf")).sections[1].text
    assert "digital transformation of licensing" in page_two
    vocab = {"sub-regulation", "whole-of-government"}
    assert join_lines(["under sub-", "regulation (1)"], vocab) == "under sub-regulation (1)"
    assert join_lines(["a whole-of-", "government approach"], set()) == "a whole-of-government approach"
    assert join_lines(["the digital transfor-", "mation"], vocab) == "the digital transformation"
    assert fix_glyphs("ﬁnancial ﬂows") == "financial flows"


def test_outline_gives_the_sections_and_a_file_name_title_is_replaced(tmp_path: Path) -> None:
    doc = load_pdf(factories.make_outline_pdf(tmp_path / "outline.pdf"))
    assert [(s.page, s.section) for s in doc.sections] == [(1, "Ngong pilot"), (2, "Budget"), (3, "Lessons")]
    assert doc.file_meta.get("title") != "report.docx"


def test_generated_regulations_split_by_sub_regulation_with_gazette_page_numbers(tmp_path: Path) -> None:
    doc = load_pdf(factories.make_legislation_pdf(tmp_path / "regs.pdf"))
    assert [(s.citation, s.page_label) for s in doc.sections] == [
        ("reg. 12(1)", "2101"), ("reg. 12(2)", "2101"), ("reg. 13(1)", "2101–2102"), ("reg. 13(2)", "2102"),
        ("reg. 14", "2102")]
    # reg. 13(1)'s two opening lines at the foot of 2101 finish no sentence: it is one Section over both pages.
    assert doc.sections[2].text == ("(1) The Data Commissioner shall issue a certificate of registration to every "
                                    "applicant that meets the requirements of these Regulations and keeps a copy at "
                                    "its principal office.")
    assert doc.sections[0].section == "Part III Registration of data handlers > 12. Registration of data handlers"
    assert doc.sections[-1].section == "Part IV Complaints > 14. Lodging of complaints"
    for section in doc.sections:
        assert "PART" not in section.text and "Kenya Subsidiary" not in section.text
        assert "Registration of data" not in section.text and "Lodging of" not in section.text


def test_pdf_without_a_text_layer_lists_its_pages_for_ocr(tmp_path: Path) -> None:
    doc = load_pdf(factories.make_image_only_pdf(tmp_path / "scan.pdf", pages=3))
    assert doc.image_pages == [1, 2, 3] and doc.sections == [] and doc.pages == 3


def test_parser_warnings_do_not_reach_the_console(capfd: pytest.CaptureFixture[str]) -> None:
    """The regulations' fonts make pypdf warn "fontTools is required..."; the loader keeps that quiet."""
    doc = load_file(REALDOCS / REGULATIONS)
    captured = capfd.readouterr()
    assert doc.sections
    assert "fontTools" not in captured.err + captured.out
    assert "Invalid Font" not in captured.err + captured.out
