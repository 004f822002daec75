"""Loading Q&A test sets: JSONL (one object per line) or CSV with the same column names.

The contract (DESIGN.md, "Test-set contract"): ``id``, ``question``, optional ``history`` (list of
``{role, content}``), ``key_facts`` (list; one fact may list alternatives separated by `` | ``),
``sources`` (list of ``doc_id``s or file names), ``reference_answer``, ``answerable`` (default true).
In CSV, cells holding lists separate items with `` ; ``. Extra fields (``topic``, notes...) are kept.

Every problem is reported with its line (JSONL) or row (CSV) number, all at once, so an evaluator can
fix a file in one pass.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.errors import TutorError

LIST_SEPARATOR = " ; "
ALTERNATIVE_SEPARATOR = " | "
_LIST_SPLIT = re.compile(r"\s+;\s+")
_ALT_SPLIT = re.compile(r"\s+\|\s+")
_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}
_ROLES = {"user", "assistant"}
KNOWN_FIELDS = ("id", "question", "history", "key_facts", "sources", "reference_answer", "answerable", "topic",
                "type")


class TestSetError(TutorError):
    """The test set cannot be read: the message lists every problem with its line or row."""

    __test__ = False  # not a pytest test class


@dataclass(frozen=True)
class TestItem:
    """One question of a test set."""

    __test__ = False  # not a pytest test class

    id: str
    question: str
    history: tuple[dict[str, str], ...] = ()
    key_facts: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    reference_answer: str = ""
    answerable: bool = True
    topic: str = ""
    #: What the question asks for (:data:`tutor.answers.understand.QUESTION_TYPES`): the report breaks metrics down by it.
    type: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def alternatives(self, fact: str) -> list[str]:
        """The accepted wordings of one key fact."""
        return split_alternatives(fact)


def split_alternatives(fact: str) -> list[str]:
    """``"November 2023 | Nov 2023"`` -> ``["November 2023", "Nov 2023"]`` (empty parts dropped)."""
    return [alt.strip() for alt in _ALT_SPLIT.split(fact) if alt.strip()]


def split_list_cell(cell: str) -> list[str]:
    """A CSV list cell: items separated by `` ; `` (a lone item needs no separator)."""
    cell = (cell or "").strip()
    if not cell:
        return []
    if cell.startswith("[") and cell.endswith("]"):  # a JSON list pasted into a cell is accepted too
        try:
            value = json.loads(cell)
        except json.JSONDecodeError:
            value = None
        if isinstance(value, list):
            return [str(v).strip() for v in value if str(v).strip()]
    parts = _LIST_SPLIT.split(cell)
    if len(parts) == 1 and ";" in cell and " ; " not in cell:
        parts = cell.split(";")  # tolerate "a;b" typed without spaces
    return [p.strip() for p in parts if p.strip()]


def parse_bool(value: Any, default: bool = True) -> bool:
    """``true/false``, ``yes/no``, ``1/0`` (any case); empty means ``default``."""
    if isinstance(value, bool):
        return value
    if value is None:
        return default
    if isinstance(value, (int, float)):
        return bool(value)
    text = str(value).strip().lower()
    if not text:
        return default
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def parse_history(value: Any) -> list[dict[str, str]]:
    """A list of ``{role, content}``; in CSV a JSON list, or turns separated by `` ; `` as
    ``user: ...`` / ``assistant: ...`` (turns without a prefix alternate, starting with the user)."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            value = json.loads(text)
        else:
            turns = []
            for number, part in enumerate(split_list_cell(text)):
                role, sep, content = part.partition(":")
                if sep and role.strip().lower() in _ROLES:
                    turns.append({"role": role.strip().lower(), "content": content.strip()})
                else:
                    turns.append({"role": "user" if number % 2 == 0 else "assistant", "content": part})
            return turns
    if not isinstance(value, list):
        raise ValueError("history must be a list of {role, content}")  # noqa: TRY004 - reported per line
    out = []
    for turn in value:
        if not isinstance(turn, dict) or str(turn.get("role", "")).lower() not in _ROLES or not turn.get("content"):
            raise ValueError("each history turn needs role 'user' or 'assistant' and some content")
        out.append({"role": str(turn["role"]).lower(), "content": str(turn["content"])})
    return out


def _as_list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return split_list_cell(value)
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    raise ValueError(f"{name} must be a list of strings")


def item_from_mapping(raw: dict[str, Any], default_id: str) -> TestItem:
    """Validate one record (a JSON object or a CSV row) into a :class:`TestItem`; raises ``ValueError``."""
    question = str(raw.get("question") or "").strip()
    if not question:
        raise ValueError("question is empty")
    answerable = parse_bool(raw.get("answerable"), default=True)
    item = TestItem(
        id=str(raw.get("id") or "").strip() or default_id,
        question=question,
        history=tuple(parse_history(raw.get("history"))),
        key_facts=tuple(_as_list(raw.get("key_facts"), "key_facts")),
        sources=tuple(_as_list(raw.get("sources"), "sources")),
        reference_answer=str(raw.get("reference_answer") or "").strip(),
        answerable=answerable,
        topic=str(raw.get("topic") or "").strip(),
        type=_question_type(raw.get("type")),
        extra={k: v for k, v in raw.items() if k not in KNOWN_FIELDS and k is not None},
    )
    return item


def _question_type(value: Any) -> str:
    from tutor.answers.understand import QUESTION_TYPES

    label = str(value or "").strip().lower()
    if label and label not in QUESTION_TYPES:
        raise ValueError(f"type {label!r} is not one of {', '.join(QUESTION_TYPES)}")
    return label


def _records(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """(where, record) pairs: ``line N`` for JSONL, ``row N`` for CSV (the header is row 1)."""
    text = path.read_text(encoding="utf-8-sig")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        reader = csv.DictReader(text.splitlines())
        missing = {"question"} - set(reader.fieldnames or [])
        if missing:
            raise TestSetError(f"{path}: the CSV header has no 'question' column (found: {reader.fieldnames})")
        return [(f"row {n}", dict(row)) for n, row in enumerate(reader, start=2)
                if any((v or "").strip() for v in row.values() if isinstance(v, str))]
    if suffix == ".json":  # a plain JSON list is accepted as a convenience
        data = json.loads(text)
        if not isinstance(data, list):
            raise TestSetError(f"{path}: expected a JSON list of objects")
        return [(f"item {n}", d) for n, d in enumerate(data, start=1)]
    records: list[tuple[str, dict[str, Any]]] = []
    problems: list[str] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {n}: not valid JSON ({exc.msg})")
            continue
        if not isinstance(value, dict):
            problems.append(f"line {n}: expected a JSON object")
            continue
        records.append((f"line {n}", value))
    if problems:
        raise TestSetError(f"{path}: " + "; ".join(problems))
    return records


def load_testset(path: str | Path) -> list[TestItem]:
    """Read and validate a test set; raises :class:`TestSetError` listing every problem."""
    path = Path(path)
    if not path.is_file():
        raise TestSetError(f"test set not found: {path}")
    items: list[TestItem] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for number, (where, raw) in enumerate(_records(path), start=1):
        try:
            item = item_from_mapping(raw, default_id=f"q{number:03d}")
        except (ValueError, json.JSONDecodeError) as exc:
            problems.append(f"{where}: {exc}")
            continue
        if item.id in seen:
            problems.append(f"{where}: duplicate id {item.id!r} (first at {seen[item.id]})")
            continue
        seen[item.id] = where
        items.append(item)
    if problems:
        raise TestSetError(f"{path}: " + "; ".join(problems))
    if not items:
        raise TestSetError(f"{path}: no questions found")
    return items
