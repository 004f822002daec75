"""``python ingest.py`` as content staff run it: a real subprocess, settings from ``TUTOR_`` variables.

The first ingestion (which loads the model) runs once per module; every test then works on its own copy of
that corpus and data folder, so most runs here are the cheap, model-free kind.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import factories
import pytest
from filelock import FileLock

from tutor.library.chroma import open_store
from tutor.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SUMMARY_KEYS = {"dry_run", "added", "updated", "unchanged", "removed", "failed", "chunks_written", "pages",
                "seconds", "failures", "files"}
MODEL_LOADED = "loading embedding model"


@dataclass
class Workspace:
    corpus: Path
    data: Path

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "TUTOR_DATA_DIR": str(self.data), "TUTOR_CORPUS_DIR": str(self.corpus)}

    def settings(self) -> Settings:
        return Settings(data_dir=self.data, corpus_dir=self.corpus, _env_file=None)  # type: ignore[call-arg]

    def records(self) -> dict[str, Any]:
        return open_store(self.settings()).records()


def ingest(workspace: Workspace, *args: str, env: dict[str, str] | None = None,
           timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "ingest.py"), *args], cwd=workspace.corpus.parent,
                          env={**workspace.env, **(env or {})}, capture_output=True, text=True, timeout=timeout,
                          check=False)


def summary_of(run: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    data = json.loads(run.stdout)
    assert set(data) == SUMMARY_KEYS
    return data


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory,
           offline_environment: None) -> tuple[Workspace, subprocess.CompletedProcess[str]]:
    """A corpus of three documents, ingested once by a real ``ingest.py --json``."""
    root = tmp_path_factory.mktemp("cli")
    workspace = Workspace(root / "corpus", root / "data")
    factories.make_note(workspace.corpus / "konza.md")
    factories.make_report_pdf(workspace.corpus / "report.pdf")
    factories.make_handbook_docx(workspace.corpus / "handbook.docx")
    return workspace, ingest(workspace, "--json")


@pytest.fixture
def workspace(seeded: tuple[Workspace, subprocess.CompletedProcess[str]], tmp_path: Path) -> Workspace:
    """This test's own copy of the seeded corpus and index."""
    original, _ = seeded
    copy = Workspace(tmp_path / "corpus", tmp_path / "data")
    shutil.copytree(original.corpus, copy.corpus)
    shutil.copytree(original.data, copy.data)
    return copy


def test_first_run_adds_everything_and_prints_json(seeded: tuple[Workspace, subprocess.CompletedProcess[str]]) -> None:
    workspace, run = seeded
    assert run.returncode == 0, run.stderr
    summary = summary_of(run)
    assert (summary["added"], summary["failed"], summary["pages"], summary["dry_run"]) == (3, 0, 4, False)
    assert summary["chunks_written"] == sum(f["chunks"] for f in summary["files"]) > 0
    assert {f["source"] for f in summary["files"]} == {"konza.md", "report.pdf", "handbook.docx"}
    assert MODEL_LOADED in run.stderr  # logs go to stderr, stdout is only the JSON
    assert set(workspace.records()) == {"konza", "report", "handbook"}


def test_a_run_that_changes_the_library_is_in_the_staff_record(workspace: Workspace) -> None:
    import getpass

    from tutor.db import make_engine
    from tutor.users.accounts import staff_actions

    factories.make_note(workspace.corpus / "second.md")
    assert ingest(workspace).returncode == 0
    assert ingest(workspace).returncode == 0  # unchanged: nothing more to record
    with make_engine(workspace.settings()).connect() as conn:
        rows = conn.execute(staff_actions.select()).mappings().all()
    assert [(r["actor"], r["action"], r["detail"]) for r in rows] == [  # the seeding run, then this one
        (f"cli:{getpass.getuser()}", "ingest", "3 added, 0 updated, 0 removed"),
        (f"cli:{getpass.getuser()}", "ingest", "1 added, 0 updated, 0 removed")]


def test_unchanged_rerun_writes_nothing_and_loads_no_model(workspace: Workspace) -> None:
    run = ingest(workspace)
    assert run.returncode == 0, run.stderr
    first_line = run.stdout.splitlines()[0]
    assert first_line.startswith("Ingested 3 file(s) in ")
    assert first_line.endswith("0 added, 0 updated, 3 unchanged, 0 removed, 0 failed; 0 chunks written.")
    assert MODEL_LOADED not in run.stderr
    timed = summary_of(ingest(workspace, "--json"))
    assert timed["unchanged"] == 3 and timed["seconds"] < 2


def test_bad_files_exit_1_with_one_line_reasons_and_the_index_kept(workspace: Workspace) -> None:
    before = workspace.records()
    factories.make_corrupt_pdf(workspace.corpus / "cut.pdf")
    factories.make_encrypted_pdf(workspace.corpus / "locked.pdf")
    factories.make_image_only_pdf(workspace.corpus / "scan.pdf")
    factories.make_undecodable_text(workspace.corpus / "junk.txt")
    (workspace.corpus / "empty.md").write_bytes(b"")
    (workspace.corpus / "budget.xlsx").write_bytes(b"PK\x03\x04 spreadsheet")
    (workspace.corpus / "big.txt").write_text("Budget line. " * 100_000)  # 1.3 MB against a 1 MB limit
    run = ingest(workspace, "--json", env={"TUTOR_MAX_FILE_MB": "1"})
    assert run.returncode == 1, run.stderr
    summary = summary_of(run)
    reasons = {f["source"]: f["reason"] for f in summary["failures"]}
    assert reasons["cut.pdf"].startswith("corrupt PDF")
    assert reasons["locked.pdf"] == "encrypted PDF: remove the password and try again"
    assert reasons["scan.pdf"] == "no extractable text: OCR read no words on the scanned pages"
    assert reasons["junk.txt"].startswith("not UTF-8 text")
    assert reasons["empty.md"] == "empty file"
    assert reasons["budget.xlsx"].startswith("unsupported file type '.xlsx'")
    assert reasons["big.txt"].startswith("file too large: 1.2 MB > limit 1 MB")
    assert all("\n" not in reason for reason in reasons.values())
    assert (summary["failed"], summary["unchanged"], summary["added"]) == (7, 3, 0)
    assert workspace.records() == before

    text = ingest(workspace, env={"TUTOR_MAX_FILE_MB": "1"})  # the human summary lists each failure
    assert text.returncode == 1
    lines = text.stdout.splitlines()
    assert lines[0].endswith("7 failed; 0 chunks written.")
    assert "FAILED scan.pdf: no extractable text: OCR read no words on the scanned pages" in lines
    assert len(lines) == 1 + 7


def test_missing_path_is_a_failure(workspace: Workspace) -> None:
    run = ingest(workspace, str(workspace.corpus / "nowhere"), "--json")
    assert run.returncode == 1
    assert summary_of(run)["failures"] == [{"source": str(workspace.corpus / "nowhere"),
                                            "reason": "no such file or folder"}]


def test_dry_run_reports_and_changes_nothing(workspace: Workspace) -> None:
    before = workspace.records()
    factories.make_markdown(workspace.corpus / "new.md", "# New\n\nA new note.\n")
    (workspace.corpus / "handbook.docx").unlink()
    run = ingest(workspace, "--dry-run", "--prune", "--json")
    assert run.returncode == 0, run.stderr
    summary = summary_of(run)
    assert (summary["dry_run"], summary["added"], summary["removed"], summary["unchanged"]) == (True, 1, 1, 2)
    assert MODEL_LOADED not in run.stderr
    assert workspace.records() == before
    assert ingest(workspace, "--dry-run").stdout.startswith("Would ingest")


def test_prune_retires_a_deleted_file_and_purge_deletes_it(workspace: Workspace) -> None:
    (workspace.corpus / "handbook.docx").unlink()
    kept = summary_of(ingest(workspace, "--json"))
    assert kept["removed"] == 0 and "handbook" in workspace.records()
    run = ingest(workspace, "--prune", "--json")
    assert run.returncode == 0, run.stderr
    summary = summary_of(run)
    assert (summary["removed"], summary["unchanged"]) == (1, 2)
    store = open_store(workspace.settings())
    assert store.record("handbook").status == "retired"  # type: ignore[union-attr]
    assert {meta["status"] for _, _, meta in store.iter_chunks() if meta["doc_id"] == "handbook"} == {"retired"}
    run = ingest(workspace, "--purge", "--json")
    assert run.returncode == 0, run.stderr
    assert summary_of(run)["removed"] == 1
    assert set(workspace.records()) == {"konza", "report"}
    store = open_store(workspace.settings())
    assert not any(meta["doc_id"] == "handbook" for _, _, meta in store.iter_chunks())


def test_reset_rebuilds_the_index(workspace: Workspace) -> None:
    before = set(workspace.records())
    run = ingest(workspace, "--reset", "--json")
    assert run.returncode == 0, run.stderr
    summary = summary_of(run)
    assert (summary["added"], summary["unchanged"]) == (3, 0)
    assert set(workspace.records()) == before


def test_locked_index_exits_2_with_a_clear_message(workspace: Workspace) -> None:
    factories.make_markdown(workspace.corpus / "new.md", "# New\n\nA new note.\n")
    with FileLock(str(workspace.data / "ingest.lock")):
        run = ingest(workspace, "--json", env={"TUTOR_INGEST_LOCK_TIMEOUT_S": "0.5"})
    assert run.returncode == 2
    assert run.stdout == ""
    assert "another ingestion is running" in run.stderr and "wait for it to finish, then run again" in run.stderr
    assert "new" not in workspace.records()


def test_two_ingests_at_once_one_waits_for_the_other(workspace: Workspace) -> None:
    factories.make_markdown(workspace.corpus / "new.md", "# New\n\nA note both runs see as new.\n")
    command = [sys.executable, str(REPO / "ingest.py"), "--json"]
    env = {**workspace.env, "TUTOR_INGEST_LOCK_TIMEOUT_S": "240"}  # the waiting one must outlast a model load
    runs = [subprocess.Popen(command, cwd=workspace.corpus.parent, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in outputs]
    summaries = [json.loads(out) for out, _ in outputs]
    assert sorted((s["added"], s["unchanged"]) for s in summaries) == [(0, 4), (1, 3)]
    assert set(workspace.records()) == {"konza", "report", "handbook", "new"}
    store = open_store(workspace.settings())
    assert store.count() == sum(record.chunks for record in store.records().values())


def test_help_lists_every_flag() -> None:
    run = subprocess.run([sys.executable, str(REPO / "ingest.py"), "--help"], capture_output=True, text=True,
                         timeout=60, check=False)
    assert run.returncode == 0
    for flag in ("--prune", "--dry-run", "--reset", "--json"):
        assert flag in run.stdout
