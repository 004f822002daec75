"""The audit table: one row per answer given in the chat, through the API or by an evaluation run.

A public body must be able to show what the tutor told its staff, and delete a person's records on
request. So each row keeps the question, the stand-alone question retrieval used, the refusal decision,
the backend and a fingerprint of the settings, the latency, and every passage the answer drew on
(``chunk_id``, ``doc_id``, ``version``, ``score``, whether it was cited). A learner's name is stored
only when the learner gave one (the same key :mod:`tutor.learning.progress` uses), so "delete my data" can
remove their rows; nothing else about a person is kept.

One ``INSERT`` per answer through SQLAlchemy Core, on the database progress and feedback use (SQLite by
default, PostgreSQL when replicas share one). ``TUTOR_AUDIT=off`` turns recording off;
``TUTOR_AUDIT_RETENTION_DAYS`` purges older rows when the log is opened and on export.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    inspect,
    select,
    text,
)

from tutor.db import create_tables

if TYPE_CHECKING:
    from tutor.events import Done
    from tutor.settings import Settings

log = logging.getLogger(__name__)

CHANNELS = ("chat", "api", "eval")
#: Settings that never go into the fingerprint: secrets, where files live and how people sign in (not how
#: answers are made).
_NOT_FINGERPRINTED = {"llm_api_key", "database_url", "data_dir", "corpus_dir", "chroma_url", "auth",
                      "proxy_addresses", "proxy_header"}
#: Rows read per round trip on export.
EXPORT_PAGE = 2000
FIELDS = ("time", "channel", "question", "standalone_question", "refused", "backend", "settings_fingerprint",
          "latency_ms", "learner", "passages", "as_of", "question_type", "more")
#: Columns added after the first release of the table, with their SQL types: :func:`_add_columns` adds those an
#: existing table lacks (they are nullable, so the rows written before them read as ``None``).
LATER_COLUMNS = {"as_of": "VARCHAR(32)", "question_type": "VARCHAR(32)", "more": "TEXT"}

metadata = MetaData()

audit_table = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("time", DateTime(timezone=True), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("question", Text, nullable=False),
    Column("standalone_question", Text, nullable=False),
    Column("refused", Boolean, nullable=False),
    Column("backend", String(200), nullable=False),
    Column("settings_fingerprint", String(64), nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("learner", String(64), nullable=True),
    Column("passages", JSON, nullable=False),
    #: The date an answer was asked "as of" (empty: the current versions); a later column, see _add_columns.
    Column("as_of", String(32), nullable=True),
    #: What the question was read as asking for (tutor.answers.understand.QUESTION_TYPES; "" for an empty question),
    #: and the part of the answer under "More from the sources" ("" when the lead was all of it). Later
    #: columns: ``None`` in rows written before them.
    Column("question_type", String(32), nullable=True),
    Column("more", Text, nullable=True),
    Index("ix_audit_time", "time"),
    Index("ix_audit_learner", "learner"),
)


def settings_fingerprint(settings: Settings) -> str:
    """A short hash of the settings that shape answers, so records can be grouped by configuration."""
    values = {k: v for k, v in settings.model_dump(mode="json").items() if k not in _NOT_FINGERPRINTED}
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:16]


def passages_of(done: Done) -> list[dict[str, Any]]:
    """Every passage the answer drew on: the retrieved ones in rank order, then cited ones not among them."""
    cited = {s.chunk_id for s in done.sources}
    seen: set[str] = set()
    out = []
    for source in (*done.retrieved, *done.sources):
        if source.chunk_id in seen:
            continue
        seen.add(source.chunk_id)
        out.append({"chunk_id": source.chunk_id, "doc_id": source.doc_id, "version": source.version,
                    "score": source.score, "cited": source.chunk_id in cited})
    return out


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class AuditLog:
    """Writes, exports, purges and deletes audit rows; holds no per-user state, so one serves every session."""

    def __init__(self, engine: Engine, *, enabled: bool = True, retention_days: int | None = None,
                 fingerprint: str = "") -> None:
        self.engine = engine
        self.enabled = enabled
        self.retention_days = retention_days
        self.fingerprint = fingerprint
        self._ready = False
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine | None = None) -> AuditLog:
        from tutor.db import make_engine

        audit = cls(engine or make_engine(settings), enabled=settings.audit,
                    retention_days=settings.audit_retention_days, fingerprint=settings_fingerprint(settings))
        if audit.enabled:
            audit.purge()
        return audit

    def _ensure_table(self) -> None:
        if not self._ready:
            with self._lock:
                if not self._ready:
                    create_tables(metadata, self.engine, [audit_table])
                    _add_columns(self.engine)
                    self._ready = True

    # --- writing --------------------------------------------------------------------------------
    def record(self, done: Done, channel: str, learner: str | None = None, latency_ms: float | None = None,
               as_of: str | None = None) -> bool:
        """Store one answer; returns whether it was stored. Never raises: an answer must not fail because
        its record could not be written (the failure is logged). ``as_of`` is the date the question was
        asked as of, so the record says the answer was not today's and replay asks it the same way. The
        question type and the "more" part are kept so that an answer's shape can be shown and compared later
        (what the official read first, and what sat folded below it)."""
        if not self.enabled:
            return False
        if channel not in CHANNELS:
            raise ValueError(f"channel must be one of {CHANNELS}, not {channel!r}")
        row = {"time": datetime.now(UTC), "channel": channel, "question": done.question,
               "standalone_question": done.standalone_question, "refused": bool(done.refused),
               "backend": done.backend, "settings_fingerprint": self.fingerprint,
               "latency_ms": float(latency_ms if latency_ms is not None else done.timings_ms.get("total_ms", 0.0)),
               "learner": _learner(learner), "passages": passages_of(done), "as_of": (as_of or "").strip() or None,
               "question_type": done.question_type, "more": done.more}
        try:
            self._ensure_table()
            with self.engine.begin() as conn:
                conn.execute(insert(audit_table), row)
        except Exception:  # logged; the answer itself already reached the user
            log.exception("could not write the audit record of an answer")
            return False
        return True

    # --- reading -------------------------------------------------------------------------------
    def count(self) -> int:
        self._ensure_table()
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(audit_table)).scalar_one())

    def rows(self, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        """Every record (oldest first), as the export writes it, paged by id so memory stays flat."""
        self._ensure_table()
        columns = [audit_table.c.id, *(audit_table.c[name] for name in FIELDS)]
        last = 0
        while True:
            query = select(*columns).where(audit_table.c.id > last).order_by(audit_table.c.id).limit(EXPORT_PAGE)
            if since is not None:
                query = query.where(audit_table.c.time >= since)
            with self.engine.connect() as conn:
                batch = conn.execute(query).all()
            if not batch:
                return
            for row in batch:
                record = {name: getattr(row, name) for name in FIELDS}
                record["time"] = _utc(record["time"]).isoformat()
                yield record
            last = batch[-1].id

    def export(self, path: Path, since: datetime | None = None) -> int:
        """Write the records to ``path``: CSV when it ends in ``.csv`` (passages as JSON in one column),
        else JSON lines. Returns how many were written."""
        self.purge()
        path.parent.mkdir(parents=True, exist_ok=True)
        n = 0
        with path.open("w", encoding="utf-8", newline="") as handle:
            if path.suffix.lower() == ".csv":
                writer = csv.DictWriter(handle, fieldnames=FIELDS)
                writer.writeheader()
                for n, record in enumerate(self.rows(since), start=1):
                    writer.writerow({**record, "passages": json.dumps(record["passages"]),
                                     "learner": record["learner"] or ""})
            else:
                for n, record in enumerate(self.rows(since), start=1):
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        log.info("exported %d audit record(s) to %s", n, path)
        return n

    # --- deleting ------------------------------------------------------------------------------
    def purge(self, now: datetime | None = None) -> int:
        """Delete records older than ``TUTOR_AUDIT_RETENTION_DAYS`` (nothing when unset); returns how many."""
        if not self.retention_days:
            return 0
        self._ensure_table()
        cutoff = (now or datetime.now(UTC)) - timedelta(days=self.retention_days)
        with self.engine.begin() as conn:
            gone = conn.execute(delete(audit_table).where(audit_table.c.time < cutoff)).rowcount or 0
        if gone:
            log.info("purged %d audit record(s) older than %d days", gone, self.retention_days)
        return int(gone)

    def delete_learner(self, name: str) -> int:
        """Delete every record of this learner ("delete my data"); returns how many."""
        key = _learner(name)
        if key is None:
            return 0
        self._ensure_table()
        with self.engine.begin() as conn:
            return int(conn.execute(delete(audit_table).where(audit_table.c.learner == key)).rowcount or 0)


def _add_columns(engine: Engine) -> None:
    """Add the :data:`LATER_COLUMNS` an audit table made before them lacks (``create_all`` adds tables, not
    columns); replicas starting together on PostgreSQL may both try, hence ``IF NOT EXISTS`` there."""
    have = {c["name"] for c in inspect(engine).get_columns("audit")}
    missing = [(name, kind) for name, kind in LATER_COLUMNS.items() if name not in have]
    if not missing:
        return
    guard = " IF NOT EXISTS" if engine.dialect.name == "postgresql" else ""
    with engine.begin() as conn:
        for name, kind in missing:
            conn.execute(text(f"ALTER TABLE audit ADD COLUMN{guard} {name} {kind}"))
    log.info("added the column(s) %s to the audit table", ", ".join(name for name, _ in missing))


def _learner(name: str | None) -> str | None:
    """The learner key :mod:`tutor.learning.progress` uses, or ``None`` when no usable name was given."""
    if not name or not name.strip():
        return None
    from tutor.learning.learners import LearnerNameError, learner_key

    try:
        return learner_key(name)
    except LearnerNameError:
        return None


def parse_since(value: str | None) -> datetime | None:
    """``--since 2026-01-31`` (or a full ISO time) as an aware UTC datetime."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return _utc(parsed)
