"""Thumbs-down feedback -> draft test items for an evaluator to complete.

The app stores ratings in a table named ``feedback`` (``tutor.ui.feedback``). This module reads it by
SQLAlchemy reflection, so it depends only on the column names (``question``, ``answer``, ``rating``,
``reason``, ``comment``, ``created_at``; ``sources``, ``refused`` and ``backend`` when present), not on
the app's code. A database without that table exports nothing and says so.

A draft item follows the test-set contract with empty ``key_facts`` and ``sources`` (the evaluator
fills them in) and carries what the official saw and said: ``answer_given``, ``reason``, ``comment``,
``cited_given``. Repeated thumbs-down on the same question become one draft with every reason.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

TABLE = "feedback"
_DOWN_WORDS = {"down", "thumbs_down", "thumbs-down", "thumbsdown", "negative", "bad", "no", "dislike", "👎", "-1"}


def is_thumbs_down(rating: Any) -> bool:
    """``"down"`` (what the app stores), and the usual other spellings: ``-1``, ``0``, ``False``, ``"👎"``."""
    if isinstance(rating, bool):
        return not rating
    if isinstance(rating, (int, float)):
        return rating <= 0
    return str(rating or "").strip().lower() in _DOWN_WORDS


def _key(question: str) -> str:
    return re.sub(r"\s+", " ", question.strip().lower())


def draft_items(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Thumbs-down rows (oldest first) -> one draft test item per distinct question."""
    drafts: dict[str, dict[str, Any]] = {}
    for row in rows:
        if not is_thumbs_down(row.get("rating")):
            continue
        question = str(row.get("question") or "").strip()
        if not question:
            continue
        reason = str(row.get("reason") or "").strip()
        comment = str(row.get("comment") or "").strip()
        cited = row.get("sources")
        if isinstance(cited, str):
            try:
                cited = json.loads(cited)
            except json.JSONDecodeError:
                cited = []
        key = _key(question)
        draft = drafts.get(key)
        if draft is None:
            draft = drafts[key] = {
                "id": "fb-" + hashlib.sha1(key.encode()).hexdigest()[:8], "question": question, "history": [],
                "key_facts": [], "sources": [], "reference_answer": "", "answerable": True, "topic": "",
                "draft": True, "answer_given": "", "reason": "", "comment": "", "cited_given": [],
                "refused_given": False, "reports": 0, "last_reported": "",
            }
        draft["reports"] += 1
        draft["answer_given"] = str(row.get("answer") or "")  # the latest answer wins
        draft["refused_given"] = bool(row.get("refused") or False)
        draft["cited_given"] = [c.get("title", c) if isinstance(c, dict) else c for c in (cited or [])]
        draft["last_reported"] = str(row.get("created_at") or "")
        if reason and reason not in draft["reason"].split(" ; "):
            draft["reason"] = f"{draft['reason']} ; {reason}" if draft["reason"] else reason
        if comment and comment not in draft["comment"].split(" ; "):
            draft["comment"] = f"{draft['comment']} ; {comment}" if draft["comment"] else comment
    return list(drafts.values())


def read_feedback(database: Any) -> list[dict[str, Any]] | None:
    """Every row of the ``feedback`` table, oldest first; ``None`` when there is no such table.

    ``database`` is a SQLAlchemy URL or engine. A SQLite file that does not exist is not created.
    """
    from sqlalchemy import MetaData, Table, create_engine, inspect, select
    from sqlalchemy.engine import make_url

    engine = database
    if isinstance(database, str):
        url = make_url(database)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" \
                and not Path(url.database).exists():
            log.warning("no feedback database at %s: nothing to export", url.database)
            return None
        engine = create_engine(database)
    if not inspect(engine).has_table(TABLE):
        log.warning("the database has no %r table (no feedback recorded yet): nothing to export", TABLE)
        return None
    table = Table(TABLE, MetaData(), autoload_with=engine)
    order = [table.c[name] for name in ("created_at", "id") if name in table.c]
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(select(table).order_by(*order)).mappings()]


def export_feedback(database: Any, out: str | Path) -> int:
    """Write thumbs-down feedback as draft test items (JSONL) to ``out``; returns how many drafts."""
    rows = read_feedback(database) or []
    drafts = draft_items(rows)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(d, ensure_ascii=False, default=str) + "\n" for d in drafts), encoding="utf-8")
    log.info("%d draft test item(s) from %d feedback row(s) written to %s", len(drafts), len(rows), path)
    return len(drafts)
