"""Thumbs up/down on answers, stored with the question, the answer, its sources and the settings in force.

One SQLAlchemy Core table in the app database (``tutor.db.make_engine``: SQLite under ``TUTOR_DATA_DIR`` by
default). The evaluator exports thumbs-down records as draft test items with :meth:`FeedbackStore.thumbs_down`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)

log = logging.getLogger(__name__)

RATINGS = ("up", "down")
#: The reasons a user can give for a thumbs-down, in the order the form shows them.
REASONS = ("wrong", "unsupported", "missing source", "unclear", "other")
REASON_LABELS = {
    "wrong": "Wrong: the answer is incorrect",
    "unsupported": "Unsupported: the sources don't say this",
    "missing source": "Missing source: a document I know of is not used",
    "unclear": "Unclear: hard to understand",
    "other": "Other",
}

metadata = MetaData()

feedback_table = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("rating", String(8), nullable=False),
    Column("reason", String(32), nullable=True),
    Column("comment", Text, nullable=True),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("sources", JSON, nullable=False),
    Column("refused", Integer, nullable=False, default=0),
    Column("backend", String(200), nullable=False, default=""),
    Column("model", String(200), nullable=False, default=""),
    Column("embedding_model", String(300), nullable=False, default=""),
    Column("k", Integer, nullable=True),
    CheckConstraint("rating IN ('up', 'down')", name="feedback_rating"),
    sqlite_autoincrement=True,  # never reuse the id of a withdrawn rating
)


@dataclass(frozen=True)
class FeedbackRecord:
    """One stored rating."""

    id: int
    created_at: datetime
    rating: str
    reason: str | None
    comment: str | None
    question: str
    answer: str
    sources: list[dict[str, Any]]
    refused: bool
    backend: str
    model: str
    embedding_model: str
    k: int | None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        return data


@dataclass(frozen=True)
class SettingsSnapshot:
    """What answered: recorded with every rating so feedback can be compared across configurations."""

    backend: str
    model: str
    embedding_model: str
    k: int | None


class FeedbackStore:
    """Reads and writes the ``feedback`` table; safe to share between sessions (no per-user state)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self) -> FeedbackStore:
        """Create the table if it does not exist yet (called by the app factory, not at import)."""
        from tutor.db import create_tables

        create_tables(metadata, self.engine, [feedback_table])
        return self

    def add(self, *, rating: str, question: str, answer: str, sources: Sequence[dict[str, Any]], refused: bool,
            snapshot: SettingsSnapshot, reason: str | None = None, comment: str | None = None) -> int:
        """Store one rating; returns its id."""
        if rating not in RATINGS:
            raise ValueError(f"rating must be one of {RATINGS}, not {rating!r}")
        row = {
            "created_at": datetime.now(UTC), "rating": rating, "reason": _reason(reason),
            "comment": _comment(comment), "question": question, "answer": answer, "sources": list(sources),
            "refused": int(refused), "backend": snapshot.backend, "model": snapshot.model,
            "embedding_model": snapshot.embedding_model, "k": snapshot.k,
        }
        with self.engine.begin() as conn:
            key = conn.execute(insert(feedback_table).values(**row)).inserted_primary_key
        assert key is not None
        new_id = key[0]
        log.info("feedback %s stored (%s)", new_id, rating)
        return int(new_id)

    def set_reason(self, feedback_id: int, reason: str | None, comment: str | None = None) -> bool:
        """Attach a thumbs-down reason and free text to a stored rating; False if it no longer exists."""
        with self.engine.begin() as conn:
            result = conn.execute(update(feedback_table).where(feedback_table.c.id == feedback_id)
                                  .values(reason=_reason(reason), comment=_comment(comment)))
        return bool(result.rowcount)

    def remove(self, feedback_id: int) -> bool:
        """Delete a rating (the user clicked the same thumb again to take it back)."""
        with self.engine.begin() as conn:
            result = conn.execute(delete(feedback_table).where(feedback_table.c.id == feedback_id))
        return bool(result.rowcount)

    def get(self, feedback_id: int) -> FeedbackRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(feedback_table).where(feedback_table.c.id == feedback_id)).mappings().first()
        return _record(row) if row else None

    def records(self, rating: str | None = None, limit: int | None = None) -> list[FeedbackRecord]:
        """Ratings, newest first; only one kind when ``rating`` is given."""
        query = select(feedback_table).order_by(feedback_table.c.id.desc())
        if rating:
            query = query.where(feedback_table.c.rating == rating)
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [_record(row) for row in conn.execute(query).mappings()]

    def thumbs_down(self, limit: int | None = None) -> list[FeedbackRecord]:
        """Every thumbs-down, newest first: what the evaluator exports as draft test items."""
        return self.records("down", limit)


def _reason(reason: str | None) -> str | None:
    if reason in (None, ""):
        return None
    if reason not in REASONS:
        raise ValueError(f"reason must be one of {REASONS}, not {reason!r}")
    return reason


def _comment(comment: str | None) -> str | None:
    text = (comment or "").strip()
    return text[:2000] or None


def _record(row: Any) -> FeedbackRecord:
    created = row["created_at"]
    if created.tzinfo is None:  # SQLite keeps no time zone: every value was written in UTC
        created = created.replace(tzinfo=UTC)
    return FeedbackRecord(
        id=row["id"], created_at=created, rating=row["rating"], reason=row["reason"], comment=row["comment"],
        question=row["question"], answer=row["answer"], sources=list(row["sources"] or []),
        refused=bool(row["refused"]), backend=row["backend"], model=row["model"],
        embedding_model=row["embedding_model"], k=row["k"],
    )
