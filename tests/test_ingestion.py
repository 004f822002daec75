"""Incremental, atomic ingestion against a real Chroma and the real MiniLM model."""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import factories
import numpy as np
import pytest
from filelock import FileLock
from helpers import all_chunks, index_state, sentence_rows, vectors

from tutor.errors import IngestLockedError
from tutor.library.chroma import open_store
from tutor.library.chunking import embed_header
from tutor.library.embeddings import LocalEmbeddings
from tutor.library.ingestion import Ingestor
from tutor.library.lexical import LexicalIndex
from tutor.library.register import Hit
from tutor.library.store import ChunkStore
from tutor.library.summary import IngestSummary
from tutor.settings import Settings

CHUNK_ID = re.compile(r"^(?P<doc>[^:]+):(?P<where>[a-z0-9-]+):(?P<index>\d+)$")
REQUIRED_META = ("doc_id", "source", "title", "publisher", "year", "url", "chunk_index", "content_sha256")

Search = Callable[[str, int], list[Hit]]
Lexical = Callable[[str, int], list[str]]

CATALOG = """\
report.pdf:
  title: Working Paper on County Digital Skills
  publisher: Kenya School of Government
  year: 2022
  url: https://example.org/ksg-working-paper
konza.md:
  title: A catalog title that front matter overrides
  publisher: A catalog publisher that front matter overrides
"""

LONG_NOTE = "# Procurement guide\n\n## One long section\n\n" + " ".join(
    f"Sentence {n} explains how county procurement officers evaluate cloud bids fairly." for n in range(40)
) + "\n\n## A paragraph with no punctuation at all\n\n" + " ".join(["unpunctuated"] * 300) + (
    "\n\n## One enormous token\n\n" + "x" * 1000 + "\n")


@pytest.fixture
def corpus(settings: Settings) -> Path:
    """Five formats, a catalog, a hidden folder and a long note, in the settings' corpus folder."""
    root = settings.corpus_dir
    factories.make_report_pdf(root / "report.pdf")
    factories.make_handbook_docx(root / "handbook.docx")
    factories.make_html(root / "ecitizen.html")
    factories.make_note(root / "konza.md")
    factories.make_cp1252_text(root / "legacy.txt")
    factories.make_markdown(root / "guides" / "procurement.md", LONG_NOTE)
    factories.make_markdown(root / "_drafts" / "draft.md", "# Draft\n\nNot ready zzdraftzz.\n")
    (root / "catalog.yaml").write_text(CATALOG)
    return root


@pytest.fixture
def ingested(ingestor: Ingestor, corpus: Path) -> IngestSummary:
    summary = ingestor.run()
    assert summary.failures == []
    return summary


def doc_chunks(store: ChunkStore, doc_id: str, status: str = "current") -> dict[str, tuple[str, dict[str, Any]]]:
    """A document's chunks of one status: the current version by default (earlier versions stay stored)."""
    return {cid: v for cid, v in all_chunks(store).items() if v[1]["doc_id"] == doc_id and v[1]["status"] == status}


def texts(store: ChunkStore) -> str:
    """The text of every current chunk: what answers are made of."""
    return "\n".join(text for text, meta in all_chunks(store).values() if meta["status"] == "current")


def assert_consistent(store: ChunkStore, settings: Settings) -> None:
    """Register, chunks and the BM25 index describe exactly the same set of chunks."""
    records = store.records()
    ids = set(all_chunks(store))
    assert ids == {cid for record in records.values() for cid in record.all_chunk_ids}
    assert store.count() == sum(len(record.all_chunk_ids) for record in records.values())
    assert set(sentence_rows(store)) <= ids  # no sentence vectors outlive their chunk
    published = LexicalIndex.load(settings.lexical_dir)
    assert published is not None and set(published.ids) == ids


# --- first ingestion ------------------------------------------------------------------------------

def test_first_ingest_adds_every_document(ingested: IngestSummary, store: ChunkStore, settings: Settings) -> None:
    assert {f.source: f.action for f in ingested.files} == {
        "report.pdf": "added", "handbook.docx": "added", "ecitizen.html": "added", "konza.md": "added",
        "legacy.txt": "added", "guides/procurement.md": "added"}
    assert ingested.pages == 4 and ingested.chunks_written == store.count() > 10
    assert "zzdraftzz" not in texts(store)  # _drafts/ is skipped, and so is catalog.yaml
    assert set(store.records()) == {"report", "handbook", "ecitizen", "konza", "legacy", "guides/procurement"}
    assert_consistent(store, settings)


def test_chunk_ids_and_metadata_follow_the_contract(ingested: IngestSummary, store: ChunkStore,
                                                    corpus: Path) -> None:
    per_doc: dict[str, list[int]] = {}
    for cid, (text, meta) in all_chunks(store).items():
        match = CHUNK_ID.match(cid)
        assert match, cid
        assert match["doc"] == meta["doc_id"]
        for key in REQUIRED_META:
            assert key in meta, (cid, key)
        assert ("page" in meta) != ("section" in meta)
        if meta["doc_id"] == "report":
            assert match["where"] == str(meta["page"]) and 1 <= meta["page"] <= 4
        elif meta["doc_id"] == "legacy":  # plain text has no headings: an empty section, the "text" key
            assert meta["section"] == "" and match["where"] == "text"
        else:
            assert meta["section"] and match["where"] != "text"
        source = corpus / str(meta["source"])
        assert meta["content_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
        per_doc.setdefault(str(meta["doc_id"]), []).append(int(meta["chunk_index"]))
        assert text.strip()
    for doc_id, indexes in per_doc.items():
        assert sorted(indexes) == list(range(len(indexes))), doc_id
    handbook = {meta["section"] for _, meta in doc_chunks(store, "handbook").values()}
    assert handbook == {"Overview", "Overview > Scope", "Risk assessment", "Risk assessment > Exit plan"}
    html = {meta["section"] for _, meta in doc_chunks(store, "ecitizen").values()}
    assert "eCitizen services explained > Payments > Receipts" in html


def test_metadata_comes_from_front_matter_then_catalog_then_file(ingested: IngestSummary,
                                                                  store: ChunkStore) -> None:
    def meta(doc_id: str) -> dict[str, Any]:
        return next(iter(doc_chunks(store, doc_id).values()))[1]

    report = meta("report")  # catalog beats the PDF's own info dictionary
    assert (report["title"], report["publisher"], report["year"], report["url"]) == (
        "Working Paper on County Digital Skills", "Kenya School of Government", "2022",
        "https://example.org/ksg-working-paper")
    konza = meta("konza")  # front matter beats the catalog
    assert (konza["title"], konza["publisher"], konza["year"], konza["url"]) == (
        "Konza Technopolis briefing", "Mwalimu team", "2024", "https://example.org/konza")
    handbook = meta("handbook")  # no catalog entry: the DOCX's Title style and author
    assert (handbook["title"], handbook["publisher"]) == ("Cloud Procurement Handbook", "Ministry of ICT")
    html = meta("ecitizen")
    assert (html["title"], html["publisher"], html["year"]) == ("eCitizen services explained", "Kenya Digital Desk",
                                                                "2023")
    assert meta("legacy")["title"] == "Caf\u00e9 notes for officers"


def test_chunks_fit_the_model_window_by_its_own_tokenizer(ingested: IngestSummary, store: ChunkStore,
                                                          embeddings: LocalEmbeddings) -> None:
    model = embeddings.model
    assert model.max_seq_length == embeddings.max_tokens == 256
    tokenizer = model.tokenizer
    long_doc = doc_chunks(store, "guides/procurement")
    assert len(long_doc) > 5
    for text, meta in all_chunks(store).values():
        embedded = embed_header(str(meta["title"]), str(meta.get("section", ""))) + text
        pieces = len(tokenizer(embedded, add_special_tokens=True, truncation=False)["input_ids"])
        assert pieces <= 256, (meta["doc_id"], pieces)
    assert "x" * 200 in texts(store)  # the enormous token was cut, not dropped


def test_stored_vectors_are_the_normalised_embeddings(ingested: IngestSummary, store: ChunkStore,
                                                      embeddings: LocalEmbeddings, dense_search: Search) -> None:
    stored = vectors(store)
    assert all(abs(np.linalg.norm(v) - 1) < 1e-3 for v in stored.values())
    top = dense_search("How many officers were in the first intake of the Nyeri course?", 1)[0]
    assert top.id == "report:1:0" and "412 officers" in top.text
    assert store.client.get_settings().anonymized_telemetry is False


# --- re-running -----------------------------------------------------------------------------------

def test_reingesting_an_unchanged_folder_embeds_nothing(ingested: IngestSummary, settings: Settings,
                                                        store: ChunkStore) -> None:
    before = index_state(store), vectors(store), LexicalIndex.current_version(settings.lexical_dir)
    fresh_model = LocalEmbeddings("all-MiniLM-L6-v2")
    started = time.perf_counter()
    summary = Ingestor(settings, open_store(settings), fresh_model).run()
    elapsed = time.perf_counter() - started
    assert summary.count("unchanged") == 6 and summary.chunks_written == 0 and not summary.failures
    assert not fresh_model.loaded  # the model was never even loaded
    assert (index_state(store), vectors(store), LexicalIndex.current_version(settings.lexical_dir)) == before
    assert elapsed < 2.0


def test_changed_file_replaces_its_old_text(ingested: IngestSummary, ingestor: Ingestor, corpus: Path,
                                            store: ChunkStore, settings: Settings, dense_search: Search,
                                            lexical_search: Lexical) -> None:
    old_ids = set(doc_chunks(store, "konza"))
    factories.make_note(corpus / "konza.md", body=(
        "# Konza Technopolis briefing\n\nKonza Technopolis now hosts the national Tier III data centre "
        "built with a concessional loan.\n"))
    summary = ingestor.run()
    assert {f.source: f.action for f in summary.files}["konza.md"] == "updated"
    assert summary.count("unchanged") == 5 and summary.chunks_written == 1
    now = doc_chunks(store, "konza")
    assert set(now) == {"konza:introduction:0"} and len(old_ids) == 3
    assert "60 kilometres" not in texts(store) and "Development Authority" not in texts(store)
    top = dense_search("How far is Konza Technopolis from Nairobi?", 3)
    assert top[0].id == "konza:introduction:0" and "Tier III data centre" in top[0].text
    assert not any("60 kilometres" in hit.text for hit in top)
    assert lexical_search("Tier III data centre concessional loan", 1) == ["konza:introduction:0"]
    assert not any(cid in old_ids - set(now) for cid in lexical_search("Konza Development Authority board", 10))
    kept = doc_chunks(store, "konza", "superseded")  # version 1 stays, under ids of its own
    assert set(kept) == {f"{cid}@v1" for cid in old_ids} and {m["version"] for _, m in kept.values()} == {1}
    assert any("60 kilometres" in text for text, _ in kept.values())
    assert store.record("konza").version == 2 and [v["version"] for v in store.record("konza").history] == [1]
    assert_consistent(store, settings)


def test_prune_removes_the_chunks_of_deleted_files(ingested: IngestSummary, ingestor: Ingestor, corpus: Path,
                                                   store: ChunkStore, settings: Settings,
                                                   lexical_search: Lexical) -> None:
    (corpus / "handbook.docx").unlink()
    kept = ingestor.run()  # without --prune a missing file is left alone
    assert kept.count("removed") == 0 and doc_chunks(store, "handbook")
    dry = ingestor.run(prune=True, dry_run=True)
    assert [(f.source, f.action) for f in dry.files if f.action == "removed"] == [("handbook.docx", "removed")]
    assert doc_chunks(store, "handbook")
    pruned = ingestor.run(prune=True)
    assert [(f.source, f.action) for f in pruned.files if f.action == "removed"] == [("handbook.docx", "removed")]
    assert pruned.count("unchanged") == 5
    assert doc_chunks(store, "handbook") == {} and store.record("handbook").status == "retired"
    assert doc_chunks(store, "handbook", "retired")  # kept for questions asked as of an earlier date
    assert not any(cid.startswith("handbook:") for cid in lexical_search("exit plan cloud contract", 10))
    assert ingestor.run(prune=True).count("removed") == 0  # retired once
    assert_consistent(store, settings)
    purged = ingestor.run(purge=True)
    assert [(f.source, f.action) for f in purged.files if f.action == "removed"] == [("handbook.docx", "removed")]
    assert "handbook" not in store.records()
    assert not any(meta["doc_id"] == "handbook" for _, meta in all_chunks(store).values())
    assert not any(meta.get("doc_id") == "handbook" for meta in sentence_rows(store).values())
    assert_consistent(store, settings)


def test_prune_only_touches_the_folder_it_was_given(ingested: IngestSummary, ingestor: Ingestor, corpus: Path,
                                                    store: ChunkStore) -> None:
    (corpus / "konza.md").unlink()
    (corpus / "guides" / "procurement.md").unlink()
    summary = ingestor.run([corpus / "guides"], prune=True)
    assert [f.source for f in summary.files if f.action == "removed"] == ["guides/procurement.md"]
    assert doc_chunks(store, "konza")


def test_dry_run_writes_nothing_and_loads_no_model(settings: Settings, corpus: Path, store: ChunkStore) -> None:
    fresh_model = LocalEmbeddings("all-MiniLM-L6-v2")
    summary = Ingestor(settings, store, fresh_model).run(dry_run=True)
    assert summary.dry_run and summary.count("added") == 6 and summary.chunks_written == 0
    assert store.count() == 0 and store.records() == {}
    assert not fresh_model.loaded and not settings.lexical_dir.exists()
    assert summary.text().startswith("Would ingest 6 file(s)")


def test_reset_empties_the_index_and_ingests_everything_again(ingested: IngestSummary, ingestor: Ingestor,
                                                              store: ChunkStore, settings: Settings) -> None:
    ids_before = set(all_chunks(store))
    store.chunks.upsert(ids=["stray:1:0"], embeddings=[[0.0] * 383 + [1.0]], documents=["orphan"],
                        metadatas=[{"doc_id": "stray"}])
    summary = ingestor.run(reset=True)
    assert summary.count("added") == 6 and summary.count("unchanged") == 0
    assert set(all_chunks(store)) == ids_before  # the stray chunk is gone
    assert_consistent(store, settings)


def test_missing_path_and_clashing_document_ids_are_reported(ingestor: Ingestor, settings: Settings,
                                                             store: ChunkStore) -> None:
    factories.make_markdown(settings.corpus_dir / "ai policy.md", "# AI policy\n\nFirst file.\n")
    factories.make_markdown(settings.corpus_dir / "ai-policy.md", "# AI policy\n\nSecond file.\n")
    summary = ingestor.run([settings.corpus_dir, settings.corpus_dir / "nowhere"])
    reasons = {f.source: f.reason for f in summary.failures}
    assert reasons[str(settings.corpus_dir / "nowhere")] == "no such file or folder"
    assert reasons["ai-policy.md"] == "same document id as ai policy.md: rename one of them"
    assert set(store.records()) == {"ai-policy"} and store.records()["ai-policy"].source == "ai policy.md"


# --- bad input --------------------------------------------------------------------------------------

def _too_large(path: Path) -> Path:
    path.write_text("Budget line. " * 25_000)  # about 325 KB against a 0.25 MB limit
    return path


def _broken_front_matter(path: Path) -> Path:
    path.write_text("---\ntitle: [unclosed\n---\n\n# Konza\n\nNew text zznewversionzz.\n")
    return path


def _unsupported(path: Path) -> Path:
    path.write_bytes(b"PK\x03\x04 slides")
    return path


def _crafted(path: Path) -> Path:
    return factories.make_crafted_pdf(path, operations=1_500_000)  # slow to parse, under pypdf's own limits


def _empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


BAD_FILES: dict[str, tuple[str, Callable[[Path], Path], str]] = {
    # name: (file name, maker, expected reason or its start)
    "corrupt PDF": ("new.pdf", factories.make_corrupt_pdf, "corrupt PDF"),
    "encrypted PDF": ("new.pdf", factories.make_encrypted_pdf, "encrypted PDF: remove the password and try again"),
    "no text layer": ("new.pdf", factories.make_image_only_pdf, "no extractable text: OCR read no words on the scanned pages"),
    "crafted PDF": ("new.pdf", _crafted, "parsing took longer than 3 s"),
    "empty file": ("new.md", _empty, "empty file"),
    "too large": ("new.txt", _too_large, "file too large"),
    "unsupported type": ("new.pptx", _unsupported, "unsupported file type '.pptx'"),
    "undecodable text": ("new.txt", factories.make_undecodable_text, "not UTF-8 text"),
    "broken front matter": ("new.md", _broken_front_matter, "front matter is not valid YAML"),
}


def _limits(settings: Settings) -> None:
    settings.max_file_mb = 0.25
    settings.parse_timeout_s = 3.0


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_new_file_is_reported_and_the_rest_still_ingests(case: str, ingestor: Ingestor, settings: Settings,
                                                             corpus: Path, store: ChunkStore) -> None:
    name, make, expected = BAD_FILES[case]
    _limits(settings)
    (corpus / "guides" / "procurement.md").unlink()  # keep the run small
    make(corpus / name)
    factories.make_markdown(corpus / "fine.md", "# Fine\n\nA good note that must still be ingested.\n")
    summary = ingestor.run()
    assert [(f.source, f.action) for f in summary.failures] == [(name, "failed")]
    message = summary.failures[0].reason
    assert message.startswith(expected) and "\n" not in message
    assert f"FAILED {name}: {message}" in summary.text()
    assert summary.count("added") == 6  # the five good formats and fine.md
    assert "new" not in store.records()
    assert not any(cid.startswith("new:") for cid in all_chunks(store))


# file replaced: (its name, maker of its bad new version, expected reason)
BAD_UPDATES: dict[str, tuple[str, Callable[[Path], Path], str]] = {
    "corrupt PDF": ("report.pdf", factories.make_corrupt_pdf, "corrupt PDF"),
    "encrypted PDF": ("report.pdf", factories.make_encrypted_pdf, "encrypted PDF"),
    "no text layer": ("report.pdf", factories.make_image_only_pdf, "no extractable text: OCR read no words on the scanned pages"),
    "crafted PDF": ("report.pdf", _crafted, "parsing took longer than 3 s"),
    "empty file": ("report.pdf", _empty, "empty file"),
    "too large": ("legacy.txt", _too_large, "file too large"),
    "undecodable text": ("legacy.txt", factories.make_undecodable_text, "not UTF-8 text"),
    "broken front matter": ("konza.md", _broken_front_matter, "front matter is not valid YAML"),
}
OLD_ANSWERS = {
    "report.pdf": ("How many officers were in the first intake of the Nyeri course?", "412 officers"),
    "legacy.txt": ("What ignores citizens without smartphones?", "without smartphones"),
    "konza.md": ("How far is Konza Technopolis from Nairobi?", "60 kilometres"),
}


@pytest.mark.parametrize("case", list(BAD_UPDATES))
def test_bad_new_version_keeps_the_old_one(case: str, ingested: IngestSummary, ingestor: Ingestor,
                                           settings: Settings, corpus: Path, store: ChunkStore,
                                           dense_search: Search) -> None:
    name, make, expected = BAD_UPDATES[case]
    _limits(settings)
    before = index_state(store), vectors(store)
    make(corpus / name)
    summary = ingestor.run()
    assert [(f.source, f.action) for f in summary.failures] == [(name, "failed")]
    assert summary.failures[0].reason.startswith(expected) and "\n" not in summary.failures[0].reason
    assert index_state(store) == before[0]
    after = vectors(store)
    assert after == before[1], after.differing(before[1])
    question, answer = OLD_ANSWERS[name]
    assert answer in dense_search(question, 1)[0].text
    assert "zznewversionzz" not in texts(store)


def test_text_in_a_fallback_encoding_is_ingested(ingested: IngestSummary, store: ChunkStore) -> None:
    [(text, _)] = doc_chunks(store, "legacy").values()
    assert "na\u00efve approach \u2013 \u201cput it all online\u201d" in text


# --- failures in the middle of an update ---------------------------------------------------------

class FlakyCollection:
    """The real Chroma collection, except that one chosen call of one method raises."""

    def __init__(self, real: Any, method: str, fail_on_call: int) -> None:
        self.real, self.method, self.fail_on_call, self.calls = real, method, fail_on_call, 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.real, name)
        if name != self.method:
            return attr

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.calls == self.fail_on_call:
                raise RuntimeError(f"injected failure in {name}")
            return attr(*args, **kwargs)

        return wrapper


NEW_KONZA = """# Konza Technopolis briefing

Konza's first phase opened zznewversionzz offices to tenants.

## Governance

A new board zznewversionzz was appointed. """ + " ".join(
    f"Clause {n} of the new zznewversionzz charter sets a duty." for n in range(120))


@pytest.mark.parametrize("failure", ["second upsert batch", "delete of old chunks", "sentence vectors write",
                                     "register update"])
def test_exception_mid_update_keeps_the_old_version(failure: str, ingested: IngestSummary, ingestor: Ingestor,
                                                    store: ChunkStore, corpus: Path, settings: Settings,
                                                    dense_search: Search, monkeypatch: pytest.MonkeyPatch) -> None:
    before = index_state(store), vectors(store)
    factories.make_note(corpus / "konza.md", body=NEW_KONZA)  # shares ids with the old version, adds more
    store.batch_size = 2  # several write batches, so the failure lands after the first real write
    if failure == "second upsert batch":
        monkeypatch.setattr(store, "chunks", FlakyCollection(store.chunks, "upsert", fail_on_call=2))
    elif failure == "delete of old chunks":
        monkeypatch.setattr(store, "chunks", FlakyCollection(store.chunks, "delete", fail_on_call=1))
    elif failure == "sentence vectors write":
        monkeypatch.setattr(store, "sentences", FlakyCollection(store.sentences, "upsert", fail_on_call=1))
    else:
        def broken_register(records: object) -> None:
            raise RuntimeError("injected failure in the register")

        monkeypatch.setattr(store, "_put_records", broken_register)

    summary = ingestor.run()

    assert [f.source for f in summary.failures] == ["konza.md"]
    assert "injected failure" in summary.failures[0].reason
    assert summary.failures[0].reason.endswith("the previous version is kept")
    assert index_state(store) == before[0]
    after = vectors(store)
    assert after == before[1], after.differing(before[1])
    assert "60 kilometres" in dense_search("How far is Konza Technopolis from Nairobi?", 1)[0].text
    assert "zznewversionzz" not in texts(store)

    monkeypatch.undo()  # the fault is gone: the next run stores the new version
    store.batch_size = 100
    again = ingestor.run()
    assert {f.source: f.action for f in again.files}["konza.md"] == "updated"
    assert "zznewversionzz" in texts(store) and "60 kilometres" not in texts(store)
    assert_consistent(store, settings)


class PickyCollection(FlakyCollection):
    """The real collection, except that every upsert of a text containing ``marker`` raises."""

    def __init__(self, real: Any, marker: str) -> None:
        super().__init__(real, "upsert", fail_on_call=0)
        self.marker = marker

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.real, name)
        if name != "upsert":
            return attr

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if any(self.marker in text for text in kwargs["documents"]):
                raise RuntimeError(f"injected failure for {self.marker}")
            return attr(*args, **kwargs)

        return wrapper


def test_a_document_that_cannot_be_stored_does_not_fail_the_others_written_with_it(
        ingested: IngestSummary, ingestor: Ingestor, store: ChunkStore, corpus: Path, settings: Settings,
        dense_search: Search, monkeypatch: pytest.MonkeyPatch) -> None:
    old_konza = doc_chunks(store, "konza")
    factories.make_note(corpus / "konza.md", body=NEW_KONZA)
    factories.make_note(corpus / "transport.md", body="# Matatu fares\n\nThe zzfarezz card pilot ran in Kisumu.")
    factories.make_note(corpus / "water.md", body="# Water kiosks\n\nThe zzkioskzz meters report every hour.")
    spy = PickyCollection(store.chunks, "zznewversionzz")
    monkeypatch.setattr(store, "chunks", spy)

    summary = ingestor.run()

    actions = {f.source: f.action for f in summary.files}
    assert actions["transport.md"] == actions["water.md"] == "added" and actions["konza.md"] == "failed"
    # the pool at once (Konza's version 1 archived, then the new text fails; old Konza restored), Konza alone
    # (archived, fails, restored again), then the two others
    assert spy.calls == 8
    assert doc_chunks(store, "konza") == old_konza  # the previous version is still answerable
    assert "zzfarezz" in texts(store) and "zzkioskzz" in texts(store) and "zznewversionzz" not in texts(store)
    assert_consistent(store, settings)


def test_embedding_failure_stores_nothing(ingested: IngestSummary, settings: Settings, store: ChunkStore,
                                          corpus: Path) -> None:
    class BrokenModel(LocalEmbeddings):
        def embed_array(self, texts: list[str]) -> np.ndarray:
            raise RuntimeError("out of memory on the GPU")

    before = index_state(store)
    factories.make_note(corpus / "konza.md", body=NEW_KONZA)
    summary = Ingestor(settings, store, BrokenModel("all-MiniLM-L6-v2")).run()
    assert [(f.source, f.reason) for f in summary.failures] == [("konza.md", "embedding failed: out of memory on the GPU")]
    assert index_state(store) == before


# --- two ingestions at once ------------------------------------------------------------------------

def test_second_ingest_stops_with_a_clear_message_while_the_lock_is_held(
        ingestor: Ingestor, settings: Settings, corpus: Path, store: ChunkStore) -> None:
    settings.ingest_lock_timeout_s = 0.3
    with FileLock(str(settings.lock_path)):
        started = time.perf_counter()
        with pytest.raises(IngestLockedError) as caught:
            ingestor.run()
        assert time.perf_counter() - started < 3
    message = str(caught.value)
    assert message.startswith("another ingestion is running") and "wait for it to finish, then run again" in message
    assert store.count() == 0


def test_second_ingest_waits_for_the_lock(ingestor: Ingestor, settings: Settings, corpus: Path,
                                          store: ChunkStore) -> None:
    settings.ingest_lock_timeout_s = 30
    held, release = threading.Event(), threading.Event()

    def other_ingestion() -> None:  # filelock's locks belong to a thread: take and drop it in the same one
        with FileLock(str(settings.lock_path)):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=other_ingestion)
    holder.start()
    assert held.wait(10)
    threading.Timer(1.0, release.set).start()
    started = time.perf_counter()
    summary = ingestor.run()
    holder.join()
    assert time.perf_counter() - started >= 0.9
    assert summary.count("added") == 6 and not summary.failures


def test_two_concurrent_ingests_leave_a_consistent_index(settings: Settings, corpus: Path,
                                                         embeddings: LocalEmbeddings) -> None:
    settings.ingest_lock_timeout_s = 60
    results: list[IngestSummary] = []
    errors: list[BaseException] = []

    def ingest(ingestor: Ingestor) -> None:
        try:
            results.append(ingestor.run())
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    # Two ingestors with their own clients (opened here: Chroma's client constructor is not thread-safe).
    ingestors = [Ingestor(settings, open_store(settings), embeddings) for _ in range(2)]
    threads = [threading.Thread(target=ingest, args=(ingestor,)) for ingestor in ingestors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == [] and len(results) == 2
    assert sorted(r.count("added") for r in results) == [0, 6]
    assert sorted(r.count("unchanged") for r in results) == [0, 6]
    store = open_store(settings)
    assert_consistent(store, settings)
