"""“My record” on the Learn tab: download everything stored under the signed-in account as a CSV file, or
delete all of it after a confirmation.

Kept apart because it is the one panel that writes files for download and erases a learner's data: the
export folder, and how long a download stays in it, are here.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gradio as gr

from tutor.errors import TutorError
from tutor.ui import render
from tutor.ui.learn_desk import NO_ACCOUNT
from tutor.ui.learn_progress import ProgressPanel, skip

log = logging.getLogger(__name__)

#: Seconds a downloaded record stays in the export folder before the next download removes it.
EXPORT_KEEP_S = 15 * 60


class RecordPanel(ProgressPanel):
    """The “My record” accordion: download the record, or delete it after a confirmation."""

    export_root: Path

    def _build_record(self) -> None:
        with gr.Accordion("My record", open=False, elem_id="mw-learn-record"):
            gr.Markdown(
                "Under your account Mwalimu keeps your answers (right or wrong, and when) and the modules "
                "you opened. You can download all of it, or delete all of it."
            )
            with gr.Row():
                self.export_button = gr.Button("Download my record (CSV)", elem_id="mw-learn-export")
                self.delete_button = gr.Button("Delete my record", variant="stop", elem_id="mw-learn-delete")
            self.export_file = gr.File(
                label="Your record", visible=False, interactive=False, elem_id="mw-learn-file"
            )
            with gr.Column(visible=False, elem_id="mw-learn-confirm") as self.confirm_box:
                self.confirm_text = gr.Markdown("")
                with gr.Row():
                    self.confirm_button = gr.Button(
                        "Yes, delete my record", variant="stop", elem_id="mw-learn-confirm-yes"
                    )
                    self.cancel_button = gr.Button("Cancel", elem_id="mw-learn-confirm-no")
            self.record_note = gr.Markdown("", elem_id="mw-learn-record-note")

    def _export(self) -> tuple[Any, ...]:
        """Write the record into a fresh folder and offer it for download."""
        learner = self._learner()
        try:
            text = self.desk.record_csv(learner)
            if text is None:
                note = f"Nothing is stored under “{render.md_escape(learner)}” yet."
                return gr.update(visible=False, value=None), note
            name = f"mwalimu-record-{datetime.now(UTC):%Y-%m-%d}.csv"  # no learner's name in it
            path = _export_folder(self.export_root) / name
            path.write_text(text, encoding="utf-8")
        except Exception as exc:  # noqa: BLE001 - translated for the learner
            return gr.update(visible=False, value=None), render.error_note(self._warn(exc))
        return gr.update(visible=True, value=str(path)), "Your record is ready: use the download link above."

    def _delete_ask(self) -> tuple[Any, ...]:
        learner = self._learner()
        if not learner:
            message = self._warn(TutorError(NO_ACCOUNT))
            return gr.update(visible=False), "", render.error_note(message)
        if not self.desk.has_record(learner):
            return gr.update(visible=False), "", f"Nothing is stored under “{render.md_escape(learner)}”."
        text = (
            f"Delete everything stored under **{render.md_escape(learner)}**: every answer and visit? "
            "This cannot be undone."
        )
        return gr.update(visible=True), text, ""

    def _delete_confirm(self) -> tuple[Any, ...]:
        learner = self._learner()
        try:
            message = self.desk.delete(learner)
        except Exception as exc:  # noqa: BLE001 - translated for the learner
            message = render.error_note(self._warn(exc))
            return (
                gr.update(visible=False),
                message,
                gr.update(visible=False),
                *skip(len(self._overview_outputs)),
            )
        return (
            gr.update(visible=False),
            message,
            gr.update(visible=False, value=None),
            *self._overview(learner),
        )

    @staticmethod
    def _cancel_delete() -> tuple[Any, ...]:
        return gr.update(visible=False), "Nothing was deleted."

    def _wire_record(self) -> None:
        self.export_button.click(
            self._export, None, [self.export_file, self.record_note], api_name="learn_export"
        )
        self.delete_button.click(
            self._delete_ask,
            None,
            [self.confirm_box, self.confirm_text, self.record_note],
            api_name="learn_delete_ask",
        )
        self.confirm_button.click(
            self._delete_confirm,
            None,
            [self.confirm_box, self.record_note, self.export_file, *self._overview_outputs],
            api_name="learn_delete_confirm",
        )
        self.cancel_button.click(
            self._cancel_delete,
            None,
            [self.confirm_box, self.record_note],
            api_visibility="private",
            queue=False,
        )


def _export_folder(root: Path, keep_s: float = EXPORT_KEEP_S) -> Path:
    """A fresh folder for one download; folders of earlier downloads older than ``keep_s`` are removed, so
    learners' records do not pile up on the server."""
    root.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - keep_s
    for old in root.glob("record-*"):
        try:
            if old.is_dir() and old.stat().st_mtime < cutoff:
                shutil.rmtree(old)
        except OSError:
            log.warning("could not remove the old export %s", old)
    return Path(tempfile.mkdtemp(prefix="record-", dir=root))
