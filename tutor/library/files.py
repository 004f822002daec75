"""Which files are documents, what each is called in the library (its ``doc_id``), and where it came from.

A ``doc_id`` is the file's path under its folder, slugged (``reports/OECD skills.pdf`` ->
``reports/oecd-skills``): stable across runs and readable in citations. The quiz banks of the learning
desk and the evaluation's test sets name documents by the same ids.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from tutor.library.metadata import CATALOG_NAMES
from tutor.library.register import DocumentRecord

CORPUS_ROOT = "@corpus"



def is_hidden(relative: Path) -> bool:
    """Files and folders named ``_x`` or ``.x`` are not documents (catalogs, quiz banks, caches)."""
    return any(part.startswith(("_", ".")) for part in relative.parts) or relative.name in CATALOG_NAMES



def doc_id_for(source: str) -> str:
    """``reports/OECD skills.pdf`` -> ``reports/oecd-skills``: stable, readable, free of ``:``."""
    stem = Path(source).with_suffix("").as_posix()
    return "/".join(p for p in (_slug_part(part) for part in stem.split("/")) if p)



def _slug_part(part: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", part.lower()).strip("-.")



def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()



def record_root(record: DocumentRecord) -> str:
    """Which folder a record was ingested from (``@corpus`` for the configured corpus)."""
    return record.root or CORPUS_ROOT
