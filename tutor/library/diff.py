"""What changed between the two newest versions of a document, for content staff.

Sections are matched by heading path (or by page, for PDFs without headings); within a changed section,
sentences are compared with :mod:`difflib`, so staff read the sentences that were added or removed
rather than two whole texts. Both versions are read back from the store (see :mod:`tutor.library.versions`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from tutor.errors import TutorError
from tutor.text import split_sentences


@dataclass
class SectionChange:
    section: str
    removed: list[str] = field(default_factory=list)  # sentences only in the older version
    added: list[str] = field(default_factory=list)  # sentences only in the newer version


@dataclass
class VersionDiff:
    doc_id: str
    title: str
    old: tuple[int, str]  # (version, as_of)
    new: tuple[int, str]
    added: list[str] = field(default_factory=list)  # sections
    removed: list[str] = field(default_factory=list)
    changed: list[SectionChange] = field(default_factory=list)

    def text(self) -> str:
        """A plain-text report (``ingest.py --diff``, the Library tab)."""
        lines = [(f"{self.title} ({self.doc_id}): version {self.old[0]} (as of {self.old[1]}) -> "
                 f"version {self.new[0]} (as of {self.new[1]})")]
        if not (self.added or self.removed or self.changed):
            lines.append("No change in the text.")
        lines += [f"+ section added: {s}" for s in self.added]
        lines += [f"- section removed: {s}" for s in self.removed]
        for change in self.changed:
            lines.append(f"~ section changed: {change.section}")
            lines += [f"    - {s}" for s in change.removed]
            lines += [f"    + {s}" for s in change.added]
        return "\n".join(lines)


def _sections(hits: list[Any]) -> dict[str, list[str]]:
    """Section (or page) -> its sentences in order, each once (neighbouring chunks overlap)."""
    out: dict[str, list[str]] = {}
    for hit in hits:
        meta = hit.metadata
        key = str(meta.get("section") or (f"p. {meta['page']}" if meta.get("page") else "(text)"))
        sentences = out.setdefault(key, [])
        for sentence in split_sentences(hit.text):
            if sentence not in sentences:
                sentences.append(sentence)
    return out


def diff_versions(store: Any, doc_id: str) -> VersionDiff:
    """Compare the newest version of ``doc_id`` with the one before it."""
    record = store.record(doc_id)
    if record is None:
        raise TutorError(f"no document {doc_id!r} in the index: see the Library tab or `ingest.py --dry-run`")
    if not record.history:
        raise TutorError(f"{doc_id} has only one version ({record.version}): nothing to compare")
    previous = record.history[-1]
    old_version = int(previous["version"])
    old = _sections(store.chunks_of_version(doc_id, old_version))
    new = _sections(store.chunks_of_version(doc_id, record.version))
    result = VersionDiff(doc_id, record.title, (old_version, str(previous.get("as_of", ""))),
                         (record.version, record.as_of))
    result.added = [s for s in new if s not in old]
    result.removed = [s for s in old if s not in new]
    for section in (s for s in new if s in old):
        before, after = old[section], new[section]
        if before == after:
            continue
        change = SectionChange(section)
        matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag in {"replace", "delete"}:
                change.removed += before[i1:i2]
            if tag in {"replace", "insert"}:
                change.added += after[j1:j2]
        if change.added or change.removed:
            result.changed.append(change)
    return result
