"""The People tab for administrators: accounts and roles, and erasure of a person's data on request.

Adding an account (with its first password) stays on the command line, ``python -m tutor.users add``,
so no password is ever typed into a shared screen. Here an administrator changes roles, disables and
enables accounts, and deletes a named person's learning record and answer records (Kenya's Data
Protection Act gives a data subject the right to erasure). Every change is written to the staff record
with the administrator's name; the tab shows the newest entries.
"""

from __future__ import annotations

import html
import logging
from typing import Any

import gradio as gr

from tutor.errors import TutorError
from tutor.learning.progress import ProgressStore
from tutor.ui import guard
from tutor.ui.services import Services
from tutor.users.accounts import ROLES, AccountError, Users

log = logging.getLogger(__name__)

TAB_LABEL = "People"
ACCOUNT_COLUMNS = ["Name", "Role", "State", "Signs in with", "Last sign-in (UTC)"]
ACTION_COLUMNS = ["When (UTC)", "Who", "Did", "To", "Detail"]


def accounts_table(users: Users) -> list[list[str]]:
    return [[a.name, a.role, "disabled" if a.disabled else "active", "password" if a.has_password else "sign-on proxy",
             a.last_sign_in.strftime("%Y-%m-%d %H:%M") if a.last_sign_in else "never"] for a in users.list()]


def actions_table(users: Users, limit: int = 50) -> list[list[str]]:
    return [[a.at.strftime("%Y-%m-%d %H:%M"), a.actor, a.action, a.subject, a.detail] for a in users.actions(limit)]


def erase(services: Services, users: Users, name: str, actor: str) -> str:
    """Delete everything stored about ``name`` (progress, quiz answers, answer records) and record who did."""
    name = " ".join((name or "").split())
    if not name:
        raise TutorError("Type the name of the person whose data is to be deleted.")
    progress = ProgressStore(services.engine).delete_learner(name)
    answers = services.audit.delete_learner(name) if services.audit is not None else 0
    records = f"{answers} answer record{'s' * (answers != 1)}"
    users.record(actor, "erase", name, f"learning record {'deleted' if progress else 'none'}; {records}")
    log.info("%s erased the data of %r (%s)", actor, name, records)
    if not progress and not answers:
        return f"Nothing was stored about “{name}”; the request is recorded."
    return f"Deleted the data of “{name}”: {'the learning record and ' if progress else ''}{records}."


class PeopleView:
    """Builds the People tab (only administrators see it; the guard refuses everyone else server-side)."""

    TAB_LABEL = TAB_LABEL

    def __init__(self, services: Services) -> None:
        self.services = services
        assert services.access is not None, "the People tab needs the accounts"
        self.users = services.access.users

    def build(self) -> PeopleView:
        gr.Markdown("For administrators: who may do what, and deleting a person's data on request. "
                    "Add accounts on the server with `python -m tutor.users add NAME --role ROLE`.")
        self.accounts = gr.Dataframe(headers=ACCOUNT_COLUMNS, value=[], interactive=False, label="Accounts",
                                     elem_id="mw-accounts")
        with gr.Row():
            self.name = gr.Textbox(label="Name", max_lines=1, elem_id="mw-people-name", min_width=220)
            self.role = gr.Dropdown(list(ROLES), value="learner", label="Role", min_width=140)
        with gr.Row():
            self.role_button = gr.Button("Set role")
            self.disable_button = gr.Button("Disable account")
            self.enable_button = gr.Button("Enable account")
            self.erase_button = gr.Button("Delete this person's data", variant="stop", elem_id="mw-people-erase")
        self.result = gr.Markdown("", elem_id="mw-people-result")
        self.actions = gr.Dataframe(headers=ACTION_COLUMNS, value=[], interactive=False,
                                    label="Record of staff actions (newest first)", elem_id="mw-staff-actions")
        outputs = [self.result, self.accounts, self.actions]
        self.role_button.click(self._set_role, [self.name, self.role], outputs, api_name="people_set_role")
        self.disable_button.click(self._disable, [self.name], outputs, api_name="people_disable")
        self.enable_button.click(self._enable, [self.name], outputs, api_name="people_enable")
        self.erase_button.click(self._erase, [self.name], outputs, api_name="people_erase")
        return self

    def refresh(self) -> tuple[Any, Any]:
        return accounts_table(self.users), actions_table(self.users)

    def _actor(self) -> str:
        return guard.current_visitor(self.services.access).name or "admin"

    def _done(self, message: str) -> tuple[Any, ...]:
        return (html.escape(message), *self.refresh())

    def _set_role(self, name: str, role: str) -> tuple[Any, ...]:
        try:
            self.users.set_role(name, role, actor=self._actor())
            return self._done(f"{name} now has the {role} role.")
        except AccountError as exc:
            return self._done(str(exc))

    def _disable(self, name: str) -> tuple[Any, ...]:
        return self._set_enabled(name, False)

    def _enable(self, name: str) -> tuple[Any, ...]:
        return self._set_enabled(name, True)

    def _set_enabled(self, name: str, enabled: bool) -> tuple[Any, ...]:
        try:
            if enabled:
                self.users.enable(name, actor=self._actor())
            else:
                self.users.disable(name, actor=self._actor())
            return self._done(f"{name} is {'enabled' if enabled else 'disabled'}.")
        except AccountError as exc:
            return self._done(str(exc))

    def _erase(self, name: str) -> tuple[Any, ...]:
        try:
            return self._done(erase(self.services, self.users, name, self._actor()))
        except TutorError as exc:
            return self._done(str(exc))
