"""The record of every answer: real Tutor, real Chroma and model, real SQLite, the real channels' code."""

from __future__ import annotations

import csv
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import factories
import pytest
from sqlalchemy import insert, update
from test_versions import QUESTION, V1, V2, circular

from tutor.answers.tutor import Tutor
from tutor.audit import AuditLog
from tutor.audit.__main__ import main as audit_main
from tutor.audit.log import audit_table
from tutor.audit.replay import read_records, replay, report
from tutor.db import make_engine
from tutor.eval.runner import run_testset
from tutor.eval.testset import TestItem
from tutor.library.ingestion import Ingestor
from tutor.library.lexical import LexicalCache
from tutor.library.store import ChunkStore
from tutor.settings import Settings
from tutor.ui import chat
from tutor.ui.api import make_ask
from tutor.ui.learn_desk import LearnDesk

CONTRACT_FIELDS = {"time", "channel", "question", "standalone_question", "refused", "backend", "latency_ms",
                   "learner", "passages"}


@pytest.fixture
def tutor(ingestor: Ingestor, settings: Settings, store: ChunkStore, embeddings: Any) -> Tutor:
    circular(settings.corpus_dir, V1, "2023-01-01")
    factories.make_note(settings.corpus_dir / "konza.md")
    assert ingestor.run().failures == []
    return Tutor(store, embeddings, LexicalCache(settings.lexical_dir, store))


@pytest.fixture
def audit(settings: Settings) -> AuditLog:
    return AuditLog.from_settings(settings)


def exported(audit: AuditLog, path: Path, since: datetime | None = None) -> list[dict[str, Any]]:
    audit.export(path, since)
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_chat_api_and_eval_answers_are_all_recorded(tutor: Tutor, audit: AuditLog, tmp_path: Path) -> None:
    services = SimpleNamespace(tutor=tutor, audit=audit)
    frames = list(chat.respond(services, QUESTION, []))  # type: ignore[arg-type]
    assert "Form A" in frames[-1].turns[-1].answer
    answer, _ = make_ask(services)("What is the best recipe for chocolate cake?")  # type: ignore[arg-type]
    assert "doesn't cover" in answer
    items = [TestItem(id="a", question=QUESTION), TestItem(id="b", question="How far is Konza from Nairobi?")]
    run_testset(tutor, items, k=5, audit=audit, warmup=False, show_progress=False)

    records = exported(audit, tmp_path / "audit.jsonl")
    assert [r["channel"] for r in records] == ["chat", "api", "eval", "eval"]
    assert all(CONTRACT_FIELDS <= set(r) for r in records)
    first, refused = records[0], records[1]
    assert first["question"] == QUESTION and first["refused"] is False and first["learner"] is None
    assert first["backend"] == "offline (extractive)" and first["latency_ms"] > 0
    assert first["settings_fingerprint"] == audit.fingerprint and len(audit.fingerprint) == 16
    cited = [p for p in first["passages"] if p["cited"]]
    assert cited and all(p["doc_id"] == "circular" and p["version"] == 1 for p in cited)
    assert all(set(p) == {"chunk_id", "doc_id", "version", "score", "cited"} for p in first["passages"])
    assert refused["refused"] is True and not any(p["cited"] for p in refused["passages"])
    assert datetime.fromisoformat(first["time"]).tzinfo is not None


def test_export_as_csv_and_since(audit: AuditLog, tutor: Tutor, tmp_path: Path) -> None:
    for question in (QUESTION, "How far is Konza from Nairobi?"):
        audit.record(tutor.answer(question), "api")
    with audit.engine.begin() as conn:  # the first one was written last month
        conn.execute(update(audit_table).where(audit_table.c.id == 1)
                     .values(time=datetime.now(UTC) - timedelta(days=30)))
    assert audit.export(tmp_path / "a.csv") == 2
    with (tmp_path / "a.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["question"] for r in rows] == [QUESTION, "How far is Konza from Nairobi?"]
    assert json.loads(rows[0]["passages"])[0]["doc_id"] and rows[0]["learner"] == ""
    recent = exported(audit, tmp_path / "recent.jsonl", datetime.now(UTC) - timedelta(days=1))
    assert [r["question"] for r in recent] == ["How far is Konza from Nairobi?"]
    assert next(iter(read_records(tmp_path / "a.csv")))["refused"] is False  # replay reads CSV exports too


def test_the_command_line_exports_and_rejects_a_bad_date(settings: Settings, tutor: Tutor, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    AuditLog.from_settings(settings).record(tutor.answer(QUESTION), "api")
    monkeypatch.setenv("TUTOR_DATA_DIR", str(settings.data_dir))
    assert audit_main(["export", "--out", str(tmp_path / "out.jsonl"), "--since", "2020-01-01"]) == 0
    assert "Exported 1 record(s)" in capsys.readouterr().out
    assert json.loads((tmp_path / "out.jsonl").read_text())["question"] == QUESTION
    assert audit_main(["export", "--out", str(tmp_path / "x.jsonl"), "--since", "last week"]) == 2


def test_audit_off_records_nothing(settings: Settings, tutor: Tutor) -> None:
    off = AuditLog.from_settings(settings.model_copy(update={"audit": False}))
    assert off.record(tutor.answer(QUESTION), "chat") is False
    assert AuditLog.from_settings(settings).count() == 0


def test_retention_purges_old_records(settings: Settings, tutor: Tutor) -> None:
    audit = AuditLog.from_settings(settings.model_copy(update={"audit_retention_days": 7}))
    done = tutor.answer(QUESTION)
    for _ in range(3):
        audit.record(done, "api")
    with audit.engine.begin() as conn:
        conn.execute(update(audit_table).where(audit_table.c.id <= 2)
                     .values(time=datetime.now(UTC) - timedelta(days=8)))
    assert audit.purge() == 2 and audit.count() == 1
    assert AuditLog.from_settings(settings).purge() == 0  # without a retention period nothing goes


def test_a_learners_delete_my_data_deletes_their_answer_records(settings: Settings, tutor: Tutor,
                                                                store: ChunkStore) -> None:
    from tutor.learning.progress import ProgressStore

    audit = AuditLog.from_settings(settings)
    done = tutor.answer(QUESTION)
    audit.record(done, "chat", learner="  Jane  WANJIRU ")
    audit.record(done, "chat", learner="Otieno")
    audit.record(done, "chat")
    desk = LearnDesk(SimpleNamespace(modules=[], module_ids=[]), ProgressStore(make_engine(settings)),  # type: ignore[arg-type]
                     store, audit)
    message = desk.delete("jane wanjiru")
    assert message.startswith("Deleted") and audit.count() == 2
    learners = [r["learner"] for r in audit.rows()]
    assert learners == ["otieno", None]


def test_exporting_ten_thousand_records_takes_under_five_seconds(audit: AuditLog, tutor: Tutor,
                                                                 tmp_path: Path) -> None:
    audit.record(tutor.answer(QUESTION), "api")
    row = next(iter(audit.rows()))
    row["time"] = datetime.fromisoformat(row["time"])
    with audit.engine.begin() as conn:
        conn.execute(insert(audit_table), [row] * 9_999)
    started = time.perf_counter()
    assert audit.export(tmp_path / "big.jsonl") == 10_000
    assert time.perf_counter() - started < 5.0
    assert len((tmp_path / "big.jsonl").read_text().splitlines()) == 10_000


def test_replay_reports_answers_whose_versions_changed(audit: AuditLog, tutor: Tutor, ingestor: Ingestor,
                                                       settings: Settings, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    for question in (QUESTION, "How far is Konza Technopolis from Nairobi?", "What is the best recipe for cake?"):
        audit.record(tutor.answer(question), "api")
    audit.export(tmp_path / "last-week.jsonl")
    assert not any(c.changed for c in replay(tutor, read_records(tmp_path / "last-week.jsonl")))
    circular(settings.corpus_dir, V2, "2025-03-01")
    ingestor.run()

    changes = replay(tutor, read_records(tmp_path / "last-week.jsonl"))
    assert [c.changed for c in changes] == [True, False, False]
    assert changes[0].cited_before == ["circular@v1"] and changes[0].cited_now == ["circular@v2"]
    text = report(changes)
    assert "versions ['circular@v1'] -> ['circular@v2']" in text and "1 changed, 2 the same" in text
    monkeypatch.setenv("TUTOR_DATA_DIR", str(settings.data_dir))
    assert audit_main(["replay", str(tmp_path / "last-week.jsonl"), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["changed"] == 1
    assert audit_main(["replay", str(tmp_path / "missing.jsonl")]) == 2


def test_an_answer_asked_as_of_a_date_is_recorded_so_and_replayed_so(audit: AuditLog, tutor: Tutor,
                                                                     ingestor: Ingestor, settings: Settings,
                                                                     tmp_path: Path) -> None:
    circular(settings.corpus_dir, V2, "2025-03-01")
    ingestor.run()
    ask = make_ask(SimpleNamespace(tutor=tutor, audit=audit))  # type: ignore[arg-type]
    ask(QUESTION, "2024-06-30")
    ask(QUESTION)
    records = exported(audit, tmp_path / "dated.jsonl")
    assert [r["as_of"] for r in records] == ["2024-06-30", None]
    assert [{p["version"] for p in r["passages"] if p["cited"]} for r in records] == [{1}, {2}]
    # asked as of the same date again, the old answer is the same; asked today it would cite version 2
    assert not any(c.changed for c in replay(tutor, read_records(tmp_path / "dated.jsonl")))


def test_an_audit_table_made_before_as_of_existed_gains_the_column(settings: Settings, tutor: Tutor) -> None:
    from sqlalchemy import text

    engine = make_engine(settings)
    with engine.begin() as conn:  # the table as the first release of the record made it
        conn.execute(text("CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, time DATETIME NOT NULL, "
                          "channel VARCHAR(16) NOT NULL, question TEXT NOT NULL, standalone_question TEXT NOT NULL, "
                          "refused BOOLEAN NOT NULL, backend VARCHAR(200) NOT NULL, settings_fingerprint "
                          "VARCHAR(64) NOT NULL, latency_ms FLOAT NOT NULL, learner VARCHAR(64), passages JSON "
                          "NOT NULL)"))
    old = AuditLog.from_settings(settings, engine)
    assert old.record(tutor.answer(QUESTION, as_of="2024-06-30"), "api", as_of="2024-06-30")
    assert [r["as_of"] for r in old.rows()] == ["2024-06-30"]


def test_the_question_type_and_the_more_part_are_recorded_exported_and_replayed(audit: AuditLog, tutor: Tutor,
                                                                                 tmp_path: Path) -> None:
    """What the official read first and what sat folded below it can be shown later, in JSON and CSV alike."""
    done = tutor.answer("Who does the Konza board report to?")
    refused = tutor.answer("What is the best recipe for chocolate cake?")
    assert done.question_type == "person" and done.more, "a factoid's lead, with the rest folded below it"
    audit.record(done, "api")
    audit.record(refused, "api")
    records = exported(audit, tmp_path / "shape.jsonl")
    assert [(r["question_type"], r["more"]) for r in records] == [(done.question_type, done.more),
                                                                  (refused.question_type, "")]
    audit.export(tmp_path / "shape.csv")
    rows = list(read_records(tmp_path / "shape.csv"))
    assert rows[0]["question_type"] == done.question_type and rows[0]["more"] == done.more
    changes = replay(tutor, read_records(tmp_path / "shape.csv"))
    assert [(c.type_before, c.type_now) for c in changes] == [(done.question_type,) * 2,
                                                              (refused.question_type,) * 2]
    assert not any(c.changed for c in changes)
    assert json.loads(report(changes, as_json=True))["answers"][0]["type_before"] == done.question_type


def test_a_changed_reading_is_named_beside_a_changed_answer() -> None:
    from tutor.audit.replay import Change

    change = Change("Q?", "t", False, False, ["a@v1"], ["a@v2"], "yesno", "explanation")
    assert change.describe().endswith("versions ['a@v1'] -> ['a@v2']; read as yesno -> explanation")
    assert not Change("Q?", "t", False, False, ["a@v1"], ["a@v1"], "yesno", "explanation").changed
    assert "read as" not in Change("Q?", "t", False, False, ["a@v1"], ["a@v2"], None, "yesno").describe()


def test_a_table_made_before_question_types_gains_the_columns_and_keeps_its_rows(settings: Settings,
                                                                                 tutor: Tutor) -> None:
    """The release before this one: ``as_of`` but no ``question_type`` or ``more``. Its rows read as
    ``None`` for them (not recorded, rather than "no folded part"); new rows fill them."""
    from sqlalchemy import inspect, text

    engine = make_engine(settings)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, time DATETIME NOT NULL, "
                          "channel VARCHAR(16) NOT NULL, question TEXT NOT NULL, standalone_question TEXT NOT NULL, "
                          "refused BOOLEAN NOT NULL, backend VARCHAR(200) NOT NULL, settings_fingerprint "
                          "VARCHAR(64) NOT NULL, latency_ms FLOAT NOT NULL, learner VARCHAR(64), passages JSON "
                          "NOT NULL, as_of VARCHAR(32))"))
        conn.execute(text("INSERT INTO audit (time, channel, question, standalone_question, refused, backend, "
                          "settings_fingerprint, latency_ms, passages) VALUES ('2026-01-05 10:00:00', 'api', "
                          "'Old?', 'Old?', 0, 'offline (extractive)', 'f', 1.0, '[]')"))
    old = AuditLog.from_settings(settings, engine)
    done = tutor.answer(QUESTION)
    assert old.record(done, "chat")
    assert {"question_type", "more"} <= {c["name"] for c in inspect(engine).get_columns("audit")}
    rows = list(old.rows())
    assert [(r["question"], r["question_type"], r["more"]) for r in rows] == [
        ("Old?", None, None), (QUESTION, done.question_type, done.more)]
    again = AuditLog(engine)  # a second start finds the columns there and adds nothing
    assert again.count() == 2
