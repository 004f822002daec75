"""Saving a file that content staff upload: checked, safely named, kept inside the library folder.

The file's type is checked by its content (not only its extension), its size against
``TUTOR_MAX_FILE_MB``, and its name is reduced to ``[A-Za-z0-9._-]`` with no directory part and no
leading dot. It is written to ``<TUTOR_CORPUS_DIR>/uploads/`` (never elsewhere: the resolved path is
checked) without replacing a different file of the same name. Metadata typed into the form is kept in
the Markdown front matter or, for other formats, in the corpus catalog, so ``ingest.py`` sees it too.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import logging
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from filelock import FileLock

from tutor.errors import DocumentError
from tutor.library.loaders import check_content, kind_for
from tutor.library.loaders.markdown import split_front_matter
from tutor.library.metadata import CATALOG_NAMES
from tutor.settings import Settings

log = logging.getLogger(__name__)

UPLOADS_DIR = "uploads"
_MAX_STEM = 80
_MAX_SUFFIX = 999


@dataclass(frozen=True)
class UploadMeta:
    """Metadata typed into the upload form; empty fields are left to the file or the catalog."""

    title: str = ""
    publisher: str = ""
    year: str = ""
    url: str = ""

    @classmethod
    def clean(cls, title: str | None = "", publisher: str | None = "", year: str | int | None = "",
              url: str | None = "") -> UploadMeta:
        """Trim the fields and check year and URL, with a message that says what to fix."""
        year_text = str(year if year is not None else "").strip().removesuffix(".0")  # a number box sends 2024.0
        if year_text and not re.fullmatch(r"(1[89]|20)\d{2}", year_text):
            raise DocumentError(f"the year should be four digits, like 2024 (got {year_text!r})")
        url_text = (url or "").strip()
        if url_text and not re.match(r"https?://\S+$", url_text):
            raise DocumentError("the link should start with http:// or https://")
        return cls(" ".join((title or "").split())[:300], " ".join((publisher or "").split())[:200], year_text,
                   url_text)

    def fields(self) -> dict[str, str]:
        return {k: v for k, v in (("title", self.title), ("publisher", self.publisher), ("year", self.year),
                                  ("url", self.url)) if v}


@dataclass(frozen=True)
class SavedUpload:
    """Where an upload was stored: ``source`` is the path relative to the library folder."""

    path: Path
    source: str
    kind: str
    created: bool  # False when an identical file of that name was already there
    catalog_entry_added: bool = False


def safe_name(original: str | None) -> str:
    """A file name that cannot leave its folder: no directories, only ``[A-Za-z0-9._-]``, no leading dot."""
    name = (original or "").replace("\\", "/").split("/")[-1]
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    ext = re.sub(r"[^A-Za-z0-9]", "", ext).lower()[:10]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem)
    stem = re.sub(r"([._-])[._-]+", r"\1", stem).strip("-._")[:_MAX_STEM].strip("-._") or "document"
    return f"{stem}.{ext}" if ext else stem


def uploads_folder(settings: Settings) -> Path:
    """``<corpus>/uploads``, created if needed, and refused if it resolves outside the library folder."""
    corpus = settings.corpus_dir.resolve()
    folder = corpus / UPLOADS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    resolved = folder.resolve()
    if folder.is_symlink() or resolved.parent != corpus:
        raise DocumentError(f"the uploads folder {folder} points outside the library folder; fix it on the server")
    return resolved


def check_upload(path: Path, original_name: str, settings: Settings) -> str:
    """The file's format, after checking extension, size and content; a :class:`DocumentError` otherwise."""
    kind = kind_for(Path(safe_name(original_name)))
    size = path.stat().st_size
    if size == 0:
        raise DocumentError("the file is empty")
    if size > settings.max_file_mb * 1024 * 1024:
        raise DocumentError(f"file too large: {size / 1048576:.1f} MB > limit {settings.max_file_mb:g} MB "
                            "(TUTOR_MAX_FILE_MB)")
    check_content(path, kind)
    return kind


def save_upload(settings: Settings, src: Path, original_name: str | None = None,
                meta: UploadMeta | None = None) -> SavedUpload:
    """Check ``src`` and copy it into the uploads folder under a safe, non-clashing name."""
    meta = meta or UploadMeta()
    name = safe_name(original_name or src.name)
    kind = check_upload(src, name, settings)
    data = src.read_bytes()
    if kind == "markdown" and meta.fields():
        data = _with_front_matter(data, meta.fields())
    folder = uploads_folder(settings)
    path, created = _write_new(folder, name, data)
    source = f"{UPLOADS_DIR}/{path.name}"
    added = False
    if kind != "markdown" and meta.fields():
        added = write_catalog_entry(settings, source, meta.fields())
    log.info("upload saved as %s (%s)", path, "new" if created else "identical file already there")
    return SavedUpload(path, source, kind, created, added)


def discard(settings: Settings, saved: SavedUpload) -> None:
    """Undo :func:`save_upload` after a failed ingestion, so the bad file does not fail every later run."""
    if saved.created:
        saved.path.unlink(missing_ok=True)
    if saved.catalog_entry_added:
        remove_catalog_entry(settings, saved.source)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_new(folder: Path, name: str, data: bytes) -> tuple[Path, bool]:
    """Write ``data`` as ``name``, or ``name-2``, ``name-3``...; reuse a file that already holds these bytes."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    digest = _sha(data)
    for number in range(1, _MAX_SUFFIX + 1):
        candidate = name if number == 1 else f"{stem}-{number}{dot}{ext}"
        path = folder / candidate
        if os.path.lexists(path):
            if path.is_file() and not path.is_symlink() and _sha(path.read_bytes()) == digest:
                return path, False
            continue
        if path.resolve().parent != folder:  # belt and braces: safe_name already forbids this
            raise DocumentError("unsafe file name")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)  # O_EXCL: never follow or replace
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return path, True
    raise DocumentError(f"too many files named like {name}; rename the file and try again")


def _with_front_matter(data: bytes, fields: dict[str, str]) -> bytes:
    """Merge the form's fields into a Markdown note's front matter (the form wins)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError("the Markdown file is not UTF-8 text; save it as UTF-8 and upload again") from exc
    declared, body = split_front_matter(text)
    merged: dict[str, Any] = {**declared, **fields}
    if "year" in fields:
        merged["year"] = int(fields["year"])
    head = yaml.safe_dump(merged, sort_keys=False, allow_unicode=True)
    return ("---\n" + head + "---\n\n" + body.lstrip("\r\n")).encode("utf-8")


# --- the corpus catalog -----------------------------------------------------------------------------
def _catalog_path(corpus: Path) -> Path:
    for name in CATALOG_NAMES:
        if (corpus / name).exists():
            return corpus / name
    return corpus / CATALOG_NAMES[0]


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@contextlib.contextmanager
def _catalog_lock(settings: Settings) -> Any:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(settings.data_dir / "catalog.lock"), timeout=settings.ingest_lock_timeout_s):
        yield


def write_catalog_entry(settings: Settings, source: str, fields: dict[str, str]) -> bool:
    """Add or update the catalog entry for ``source``; returns True if the entry is new."""
    with _catalog_lock(settings):
        path = _catalog_path(settings.corpus_dir.resolve())
        if path.suffix == ".csv":
            return _update_csv(path, source, fields)
        return _update_yaml(path, source, fields)


def remove_catalog_entry(settings: Settings, source: str) -> None:
    with _catalog_lock(settings):
        path = _catalog_path(settings.corpus_dir.resolve())
        if not path.exists():
            return
        if path.suffix == ".csv":
            rows, names = _read_csv(path)
            _write_csv(path, [r for r in rows if _csv_key(r) != source], names)
            return
        data = _read_yaml(path)
        if isinstance(data, list):
            data = [e for e in data if not (isinstance(e, dict) and str(e.get("file") or e.get("path")) == source)]
        else:
            data.pop(source, None)
        _atomic_write(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def _read_yaml(path: Path) -> Any:
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise DocumentError(f"the library catalog {path.name} is not valid YAML; fix it first") from exc
    if not isinstance(data, (dict, list)):
        raise DocumentError(f"the library catalog {path.name} must be a mapping or a list; fix it first")
    return data


def _update_yaml(path: Path, source: str, fields: dict[str, str]) -> bool:
    data = _read_yaml(path)
    new = True
    if isinstance(data, list):
        for entry in data:
            if isinstance(entry, dict) and str(entry.get("file") or entry.get("path")) == source:
                entry.update(fields)
                new = False
                break
        else:
            data.append({"file": source, **fields})
    else:
        new = source not in data
        data[source] = {**(data.get(source) or {}), **fields}
    _atomic_write(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return new


def _csv_key(row: dict[str, str]) -> str:
    return str(row.get("file") or row.get("path") or "").strip()


def _read_csv(path: Path) -> tuple[list[dict[str, str]], list[str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return rows, list(reader.fieldnames or ["file"])


def _write_csv(path: Path, rows: list[dict[str, str]], names: list[str]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=names, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    _atomic_write(path, buffer.getvalue())


def _update_csv(path: Path, source: str, fields: dict[str, str]) -> bool:
    rows, names = _read_csv(path)
    key = "path" if "path" in names and "file" not in names else "file"
    names = names + [n for n in (key, *fields) if n not in names]
    for row in rows:
        if _csv_key(row) == source:
            row.update(fields)
            _write_csv(path, rows, names)
            return False
    rows.append({key: source, **fields})
    _write_csv(path, rows, names)
    return True
