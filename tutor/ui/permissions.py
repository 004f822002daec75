"""Who may call what: every handler of the web app and the role it needs, in one table.

:func:`tutor.ui.guard.install` looks every event and API function up here by its qualified name and
refuses to build the app if one is missing, so "what can a learner reach?" is answered by reading this
file (the README's table of roles says the same in prose, and a test calls every endpoint as every role).

``anyone`` is whoever the way in lets through: everybody at an open kiosk, any enabled account otherwise.
Learners' own records need an account (``learner``); then ``content`` < ``evaluator`` < ``admin``.
"""

from __future__ import annotations

#: handler qualified name -> (role needed, what it does, as the refusal names it)
ENDPOINTS: dict[str, tuple[str, str]] = {
    # the page itself
    "PageView.on_load": ("anyone", "Opening the page"),
    # Chat: questions, answers and feedback
    "ChatView._respond": ("anyone", "Asking a question"),
    "ChatView._simplify": ("anyone", "Asking for a simpler answer"),
    "ChatView._set_length": ("anyone", "Choosing the answer length"),
    "ChatView._restore_length": ("anyone", "Choosing the answer length"),
    "ChatView._clear": ("anyone", "Clearing the chat"),
    "ChatView._like": ("anyone", "Rating an answer"),
    "ChatView._send_reason": ("anyone", "Sending feedback"),
    "ChatView._wire.<locals>.<lambda>": ("anyone", "Showing the feedback form"),
    "ChatView.ask_from.<locals>.fill": ("anyone", "Asking a suggested question"),
    "make_ask.<locals>.ask": ("anyone", "Asking a question"),
    "make_ask_full.<locals>.ask_full": ("anyone", "Asking a question"),
    # Learn: modules and quizzes work for everyone; at a kiosk nothing is stored. The Learn tab's
    # handlers are named by the panel that holds them (tutor/ui/learn_*.py).
    "LearnView._welcome": ("anyone", "Opening the Learn tab"),
    "StudyPanel._open": ("anyone", "Opening a module"),
    "StudyPanel._study_next": ("anyone", "Studying the next module"),
    "StudyPanel._back": ("anyone", "Going back to the modules"),
    "QuizPanel._check": ("anyone", "Checking an answer"),
    "QuizPanel._next": ("anyone", "Moving to the next question"),
    "StudyPanel._practise": ("anyone", "Practising on a document"),
    "StudyPanel._refresh_documents": ("anyone", "Listing the documents"),
    "LearnDesk.glossary_markdown": ("anyone", "Searching the glossary"),
    "RecordPanel._cancel_delete": ("anyone", "Cancelling"),
    # one's own record
    "RecordPanel._export": ("learner", "Downloading your record"),
    "RecordPanel._delete_ask": ("learner", "Deleting your record"),
    "RecordPanel._delete_confirm": ("learner", "Deleting your record"),
    # Library: reading is for everyone, changes for content staff
    "LibraryView.refresh": ("anyone", "Listing the library"),
    "LibraryView._wire.<locals>.<lambda>": ("anyone", "Listing documents with versions"),
    "LibraryView._changes": ("anyone", "Showing what changed"),
    "LibraryView._upload": ("content", "Adding or updating a document"),
    "LibraryView._reingest": ("content", "Re-reading the library folder"),
    "LibraryView._delete": ("content", "Deleting a document"),
    # evaluation and exports
    "LibraryView._export_audit": ("evaluator", "Exporting the record of answers"),
    "EvaluateView.run": ("evaluator", "Running an evaluation"),
    "EvaluateView.filter": ("evaluator", "Filtering evaluation results"),
    # people
    "PeopleView.refresh": ("admin", "Listing accounts"),
    "PeopleView._set_role": ("admin", "Changing a role"),
    "PeopleView._disable": ("admin", "Disabling an account"),
    "PeopleView._enable": ("admin", "Enabling an account"),
    "PeopleView._erase": ("admin", "Deleting a person's data"),
}


def need_of(handler: str) -> str:
    """The role ``handler`` needs (what the page uses to decide which tools to show)."""
    return ENDPOINTS[handler][0]
