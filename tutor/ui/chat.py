"""The Chat tab: a question box, the conversation, a sources panel, feedback and follow-ups.

Handlers only render what :meth:`Tutor.ask` yields. Per-user state (the turns of this browser session,
and which answers this session rated) lives in ``gr.State``; nothing here is shared between users. The
"Brief / Detailed" choice is kept in the browser (``gr.BrowserState``), so it survives a reload: Brief
folds "More from the sources" under the lead answer, Detailed opens it. Rating an answer (thumbs up/down
and the reason) is :mod:`tutor.ui.chat_feedback`.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from tutor.errors import TutorError
from tutor.events import AnswerDelta, Done, Notice
from tutor.ui import as_of as as_of_option
from tutor.ui import guard, render
from tutor.ui.chat_feedback import rate, send_reason
from tutor.ui.feedback import REASON_LABELS, REASONS
from tutor.ui.services import Services
from tutor.ui.turn import Turn

log = logging.getLogger(__name__)

MAX_SUGGESTIONS = 3
SIMPLER_PROMPT = "Explain that more simply, please."
THINKING = "Searching the library…"
BRIEF, DETAILED = "Brief", "Detailed"
#: Where the browser keeps the Brief / Detailed choice.
LENGTH_KEY = "mwalimu-answer-length"
SORRY = ("Sorry, something went wrong while answering. Please try again; if it keeps happening, tell the "
         "site administrator (the details are in the server log).")

#: Example questions by topic; each is answered by the starter library (a test checks it).
EXAMPLES: dict[str, tuple[str, ...]] = {
    "AI basics and governance": (
        "How does the OECD define an AI system?",
        "What are the OECD AI principles?",
        "How does the EU AI Act classify risk?",
    ),
    "Kenya's digital government": (
        "How many services are on eCitizen?",
        "What is the Kenya School of Government's mandate?",
        "What does Kenya's cloud policy require?",
    ),
    "Data and security": (
        "What rights do people have under Kenya's Data Protection Act?",
        "What are the functions of the NIST Cybersecurity Framework 2.0?",
        "Why do generative AI tools hallucinate?",
    ),
}


@dataclass
class Frame:
    """What the chat shows at one moment of an answer."""

    messages: list[dict[str, str]]
    sources: str
    note: str
    suggestions: tuple[str, ...] = ()
    turns: list[Turn] = field(default_factory=list)
    error: str | None = None


def history(turns: Sequence[Turn]) -> list[dict[str, str]]:
    """The conversation as ``Tutor.ask`` wants it: user questions and answer bodies."""
    out: list[dict[str, str]] = []
    for turn in turns:
        out += [{"role": "user", "content": turn.question}, {"role": "assistant", "content": turn.body}]
    return out


def messages(turns: Sequence[Turn], pending: str | None = None, partial: str = "",
             detailed: bool = False) -> list[dict[str, str]]:
    """The Chatbot's value: two messages per turn (so message 2i+1 is turn i's answer)."""
    out: list[dict[str, str]] = []
    for turn in turns:
        out += [{"role": "user", "content": render.md_escape(turn.shown)},
                {"role": "assistant", "content": turn.markdown(detailed)}]
    if pending is not None:
        out += [{"role": "user", "content": render.md_escape(pending)},
                {"role": "assistant", "content": render.md_escape(partial) if partial else f"_{THINKING}_"}]
    return out


def friendly(exc: BaseException) -> str:
    """A message a user can act on; the details go to the log."""
    if isinstance(exc, TutorError):
        log.warning("answer failed: %s", exc)
        return str(exc)
    log.exception("unexpected error while answering")
    return SORRY


def respond(services: Services, question: str, turns: Sequence[Turn], simple: bool = False,
            shown: str | None = None, prior: Sequence[Turn] | None = None, as_of: str | None = None,
            detailed: bool = False, learner: str = "") -> Iterator[Frame]:
    """Stream one answer: frames while it is written, then the final frame with the new turn added.

    ``as_of`` (the "Answer as of" box) answers from the document versions in force on that date;
    ``detailed`` opens "More from the sources" (the Brief / Detailed choice); ``learner`` is the signed-in
    account the answer record belongs to ("" at an open kiosk: recorded under no name)."""
    turns = list(turns)
    as_of = as_of_option.clean(as_of)
    shown = shown or question
    context = list(turns if prior is None else prior)
    yield Frame(messages(turns, shown, detailed=detailed), render.sources_html((), pending=True), "", (), turns)
    partial, notices = "", []
    try:
        # as_of only when asked: a stand-in tutor may not know versions
        events = (services.tutor.ask(question, history(context), simple=simple, as_of=as_of) if as_of
                  else services.tutor.ask(question, history(context), simple=simple))
        for event in events:
            if isinstance(event, AnswerDelta):
                partial += event.text
                yield Frame(messages(turns, shown, partial, detailed), render.sources_html((), pending=True), "", (),
                            turns)
            elif isinstance(event, Notice):
                notices.append(event.text)
            elif isinstance(event, Done):
                audit = getattr(services, "audit", None)
                if audit is not None:
                    audit.record(event, "chat", learner=learner or None, as_of=as_of)
                turn = Turn.from_done(event, shown)
                turns.append(turn)
                note = render.answer_note(turn.backend, turn.total_ms, event.notices or tuple(notices), turn.refused)
                note = "  \n".join(filter(None, (note, as_of_option.note(as_of))))
                yield Frame(messages(turns, detailed=detailed),
                            render.sources_html(turn.sources, turn.refused, span=turn.span), note,
                            turn.suggestions[:MAX_SUGGESTIONS], turns)
    except Exception as exc:  # noqa: BLE001 - translated for the user, logged with its traceback
        message = friendly(exc)
        yield Frame(messages(turns, detailed=detailed), render.sources_html(()), render.error_note(message), (),
                    turns, error=message)


def simplify(services: Services, turns: Sequence[Turn], as_of: str | None = None,
             detailed: bool = False, learner: str = "") -> Iterator[Frame]:
    """Re-answer the last question with ``simple=True``, as a new turn."""
    if not turns:
        message = "Ask a question first; then this button explains the answer more simply."
        yield Frame(messages(turns), render.sources_html(()), render.error_note(message), (), list(turns),
                    error=message)
        return
    last = turns[-1]
    yield from respond(services, last.question, turns, simple=True, shown=SIMPLER_PROMPT, prior=turns[:-1],
                       as_of=as_of, detailed=detailed, learner=learner)


# --- the view ---------------------------------------------------------------------------------------
class ChatView:
    """Builds the Chat tab's components and wires them; other tabs can send questions here."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def build(self) -> ChatView:
        with gr.Row(equal_height=False, elem_id="mw-chat-row"):
            with gr.Column(scale=3, min_width=320):
                self.chatbot = gr.Chatbot(
                    label="Conversation", elem_id="mw-chatbot", height="min(62vh, 640px)", min_height=280,
                    buttons=["copy"], feedback_options=("Like", "Dislike"), line_breaks=True,
                    placeholder="**Ask Mwalimu** about AI, data, cloud, cybersecurity or digital government. "
                                "Every answer cites the documents it comes from.",
                )
                with gr.Row(elem_id="mw-ask-row"):
                    self.question = gr.Textbox(
                        label="Your question", placeholder="Type a question and press Enter",
                        elem_id="mw-question", scale=5, min_width=200, max_lines=4, autofocus=True,
                        submit_btn=False,
                    )
                    self.ask_button = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="mw-ask")
                with gr.Row(elem_id="mw-actions"):
                    self.simpler = gr.Button("Explain more simply", size="sm", elem_id="mw-simpler")
                    self.clear = gr.Button("New conversation", size="sm", elem_id="mw-clear")
                    self.length = gr.Radio([BRIEF, DETAILED], value=BRIEF, show_label=False, container=False,
                                           elem_id="mw-length", min_width=160,
                                           info="Brief: the answer first, the rest folded")
                self.as_of = as_of_option.as_of_box()
                self.note = gr.Markdown("", elem_id="mw-answer-note")
                with gr.Column(visible=False, elem_id="mw-reason") as self.reason_panel:
                    self.reason = gr.Radio([(REASON_LABELS[r], r) for r in REASONS], label="What was wrong?",
                                           elem_id="mw-reason-choice")
                    self.comment = gr.Textbox(label="Anything else? (optional)", max_lines=3,
                                              elem_id="mw-reason-text")
                    with gr.Row():
                        self.send_reason = gr.Button("Send feedback", variant="primary", size="sm",
                                                     elem_id="mw-reason-send")
                        self.skip_reason = gr.Button("Skip", size="sm")
                with gr.Column(visible=False, elem_id="mw-suggestions") as self.suggestion_box:
                    gr.Markdown("**You could also ask**")
                    self.suggestions = [gr.Button("", size="sm", visible=False, elem_classes=["mw-suggestion"])
                                        for _ in range(MAX_SUGGESTIONS)]
            with gr.Column(scale=2, min_width=300, elem_id="mw-sources-col"):
                self.sources = gr.HTML(render.sources_html(()), elem_id="mw-sources")
                with gr.Accordion("Example questions", open=True, elem_id="mw-examples"):
                    self.examples = []
                    for topic, questions in EXAMPLES.items():
                        gr.Markdown(f"**{topic}**", elem_classes=["mw-topic"])
                        self.examples += [gr.Button(q, size="sm", elem_classes=["mw-example"]) for q in questions]
        self.turns = gr.State([])
        # The choice lives in the browser (it survives a reload) and, for the handlers, in this session's
        # state (a script calling /chat has no browser storage and gets Brief).
        self.length_saved = gr.BrowserState(BRIEF, storage_key=LENGTH_KEY)
        self.length_now = gr.State(BRIEF)
        self.ratings = gr.State({})
        self.pending = gr.State(None)
        self._wire()
        return self

    @property
    def _outputs(self) -> list[Any]:
        return [self.chatbot, self.question, self.sources, self.note, self.suggestion_box, *self.suggestions,
                self.turns]

    def _frame(self, frame: Frame, question: Any = "") -> tuple[Any, ...]:
        if frame.error:
            gr.Warning(html.escape(frame.error))
        buttons = [gr.update(value=text, visible=True) for text in frame.suggestions]
        buttons += [gr.update(value="", visible=False)] * (MAX_SUGGESTIONS - len(buttons))
        return (frame.messages, question, frame.sources, frame.note, gr.update(visible=bool(frame.suggestions)),
                *buttons, frame.turns)

    def _respond(self, question: str, turns: list[Turn], as_of: str = "",
                 length: str = BRIEF) -> Iterator[tuple[Any, ...]]:
        question = (question or "").strip()
        if not question:
            gr.Warning("Type a question first.")
            yield tuple(gr.update() for _ in self._outputs)
            return
        learner = guard.current_visitor(getattr(self.services, "access", None)).name
        for frame in respond(self.services, question, turns, as_of=as_of, detailed=length == DETAILED,
                             learner=learner):
            # On an error the question goes back into the box, so the user can send it again.
            yield self._frame(frame, question if frame.error else "")

    def _simplify(self, turns: list[Turn], as_of: str = "", length: str = BRIEF) -> Iterator[tuple[Any, ...]]:
        learner = guard.current_visitor(getattr(self.services, "access", None)).name
        for frame in simplify(self.services, turns, as_of, detailed=length == DETAILED, learner=learner):
            yield self._frame(frame, gr.update())

    @staticmethod
    def _set_length(length: str, turns: list[Turn]) -> tuple[Any, ...]:
        """Show the conversation at the chosen length and remember the choice in this browser."""
        length = length if length in (BRIEF, DETAILED) else BRIEF
        return messages(turns, detailed=length == DETAILED), length, length

    @staticmethod
    def _restore_length(saved: str) -> tuple[str, str]:
        length = saved if saved in (BRIEF, DETAILED) else BRIEF
        return length, length

    def on_load(self, demo: gr.Blocks) -> None:
        """Put back this browser's Brief / Detailed choice when the page opens."""
        demo.load(self._restore_length, [self.length_saved], [self.length, self.length_now],
                  api_visibility="private", queue=False)

    def _clear(self) -> tuple[Any, ...]:
        empty = Frame([], render.sources_html(()), "", (), [])
        return (*self._frame(empty), {}, None, gr.update(visible=False))

    def _like(self, turns: list[Turn], ratings: dict[int, int], data: gr.LikeData) -> tuple[Any, ...]:
        try:
            result = rate(self.services, turns, ratings, data.index, data.liked)
        except Exception as exc:
            log.exception("could not store feedback")
            gr.Warning("Sorry, your rating could not be saved. Please try again later.")
            return ratings, None, gr.update(visible=False), render.error_note(str(exc) if isinstance(
                exc, TutorError) else "Your rating could not be saved.")
        return (result.ratings, result.pending, gr.update(visible=result.ask_reason), result.note)

    def _send_reason(self, pending: int | None, reason: str | None, comment: str) -> tuple[Any, ...]:
        try:
            note = send_reason(self.services, pending, reason, comment)
        except TutorError as exc:
            gr.Warning(html.escape(str(exc)))
            return pending, gr.update(), gr.update(), gr.update(), render.error_note(str(exc))
        except Exception:
            log.exception("could not store the feedback reason")
            gr.Warning("Sorry, your feedback could not be saved. Please try again later.")
            return pending, gr.update(), gr.update(), gr.update(), render.error_note("Your feedback could not be saved.")
        return None, gr.update(visible=False), None, "", note

    def _wire(self) -> None:
        common: dict[str, Any] = {"concurrency_id": "answer", "show_progress": "hidden"}
        # Public, so gradio_client knows the optional as_of input and its default: a script that sends the
        # question alone still works (an undocumented endpoint gets no defaults filled in). The Brief / Detailed
        # choice is session state (length_now), which a script never sends.
        answer_inputs = [self.turns, self.as_of, self.length_now]
        self.question.submit(self._respond, [self.question, *answer_inputs], self._outputs, api_name="chat",
                             **common)
        self.ask_button.click(self._respond, [self.question, *answer_inputs], self._outputs,
                              api_visibility="private", **common)
        for button in [*self.suggestions, *self.examples]:
            button.click(self._respond, [button, *answer_inputs], self._outputs, api_visibility="private",
                         **common)
        self.simpler.click(self._simplify, answer_inputs, self._outputs, api_visibility="private", **common)
        self.length.change(self._set_length, [self.length, self.turns],
                           [self.chatbot, self.length_saved, self.length_now], api_visibility="private", queue=False)
        self.clear.click(self._clear, None, [*self._outputs, self.ratings, self.pending, self.reason_panel],
                         api_visibility="private", queue=False)
        self.chatbot.like(self._like, [self.turns, self.ratings],
                          [self.ratings, self.pending, self.reason_panel, self.note], api_visibility="private")
        self.send_reason.click(self._send_reason, [self.pending, self.reason, self.comment],
                               [self.pending, self.reason_panel, self.reason, self.comment, self.note],
                               api_visibility="private")
        self.skip_reason.click(lambda: (None, gr.update(visible=False), None, "", "Thanks for the feedback."),
                               None, [self.pending, self.reason_panel, self.reason, self.comment, self.note],
                               api_visibility="private", queue=False)

    def ask_from(self, trigger: gr.Button, question: Any, tabs: gr.Tabs | None = None,
                 tab_id: str = "chat") -> None:
        """Let another tab ask a question here: ``trigger`` copies ``question`` (a component or text) into
        the question box, switches to the chat tab, and asks it."""
        inputs = [question] if isinstance(question, gr.components.Component) else []

        def fill(*values: Any) -> tuple[Any, ...]:
            text = values[0] if values else str(question)
            return (text, gr.Tabs(selected=tab_id)) if tabs is not None else (text,)

        outputs = [self.question, tabs] if tabs is not None else [self.question]
        trigger.click(fill, inputs, outputs, queue=False, api_visibility="private").then(
            self._respond, [self.question, self.turns, self.as_of, self.length_now], self._outputs,
            api_visibility="private",
            concurrency_id="answer", show_progress="hidden")
