"""Document metadata: front matter, then the corpus catalog, then the file's own properties.

A catalog (``catalog.yaml`` or ``catalog.csv`` at the top of an ingested folder) gives title,
publisher, year, url and licence to files that cannot carry front matter, keyed by path relative to that folder
(or by bare file name).
"""

from __future__ import annotations

import csv
import logging
import re
from pathlib import Path
from typing import Any

import yaml

from tutor.errors import DocumentError

log = logging.getLogger(__name__)

CATALOG_NAMES = ("catalog.yaml", "catalog.yml", "catalog.csv")
FIELDS = ("title", "publisher", "year", "url", "topic", "summary", "as_of", "effective", "licence")


def load_catalog(folder: Path) -> dict[str, dict[str, Any]]:
    """Read the folder's catalog, if any, as {relative path or file name: fields}."""
    for name in CATALOG_NAMES:
        path = folder / name
        if not path.exists():
            continue
        try:
            if path.suffix == ".csv":
                with path.open(newline="", encoding="utf-8-sig") as handle:
                    rows = list(csv.DictReader(handle))
                entries = {str(r.get("file") or r.get("path") or "").strip(): r for r in rows}
            else:
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
                if isinstance(data, list):
                    entries = {str(item.get("file") or item.get("path")): item for item in data if isinstance(item, dict)}
                elif isinstance(data, dict):
                    entries = {str(k): v for k, v in data.items() if isinstance(v, dict)}
                else:
                    raise DocumentError("catalog must be a mapping or a list of entries")
        except (yaml.YAMLError, csv.Error, UnicodeDecodeError, DocumentError) as exc:
            log.warning("ignoring catalog %s: %s", path, str(exc).splitlines()[0])
            return {}
        return {k: {f: v for f, v in e.items() if f in FIELDS and v not in (None, "")} for k, e in entries.items() if k}
    return {}


def catalog_entry(catalog: dict[str, dict[str, Any]], source: str) -> dict[str, Any]:
    """The entry for a file, looked up by relative path first, then by file name."""
    return catalog.get(source) or catalog.get(Path(source).name) or {}


def _as_urls(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [u for u in re.split(r"[\s,]+", str(value).strip()) if u]


def _year(value: Any) -> str:
    match = re.search(r"\b(1[89]|20)\d{2}\b", str(value or ""))
    return match.group(0) if match else ""


def humanise(stem: str) -> str:
    """A readable fallback title from a file name: ``oecd-ai_principles`` -> ``Oecd ai principles``."""
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else stem


def resolve(declared: dict[str, Any], catalog: dict[str, Any], file_meta: dict[str, Any], source: str) -> dict[str, str]:
    """Merge the three layers (earlier wins) into the flat strings stored on every chunk."""
    merged: dict[str, Any] = {}
    for layer in (file_meta, catalog, declared):
        merged.update({k: v for k, v in layer.items() if v not in (None, "", [])})
    urls = _as_urls(merged.get("url"))
    return {
        "title": str(merged.get("title") or humanise(Path(source).stem)).strip(),
        "publisher": str(merged.get("publisher") or "").strip(),
        "year": _year(merged.get("year")),
        "url": urls[0] if urls else "",
        "urls": " ".join(urls),
        "topic": str(merged.get("topic") or "").strip(),
        "summary": str(merged.get("summary") or "").strip(),
        "as_of": str(merged.get("as_of") or merged.get("effective") or "").strip(),
        "licence": str(merged.get("licence") or "").strip(),  # redistribution terms, kept beside the citation
    }
