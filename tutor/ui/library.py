"""The Library desk for content staff: see, add, re-read and delete documents.

Reading is open to everyone; changes need the ``content`` role and exporting the record of answers the
``evaluator`` role, both checked on the server by :mod:`tutor.ui.guard` (see :mod:`tutor.ui.permissions`).
Every change is written to the staff record with the name of whoever made it. Ingestion goes through the
same :class:`~tutor.library.ingestion.Ingestor` (and file lock) as ``ingest.py``, so the reports read the same.
"""

from __future__ import annotations

import html
import logging
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gradio as gr
from filelock import FileLock, Timeout

from tutor.errors import IngestLockedError, TutorError
from tutor.library import lexical, versions
from tutor.library.files import CORPUS_ROOT, record_root
from tutor.library.loaders import SUPPORTED
from tutor.library.register import DocumentRecord
from tutor.ui import guard, render
from tutor.ui.services import Services
from tutor.ui.uploads import UploadMeta, discard, save_upload
from tutor.users.access import Visitor

log = logging.getLogger(__name__)

#: The default that tells Gradio to pass a progress tracker (it makes a fresh one for every call).
_PROGRESS = gr.Progress()
COLUMNS = ["Title", "Publisher", "Year", "Pages", "Passages", "Added (UTC)", "File", "Version", "In force from",
           "State", "Versions kept"]
Progress = Callable[[int, int, str], None]


def record_change(services: Services, actor: str, action: str, subject: str, detail: str = "") -> None:
    """Write a library change to the staff record (who, what, which document); a failure only logs."""
    access = getattr(services, "access", None)
    if access is None:
        return
    try:
        access.users.record(actor or "anonymous", action, subject, detail)
    except Exception:  # the change itself has happened; losing its record must not undo it
        log.exception("could not record %s of %s by %s", action, subject, actor)


def _when(timestamp: float) -> str:
    if not timestamp:
        return ""
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d %H:%M")


def documents_table(services: Services) -> list[list[Any]]:
    """One row per document, by title: what the desk's table shows, ending with its current version, the
    date that version took effect, whether the document is current or retired, and how many versions are kept
    (staff see at a glance which documents have a history to compare)."""
    records = sorted(services.store.records().values(), key=lambda r: (r.title.lower(), r.source))
    return [[r.title, r.publisher, r.year, r.pages or "", r.chunks, _when(r.ingested_at), r.source,
             r.version or 1, r.as_of, versions.record_state(r), versions.stored_versions(r)] for r in records]


def document_choices(services: Services) -> list[tuple[str, str]]:
    """(label, doc_id) for the delete menu."""
    records = sorted(services.store.records().values(), key=lambda r: (r.title.lower(), r.source))
    return [(f"{r.title} ({r.source})", r.doc_id) for r in records]


def upload(services: Services, file: str | Path | None, title: str = "", publisher: str = "", year: str = "",
           url: str = "", actor: str = "", progress: Progress | None = None,
           original_name: str | None = None) -> str:
    """Check, save and ingest one uploaded file; returns the report. Raises :class:`TutorError` when refused.

    ``actor`` is who asked (the staff record names them); the role was checked before this is called.
    """
    if not file:
        raise TutorError("Choose a file to upload first.")
    path = Path(file)
    meta = UploadMeta.clean(title, publisher, year, url)
    saved = save_upload(services.settings, path, original_name or path.name, meta)
    summary = services.ingestor(progress).run([saved.path])
    result = next((f for f in summary.files if f.source == saved.source), None)
    if result is None or result.action == "failed":
        discard(services.settings, saved)
        reason = result.reason if result else "it was not found after saving"
        return f"Could not add {path.name}: {reason}. Nothing was changed.\n\n{summary.text()}"
    record = services.store.record(result.doc_id)
    title_text = record.title if record else saved.source
    if result.action == "unchanged":
        return f"“{title_text}” is already in the library as {saved.source}; nothing changed.\n\n{summary.text()}"
    verb = "Added" if result.action == "added" else "Updated"
    record_change(services, actor, verb.lower(), saved.source, f"{result.chunks} passages")
    return (f"{verb} “{title_text}” as {saved.source}: {result.chunks} passages. Officials can ask about it now."
            f"\n\n{summary.text()}")


def reingest(services: Services, actor: str = "", prune: bool = False, progress: Progress | None = None) -> str:
    """Re-read the whole library folder, like ``python ingest.py [--prune]``; returns the CLI's summary."""
    summary = services.ingestor(progress).run([services.settings.corpus_dir], prune=prune)
    text = summary.text()
    record_change(services, actor, "reingest", "library folder", text.splitlines()[0] if text else "")
    return text


def _file_of(services: Services, record: DocumentRecord) -> Path | None:
    root = record_root(record)
    if root != CORPUS_ROOT:
        return None
    return services.settings.corpus_dir / record.source


def delete(services: Services, doc_id: str | None, actor: str = "") -> str:
    """Remove a document from the index; a library-folder file moves to ``<data>/deleted/`` so re-reading
    the folder does not bring it back (and it can still be recovered)."""
    if not doc_id:
        raise TutorError("Choose the document to delete first.")
    settings = services.settings
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(settings.lock_path), timeout=settings.ingest_lock_timeout_s):
            record = services.store.record(doc_id)
            if record is None:
                raise TutorError("That document is no longer in the library (someone may have deleted it already).")
            removed = services.store.remove_document(doc_id)
            moved = _retire(services, record)
            lexical.rebuild(services.store, settings.lexical_dir)
    except Timeout as exc:
        raise IngestLockedError("An ingestion is running: wait for it to finish, then delete again.") from exc
    log.info("deleted %s (%d chunks)", doc_id, removed)
    record_change(services, actor, "delete", record.source, f"{removed} passages")
    where = (f" Its file was moved to {moved} so re-reading the library folder will not add it back."
             if moved else " Its file is outside the library folder and was left where it is.")
    return f"Deleted “{record.title}” ({removed} passages).{where}"


def versioned_choices(services: Services) -> list[tuple[str, str]]:
    """(label, doc_id) of the documents with more than one version, for "What changed"."""
    records = sorted((r for r in services.store.records().values() if r.history),
                     key=lambda r: (r.title.lower(), r.source))
    return [(f"{r.title} (version {r.version})", r.doc_id) for r in records]


def changes(services: Services, doc_id: str | None) -> str:
    """What changed between a document's two newest versions (reading: open to everyone)."""
    from tutor.library.diff import diff_versions

    if not doc_id:
        raise TutorError("Choose a document first.")
    return diff_versions(services.store, doc_id).text()


def export_audit(services: Services, actor: str = "") -> str:
    """Write the record of answers as JSON lines under ``<data>/audit/``; returns the file's path.

    Only evaluators (and administrators) reach this: the record holds what officials asked, and who.
    """
    if services.audit is None or not services.audit.enabled:
        raise TutorError("Answers are not being recorded on this server (TUTOR_AUDIT=off).")
    path = services.settings.data_dir / "audit" / f"audit-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
    n = services.audit.export(path)
    log.info("audit record exported from the Library tab (%d records)", n)
    record_change(services, actor, "export-audit", path.name, f"{n} records")
    return str(path)


def _retire(services: Services, record: DocumentRecord) -> Path | None:
    path = _file_of(services, record)
    if path is None or not path.exists():
        return None
    corpus = services.settings.corpus_dir.resolve()
    if not path.resolve().is_relative_to(corpus):
        return None
    target = services.settings.data_dir / "deleted" / time.strftime("%Y%m%d-%H%M%S") / record.source
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(path), str(target))
    return target


# --- the view ---------------------------------------------------------------------------------------
class LibraryView:
    """Builds the Library tab; ``status`` (the page's status line) is refreshed after every change."""

    def __init__(self, services: Services, status: gr.Markdown, status_text: Callable[[], str]) -> None:
        self.services = services
        self.status = status
        self.status_text = status_text

    def build(self) -> LibraryView:
        self.note = gr.Markdown("", elem_id="mw-library-note")
        with gr.Column(visible=False, elem_id="mw-staff-tools") as self.staff_tools:
            self._build_changes()
        with gr.Accordion("What changed between versions", open=False):
            self.diff_choice = gr.Dropdown(label="Document with more than one version", choices=[], value=None,
                                           allow_custom_value=True, elem_id="mw-diff-choice")
            self.diff_button = gr.Button("Show what changed")
        with gr.Column(visible=False, elem_id="mw-audit-tools") as self.audit_tools, \
                gr.Accordion("Record of answers", open=False):
            gr.Markdown("Every answer given in the chat, through the API and by evaluations is recorded, with "
                        "the account that asked. Download the record (JSON lines).")
            self.audit_button = gr.Button("Export the record of answers")
            self.audit_file = gr.File(label="Record of answers", interactive=False, elem_id="mw-audit-file")
        self.result = gr.Textbox(label="Result", lines=3, max_lines=20, interactive=False, elem_id="mw-library-result",
                                 placeholder="What happened appears here: counts, then one line per file that failed.")
        self.table = gr.Dataframe(headers=COLUMNS, value=[], interactive=False, wrap=True, elem_id="mw-documents",
                                  label="Documents in the library", max_height=640,
                                  column_widths=["22%", "13%", "5%", "5%", "6%", "10%", "12%", "6%", "8%", "8%", "5%"])
        self._wire()
        return self

    @staticmethod
    def note_text(mode: str, visitor: Visitor) -> str:
        """What the tab says about changes to this visitor."""
        if mode == "open":
            return ("The documents Mwalimu answers from. This server is an open kiosk: content staff change the "
                    "library where they sign in.")
        if visitor.may("content"):
            return "For content staff: add, update and remove the documents Mwalimu answers from."
        return "The documents Mwalimu answers from. Changes are made by content staff."

    def _build_changes(self) -> None:
        with gr.Accordion("Add a document", open=True):
            kinds = ", ".join(sorted({k.upper() for k in SUPPORTED.values()}))
            self.file = gr.File(label=f"File ({kinds}; up to {self.services.settings.max_file_mb:g} MB)",
                                file_types=sorted(SUPPORTED), type="filepath", elem_id="mw-upload")
            with gr.Row():
                self.title = gr.Textbox(label="Title", max_lines=1, min_width=200)
                self.publisher = gr.Textbox(label="Publisher", max_lines=1, min_width=200)
            with gr.Row():
                self.year = gr.Textbox(label="Year", max_lines=1, placeholder="e.g. 2024", min_width=120)
                self.url = gr.Textbox(label="Link to the original", max_lines=1, placeholder="https://…",
                                      min_width=200)
            self.upload_button = gr.Button("Upload and add to the library", variant="primary")
        with gr.Accordion("Re-read the library folder", open=False):
            gr.Markdown("Adds new and changed files from the server's library folder, like `python ingest.py`.")
            self.prune = gr.Checkbox(label="Also remove documents whose files are gone", value=False)
            self.reingest_button = gr.Button("Re-read the library folder")
        with gr.Accordion("Delete a document", open=False):
            self.choice = gr.Dropdown(label="Document to delete", choices=[], value=None, allow_custom_value=True)
            self.delete_button = gr.Button("Delete document", variant="stop")

    def refresh(self) -> tuple[Any, ...]:
        """Table, delete menu and status line, read fresh from the index."""
        try:
            return (documents_table(self.services), gr.update(choices=document_choices(self.services), value=None),
                    self.status_text())
        except Exception:
            log.exception("could not read the document list")
            return gr.update(), gr.update(), render.error_note("The library could not be read; see the server log.")

    def _run(self, action: Callable[[], str]) -> tuple[Any, ...]:
        try:
            message = action()
        except TutorError as exc:
            gr.Warning(html.escape(str(exc)))
            message = str(exc)
        except Exception:
            log.exception("library action failed")
            message = "Sorry, that did not work; the details are in the server log."
            gr.Warning(message)
        return (message, *self.refresh())

    def _actor(self) -> str:
        return guard.current_visitor(self.services.access).name

    def _upload(self, file: str | None, title: str, publisher: str, year: str, url: str,
                progress: gr.Progress = _PROGRESS) -> tuple[Any, ...]:
        return self._run(lambda: upload(self.services, file, title, publisher, year, url, self._actor(),
                                        _progress(progress)))

    def _reingest(self, prune: bool, progress: gr.Progress = _PROGRESS) -> tuple[Any, ...]:
        return self._run(lambda: reingest(self.services, self._actor(), prune, _progress(progress)))

    def _delete(self, doc_id: str | None) -> tuple[Any, ...]:
        return self._run(lambda: delete(self.services, doc_id, self._actor()))

    def _changes(self, doc_id: str | None) -> str:
        try:
            return changes(self.services, doc_id)
        except TutorError as exc:
            return str(exc)

    def _export_audit(self) -> tuple[Any, str]:
        try:
            path = export_audit(self.services, self._actor())
        except TutorError as exc:
            gr.Warning(html.escape(str(exc)))
            return None, str(exc)
        return path, f"The record of answers was written to {path}."

    def _wire(self) -> None:
        self.diff_choice.focus(lambda: gr.update(choices=versioned_choices(self.services)), None, self.diff_choice,
                               api_visibility="private")
        self.diff_button.click(self._changes, [self.diff_choice], [self.result], api_name="document_changes")
        self.audit_button.click(self._export_audit, None, [self.audit_file, self.result],
                                api_name="export_audit")
        outputs = [self.result, self.table, self.choice, self.status]
        common: dict[str, Any] = {"concurrency_id": "library", "concurrency_limit": 1}
        self.upload_button.click(self._upload, [self.file, self.title, self.publisher, self.year, self.url],
                                 outputs, api_name="upload_document", **common)
        self.reingest_button.click(self._reingest, [self.prune], outputs, api_name="reingest", **common)
        self.delete_button.click(self._delete, [self.choice], outputs, api_name="delete_document", **common)


def _progress(progress: gr.Progress) -> Progress:
    def report(number: int, total: int, source: str) -> None:
        progress((number, total), desc=f"Reading {source}", unit="files")

    return report
