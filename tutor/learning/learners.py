"""Who a learner is, and the tables their progress is kept in.

A learner is known only by what they type: a name or a staff number, trimmed and compared without regard to
case (:func:`learner_key`). The tables are SQLAlchemy Core with portable types, so the same code runs on the
default SQLite file and on a shared PostgreSQL server; :class:`~tutor.learning.progress.ProgressStore` reads
and writes them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, MetaData, String, Table

from tutor.errors import TutorError
from tutor.users.accounts import NAME_PATTERN

MAX_NAME_LENGTH = 64



metadata = MetaData()



learners = Table(
    "progress_learners",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("learner_key", String(MAX_NAME_LENGTH), nullable=False, unique=True),
    Column("display_name", String(MAX_NAME_LENGTH), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
)



answers = Table(
    "progress_answers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("learner_id", Integer, ForeignKey("progress_learners.id", ondelete="CASCADE"), nullable=False),
    Column("module_id", String(80), nullable=False),
    Column("question_id", String(120), nullable=False),
    Column("correct", Boolean, nullable=False),
    Column("answered_at", DateTime(timezone=True), nullable=False),
    Index("ix_progress_answers_learner_module", "learner_id", "module_id", "id"),
)



visits = Table(
    "progress_visits",
    metadata,
    Column("learner_id", Integer, ForeignKey("progress_learners.id", ondelete="CASCADE"), primary_key=True),
    Column("module_id", String(80), primary_key=True),
    Column("last_visit", DateTime(timezone=True), nullable=False),
)



class LearnerNameError(TutorError, ValueError):
    """The name or staff number typed cannot identify a learner (empty, too long, odd characters)."""



#: The characters an account name may have (a learner's record is kept under their account's name).
_ALLOWED = NAME_PATTERN



def display_name_of(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name or "").split())



def learner_key(name: str) -> str:
    """The identity of a learner: the trimmed name or staff number, whitespace collapsed, case folded.

    Raises :class:`LearnerNameError` with a message for the learner when it cannot be used.
    """
    cleaned = display_name_of(name)
    if not cleaned:
        raise LearnerNameError("Type your name or staff number to keep your progress.")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise LearnerNameError(
            f"Use at most {MAX_NAME_LENGTH} characters: your name or staff number is enough."
        )
    if not _ALLOWED.fullmatch(cleaned) or not any(ch.isalnum() for ch in cleaned):
        raise LearnerNameError(
            "Use only letters, digits, spaces and . ' / - @ + : a name, staff number or sign-on name."
        )
    return cleaned.casefold()



def utc_now() -> datetime:
    return datetime.now(UTC)



def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes: they were stored as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)



@dataclass(frozen=True)
class Learner:
    id: int
    key: str
    display_name: str
    created_at: datetime
    last_seen: datetime
