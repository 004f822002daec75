"""Document versions end to end: real files, real Chroma, the real model, the real Tutor.

A circular changes: version 1 (in force from 2023-01-01) says the cloud register goes on Form A every
quarter; version 2 (from 2025-03-01) says Form B every month. Answers follow version 2; asked as of a
date in 2024 they follow version 1 and say that it has been superseded.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import factories
import pytest
from helpers import all_chunks

from tutor.answers.tutor import Tutor
from tutor.errors import TutorError
from tutor.library.ingestion import Ingestor
from tutor.library.lexical import LexicalCache, LexicalIndex
from tutor.library.store import ChunkStore
from tutor.library.versions import AsOfError
from tutor.settings import Settings
from tutor.ui.api import make_ask

QUESTION = "What must county officers do with the cloud hosting register?"

V1 = """# Cloud hosting register circular

County officers must record every cloud hosting contract in the cloud hosting register on Form A zzformazz,
and send the register to the ministry every quarter.

## Review

The county ICT officer reviews the cloud hosting register once a year.
"""

V2 = """# Cloud hosting register circular

County officers must record every cloud hosting contract in the cloud hosting register on Form B zzformbzz,
and send the register to the ministry every month.

## Review

The county ICT officer reviews the cloud hosting register twice a year.
"""

V3 = V2.replace("twice a year", "every quarter zzformczz")


def circular(corpus: Path, body: str, as_of: str) -> Path:
    return factories.make_note(corpus / "circular.md", body, {
        "title": "Cloud hosting register circular", "publisher": "Ministry of ICT", "year": int(as_of[:4]),
        "as_of": as_of})


@pytest.fixture
def tutor(store: ChunkStore, embeddings: Any, settings: Settings) -> Tutor:
    return Tutor(store, embeddings, LexicalCache(settings.lexical_dir, store))


@pytest.fixture
def two_versions(ingestor: Ingestor, settings: Settings) -> Ingestor:
    circular(settings.corpus_dir, V1, "2023-01-01")
    factories.make_note(settings.corpus_dir / "konza.md")  # another document, never changed
    assert ingestor.run().failures == []
    circular(settings.corpus_dir, V2, "2025-03-01")
    summary = ingestor.run()
    assert {f.source: f.action for f in summary.files} == {"circular.md": "updated", "konza.md": "unchanged"}
    return ingestor


def test_answers_use_the_newest_version_only(two_versions: Ingestor, tutor: Tutor, store: ChunkStore) -> None:
    done = tutor.answer(QUESTION)
    assert not done.refused and "Form B" in done.answer and "Form A" not in done.answer
    assert {(s.doc_id, s.version, s.status, s.as_of) for s in done.sources} == {("circular", 2, "current", "2025-03-01")}
    assert all(p.version in (0, 2) or p.doc_id != "circular" for p in done.retrieved)
    assert not any(p.doc_id == "circular" and p.version != 2 for p in done.retrieved)
    assert "earlier version" not in done.answer
    assert done.sources[0].to_api()["version"] == 2
    # both versions are stored; the register knows their history
    versions = {meta["version"] for _, meta in all_chunks(store).values() if meta["doc_id"] == "circular"}
    record = store.record("circular")
    assert versions == {1, 2} and record is not None and record.version == 2
    assert [(v["version"], v["as_of"], v["until"]) for v in record.history] == [(1, "2023-01-01", "2025-03-01")]


def test_as_of_before_the_new_version_answers_from_the_old_one_and_says_so(two_versions: Ingestor,
                                                                              tutor: Tutor) -> None:
    done = tutor.answer(QUESTION, as_of="2024-06-30")
    assert not done.refused and "Form A" in done.answer and "Form B" not in done.answer
    assert {(s.version, s.status) for s in done.sources} == {(1, "superseded")}
    notes = [line for line in done.body.splitlines() if "earlier version" in line]
    assert len(notes) == 1 and "version 1 as of 2023-01-01 (until 2025-03-01)" in notes[0]
    assert "superseded" in notes[0]
    # the date the new version took effect is already under it
    assert "Form B" in tutor.answer(QUESTION, as_of="2025-03-01").answer
    # before the first version, nothing about the register was in force
    assert tutor.answer(QUESTION, as_of="2022-12-31").refused


def test_bm25_searches_current_versions_unless_asked_for_a_date(two_versions: Ingestor, settings: Settings) -> None:
    index = LexicalIndex.load(settings.lexical_dir)
    assert index is not None
    assert all(not cid.endswith("@v1") for cid, _ in index.search("zzformazz cloud register", 10))
    assert [cid for cid, _ in index.search("zzformazz", 10)] == []
    old = [cid for cid, _ in index.search("zzformazz", 10, as_of=20240630)]
    assert old and all(cid.endswith("@v1") for cid in old)


class FailingUpsert:
    """The real chunk collection, except that writing a text with ``marker`` raises (a crash mid-update)."""

    def __init__(self, real: Any, marker: str) -> None:
        self.real, self.marker = real, marker

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.real, name)
        if name != "upsert":
            return attr

        def upsert(*args: Any, **kwargs: Any) -> Any:
            if any(self.marker in text for text in kwargs.get("documents") or ()):
                raise RuntimeError("injected failure while storing version 3")
            return attr(*args, **kwargs)

        return upsert


def test_a_failed_third_version_leaves_the_second_answerable(two_versions: Ingestor, tutor: Tutor, store: ChunkStore,
                                                             settings: Settings,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    before = all_chunks(store), store.record("circular")
    circular(settings.corpus_dir, V3, "2026-01-01")
    monkeypatch.setattr(store, "chunks", FailingUpsert(store.chunks, "zzformczz"))
    summary = two_versions.run()
    monkeypatch.undo()
    assert [f.source for f in summary.failures] == ["circular.md"]
    assert (all_chunks(store), store.record("circular")) == before  # no v2 archive copy left behind either
    done = tutor.answer(QUESTION)
    assert "Form B" in done.answer and {s.version for s in done.sources} == {2}
    assert "Form A" in tutor.answer(QUESTION, as_of="2024-06-30").answer

    again = two_versions.run()  # the fault gone, version 3 goes in and version 2 joins the history
    assert again.failures == [] and store.record("circular").version == 3  # type: ignore[union-attr]
    assert "quarter" in tutor.answer("How often does the county ICT officer review the cloud hosting register?").answer
    assert "Form B" in tutor.answer(QUESTION, as_of="2025-06-30").answer


def test_a_removed_file_is_retired_then_purged(two_versions: Ingestor, tutor: Tutor, store: ChunkStore,
                                               settings: Settings) -> None:
    (settings.corpus_dir / "circular.md").unlink()
    summary = two_versions.run(prune=True)
    assert [(f.source, f.action) for f in summary.files if f.action == "removed"] == [("circular.md", "removed")]
    assert tutor.answer(QUESTION).refused  # retired: never answered from by default
    day = store.record("circular").retired_on  # type: ignore[union-attr]
    earlier = tutor.answer(QUESTION, as_of="2025-06-30")
    assert "Form B" in earlier.answer and {s.status for s in earlier.sources} == {"retired"}
    assert "since retired" in earlier.body and day
    two_versions.run(purge=True)
    assert store.record("circular") is None
    assert not any(meta["doc_id"] == "circular" for _, meta in all_chunks(store).values())
    assert tutor.answer(QUESTION, as_of="2024-06-30").refused


def test_the_same_text_reindexed_is_not_a_new_version(ingestor: Ingestor, settings: Settings, store: ChunkStore,
                                                      embeddings: Any) -> None:
    circular(settings.corpus_dir, V1, "2023-01-01")
    ingestor.run()
    changed = settings.model_copy(update={"chunk_overlap_tokens": settings.chunk_overlap_tokens + 8})
    summary = Ingestor(changed, store, embeddings).run()
    assert summary.count("updated") == 1  # re-embedded under new settings
    record = store.record("circular")
    assert record is not None and record.version == 1 and record.history == ()
    assert not any(cid.endswith("@v1") for cid in all_chunks(store))


def test_as_of_must_be_a_date_and_the_api_takes_it_optionally(two_versions: Ingestor, tutor: Tutor) -> None:
    with pytest.raises(AsOfError, match="ISO date") as caught:
        tutor.answer(QUESTION, as_of="last June")
    assert isinstance(caught.value, TutorError) and "\n" not in str(caught.value)
    ask = make_ask(SimpleNamespace(tutor=tutor))  # type: ignore[arg-type]
    answer, sources = ask(QUESTION)  # a script that sends the question alone still works
    assert "Form B" in answer and {s["version"] for s in sources} == {2}
    old, old_sources = ask(QUESTION, "2024-06-30")
    assert "Form A" in old and {(s["version"], s["status"]) for s in old_sources} == {(1, "superseded")}


APPEALS = "\n## Appeals\n\nAn officer may appeal a register decision to the county secretary within 14 days.\n"


def test_diff_shows_sections_added_and_the_changed_sentences(ingestor: Ingestor, settings: Settings,
                                                             store: ChunkStore, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from tutor.cli import ingest_main
    from tutor.library.diff import diff_versions

    circular(settings.corpus_dir, V1, "2023-01-01")
    ingestor.run()
    with pytest.raises(TutorError, match="only one version"):
        diff_versions(store, "circular")
    circular(settings.corpus_dir, V2 + APPEALS, "2025-03-01")
    ingestor.run()
    diff = diff_versions(store, "circular")
    assert (diff.old, diff.new) == ((1, "2023-01-01"), (2, "2025-03-01"))
    assert [s.split(" > ")[-1] for s in diff.added] == ["Appeals"] and diff.removed == []
    changed = {c.section.split(" > ")[-1]: c for c in diff.changed}
    assert set(changed) == {"Introduction", "Review"}
    intro = changed["Introduction"]
    assert len(intro.removed) == len(intro.added) == 1 and "Form A" in intro.removed[0] and "Form B" in intro.added[0]
    assert changed["Review"].removed == ["The county ICT officer reviews the cloud hosting register once a year."]

    monkeypatch.setenv("TUTOR_DATA_DIR", str(settings.data_dir))
    assert ingest_main(["--diff", "circular"]) == 0
    out = capsys.readouterr().out
    assert "version 1 (as of 2023-01-01) -> version 2 (as of 2025-03-01)" in out
    assert "+ section added:" in out and "    - The county ICT officer reviews the cloud hosting register once a year." in out
    assert ingest_main(["--diff", "no-such-doc"]) == 2


def test_the_library_tab_shows_changes_and_exports_the_record(
        two_versions: Ingestor, tutor: Tutor, store: ChunkStore, settings: Settings) -> None:
    """The handlers themselves; who may call them is tests/test_access.py's sweep."""
    import json

    from tutor.audit import AuditLog
    from tutor.ui import library

    services = SimpleNamespace(settings=settings, store=store, tutor=tutor, audit=AuditLog.from_settings(settings))
    assert library.versioned_choices(services) == [("Cloud hosting register circular (version 2)", "circular")]  # type: ignore[arg-type]
    assert "Form B" in library.changes(services, "circular")  # type: ignore[arg-type]
    services.audit.record(tutor.answer(QUESTION), "chat")
    path = Path(library.export_audit(services, "Daudi Evaluator"))  # type: ignore[arg-type]
    assert json.loads(path.read_text())["question"] == QUESTION


def test_a_filtered_search_that_chroma_cannot_run_is_filtered_after_the_search(
        two_versions: Ingestor, tutor: Tutor, store: ChunkStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """While another process writes, embedded Chroma fails filtered queries ("Error finding id")."""
    real = store.chunks

    class StaleIndex:
        def __getattr__(self, name: str) -> Any:
            attr = getattr(real, name)
            if name != "query":
                return attr

            def query(*args: Any, **kwargs: Any) -> Any:
                if kwargs.get("where"):
                    raise RuntimeError("Error executing plan: Internal error: Error finding id")
                return attr(*args, **kwargs)

            return query

    monkeypatch.setattr(store, "chunks", StaleIndex())
    done = tutor.answer(QUESTION)
    assert "Form B" in done.answer and {s.version for s in done.sources} == {2}
    assert all(s.status == "current" for s in done.retrieved)
    old = tutor.answer(QUESTION, as_of="2024-06-30")
    assert "Form A" in old.answer and {s.status for s in old.sources} == {"superseded"}
