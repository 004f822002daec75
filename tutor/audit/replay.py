"""Re-ask recorded questions against today's index and say which answers changed.

After a re-ingestion, an evaluator can check it against what officials were told last week: for each
recorded question (its stand-alone form, since the conversation around it is not recorded), the answer
now is compared with the recorded one on three things: refused or not, which documents are cited, and
which versions of them. The question type each was read as is kept beside them (``None`` for a record made
before the audit table had it): a changed reading is reported with a changed answer, and does not by itself
make an answer count as changed, since it follows the tutor's code rather than the library.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass
class Change:
    """How one recorded answer compares with today's."""

    question: str
    time: str
    was_refused: bool
    now_refused: bool
    cited_before: list[str]  # "doc_id@vN"
    cited_now: list[str]
    type_before: str | None = None  # the question type recorded (None: a record made before it was kept)
    type_now: str = ""

    @property
    def changed(self) -> bool:
        return self.was_refused != self.now_refused or self.cited_before != self.cited_now

    def describe(self) -> str:
        parts = []
        if self.was_refused != self.now_refused:
            parts.append("now refused" if self.now_refused else "now answered")
        before = {c.split("@")[0] for c in self.cited_before}
        now = {c.split("@")[0] for c in self.cited_now}
        if before != now:
            parts.append(f"documents {sorted(before)} -> {sorted(now)}")
        elif self.cited_before != self.cited_now:
            parts.append(f"versions {self.cited_before} -> {self.cited_now}")
        if self.type_before and self.type_now and self.type_before != self.type_now:
            parts.append(f"read as {self.type_before} -> {self.type_now}")
        return f"CHANGED {self.question!r} ({self.time}): " + "; ".join(parts)


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """Records from an export: JSON lines, or CSV with passages as JSON in one column."""
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                yield {**row, "refused": row["refused"].lower() in {"true", "1"},
                       "passages": json.loads(row["passages"] or "[]"),
                       "question_type": row.get("question_type") or None}
        return
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def cited(passages: list[dict[str, Any]]) -> list[str]:
    """The cited documents and versions, as sorted ``doc_id@vN``."""
    return sorted({f"{p['doc_id']}@v{p.get('version', 0)}" for p in passages if p.get("cited")})


def replay(tutor: Any, records: Iterator[dict[str, Any]]) -> list[Change]:
    """Ask each recorded question again (not recorded itself) and compare."""
    from tutor.audit.log import passages_of

    out = []
    for record in records:
        question = record.get("standalone_question") or record["question"]
        as_of = record.get("as_of") or None  # asked as of a date: asked so again
        done = tutor.answer(question, as_of=as_of) if as_of else tutor.answer(question)
        out.append(Change(question, str(record.get("time", "")), bool(record["refused"]), done.refused,
                          cited(record.get("passages") or []), cited(passages_of(done)),
                          record.get("question_type") or None, done.question_type))
    return out


def report(changes: list[Change], as_json: bool = False) -> str:
    """One line per changed answer and a count, or the whole comparison as JSON."""
    if as_json:
        return json.dumps({"replayed": len(changes), "changed": sum(c.changed for c in changes),
                           "answers": [{**asdict(c), "changed": c.changed} for c in changes]}, indent=2)
    lines = [c.describe() for c in changes if c.changed]
    lines.append(f"Replayed {len(changes)} answer(s): {len(lines)} changed, {len(changes) - len(lines)} the same.")
    return "\n".join(lines)
