"""Real test files, generated on the spot: PDFs (reportlab, pypdf), DOCX (python-docx), HTML, Markdown, text.

Every helper writes one file and returns its path. The texts carry distinctive phrases so tests can check
that exactly the right passages are (or are no longer) retrievable.
"""

from __future__ import annotations

import io
import textwrap
import zlib
from collections.abc import Sequence
from pathlib import Path

import yaml

PDF_HEADER = "Kenya School of Government - Digital Skills Working Paper"
PDF_FOOTER = "Page {n} of {total}"


def wrap_lines(text: str, width: int = 90) -> list[str]:
    """Wrap a paragraph into lines of at most ``width`` characters (reportlab draws lines as given)."""
    return textwrap.wrap(" ".join(text.split()), width, break_long_words=False, break_on_hyphens=False)


def pdf_bytes(pages: Sequence[Sequence[str]], *, header: str | None = PDF_HEADER,
              footer: str | None = PDF_FOOTER, title: str | None = None, author: str | None = None) -> bytes:
    """A text PDF: each page is a list of lines drawn top to bottom, with a running header and footer."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    if title:
        pdf.setTitle(title)
    if author:
        pdf.setAuthor(author)
    _, height = A4
    for number, lines in enumerate(pages, start=1):
        pdf.setFont("Helvetica", 9)
        if header:
            pdf.drawString(60, height - 40, header)
        if footer:
            pdf.drawString(60, 30, footer.format(n=number, total=len(pages)))
        pdf.setFont("Helvetica", 11)
        y = height - 80
        for line in lines:
            if line == "":
                y -= 8  # a paragraph gap
                continue
            pdf.drawString(60, y, line)
            y -= 15
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def make_pdf(path: Path, pages: Sequence[Sequence[str] | str], **kwargs: object) -> Path:
    """Write a PDF; a page given as a string is wrapped into lines first."""
    drawn = [wrap_lines(p) if isinstance(p, str) else list(p) for p in pages]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pdf_bytes(drawn, **kwargs))  # type: ignore[arg-type]
    return path


#: A four-page report: a running header and footer on every page, a word hyphenated across a line end
#: on page 2, and one distinctive fact per page.
REPORT_PAGES: list[list[str]] = [
    ["Introduction to the working paper",
     "Public officers in Kenya are learning how artificial intelligence changes service delivery.",
     "The pilot cohort of the Nyeri county course counted 412 officers in its first intake."],
    ["Digital transformation in counties",
     "The county assemblies approved a plan for the digital transfor-",
     "mation of licensing services, starting with single business permits.",
     "Officials in Kisumu reported shorter queues once permits moved online."],
    ["Data protection duties",
     "Every data controller must register with the Office of the Data Protection Commissioner.",
     "The working paper lists seven duties of a county data protection officer."],
    ["Recommendations",
     "The paper recommends a quarterly review of algorithmic tools used in procurement.",
     "A shared glossary of AI terms should be published for all county staff."],
]


def make_report_pdf(path: Path, **kwargs: object) -> Path:
    kwargs.setdefault("title", "County Digital Skills Working Paper")
    kwargs.setdefault("author", "Kenya School of Government")
    return make_pdf(path, REPORT_PAGES, **kwargs)


def make_encrypted_pdf(path: Path, user_password: str = "secret", owner_password: str = "owner") -> Path:
    """A PDF that needs a password to open (pypdf's writer.encrypt)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(REPORT_PAGES))))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="RC4-128")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def make_image_only_pdf(path: Path, pages: int = 2) -> Path:
    """A PDF whose pages are drawings only (what a scan looks like to a text extractor)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=True)
    for number in range(pages):
        pdf.setFillGray(0.4)
        pdf.rect(60, 500, 400, 200, fill=1)
        pdf.circle(300, 300, 80 + number * 10, fill=0)
        for y in range(100, 250, 12):  # "lines of text" in a scan are only shapes
            pdf.line(60, y, 500, y)
        pdf.showPage()
    pdf.save()
    return path


#: What a scanned page of a circular says (rendered to pixels by :func:`make_scanned_pdf`, no text layer).
SCANNED_PAGE = [
    "2.1 Staff Transport Allowance",
    "",
    "Officers posted to Marsabit County receive a hardship allowance of",
    "eleven thousand four hundred shillings each month, paid with the",
    "salary of the following month by the county treasury.",
    "",
    "2.2 Claims",
    "",
    "Claims for the allowance are made on form HTA-7 and approved by the",
    "head of department within fourteen days.",
]


def scan_image(lines: Sequence[str], number: int | None = None, dpi: int = 200):  # type: ignore[no-untyped-def]
    """An A4 page image of ``lines`` in 12-point type, as a scanner at ``dpi`` would see it (Pillow).

    A line that starts with ``"# "`` is set in 28-point type, as a cover sets its title."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = int(8.27 * dpi), int(11.69 * dpi)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", int(12 * dpi / 72))
    y = int(1.2 * dpi)
    large = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", int(28 * dpi / 72))
    for line in lines:
        big = line.startswith("# ")
        draw.text((int(0.9 * dpi), y), line[2:] if big else line, fill=0, font=large if big else font)
        y += int((40 if big else 20) * dpi / 72)
    if number is not None:  # the printed page number, centred at the foot
        draw.text((width // 2, height - int(0.8 * dpi)), str(number), fill=0, font=font)
    return image


def make_scanned_pdf(path: Path, pages: Sequence[Sequence[str]] = (SCANNED_PAGE,), *,
                     text_pages: Sequence[Sequence[str]] = (), first_number: int = 1, dpi: int = 200) -> Path:
    """A PDF whose ``pages`` are images of text (a scan: no text layer), after optional real text pages.

    Each scanned page prints its number at the foot (``first_number`` for the first page of the file).
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=True)
    width, height = A4
    number = first_number
    for lines in text_pages:
        pdf.setFont("Helvetica", 11)
        y = height - 90
        for line in lines:
            pdf.drawString(65, y, line)
            y -= 16
        pdf.drawCentredString(width / 2, 40, str(number))
        pdf.showPage()
        number += 1
    for lines in pages:
        pdf.drawImage(ImageReader(scan_image(lines, number, dpi)), 0, 0, width, height)
        pdf.showPage()
        number += 1
    pdf.save()
    return path


def make_corrupt_pdf(path: Path) -> Path:
    """The first bytes of a real PDF, cut off before any page object: a failed download."""
    data = pdf_bytes(REPORT_PAGES)
    path.write_bytes(data[:300])
    return path


def _raw_pdf(content: bytes, *, filters: str = "/FlateDecode", extra_objects: Sequence[bytes] = ()) -> bytes:
    """A hand-assembled one-page PDF around a (compressed) content stream, with a correct xref table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
         b"/Resources << /Font << /F1 5 0 R >> >> >>"),
        b"<< /Length %d /Filter %s >>\nstream\n" % (len(content), filters.encode()) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *extra_objects,
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def make_crafted_pdf(path: Path, operations: int = 3_000_000) -> Path:
    """A small file (a few hundred KB) that expands into millions of text operators when parsed.

    The content stream is a FlateDecode "bomb" of repeated ``Tj`` operators: cheap to store, very
    expensive to decompress and interpret. A bounded parser must give up with a reason, not hang.
    """
    op = b"BT /F1 1 Tf 10 10 Td (mwalimu) Tj ET\n"
    content = zlib.compress(op * operations, 9)
    path.write_bytes(_raw_pdf(content))
    return path


def make_deeply_nested_pdf(path: Path, depth: int = 200_000) -> Path:
    """A PDF whose content stream holds one array nested ``depth`` levels deep (a recursion bomb)."""
    content = zlib.compress(b"[" * depth + b"]" * depth + b" Tj\n", 9)
    path.write_bytes(_raw_pdf(content))
    return path


def make_docx(path: Path, title: str, sections: Sequence[tuple[int, str, Sequence[str]]],
              author: str | None = None) -> Path:
    """A Word file: a Title paragraph, then (level, heading, paragraphs) with Heading 1/2 styles."""
    import docx

    document = docx.Document()
    document.add_heading(title, level=0)  # the "Title" style
    for level, heading, paragraphs in sections:
        document.add_heading(heading, level=level)
        for text in paragraphs:
            document.add_paragraph(text)
    if author:
        document.core_properties.author = author
    document.core_properties.title = ""
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


DOCX_SECTIONS: list[tuple[int, str, list[str]]] = [
    (1, "Overview", ["This handbook explains how county officers procure cloud services responsibly."]),
    (2, "Scope", ["The handbook applies to every county department that buys hosting or software subscriptions."]),
    (1, "Risk assessment", ["Before signing, officers rate the vendor's data residency and exit terms."]),
    (2, "Exit plan", ["Every contract needs an exit plan that names how data returns to the county within 30 days."]),
]


def make_handbook_docx(path: Path) -> Path:
    return make_docx(path, "Cloud Procurement Handbook", DOCX_SECTIONS, author="Ministry of ICT")


HTML_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <title>eCitizen services explained</title>
  <meta name="publisher" content="Kenya Digital Desk">
  <meta property="article:published_time" content="2023-06-01T08:00:00Z">
  <meta property="og:url" content="https://example.org/ecitizen">
  <script>var trackingBeacon = "zzanalyticsbeaconzz";</script>
  <style>body { font-family: sans-serif; }</style>
</head>
<body>
  <header><div class="brand">Digital Desk banner zzbannerzz</div></header>
  <nav><ul><li><a href="/">Home zznavmenuzz</a></li><li><a href="/about">About us</a></li></ul></nav>
  <main>
    <article>
      <h1>eCitizen services explained</h1>
      <p>The eCitizen portal brings more than five thousand government services into one account.</p>
      <h2>Payments</h2>
      <p>Citizens pay for services through a single payment gateway with mobile money.</p>
      <h3>Receipts</h3>
      <p>Every payment produces a receipt that officers can verify with its reference number.</p>
      <script>console.log("zzinlinescriptzz");</script>
    </article>
  </main>
  <aside>Related links zzsidebarzz</aside>
  <footer>Copyright zzfooterzz. All rights reserved.</footer>
</body>
</html>
"""


def make_html(path: Path, html: str = HTML_PAGE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def make_markdown(path: Path, body: str, front_matter: dict[str, object] | None = None) -> Path:
    """A Markdown note, with YAML front matter when given."""
    text = body
    if front_matter is not None:
        text = "---\n" + yaml.safe_dump(front_matter, sort_keys=False) + "---\n\n" + body
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


NOTE_FRONT_MATTER: dict[str, object] = {
    "title": "Konza Technopolis briefing",
    "publisher": "Mwalimu team",
    "year": 2024,
    "url": ["https://example.org/konza", "https://example.org/konza-2"],
    "topic": "Infrastructure",
}

NOTE_BODY = """# Konza Technopolis briefing

Konza Technopolis is a planned smart city about 60 kilometres south of Nairobi.

## Governance

The Konza Technopolis Development Authority oversees planning and investment.

### Board

The board reports to the ministry responsible for information and communication technology.

## Sources

- https://example.org/konza-references-zzsourcelistzz
"""


def make_note(path: Path, body: str = NOTE_BODY, front_matter: dict[str, object] | None = None) -> Path:
    return make_markdown(path, body, NOTE_FRONT_MATTER if front_matter is None else front_matter)


CP1252_TEXT = ("Caf\u00e9 notes for officers\n\n"
               "The na\u00efve approach \u2013 \u201cput it all online\u201d \u2013 ignores citizens "
               "without smartphones; the r\u00e9sum\u00e9 of the pilot says so.\n")


def make_cp1252_text(path: Path) -> Path:
    """A text file saved by an old Windows editor: not UTF-8, but valid cp1252."""
    path.write_bytes(CP1252_TEXT.encode("cp1252"))
    return path


def make_undecodable_text(path: Path) -> Path:
    """Bytes that are neither UTF-8 nor cp1252 (0x81, 0x8d, 0x8f, 0x90 and 0x9d are undefined in cp1252)."""
    path.write_bytes(b"Budget notes \x81\x8d\x8f\x90\x9d and more \xff\xfe\x81 text\n" * 4)
    return path


#: A generated county report with figures and dates: the source of practice (cloze) questions in tests.
COUNTY_CLOUD_REVIEW = """---
title: "County Cloud Migration Review"
publisher: "Machakos County ICT Directorate"
year: 2025
url: https://example.org/county-cloud-review
---

# County Cloud Migration Review

## Background

The county moved its revenue system to an accredited cloud provider in March 2024. The migration took
14 weeks and cost KSh 38 million, about 20% less than the original estimate. Before the move, the county
had classified its data under the Kenya Cloud Policy, keeping secret records on government cloud.

## What went well

Staff in the revenue office completed a data protection impact assessment before any personal data moved.
The Data Protection Officer signed off the assessment on 12 February 2024. Citizens kept paying through
eCitizen, and daily collections rose to KSh 2.4 million within 6 months.

## What needs work

An audit in 2025 found that 37 of 212 user accounts still had administrator rights. The Cloud Adoption
Committee asked the county to review access every quarter. The county now plans a second phase covering
health records, due in October 2026, after a new skills assessment of 480 officers.
"""


# --- PDFs with layout: columns, tables, footnotes, outlines, legislation (tests/test_pdf_reading.py) -----

def _canvas(path: Path, title: str | None = None):  # type: ignore[no-untyped-def]
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path.parent.mkdir(parents=True, exist_ok=True)
    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=True)
    if title:
        pdf.setTitle(title)
    return pdf, A4[1]


#: Two columns whose sentences only make sense read left column first, then right column.
TWO_COLUMN_LEFT = [
    "The Nakuru county registry began scanning land",
    "records in March, and the clerks finished the",
    "first ten thousand files before the rains came.",
]
TWO_COLUMN_RIGHT = [
    "The Eldoret office started later, in June, and",
    "it chose to train its clerks on the new system",
    "before moving a single paper record online.",
]


def make_two_column_pdf(path: Path) -> Path:
    """One page, a full-width title, then two columns of prose side by side (lines at the same heights)."""
    pdf, height = _canvas(path)
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(60, height - 60, "County registries go digital")
    pdf.setFont("Helvetica", 10)
    y = height - 100
    for left, right in zip(TWO_COLUMN_LEFT * 3, TWO_COLUMN_RIGHT * 3, strict=True):
        pdf.drawString(50, y, left)
        pdf.drawString(310, y, right)
        y -= 14
    pdf.showPage()
    pdf.save()
    return path


#: A score table: codes in the first column, a header over each number column.
TABLE_HEADER = ["Country", "Open data", "Skills", "Rank"]
TABLE_ROWS = [["KEN", "0.812", "0.640", "1"], ["RWA", "0.705", "0.702", "2"], ["UGA", "0.611", "0.533", "3"],
              ["TZA", "0.540", "0.498", "4"]]


def make_table_pdf(path: Path) -> Path:
    """A caption, a header row and four rows of numbers, as a report prints a ranking table."""
    pdf, height = _canvas(path)
    pdf.setFont("Helvetica", 10)
    pdf.drawString(60, height - 60, "The table below ranks four East African countries on two pillars.")
    pdf.setFont("Helvetica-Bold", 10)
    pdf.drawString(60, height - 90, "Table 2.1. Digital readiness scores, 2024")
    xs = [60, 200, 300, 400]
    pdf.setFont("Helvetica", 9)
    for x, label in zip(xs, TABLE_HEADER, strict=True):
        pdf.drawString(x, height - 115, label)
    for row_index, row in enumerate(TABLE_ROWS):
        y = height - 135 - 16 * row_index
        for x, cell in zip(xs, row, strict=True):
            pdf.drawString(x, y, cell)
    pdf.setFont("Helvetica", 10)
    pdf.drawString(60, height - 230, "Kenya leads on open data while Rwanda is close behind on skills.")
    pdf.showPage()
    pdf.save()
    return path


def make_footnote_pdf(path: Path) -> Path:
    """A sentence interrupted by a superscript footnote marker, the footnote in small type at the foot."""
    pdf, height = _canvas(path)
    pdf.setFont("Helvetica", 11)
    y = height - 80
    pdf.drawString(60, y, "The survey covered forty-seven counties in 2023")
    width = pdf.stringWidth("The survey covered forty-seven counties in 2023", "Helvetica", 11)
    pdf.setFont("Helvetica", 7)
    pdf.drawString(60 + width + 1, y + 4, "1")
    pdf.setFont("Helvetica", 11)
    pdf.drawString(60 + width + 6, y, " and found that most")
    pdf.drawString(60, y - 15, "registries still keep paper files for land transactions.")
    pdf.drawString(60, y - 30, "A second survey is planned for the next financial year.")
    pdf.line(60, 95, 200, 95)
    pdf.setFont("Helvetica", 8)
    pdf.drawString(60, 80, "1 Nairobi and Mombasa answered through their county secretaries.")
    pdf.showPage()
    pdf.save()
    return path


OUTLINE_PAGES = [
    ("Ngong pilot", "The Ngong pilot moved market permits online within one fiscal quarter."),
    ("Budget", "The budget for the permits pilot was set at four million shillings."),
    ("Lessons", "Clerks asked for shorter forms and for receipts sent by text message."),
]


def make_outline_pdf(path: Path) -> Path:
    """Three pages, each with a bookmark (outline entry); the heading is not printed larger than the text."""
    pdf, height = _canvas(path, title="report.docx")
    for index, (heading, sentence) in enumerate(OUTLINE_PAGES):
        key = f"sec{index}"
        pdf.bookmarkPage(key)
        pdf.addOutlineEntry(heading, key, level=0)
        pdf.setFont("Helvetica", 11)
        pdf.drawString(60, height - 80, sentence)
        pdf.showPage()
    pdf.save()
    return path


def make_legislation_pdf(path: Path) -> Path:
    """Two pages of regulations as the Kenya Gazette prints them: running head with the volume's page
    number, a PART heading, numbered regulations with sub-regulations, marginal notes in small type in
    the right margin, and a regulation whose first sentence starts at the foot of a page and ends on the next."""
    pdf, height = _canvas(path)
    pages = [
        [("part", "PART III REGISTRATION OF DATA HANDLERS"),
         ("sec", "12. (1) Every county data handler shall apply for registration"),
         ("note", "Registration of"), ("note2", "data handlers."),
         ("cont", "within thirty days of starting to process personal data."),
         ("sub", "(2) An application under sub-regulation (1) shall be in Form A."),
         ("sec", "13. (1) The Data Commissioner shall issue a certificate of"),
         ("note", "Certificate of"), ("note2", "registration."),
         ("cont", "registration to every applicant that meets the requirements of")],
        [("cont", "these Regulations and keeps a copy at its principal office."),
         ("sub", "(2) A certificate issued under this regulation is valid for three years."),
         ("part", "PART IV COMPLAINTS"),
         ("sec", "14. A complaint may be lodged by any data subject in writing"),
         ("note", "Lodging of"), ("note2", "complaints."),
         ("cont", "or by telephone to the Data Commissioner.")],
    ]
    for number, items in enumerate(pages):
        label = 2101 + number
        pdf.setFont("Times-Roman", 10)
        head = "Kenya Subsidiary Legislation, 2022"
        if number % 2 == 0:
            pdf.drawString(200, height - 50, head)
            pdf.drawString(440, height - 50, str(label))
        else:
            pdf.drawString(80, height - 50, str(label))
            pdf.drawString(200, height - 50, head)
        y = height - 90
        last_sec_y = y
        for kind, text in items:
            if kind == "part":
                y -= 10
                pdf.setFont("Times-Roman", 10)
                pdf.drawString(150, y, text)
                y -= 22
            elif kind in ("note", "note2"):
                pdf.setFont("Times-Roman", 7)
                note_y = last_sec_y if kind == "note" else last_sec_y - 9
                pdf.drawString(440, note_y, text)
            else:
                pdf.setFont("Times-Roman", 10)
                x = 100 if kind in ("sec", "sub") else 80
                if kind == "sec":
                    last_sec_y = y
                pdf.drawString(x, y, text)
                y -= 16
        pdf.showPage()
    pdf.save()
    return path


def shipped_documents() -> int:
    """How many documents corpus/ ships (the starter notes and the legislation copied in), for the status line."""
    corpus = Path(__file__).resolve().parents[1] / "corpus"
    return sum(1 for p in corpus.iterdir() if p.is_file() and p.suffix in {".md", ".pdf", ".docx", ".html"})
