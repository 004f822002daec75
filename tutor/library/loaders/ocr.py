"""Pages without a text layer (scans) read by OCR with Debian's tesseract.

Many Kenyan public bodies publish scans: without OCR such a file reaches the index empty, or not at
all. Each scanned page is rendered with pypdfium2 and read by a ``tesseract`` process of its own,
with a time limit and an address-space limit, so a bad page costs one line of reason instead of a
hung ingestion. The whole step runs in the bounded child process of :mod:`tutor.library.loaders.sandbox`.
Text read this way is marked ``ocr=True``: the Sources panel tells the official to check the page.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import re
import resource
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from tutor.errors import DocumentError
from tutor.library.loaders.base import LoadedDocument
from tutor.library.loaders.ocr_text import PAGE_NUMBER, TRAILING_NUMBER, ocr_sections
from tutor.library.loaders.sandbox import run_bounded

if TYPE_CHECKING:
    from PIL import Image

    from tutor.settings import Settings

log = logging.getLogger(__name__)

INSTALL_HINT = "apt-get install tesseract-ocr"


@dataclass(frozen=True)
class OcrOptions:
    """How scanned pages are read; :meth:`from_settings` maps the ``TUTOR_OCR*`` settings."""

    enabled: bool = True
    languages: str = "eng"
    page_timeout_s: float = 60.0
    #: 300 dpi: measured on the ODPC scan, as fast as 200 dpi within 15 % and fewer misread words.
    dpi: int = 300
    #: Address-space cap of one tesseract process (it needs about 100 MB for an A4 page at 300 dpi).
    page_memory_mb: int = 1024
    #: Pages read at once: one tesseract per core (each single-threaded, which is faster on 2 cores).
    workers: int = max(1, min(2, os.cpu_count() or 1))
    tesseract: str = "tesseract"

    @classmethod
    def from_settings(cls, settings: Settings) -> OcrOptions:
        """The options the settings ask for."""
        return cls(enabled=settings.ocr, languages=settings.ocr_languages,
                   page_timeout_s=settings.ocr_page_timeout_s)


def _limit_child(memory_mb: int) -> Callable[[], None]:
    """A ``preexec_fn`` that caps the address space of the tesseract process."""
    limit = memory_mb * 1024 * 1024

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def _tesseract_env() -> dict[str, str]:
    # One thread per process: two single-threaded pages at once beat one page on two threads.
    return {**os.environ, "OMP_THREAD_LIMIT": "1"}


def check_languages(binary: str, languages: str) -> None:
    """Refuse early, in one line, when a requested language has no data installed."""
    try:
        out = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DocumentError(f"no extractable text: scanned PDF and OCR is unavailable ({exc})") from exc
    installed = {line.strip() for line in out.stdout.splitlines()[1:]}
    missing = [lang for lang in languages.split("+") if lang and lang not in installed]
    if missing:
        packages = " ".join(f"tesseract-ocr-{lang}" for lang in missing)
        raise DocumentError(f"OCR language data missing: {', '.join(missing)} (apt-get install {packages})")


def ocr_image(binary: str, image: Path, number: int, options: OcrOptions, psm: int = 3,
              digits: bool = False) -> str:
    """One page image through tesseract, bounded in time and memory (``digits``: read digits only)."""
    command = [binary, str(image), "stdout", "-l", options.languages, "--psm", str(psm)]
    if digits:
        command += ["-c", "tessedit_char_whitelist=0123456789"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=options.page_timeout_s,
                              env=_tesseract_env(), preexec_fn=_limit_child(options.page_memory_mb), check=False)
    except subprocess.TimeoutExpired as exc:
        raise DocumentError(f"OCR of page {number} took longer than {options.page_timeout_s:g} s "
                            "(TUTOR_OCR_PAGE_TIMEOUT_S)") from exc
    if done.returncode != 0:
        detail = next((ln for ln in done.stderr.splitlines() if ln.strip()), f"exit code {done.returncode}")
        raise DocumentError(f"OCR of page {number} failed: {detail.strip()[:160]}")
    return done.stdout


def _dark_box(strip: Image.Image) -> tuple[int, int, int, int] | None:
    """The box of the widest block of dark columns in a foot strip: where a page number printed light on a
    dark bar sits (the ODPC code's feet). None when the strip has no such block."""
    import numpy as np

    dark = np.asarray(strip) < 110
    columns = np.flatnonzero(dark.mean(axis=0) > 0.08)
    if not len(columns):
        return None
    run = max(np.split(columns, np.flatnonzero(np.diff(columns) > 3) + 1), key=len)
    if not 20 <= len(run) <= strip.width // 6:  # a number's box, not a rule across the page
        return None
    rows = np.flatnonzero(dark[:, run[0]:run[-1] + 1].mean(axis=1) > 0.5)
    if not len(rows):
        return None
    top = int(rows[0])
    return int(run[0]), top, int(run[-1]) + 1, min(int(rows[-1]) + 1, top + 120)


def _boxed_number(binary: str, strip: Image.Image, work: Path, number: int, options: OcrOptions) -> str | None:
    """The number printed light on a dark box in the foot, read as black on white, three times the size."""
    import numpy as np
    from PIL import Image, ImageOps

    box = _dark_box(strip)
    if box is None:
        return None
    x0, y0, x1, y1 = box
    pixels = np.asarray(strip.crop((x0 + 4, y0 + 4, x1 - 4, y1 - 4))).astype(float)
    if pixels.size == 0:
        return None
    cut = (pixels.max() + np.median(pixels)) / 2
    ink = Image.fromarray(np.where(pixels > cut, 0, 255).astype("uint8"))
    ink = ImageOps.expand(ink.resize((ink.width * 3, ink.height * 3)), border=30, fill=255)
    ink.save(work)
    read = ocr_image(binary, work, number, options, psm=7, digits=True).strip()
    return read if read.isdigit() and len(read) <= 4 else None


def _read_page(binary: str, image: Path, number: int, options: OcrOptions) -> str:
    """A page's OCR text, its printed number added as a last line of its own when it was read apart.

    A full-page read often misses or misreads a page number in the running foot, above all one printed
    light on a dark box ("12" read as "1"). So the foot strip is looked at on its own: the dark box is
    read first (digits only), else the number ending the full read's last lines, else the strip read
    again as one block (about 0.3 s). A number found this way goes last, where :func:`ocr_sections`
    looks for it.
    """
    from PIL import Image

    text = ocr_image(binary, image, number, options)
    with Image.open(image) as page:
        strip = page.crop((0, int(page.height * 0.85), page.width, page.height))
    found = _boxed_number(binary, strip, image.with_suffix(".box.png"), number, options)
    if found is None:
        tail = [line.strip() for line in text.splitlines() if line.strip()][-3:]
        if any(PAGE_NUMBER.match(line) or TRAILING_NUMBER.search(line) for line in tail):
            return text
        foot = image.with_suffix(".foot.png")
        strip.save(foot)
        lines = [ln.strip() for ln in ocr_image(binary, foot, number, options, psm=6).splitlines() if ln.strip()]
        line = next((ln for ln in reversed(lines) if PAGE_NUMBER.match(ln) or TRAILING_NUMBER.search(ln)), None)
        found = (m.group(1) if (m := PAGE_NUMBER.match(line) or TRAILING_NUMBER.search(line)) else None) \
            if line else None
    return f"{text}\n\n{found}" if found else text


def read_pages(path: Path, numbers: list[int], options: OcrOptions) -> dict[int, str]:
    """OCR text of the given 1-based pages: rendered here one at a time, read in parallel."""
    import pypdfium2

    binary = shutil.which(options.tesseract)
    if binary is None:
        raise DocumentError(f"no extractable text: scanned PDF and OCR is unavailable ({INSTALL_HINT})")
    check_languages(binary, options.languages)
    results: dict[int, Future[str]] = {}
    with tempfile.TemporaryDirectory(prefix="mwalimu-ocr-") as tmp, \
            ThreadPoolExecutor(max_workers=options.workers) as pool:
        document = pypdfium2.PdfDocument(str(path))
        try:
            for number in numbers:  # pdfium is not thread-safe: render here, OCR in the pool
                page = document[number - 1]
                image = Path(tmp) / f"page-{number}.png"
                page.render(scale=options.dpi / 72, grayscale=True).to_pil().save(image)
                page.close()
                results[number] = pool.submit(_read_page, binary, image, number, options)
        finally:
            document.close()
        return {number: future.result() for number, future in results.items()}


_COVER_WORD = re.compile(r"^[A-Za-z][A-Za-z'’&,.:-]*$")


def cover_lines(tsv: str) -> list[tuple[float, float, str]]:
    """(height, top, text) of each line of a tesseract TSV read whose words are all clean words.

    Speckles, logos and seals read as stray marks ("on: ©, “y") fall away: every word of a kept line must
    be letters with at most light punctuation, read with some confidence."""
    lines: dict[tuple[str, ...], list[tuple[float, float, str]]] = {}
    rows = [row.split("\t") for row in tsv.splitlines()[1:]]
    for row in rows:
        if len(row) < 12 or row[0] != "5" or not row[11].strip():
            continue
        key, height, top, conf = tuple(row[1:5]), float(row[9]), float(row[7]), float(row[10])
        lines.setdefault(key, []).append((height, top, row[11].strip()) if conf >= 50 else (0.0, top, ""))
    kept = []
    for words in lines.values():
        texts = [w for _, _, w in words]
        if all(texts) and all(_COVER_WORD.match(w) for w in texts) and sum(len(w) for w in texts) >= 3:
            heights = sorted(h for h, _, _ in words)
            kept.append((heights[len(heights) // 2], min(t for _, t, _ in words), " ".join(texts)))
    return sorted(kept, key=lambda line: line[1])


def cover_meta(path: Path, options: OcrOptions) -> dict[str, object]:
    """Title and publisher of a scanned first page: the line(s) in the largest type, and an organisation
    line ("OFFICE OF THE DATA PROTECTION COMMISSIONER") above or below it, in title case when it was set
    in capitals. Empty when the page prints neither. One more tesseract pass over page 1 (about 1 s)."""
    import pypdfium2

    from tutor.library.loaders.pdf_meta import (
        is_jurisdiction,
        plausible_publisher,
        plausible_title,
        publisher_line,
    )

    binary = shutil.which(options.tesseract)
    if binary is None:
        return {}
    with tempfile.TemporaryDirectory(prefix="mwalimu-cover-") as tmp:
        document = pypdfium2.PdfDocument(str(path))
        try:
            image = Path(tmp) / "cover.png"
            document[0].render(scale=options.dpi / 72, grayscale=True).to_pil().save(image)
        finally:
            document.close()
        command = [binary, str(image), "stdout", "-l", options.languages, "--psm", "3", "tsv"]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=options.page_timeout_s,
                                  env=_tesseract_env(), preexec_fn=_limit_child(options.page_memory_mb), check=False)
        except subprocess.TimeoutExpired:
            return {}
    lines = cover_lines(done.stdout)
    if not lines:
        return {}
    meta: dict[str, object] = {}
    publisher = next((p for p in (publisher_line(text) for _, _, text in lines) if p), "")
    body = [line for line in lines if not publisher_line(line[2]) and not is_jurisdiction(line[2])]
    if body:
        tallest = max(height for height, _, _ in body)
        title = " ".join(text for height, _, text in body if height >= 0.8 * tallest)
        title = title.title() if title.isupper() else title
        if plausible_title(title):
            meta["title"] = title
    if publisher and plausible_publisher(publisher):
        meta["publisher"] = publisher
    return meta


def _read_scans(path: Path, numbers: list[int], options: OcrOptions, cover: bool = False) -> LoadedDocument:
    """Child-process entry point: the OCR sections of the scanned pages, as a document (with the title and
    publisher of a scanned cover when ``cover`` asks for them)."""
    started = time.perf_counter()
    sections = ocr_sections(read_pages(path, numbers, options))
    meta = cover_meta(path, options) if cover and 1 in numbers else {}
    log.debug("OCR of %d pages in %.1f s; peak memory: renderer %d MB, one tesseract %d MB", len(numbers),
              time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
              resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
    return LoadedDocument(kind="pdf", sections=sections, file_meta=meta)


def read_scanned_pages(doc: LoadedDocument, path: Path, options: OcrOptions, memory_mb: int) -> LoadedDocument:
    """``doc`` with its ``image_pages`` read by OCR (in a bounded child process), refused if still empty."""
    if not doc.image_pages:
        return doc.require_text()
    has_text = any(any(ch.isalnum() for ch in s.text) for s in doc.sections)
    if not options.enabled:
        if not has_text:
            raise DocumentError("no extractable text: scanned PDF and OCR is off (TUTOR_OCR)")
        log.info("%s: %d scanned pages left unread (TUTOR_OCR is off)", path.name, len(doc.image_pages))
        return doc
    if shutil.which(options.tesseract) is None:
        if not has_text:
            raise DocumentError(f"no extractable text: scanned PDF and OCR is unavailable ({INSTALL_HINT})")
        log.warning("%s: %d scanned pages left unread: tesseract is not installed (%s)",
                    path.name, len(doc.image_pages), INSTALL_HINT)
        return doc
    rounds = math.ceil(len(doc.image_pages) / options.workers)
    budget = options.page_timeout_s * rounds + 30.0
    loader = functools.partial(_read_scans, numbers=doc.image_pages, options=options,
                               cover="title" not in doc.file_meta)
    scanned = run_bounded(loader, path, budget, memory_mb)
    log.debug("%s: %d scanned pages read by OCR", path.name, len(doc.image_pages))
    merged = sorted([*doc.sections, *scanned.sections], key=lambda s: s.page or 0)
    result = replace(doc, sections=merged, file_meta={**scanned.file_meta, **doc.file_meta})
    if not any(any(ch.isalnum() for ch in s.text) for s in merged):
        raise DocumentError("no extractable text: OCR read no words on the scanned pages")
    return result
