"""``build_app(settings) -> gr.Blocks``: the page, its tabs, the ``/ask`` API and the queue.

Tabs are built by their own modules. Two optional ones plug in here when their modules exist:
``tutor/ui/learn.py`` and ``tutor/ui/evaluate.py``, each with ``build_tab(shell: Shell) -> None``, called
inside its ``gr.Tab``. ``shell.services`` holds the shared objects; ``shell.ask_in_chat(button, question)``
sends a question to the Chat tab; ``shell.status`` is the status line (``shell.status_text()`` its value).
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import gradio as gr

from tutor.settings import Settings
from tutor.ui import api, guard, render
from tutor.ui.chat import ChatView
from tutor.ui.library import LibraryView
from tutor.ui.people import PeopleView
from tutor.ui.permissions import need_of
from tutor.ui.services import Services, make_services
from tutor.ui.theme import CSS, make_theme
from tutor.users.access import Access, Visitor

log = logging.getLogger(__name__)

#: Answers in flight at once. Answering is mostly CPU (embedding the question, ranking sentences) and
#: PyTorch already uses both cores for each; a few more than the cores lets LLM-backed answers, which mostly
#: wait on the network, overlap. Library writes run one at a time (and ingestion holds a file lock).
ANSWER_CONCURRENCY = 4
#: Requests allowed to wait in the queue before new ones are turned away with a "busy" message.
QUEUE_SIZE = 256
CHAT_TAB = "chat"
#: (module, tab label, tab id) of tabs other modules may provide.
OPTIONAL_TABS = (("tutor.ui.learn", "Learn", "learn"), ("tutor.ui.evaluate", "Evaluate", "evaluate"))
#: Tabs hidden until the page knows the visitor may use them (shown on load; the server refuses regardless).
STAFF_TABS = {"evaluate"}
HEADER = "# Mwalimu\nA tutor on AI, data and digital government for public officials. Answers cite their sources."


@dataclass
class Shell:
    """What a tab builder gets: the shared services and hooks into the rest of the page."""

    services: Services
    tabs: gr.Tabs
    chat: ChatView
    status: gr.Markdown
    demo: gr.Blocks | None = None

    def ask_in_chat(self, trigger: gr.Button, question: Any) -> None:
        """Clicking ``trigger`` asks ``question`` (a component's value, or fixed text) in the Chat tab."""
        self.chat.ask_from(trigger, question, self.tabs, CHAT_TAB)

    def status_text(self) -> str:
        """The status line: documents, passages and backend, or what to do when the library is empty."""
        try:
            return render.status_line(self.services.tutor.status())
        except Exception:
            log.exception("could not read the index status")
            return render.error_note("The library index could not be read; see the server log.")


def _load_tab_module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise


def _optional_tab(shell: Shell, module_name: str, label: str, tab_id: str) -> gr.Tab | None:
    """Build an optional tab; a broken one shows a notice instead of taking the whole app down."""
    try:
        module = _load_tab_module(module_name)
    except Exception:
        log.exception("the %s tab could not be loaded", label)
        module = None
        failed = True
    else:
        failed = False
    if module is None and not failed:
        return None
    with gr.Tab(getattr(module, "TAB_LABEL", label), id=tab_id, visible=tab_id not in STAFF_TABS) as tab:
        if module is not None:
            try:
                module.build_tab(shell)
                return tab
            except Exception:
                log.exception("the %s tab could not be built", label)
        gr.Markdown(f"The {label} tab is not available right now; the details are in the server log.")
    return tab


@dataclass
class PageView:
    """What each visitor sees of the page: who they are signed in as, and only the tabs and tools their
    role can use (the guard refuses the rest on the server whatever the page shows)."""

    access: Access
    whoami: gr.Markdown
    library: LibraryView
    evaluate: gr.Tab | None
    people: gr.Tab

    @property
    def outputs(self) -> list[Any]:
        tabs = [t for t in (self.evaluate, self.people) if t is not None]
        return [self.whoami, *tabs, self.library.staff_tools, self.library.audit_tools, self.library.note]

    def on_load(self) -> tuple[Any, ...]:
        visitor = guard.current_visitor(self.access)

        def allowed(need: str) -> bool:
            return self.access.mode != "open" and visitor.may(need)

        # Each tool shows for the role its handler needs in tutor/ui/permissions.py, the one table of roles.
        tabs = [gr.update(visible=allowed(need_of("EvaluateView.run")))] if self.evaluate is not None else []
        return (whoami_markdown(self.access, visitor), *tabs, gr.update(visible=allowed(need_of("PeopleView.refresh"))),
                gr.update(visible=allowed(need_of("LibraryView._upload"))),
                gr.update(visible=allowed(need_of("LibraryView._export_audit"))),
                self.library.note_text(self.access.mode, visitor))


def whoami_markdown(access: Access, visitor: Visitor) -> str:
    """The line under the header: the kiosk notice, or the account and a way to sign out."""
    if access.mode == "open":
        return "Open kiosk: questions and quizzes are not stored under anyone's name."
    if visitor.account is None:
        return ""
    out = " · [Sign out](logout)" if access.mode == "password" else ""
    return f"Signed in as **{render.md_escape(visitor.name)}** ({visitor.role}){out}"


def build_app(settings: Settings, services: Services | None = None) -> gr.Blocks:
    """The whole web app. ``services`` defaults to :func:`make_services` (tests pass their own)."""
    services = services or make_services(settings)
    access = services.access or Access.from_settings(settings.model_copy(update={"auth": "open"}), services.engine)
    services.access = access
    # delete_cache: Gradio copies every served file (CSV exports, reports) into its cache; clear it hourly.
    with gr.Blocks(title="Mwalimu", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        gr.Markdown(HEADER, elem_id="mw-header")
        whoami = gr.Markdown("", elem_id="mw-whoami")
        status = gr.Markdown("", elem_id="mw-status", label="Library status")
        with gr.Tabs(selected=CHAT_TAB) as tabs:
            with gr.Tab("Chat", id=CHAT_TAB):
                chat = ChatView(services).build()
            shell = Shell(services, tabs, chat, status, demo)
            built = {tab_id: _optional_tab(shell, module_name, label, tab_id)
                     for module_name, label, tab_id in OPTIONAL_TABS}
            with gr.Tab("Library", id="library") as library_tab:
                library = LibraryView(services, status, shell.status_text).build()
            with gr.Tab(PeopleView.TAB_LABEL, id="people", visible=False) as people_tab:
                people = PeopleView(services).build()
        api.register(services)
        page = PageView(access, whoami, library, built.get("evaluate"), people_tab)
        demo.load(page.on_load, None, page.outputs, api_visibility="private")
        library_outputs = [library.table, library.choice, status]
        demo.load(library.refresh, None, library_outputs, api_visibility="private")
        chat.on_load(demo)
        library_tab.select(library.refresh, None, library_outputs, api_visibility="private")
        people_tab.select(people.refresh, None, [people.accounts, people.actions], api_visibility="private")
    demo.queue(default_concurrency_limit=ANSWER_CONCURRENCY, max_size=QUEUE_SIZE)
    guard.install(demo, access)
    return demo


def launch_app(demo: gr.Blocks, settings: Settings, host: str = "127.0.0.1", port: int = 7860,
               **kwargs: Any) -> Any:
    """Serve ``demo`` with Mwalimu's theme and limits (``python app.py`` and the tests both use this)."""
    options: dict[str, Any] = {
        "server_name": host, "server_port": port, "theme": make_theme(), "css": CSS, "show_error": False,
        "ssr_mode": False, "max_file_size": int(settings.max_file_mb * 1024 * 1024), "quiet": True,
        **guard.launch_options(demo),
    }
    options.update(kwargs)
    return demo.launch(**options)
