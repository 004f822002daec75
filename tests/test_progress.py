"""Learners' progress on a real SQLite file under ``TUTOR_DATA_DIR``: identity, mastery, study next,
survival across a restart (new engine, and a new process), CSV export and deletion."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable

from tutor.learning.curriculum import Curriculum, load_curriculum
from tutor.learning.learners import LearnerNameError, answers, learner_key, learners, metadata, visits
from tutor.learning.progress import MASTERY_WINDOW, ProgressStore
from tutor.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def curriculum() -> Curriculum:
    return load_curriculum(ROOT / "corpus")


class Clock:
    """A controllable clock, so visit and answer times are exact."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def progress(settings: Settings, curriculum: Curriculum, clock: Clock) -> ProgressStore:
    store = ProgressStore.from_settings(settings, curriculum)
    store.clock = clock
    return store


def answer(progress: ProgressStore, name: str, module_id: str, results: str) -> None:
    """Record answers from a string such as ``"yyn"`` (y = right, n = wrong)."""
    for i, mark in enumerate(results):
        progress.record_answer(name, module_id, f"{module_id}-q{i}", mark == "y")


def by_module(progress: ProgressStore, name: str) -> dict[str, object]:
    return {p.module_id: p for p in progress.module_progress(name)}


# --- identity ------------------------------------------------------------------------------------


def test_a_learner_is_a_trimmed_case_insensitive_name_or_staff_number(progress: ProgressStore) -> None:
    first = progress.learner("  Jane   Wanjiru ")
    assert first.key == "jane wanjiru" and first.display_name == "Jane Wanjiru"
    assert progress.learner("JANE WANJIRU").id == first.id
    assert progress.learner("ksg/2024/0153").id != first.id
    assert learner_key("KSG/2024/0153") == learner_key(" ksg/2024/0153")
    assert progress.learner_count() == 2


@pytest.mark.parametrize(
    "bad", ["", "   ", "x" * 65, "<script>", "--", "jane; drop table"]
)
def test_unusable_names_are_refused_with_a_message(progress: ProgressStore, bad: str) -> None:
    with pytest.raises(LearnerNameError) as info:
        progress.learner(bad)
    assert "staff number" in str(info.value)
    assert progress.learner_count() == 0


def test_sign_on_names_are_learners_too(progress: ProgressStore) -> None:
    """A record is kept under the signed-in account's name, and a sign-on proxy names people by e-mail."""
    assert progress.learner("wanjiku.k@ksg.ac.ke").key == "wanjiku.k@ksg.ac.ke"


def test_nothing_personal_is_stored_beyond_the_name(progress: ProgressStore) -> None:
    progress.record_answer("Otieno", "what-is-ai", "ai-machine-based", True)
    columns = {t.name: [c.name for c in t.columns] for t in metadata.sorted_tables}
    assert columns == {
        "progress_learners": ["id", "learner_key", "display_name", "created_at", "last_seen"],
        "progress_answers": ["id", "learner_id", "module_id", "question_id", "correct", "answered_at"],
        "progress_visits": ["learner_id", "module_id", "last_visit"],
    }


# --- mastery, visits, study next ----------------------------------------------------------------


def test_attempts_correct_and_mastery_over_the_last_answers(progress: ProgressStore) -> None:
    answer(progress, "Achieng", "cloud-first", "n" * MASTERY_WINDOW + "y" * MASTERY_WINDOW)
    answer(progress, "Achieng", "generative-ai", "yyn")
    rows = by_module(progress, "Achieng")
    cloud, genai, dpi = rows["cloud-first"], rows["generative-ai"], rows["digital-public-infrastructure"]
    assert (cloud.attempts, cloud.correct, cloud.mastery, cloud.status) == (20, 10, 1.0, "mastered")
    assert (genai.attempts, genai.correct, round(genai.mastery, 2), genai.status) == (
        3,
        2,
        0.67,
        "practising",
    )
    assert (dpi.attempts, dpi.mastery, dpi.status, dpi.last_visit) == (0, None, "not started", None)
    assert [p.module_id for p in progress.module_progress("Achieng")][:3] == [
        "what-is-ai",
        "generative-ai",
        "data-protection-kenya",
    ]  # curriculum order


def test_visits_are_remembered_with_their_time(progress: ProgressStore, clock: Clock) -> None:
    progress.record_visit("Mutua", "governing-ai")
    first = by_module(progress, "Mutua")["governing-ai"].last_visit
    progress.record_visit("Mutua", "governing-ai")
    second = by_module(progress, "Mutua")["governing-ai"]
    assert first is not None and second.last_visit == clock.now and second.last_visit > first
    assert second.status == "visited" and second.attempts == 0


def test_study_next_is_the_weakest_module(progress: ProgressStore, curriculum: Curriculum) -> None:
    order = curriculum.module_ids
    assert progress.study_next("Wambui").module_id == order[0]  # a new learner starts at the beginning
    answer(progress, "Wambui", order[0], "y")
    answer(progress, "Wambui", order[2], "n")
    suggestion = progress.study_next("Wambui")
    assert suggestion.module_id == order[1]  # unseen modules count as weakest, in curriculum order
    assert "not answered" in suggestion.reason
    for module_id in order:  # now every module has answers: the lowest mastery wins
        answer(progress, "Wambui", module_id, "yy")
    answer(progress, "Wambui", order[5], "nnnn")
    suggestion = progress.study_next("Wambui")
    assert suggestion.module_id == order[5] and "2 of your last 6" in suggestion.reason
    answer(progress, "Wambui", order[2], "nnnnnnnnnnnnnnnnnnnnnnn")  # now module 2 is worst
    assert progress.study_next("Wambui").module_id == order[2]


def test_study_next_breaks_ties_by_curriculum_order(progress: ProgressStore, curriculum: Curriculum) -> None:
    order = curriculum.module_ids
    for module_id in reversed(order):
        answer(progress, "Kiprop", module_id, "yn")
    assert progress.study_next("Kiprop").module_id == order[0]


# --- restart -------------------------------------------------------------------------------------


def test_progress_survives_a_restart(
    settings: Settings, curriculum: Curriculum, progress: ProgressStore
) -> None:
    answer(progress, "Njeri Kamau", "data-protection-kenya", "yyny")
    progress.record_visit("Njeri Kamau", "cloud-first")
    before = progress.module_progress("Njeri Kamau")
    database = settings.data_dir / "mwalimu.sqlite"
    assert database.is_file()  # SQLite under TUTOR_DATA_DIR by default

    # "Restart" in process: a brand-new engine and store on the same file.
    progress.engine.dispose()
    engine = create_engine(settings.resolved_database_url)
    try:
        reopened = ProgressStore(engine, curriculum)
        assert reopened.module_progress("njeri kamau") == before
        assert reopened.study_next("Njeri Kamau").module_id == "what-is-ai"
    finally:
        engine.dispose()

    # A real restart: a fresh Python process reads the same file through the public API.
    script = (
        "import json; from tutor.settings import Settings; from tutor.learning.progress import ProgressStore;"
        "s = ProgressStore.from_settings(Settings(), None);"
        "p = s.module_progress('NJERI KAMAU');"
        "print(json.dumps([[r.module_id, r.attempts, r.correct, r.mastery, r.last_visit.isoformat()]"
        " for r in p]))"
    )
    env = {**os.environ, "TUTOR_DATA_DIR": str(settings.data_dir)}
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    rows = {r[0]: r for r in json.loads(out.stdout)}
    dpk = next(p for p in before if p.module_id == "data-protection-kenya")
    assert rows["data-protection-kenya"] == ["data-protection-kenya", 4, 3, 0.75, dpk.last_visit.isoformat()]
    assert rows["cloud-first"][1] == 0 and rows["cloud-first"][4]


# --- export and delete ---------------------------------------------------------------------------


def test_export_csv_holds_the_learners_whole_record_and_nobody_elses(
    progress: ProgressStore, curriculum: Curriculum
) -> None:
    answer(progress, "Halima Hassan", "cybersecurity-basics", "yny")
    progress.record_answer("Halima Hassan", "cybersecurity-basics", "csf-govern", True)
    answer(progress, "Someone Else", "eu-secret", "y")
    text = progress.export_csv("  halima HASSAN ")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == ProgressStore.CSV_COLUMNS
    kinds = [r["record"] for r in rows]
    assert kinds == ["learner"] + ["module"] * len(curriculum.modules) + ["answer"] * 4
    assert {r["learner"] for r in rows} == {"Halima Hassan"}
    cyber = next(r for r in rows if r["record"] == "module" and r["module_id"] == "cybersecurity-basics")
    assert (cyber["attempts"], cyber["correct"], cyber["mastery"]) == ("4", "3", "0.75")
    assert cyber["module_title"] == curriculum.module("cybersecurity-basics").title
    answered = [r for r in rows if r["record"] == "answer"]
    assert [r["question_id"] for r in answered][-1] == "csf-govern"
    assert [r["answer_correct"] for r in answered] == ["yes", "no", "yes", "yes"]
    assert all(datetime.fromisoformat(r["answered_at"]).tzinfo for r in answered)
    assert "Someone Else" not in text and "eu-secret" not in text
    assert progress.export_csv("Nobody Yet").strip() == ",".join(ProgressStore.CSV_COLUMNS)


def test_delete_removes_every_trace_of_one_learner_only(progress: ProgressStore) -> None:
    answer(progress, "Chebet", "what-is-ai", "yy")
    progress.record_visit("Chebet", "governing-ai")
    answer(progress, "Barasa", "what-is-ai", "n")
    chebet = progress.find_learner("chebet")

    assert progress.delete_learner("CHEBET ") is True
    assert progress.find_learner("Chebet") is None
    with progress.engine.connect() as conn:
        for table, column in ((answers, answers.c.learner_id), (visits, visits.c.learner_id)):
            assert (
                conn.execute(select(func.count()).select_from(table).where(column == chebet.id)).scalar_one()
                == 0
            )
        assert conn.execute(select(func.count()).select_from(learners)).scalar_one() == 1
    assert progress.export_csv("Chebet").count("\n") == 1  # only the header
    assert progress.delete_learner("Chebet") is False
    assert by_module(progress, "Barasa")["what-is-ai"].attempts == 1  # the other learner is untouched
    assert all(p.attempts == 0 for p in progress.module_progress("Chebet"))  # a fresh start if they return


def test_tables_use_types_postgresql_accepts(progress: ProgressStore) -> None:
    ddl = "\n".join(str(CreateTable(t).compile(dialect=postgresql.dialect())) for t in metadata.sorted_tables)
    assert "TIMESTAMP WITH TIME ZONE" in ddl and "BOOLEAN" in ddl and "SERIAL" in ddl
    assert "ON DELETE CASCADE" in ddl
