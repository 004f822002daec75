"""Turning a follow-up ("Which office enforces it?") into a question that stands alone.

Retrieval sees one string, so a question that leans on the conversation must carry its topic. With an
LLM backend a condense prompt rewrites it; without one, a deterministic rule does: when the question
refers back (a pronoun, "what about...", or no content word), the previous user question's key terms
are appended. A question too short to tell (:func:`may_continue`), or one that finds no support in the
library on its own, is read both ways and the library decides (:func:`with_previous_topic`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from tutor.text import PRONOUNS, STOPWORDS, words

log = logging.getLogger(__name__)

Message = dict[str, Any]
_LEADS = re.compile(r"^\s*(and|also|what about|how about|so|then|but)\b", re.IGNORECASE)

CONDENSE_PROMPT = (
    "Rewrite the user's last question so that it can be understood without the conversation. Keep the "
    "user's wording where possible, name the topic explicitly, and do not answer it. Reply with the "
    "rewritten question only.\n\nConversation:\n{history}\n\nLast question: {question}\n\nStandalone question:"
)


def _text(message: Message) -> str:
    content = message.get("content", "")
    if isinstance(content, list):  # multimodal-style content parts
        return " ".join(str(part.get("text", "")) if isinstance(part, dict) else str(part) for part in content)
    return str(content or "")


def previous_user_question(history: Sequence[Message]) -> str | None:
    for message in reversed(history):
        if message.get("role") == "user" and _text(message).strip():
            return _text(message).strip()
    return None


def _content(question: str) -> list[str]:
    return [w for w in words(question) if w not in STOPWORDS and w not in PRONOUNS]


def needs_context(question: str) -> bool:
    """True when the wording refers back to the conversation: a pronoun, "what about...", no content word."""
    tokens = words(question)
    return bool(_LEADS.match(question)) or any(w in PRONOUNS for w in tokens) or not _content(question)


#: A capitalised word after the first, or a number: the question names something of its own.
_NAMED = re.compile(r"(?<=\s)[A-Z][\w'’-]*|\d")


def may_continue(question: str) -> bool:
    """Too short to tell on its own: at most two content words and no name or number.

    "How many are promised?" or "Who enforces?" may continue the conversation or start a new subject
    ("What is phishing?"); the tutor lets the library decide (see ``Tutor._continue_topic``).
    """
    return len(_content(question)) <= 2 and not _NAMED.search(question.strip())


def key_terms(text: str, limit: int = 12) -> str:
    """The previous question's meaningful words, in order (stopwords dropped)."""
    kept = [w for w in re.findall(r"[\w'’.-]+", text) if w.lower().strip(".") not in STOPWORDS | PRONOUNS]
    return " ".join(kept[:limit])


def condense(question: str, history: Sequence[Message]) -> str:
    """Deterministic rewrite: append the topic of the previous user turn when the question needs it."""
    if not needs_context(question):
        return question
    return with_previous_topic(question, history) or question


def with_previous_topic(question: str, history: Sequence[Message]) -> str | None:
    """The question with the previous user turn's key terms appended (``None`` without a previous turn).

    :func:`condense` does this when the wording shows a follow-up. The tutor also tries it when a question
    that looked self-contained ("How big is the site?") finds no support on its own: in a conversation it
    may well continue the topic before.
    """
    previous = previous_user_question(history)
    if not previous:
        return None
    terms = key_terms(previous)
    return f"{question.strip()} ({terms})" if terms and terms.lower() not in question.lower() else None


def condense_with_llm(chat_model: Any, question: str, history: Sequence[Message]) -> str:
    """LLM rewrite via a condense prompt; falls back to :func:`condense` on any error or empty reply."""
    if not previous_user_question(history):
        return question
    transcript = "\n".join(f"{m.get('role', 'user')}: {_text(m)[:600]}" for m in list(history)[-6:])
    try:
        reply = chat_model.invoke(CONDENSE_PROMPT.format(history=transcript, question=question))
        text = str(getattr(reply, "content", reply)).strip().strip('"')
    except Exception as exc:  # noqa: BLE001 - a failing LLM must never stop the question
        log.warning("condense prompt failed (%s); using the deterministic rewrite", exc)
        return condense(question, history)
    return text.splitlines()[0] if text else condense(question, history)
