"""Learners' progress: attempts, mastery and last visit per module, in SQLite or PostgreSQL.

A learner is known only by what they type: a name or a staff number, trimmed and compared without
regard to case (``"  Jane  Wanjiru "`` and ``"jane wanjiru"`` are one learner). There are no passwords
and nothing else personal is stored: the learner key, the answers given (question id, right or wrong,
when) and module visits. A learner can export all of it as CSV and delete all of it.

Tables (:mod:`tutor.learning.learners`) are SQLAlchemy Core with portable types and are created on first
use, so the same code runs on the default SQLite file under ``TUTOR_DATA_DIR`` and on a PostgreSQL server
shared by several replicas (``TUTOR_DATABASE_URL``). See :mod:`tutor.learning.curriculum` for how the Learn tab calls this module.
"""

from __future__ import annotations

import csv
import io
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Engine,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from tutor.db import create_tables
from tutor.learning.learners import (
    Learner,
    answers,
    as_utc,
    display_name_of,
    learner_key,
    learners,
    metadata,
    utc_now,
    visits,
)

if TYPE_CHECKING:
    from tutor.learning.curriculum import Curriculum
    from tutor.settings import Settings

log = logging.getLogger(__name__)

#: Mastery is the share of right answers among a module's most recent answers.
MASTERY_WINDOW = 10
#: "mastered" needs at least this many answers in the window and this share right.
MASTERED_MIN_ANSWERS = 5
MASTERED_SHARE = 0.8


@dataclass(frozen=True)
class ModuleProgress:
    """One learner's standing in one module."""

    module_id: str
    title: str
    attempts: int
    correct: int
    recent: int  # answers in the mastery window
    recent_correct: int
    last_visit: datetime | None

    @property
    def seen(self) -> bool:
        return self.attempts > 0

    @property
    def mastery(self) -> float | None:
        """Share right over the last :data:`MASTERY_WINDOW` answers; ``None`` before the first answer."""
        return self.recent_correct / self.recent if self.recent else None

    @property
    def status(self) -> str:
        mastery = self.mastery
        if mastery is None:
            return "visited" if self.last_visit else "not started"
        if self.recent >= MASTERED_MIN_ANSWERS and mastery >= MASTERED_SHARE:
            return "mastered"
        return "practising" if mastery >= 0.5 else "learning"


@dataclass(frozen=True)
class StudyNext:
    module_id: str
    title: str
    reason: str


class ProgressStore:
    """Reads and writes progress through one engine; holds no per-learner state, so it is safe to share."""

    def __init__(
        self,
        engine: Engine,
        curriculum: Curriculum | None = None,
        module_ids: Sequence[str] | None = None,
        window: int = MASTERY_WINDOW,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.engine = engine
        if module_ids is None:
            module_ids = curriculum.module_ids if curriculum else ()
        self.module_ids = list(module_ids)
        self.titles = {m.id: m.title for m in curriculum.modules} if curriculum else {}
        self.window = window
        self.clock = clock
        self._ready = False
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, curriculum: Curriculum | None = None) -> ProgressStore:
        """The store on ``TUTOR_DATABASE_URL`` (default: SQLite under ``TUTOR_DATA_DIR``)."""
        from tutor.db import make_engine

        return cls(make_engine(settings), curriculum)

    def _ensure_tables(self) -> None:
        if not self._ready:
            with self._lock:
                if not self._ready:
                    create_tables(metadata, self.engine)
                    self._ready = True

    # --- learners ---------------------------------------------------------------------------------
    def learner(self, name: str) -> Learner:
        """The learner with this name or staff number, created on first use; updates ``last_seen``."""
        key = learner_key(name)
        self._ensure_tables()
        now = self.clock()
        with self.engine.begin() as conn:
            row = conn.execute(select(learners).where(learners.c.learner_key == key)).first()
            if row is not None:
                conn.execute(update(learners).where(learners.c.id == row.id).values(last_seen=now))
                learner = self._learner(row)
                return Learner(learner.id, learner.key, learner.display_name, learner.created_at, now)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(learners).values(
                        learner_key=key, display_name=display_name_of(name), created_at=now, last_seen=now
                    )
                )
        except IntegrityError:  # another replica or tab created it a moment ago
            log.debug("learner %r created concurrently", key)
        with self.engine.begin() as conn:
            return self._learner(conn.execute(select(learners).where(learners.c.learner_key == key)).one())

    def find_learner(self, name: str) -> Learner | None:
        """The learner, or ``None`` if nobody has used this name or staff number (nothing is created)."""
        key = learner_key(name)
        self._ensure_tables()
        with self.engine.connect() as conn:
            row = conn.execute(select(learners).where(learners.c.learner_key == key)).first()
        return self._learner(row) if row else None

    @staticmethod
    def _learner(row: Any) -> Learner:
        created, seen = as_utc(row.created_at), as_utc(row.last_seen)
        assert created is not None and seen is not None  # NOT NULL columns
        return Learner(row.id, row.learner_key, row.display_name, created, seen)

    # --- writing ------------------------------------------------------------------------------
    def record_visit(self, name: str, module_id: str) -> None:
        """Remember that the learner opened a module page now."""
        self._visit(self.learner(name).id, module_id, self.clock())

    def _visit(self, learner_id: int, module_id: str, when: datetime) -> None:
        """Upsert the last visit portably: update, else insert, else (lost a race) update."""
        where = (visits.c.learner_id == learner_id, visits.c.module_id == module_id)
        with self.engine.begin() as conn:
            if conn.execute(update(visits).where(*where).values(last_visit=when)).rowcount:
                return
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(visits).values(learner_id=learner_id, module_id=module_id, last_visit=when)
                )
        except IntegrityError:
            with self.engine.begin() as conn:
                conn.execute(update(visits).where(*where).values(last_visit=when))

    def record_answer(self, name: str, module_id: str, question_id: str, correct: bool) -> None:
        """Store one answer (curated or generated question) and count it as a visit to the module."""
        if not module_id or not question_id:
            raise ValueError("module_id and question_id are required")
        learner = self.learner(name)
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(
                insert(answers).values(
                    learner_id=learner.id,
                    module_id=module_id,
                    question_id=question_id,
                    correct=bool(correct),
                    answered_at=now,
                )
            )
        self._visit(learner.id, module_id, now)

    # --- reading ------------------------------------------------------------------------------
    def module_progress(self, name: str) -> list[ModuleProgress]:
        """Every curriculum module in order (unseen ones included), then any other module answered."""
        learner = self.find_learner(name)
        history: dict[str, list[bool]] = {}
        last: dict[str, datetime | None] = {}
        if learner is not None:
            with self.engine.connect() as conn:
                for row in conn.execute(
                    select(answers.c.module_id, answers.c.correct)
                    .where(answers.c.learner_id == learner.id)
                    .order_by(answers.c.id)
                ):
                    history.setdefault(row.module_id, []).append(bool(row.correct))
                for row in conn.execute(
                    select(visits.c.module_id, visits.c.last_visit).where(visits.c.learner_id == learner.id)
                ):
                    last[row.module_id] = as_utc(row.last_visit)
        extra = sorted((set(history) | set(last)) - set(self.module_ids))
        out = []
        for module_id in [*self.module_ids, *extra]:
            given = history.get(module_id, [])
            recent = given[-self.window :]
            out.append(
                ModuleProgress(
                    module_id=module_id,
                    title=self.titles.get(module_id, module_id),
                    attempts=len(given),
                    correct=sum(given),
                    recent=len(recent),
                    recent_correct=sum(recent),
                    last_visit=last.get(module_id),
                )
            )
        return out

    def study_next(self, name: str) -> StudyNext | None:
        """The weakest curriculum module: unseen first, then lowest mastery; ties in curriculum order."""
        rows = [p for p in self.module_progress(name) if p.module_id in self.module_ids]
        if not rows:
            return None
        order = {m: i for i, m in enumerate(self.module_ids)}
        weakest = min(
            rows, key=lambda p: (p.seen, p.mastery if p.mastery is not None else -1.0, order[p.module_id])
        )
        if not weakest.seen:
            reason = "You have not answered any questions in this module yet."
        else:
            reason = (
                f"Your weakest module: {weakest.recent_correct} of your last {weakest.recent} answers "
                f"were right ({weakest.mastery:.0%})."
            )
        return StudyNext(weakest.module_id, weakest.title, reason)

    #: Columns of :meth:`export_csv`; a row fills the ones that apply to its ``record`` kind.
    CSV_COLUMNS = (
        "record",
        "learner",
        "first_seen",
        "last_seen",
        "module_id",
        "module_title",
        "attempts",
        "correct",
        "mastery",
        "last_visit",
        "question_id",
        "answer_correct",
        "answered_at",
    )

    def export_csv(self, name: str) -> str:
        """Everything stored about a learner as CSV text: a ``learner`` row, ``module`` rows, ``answer`` rows.

        Only the header comes back when nobody has used this name or staff number.
        """
        learner = self.find_learner(name)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=self.CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        if learner is None:
            return buffer.getvalue()
        who = learner.display_name
        writer.writerow(
            {
                "record": "learner",
                "learner": who,
                "first_seen": learner.created_at.isoformat(),
                "last_seen": learner.last_seen.isoformat(),
            }
        )
        for p in self.module_progress(name):
            writer.writerow(
                {
                    "record": "module",
                    "learner": who,
                    "module_id": p.module_id,
                    "module_title": p.title,
                    "attempts": p.attempts,
                    "correct": p.correct,
                    "mastery": "" if p.mastery is None else f"{p.mastery:.2f}",
                    "last_visit": p.last_visit.isoformat() if p.last_visit else "",
                }
            )
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(answers).where(answers.c.learner_id == learner.id).order_by(answers.c.id)
            )
            for row in rows:
                answered = as_utc(row.answered_at)
                writer.writerow(
                    {
                        "record": "answer",
                        "learner": who,
                        "module_id": row.module_id,
                        "module_title": self.titles.get(row.module_id, ""),
                        "question_id": row.question_id,
                        "answer_correct": "yes" if row.correct else "no",
                        "answered_at": answered.isoformat() if answered else "",
                    }
                )
        return buffer.getvalue()

    def delete_learner(self, name: str) -> bool:
        """Delete the learner and every answer and visit; ``False`` if there was nothing to delete."""
        learner = self.find_learner(name)
        if learner is None:
            return False
        with self.engine.begin() as conn:
            conn.execute(delete(answers).where(answers.c.learner_id == learner.id))
            conn.execute(delete(visits).where(visits.c.learner_id == learner.id))
            conn.execute(delete(learners).where(learners.c.id == learner.id))
        log.info("deleted a learner's progress record")
        return True

    def learner_count(self) -> int:
        """How many learners have a record (for the admin view; no names)."""
        self._ensure_tables()
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(learners)).scalar_one())
