"""Loaders on real generated files: page/section metadata, clean text, and a one-line reason for bad input."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import factories
import pytest

from tutor.errors import DocumentError
from tutor.library.chunking import MAX_HEADER_TOKENS, Chunker
from tutor.library.embeddings import LocalEmbeddings
from tutor.library.loaders import Section, load_file
from tutor.library.loaders.pdf import strip_running_lines, tidy_page_text


def reason(path: Path, **limits: float) -> str:
    """The one-line reason a file is refused (fails the test if it is loaded instead)."""
    with pytest.raises(DocumentError) as caught:
        load_file(path, **limits)  # type: ignore[arg-type]
    message = str(caught.value)
    assert message and "\n" not in message, f"reason must be one line: {message!r}"
    return message


# --- PDF ------------------------------------------------------------------------------------------

def test_pdf_keeps_pages_and_drops_running_header_and_footer(tmp_path: Path) -> None:
    doc = load_file(factories.make_report_pdf(tmp_path / "report.pdf"))
    assert doc.kind == "pdf" and doc.pages == 4
    assert [s.page for s in doc.sections] == [1, 2, 3, 4]
    assert "412 officers" in doc.sections[0].text
    assert "Kisumu" in doc.sections[1].text
    assert "seven duties" in doc.sections[2].text
    assert "quarterly review" in doc.sections[3].text
    for section in doc.sections:
        assert "Working Paper" not in section.text  # the running header
        assert not any(f"Page {n} of 4" in section.text for n in range(1, 5))  # the running footer
    assert doc.file_meta["title"] == "County Digital Skills Working Paper"
    assert doc.file_meta["publisher"] == "Kenya School of Government"


def test_pdf_rejoins_words_hyphenated_across_a_line_end(tmp_path: Path) -> None:
    page_two = load_file(factories.make_report_pdf(tmp_path / "report.pdf")).sections[1].text
    assert "digital transformation of licensing services" in page_two
    assert "transfor-" not in page_two and "transfor " not in page_two


def test_running_lines_need_at_least_three_pages_and_keep_body_text() -> None:
    two_pages = ["Header\nBody one", "Header\nBody two"]
    assert strip_running_lines(two_pages) == two_pages
    bodies = ["Skills come first.", "Data needs care.", "Cloud saves money.", "Law sets limits.", "Review yearly."]
    pages = [f"Annual report 2024\n{body}\nPage {n} of 5" for n, body in enumerate(bodies, start=1)]
    assert strip_running_lines(pages) == bodies
    assert tidy_page_text("policy-\nmakers agree\nthat it works") == "policymakers agree that it works"


def test_pdf_placeholder_metadata_is_ignored(tmp_path: Path) -> None:
    """reportlab (and some scanners) write "untitled"/"anonymous": that must not become a citation."""
    path = factories.make_pdf(tmp_path / "plain.pdf", factories.REPORT_PAGES)
    meta = load_file(path).file_meta
    assert "title" not in meta and "publisher" not in meta


def test_encrypted_pdf_is_refused(tmp_path: Path) -> None:
    assert reason(factories.make_encrypted_pdf(tmp_path / "locked.pdf")) == (
        "encrypted PDF: remove the password and try again")


def test_pdf_with_only_an_owner_password_is_read(tmp_path: Path) -> None:
    """Permissions-only encryption (empty user password) opens without a password, like in any viewer."""
    doc = load_file(factories.make_encrypted_pdf(tmp_path / "owner-only.pdf", user_password=""))
    assert [s.page for s in doc.sections] == [1, 2, 3, 4]


def test_pdf_whose_drawings_hold_no_words_is_refused(tmp_path: Path) -> None:
    assert reason(factories.make_image_only_pdf(tmp_path / "scan.pdf")) == "no extractable text: OCR read no words on the scanned pages"


def test_corrupt_pdf_is_refused(tmp_path: Path) -> None:
    assert reason(factories.make_corrupt_pdf(tmp_path / "cut.pdf")).startswith("corrupt PDF")


def test_file_that_is_not_a_pdf_is_refused(tmp_path: Path) -> None:
    path = factories.make_html(tmp_path / "page.pdf")
    assert reason(path) == "corrupt PDF: the file does not start like a PDF"


def test_crafted_pdf_hits_the_time_limit(tmp_path: Path) -> None:
    """A small file that expands into millions of operators: the parser is stopped after the time limit."""
    path = factories.make_crafted_pdf(tmp_path / "slow.pdf", operations=1_500_000)
    assert path.stat().st_size < 500_000
    started = time.perf_counter()
    message = reason(path, timeout_s=1.5, memory_mb=2048)
    elapsed = time.perf_counter() - started
    assert message == "parsing took longer than 1.5 s (damaged or crafted file?)"
    assert elapsed < 1.5 + 5


def test_crafted_pdf_hits_the_memory_limit(tmp_path: Path) -> None:
    path = factories.make_crafted_pdf(tmp_path / "greedy.pdf", operations=1_500_000)
    started = time.perf_counter()
    message = reason(path, timeout_s=60, memory_mb=256)
    assert message == "parsing needed more than 256 MB of memory (damaged or crafted file?)"
    assert time.perf_counter() - started < 30


def test_decompression_bomb_and_deep_nesting_are_refused_quickly(tmp_path: Path) -> None:
    started = time.perf_counter()
    bomb = reason(factories.make_crafted_pdf(tmp_path / "bomb.pdf", operations=3_000_000), timeout_s=10)
    nested = reason(factories.make_deeply_nested_pdf(tmp_path / "nested.pdf"), timeout_s=10)
    assert "Limit reached while decompressing" in bomb
    assert nested == "the file's structure nests too deeply to parse (damaged or crafted file?)"
    assert time.perf_counter() - started < 10


# --- DOCX -----------------------------------------------------------------------------------------

def test_docx_is_split_by_heading_with_paths(tmp_path: Path) -> None:
    doc = load_file(factories.make_handbook_docx(tmp_path / "handbook.docx"))
    assert doc.kind == "docx"
    assert [s.section for s in doc.sections] == [
        "Overview", "Overview > Scope", "Risk assessment", "Risk assessment > Exit plan"]
    assert all(s.page is None for s in doc.sections)
    assert "within 30 days" in doc.sections[3].text
    assert doc.file_meta["title"] == "Cloud Procurement Handbook"  # from the Title style
    assert doc.file_meta["publisher"] == "Ministry of ICT"


def test_broken_docx_is_refused(tmp_path: Path) -> None:
    renamed = tmp_path / "renamed.docx"
    renamed.write_text("just some text, not a Word file")
    not_word = tmp_path / "other.docx"
    with zipfile.ZipFile(not_word, "w") as archive:
        archive.writestr("hello.txt", "a zip, but not a Word document")
    assert reason(renamed) == "corrupt or password-protected Word file (not a readable DOCX)"
    assert reason(not_word) == "corrupt or password-protected Word file (not a readable DOCX)"


# --- HTML -----------------------------------------------------------------------------------------

def test_html_keeps_the_article_and_drops_boilerplate(tmp_path: Path) -> None:
    doc = load_file(factories.make_html(tmp_path / "ecitizen.html"))
    assert [s.section for s in doc.sections] == [
        "eCitizen services explained",
        "eCitizen services explained > Payments",
        "eCitizen services explained > Payments > Receipts",
    ]
    text = " ".join(s.text for s in doc.sections)
    assert "five thousand government services" in text and "reference number" in text
    for boilerplate in ("zzanalyticsbeaconzz", "zzbannerzz", "zznavmenuzz", "zzinlinescriptzz", "zzsidebarzz",
                        "zzfooterzz", "font-family"):
        assert boilerplate not in text
    assert doc.file_meta == {"title": "eCitizen services explained", "publisher": "Kenya Digital Desk",
                             "year": 2023, "url": "https://example.org/ecitizen"}


# --- Markdown and text ----------------------------------------------------------------------------

def test_markdown_front_matter_and_heading_sections(tmp_path: Path) -> None:
    doc = load_file(factories.make_note(tmp_path / "konza.md"))
    assert doc.declared["publisher"] == "Mwalimu team" and doc.declared["year"] == 2024
    assert [s.section for s in doc.sections] == ["Introduction", "Governance", "Governance > Board"]
    assert "60 kilometres" in doc.sections[0].text
    assert not any("zzsourcelistzz" in s.text for s in doc.sections)  # the reference list is dropped


def test_markdown_with_broken_front_matter_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.md"
    path.write_text("---\ntitle: [unclosed\n---\n\nBody text.\n")
    assert reason(path).startswith("front matter is not valid YAML")


def test_text_in_a_fallback_encoding_is_read(tmp_path: Path) -> None:
    path = factories.make_cp1252_text(tmp_path / "legacy.txt")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    doc = load_file(path)
    assert doc.sections[0].text == factories.CP1252_TEXT.strip()
    assert doc.file_meta["title"] == "Caf\u00e9 notes for officers"


def test_utf16_text_with_a_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes("Mwalimu notes \u2013 UTF-16\n\nSecond paragraph.".encode("utf-16"))
    assert "Second paragraph." in load_file(path).sections[0].text


def test_undecodable_text_is_refused(tmp_path: Path) -> None:
    message = reason(factories.make_undecodable_text(tmp_path / "junk.txt"))
    assert message.startswith("not UTF-8 text") and "re-save it as UTF-8" in message


def test_binary_data_in_a_text_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "image.md"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert reason(path) == "binary content in a .md file"


@pytest.mark.parametrize("content", [b"", b"   \n\n\t  \n"])
def test_empty_files_are_refused(tmp_path: Path, content: bytes) -> None:
    for name in ("empty.md", "empty.pdf", "empty.txt", "empty.docx"):
        path = tmp_path / name
        path.write_bytes(content)
        assert reason(path) == "empty file"


def test_unsupported_extension_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "budget.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a spreadsheet")
    message = reason(path)
    assert message.startswith("unsupported file type '.xlsx'") and ".pdf" in message


# --- chunking limits ------------------------------------------------------------------------------

def test_huge_title_or_heading_cannot_stall_chunking(embeddings: LocalEmbeddings) -> None:
    """A 'heading' that is really a paragraph (or a junk PDF title) once looped forever in the chunker."""
    chunker = Chunker(embeddings)
    huge = "A paragraph that someone styled as a heading " * 40
    sections = [Section(text="Officers read the guidance. " * 80, section=huge)]
    started = time.perf_counter()
    chunks = chunker.split("doc", huge, sections, {})
    assert time.perf_counter() - started < 10
    counts = embeddings.count_tokens([c.embed_text for c in chunks])
    assert chunks and max(counts) <= embeddings.max_tokens == 256
    header = chunks[0].embed_text.split("\n", 1)[0]
    assert embeddings.count_tokens([header])[0] - 2 <= MAX_HEADER_TOKENS
    assert "".join(c.text for c in chunks).count("Officers read the guidance.") >= 80
