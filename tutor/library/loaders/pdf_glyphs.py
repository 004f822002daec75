"""Words drawn as vector outlines inside a line of text, read back by OCR of just that strip.

Some PDFs (here an extract of Kenya's Data Protection Regulations edited with an online tool) draw a
few phrases as filled letter outlines instead of text: the text layer then reads "(a) hrough Kenya"
where the page shows "(a) “data in transit” means personal data transferred through Kenya". No text
extractor can return those words. Where small filled curves sit on the same line as real words and
cover no word, that strip of the page is rendered (pypdfium2) and read by tesseract, and the words go
back into the line at their place, marked as OCR.
"""

from __future__ import annotations

import logging
import os
import shutil
import statistics
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Resolution of the rendered strips: tesseract reads 9-point type reliably at this scale.
_DPI = 300
#: OCR words below this confidence (0-100) are dropped rather than guessed.
_MIN_CONFIDENCE = 55
#: At most this many strips per page are read (a page of outlines is a scan's job, not ours).
_MAX_STRIPS = 40
#: A page with more curves than this is a drawing (a cover, a map), not text with a few outlined words.
_MAX_CURVES = 1500


def _dark(color: Any) -> bool:
    """Text ink: black or dark grey (a cover's white lettering over a picture is not body text)."""
    if isinstance(color, int | float):
        return float(color) < 0.35
    if isinstance(color, tuple | list) and len(color) == 3:
        return max(float(c) for c in color) < 0.35
    if isinstance(color, tuple | list) and len(color) == 4:  # CMYK
        return float(color[3]) > 0.65
    return False


def _glyph_curves(curves: list[dict[str, Any]], size: float) -> list[dict[str, Any]]:
    """Filled curves the size of letters, in dark ink."""
    return [c for c in curves if c.get("fill") and 0.5 < c["bottom"] - c["top"] <= 1.6 * size
            and c["x1"] - c["x0"] <= 2.5 * size and _dark(c.get("non_stroking_color"))]


def find_strips(words: list[dict[str, Any]], curves: list[dict[str, Any]]) -> list[dict[str, float]]:
    """Boxes of letter outlines that share a line with text words and overlap none of them."""
    if not words or len(curves) < 3 or len(curves) > _MAX_CURVES:
        return []
    size = statistics.median(w["size"] for w in words)
    glyphs = sorted(_glyph_curves(curves, size), key=lambda c: (c["top"], c["x0"]))
    lines: list[tuple[float, float, list[dict[str, Any]]]] = []
    for word in words:
        mid = (word["top"] + word["bottom"]) / 2
        for top, bottom, members in lines:
            if top - 1 <= mid <= bottom + 1:
                members.append(word)
                break
        else:
            lines.append((word["top"], word["bottom"], [word]))
    strips: list[dict[str, float]] = []
    for top, bottom, members in lines:
        on_line = [g for g in glyphs if top - 2 <= (g["top"] + g["bottom"]) / 2 <= bottom + 2
                   and not any(w["x0"] - 0.5 <= (g["x0"] + g["x1"]) / 2 <= w["x1"] + 0.5 for w in members)]
        on_line.sort(key=lambda g: g["x0"])
        run: list[dict[str, Any]] = []
        for glyph in [*on_line, None]:
            if glyph is not None and (not run or glyph["x0"] - max(g["x1"] for g in run) < 1.2 * size):
                run.append(glyph)
                continue
            if len(run) >= 3 and max(g["x1"] for g in run) - run[0]["x0"] > size:
                x0, x1 = run[0]["x0"], max(g["x1"] for g in run)
                strips.append({"x0": x0, "x1": x1, "top": min(top, min(g["top"] for g in run)),
                               "bottom": max(bottom, max(g["bottom"] for g in run)), "size": size,
                               "abuts_left": float(any(-2 < x0 - w["x1"] < 1.5 for w in members)),
                               "abuts_right": float(any(-2 < w["x0"] - x1 < 1.5 for w in members))})
            run = [glyph] if glyph is not None else []
    return strips[:_MAX_STRIPS]


def ocr_available() -> bool:
    """tesseract is a Debian package: without it the outlines stay unread (and the gap stays)."""
    return shutil.which("tesseract") is not None


def read_strips(path: Path, page_index: int, strips: list[dict[str, float]], timeout_s: float = 20.0
                ) -> list[dict[str, Any]]:
    """OCR each strip; the words come back as word dicts placed where they are printed."""
    import pypdfium2
    import pytesseract

    scale = _DPI / 72
    document = pypdfium2.PdfDocument(str(path))
    try:
        page = document[page_index]
        image = page.render(scale=scale).to_pil().convert("L")
        page.close()
    finally:
        document.close()
    found: list[list[tuple[str, int, int]]] = []
    boxes = []
    saved = os.environ.get("OMP_THREAD_LIMIT")
    os.environ["OMP_THREAD_LIMIT"] = "1"  # small images: tesseract's threads only contend (0.7 s vs 1.2 s a page)
    try:
        for strip in strips:
            left_pad = 0.3 if strip["abuts_left"] else 2.0  # not into the neighbouring real letter
            right_pad = 0.3 if strip["abuts_right"] else 2.0
            box = (int((strip["x0"] - left_pad) * scale), int((strip["top"] - 2) * scale),
                   int((strip["x1"] + right_pad) * scale), int((strip["bottom"] + 2) * scale))
            boxes.append(box)
            try:  # one line a strip (--psm 7): reads quotes and punctuation better than a stacked sheet
                data = pytesseract.image_to_data(image.crop(box), lang="eng", config="--psm 7", timeout=timeout_s,
                                                 output_type=pytesseract.Output.DICT)
            except (RuntimeError, pytesseract.TesseractError) as exc:
                log.debug("OCR of a vector-text strip failed: %s", exc)
                found.append([])
                continue
            found.append([(t.strip(), left, width) for t, conf, left, width
                          in zip(data["text"], data["conf"], data["left"], data["width"], strict=True)
                          if t.strip() and float(conf) >= _MIN_CONFIDENCE])
    finally:
        if saved is None:
            os.environ.pop("OMP_THREAD_LIMIT", None)
        else:
            os.environ["OMP_THREAD_LIMIT"] = saved
    words: list[dict[str, Any]] = []
    for strip, box, items in zip(strips, boxes, found, strict=True):
        items.sort(key=lambda item: item[1])
        if items and strip["abuts_right"]:  # the strip ends inside a word: no punctuation there
            items[-1] = (items[-1][0].rstrip("]|[:;!'\".,"), items[-1][1], items[-1][2])
        if items and strip["abuts_left"]:
            items[0] = (items[0][0].lstrip("]|[:;!'\".,"), items[0][1], items[0][2])
        for text, left, width in items:
            if not text:
                continue
            x0 = (box[0] + left) / scale
            words.append({"text": text, "x0": x0, "x1": x0 + width / scale, "top": strip["top"],
                          "bottom": strip["bottom"], "size": strip["size"], "fontname": "ocr", "ocr": True})
    return words
