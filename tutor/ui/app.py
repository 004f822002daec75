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
from tutor.ui import api, render
from tutor.ui.chat import ChatView
from tutor.ui.library import LibraryView
from tutor.ui.services import Services, make_services
from tutor.ui.theme import CSS, make_theme

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
HEADER = "# Mwalimu\nA tutor on AI, data and digital government for public officials. Answers cite their sources."


@dataclass
class Shell:
    """What a tab builder gets: the shared services and hooks into the rest of the page."""

    services: Services
    tabs: gr.Tabs
    chat: ChatView
    status: gr.Markdown

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


def _optional_tab(shell: Shell, module_name: str, label: str, tab_id: str) -> None:
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
        return
    with gr.Tab(getattr(module, "TAB_LABEL", label), id=tab_id):
        if module is not None:
            try:
                module.build_tab(shell)
                return
            except Exception:
                log.exception("the %s tab could not be built", label)
        gr.Markdown(f"The {label} tab is not available right now; the details are in the server log.")


def build_app(settings: Settings, services: Services | None = None) -> gr.Blocks:
    """The whole web app. ``services`` defaults to :func:`make_services` (tests pass their own)."""
    services = services or make_services(settings)
    # delete_cache: Gradio copies every served file (CSV exports, reports) into its cache; clear it hourly.
    with gr.Blocks(title="Mwalimu", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        gr.Markdown(HEADER, elem_id="mw-header")
        status = gr.Markdown("", elem_id="mw-status", label="Library status")
        with gr.Tabs(selected=CHAT_TAB) as tabs:
            with gr.Tab("Chat", id=CHAT_TAB):
                chat = ChatView(services).build()
            shell = Shell(services, tabs, chat, status)
            for module_name, label, tab_id in OPTIONAL_TABS:
                _optional_tab(shell, module_name, label, tab_id)
            with gr.Tab("Library", id="library") as library_tab:
                library = LibraryView(services, status, shell.status_text).build()
        api.register(services)
        library_outputs = [library.table, library.choice, status]
        demo.load(library.refresh, None, library_outputs, api_visibility="private")
        chat.on_load(demo)
        library_tab.select(library.refresh, None, library_outputs, api_visibility="private")
    demo.queue(default_concurrency_limit=ANSWER_CONCURRENCY, max_size=QUEUE_SIZE)
    return demo


def launch_app(demo: gr.Blocks, settings: Settings, host: str = "127.0.0.1", port: int = 7860,
               **kwargs: Any) -> Any:
    """Serve ``demo`` with Mwalimu's theme and limits (``python app.py`` and the tests both use this)."""
    options: dict[str, Any] = {
        "server_name": host, "server_port": port, "theme": make_theme(), "css": CSS, "show_error": False,
        "ssr_mode": False, "max_file_size": int(settings.max_file_mb * 1024 * 1024), "quiet": True,
    }
    options.update(kwargs)
    return demo.launch(**options)
