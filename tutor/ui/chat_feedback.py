"""Thumbs up/down on the Chat tab's answers: which answer a click rates, taking a rating back, and the reason
for a thumbs-down.

Kept apart from :mod:`tutor.ui.chat` (which answers and shows the conversation) because rating is its own
small protocol over :class:`~tutor.ui.feedback.FeedbackStore`: message indices, per-session ratings and the
pending thumbs-down; tests call these functions directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tutor.errors import TutorError
from tutor.ui.feedback import REASONS
from tutor.ui.services import Services
from tutor.ui.turn import Turn


@dataclass
class FeedbackResult:
    ratings: dict[int, int]  # chatbot message index -> feedback id, for this session
    pending: int | None  # the thumbs-down waiting for a reason
    ask_reason: bool
    note: str


def _message_index(index: Any) -> int | None:
    if isinstance(index, (list, tuple)):
        index = index[0] if index else None
    return index if isinstance(index, int) else None


def rate(services: Services, turns: Sequence[Turn], ratings: dict[int, int], index: Any,
         liked: bool | str) -> FeedbackResult:
    """Store a thumbs up or down for the answer at chatbot message ``index``; clicking again takes it back."""
    ratings = dict(ratings or {})
    position = _message_index(index)
    if position is None or position % 2 == 0 or not 0 <= position // 2 < len(turns):
        return FeedbackResult(ratings, None, False, "")
    previous = ratings.pop(position, None)
    if previous is not None:
        services.feedback.remove(previous)
    if liked not in (True, False):  # the same thumb clicked again: the rating is withdrawn
        return FeedbackResult(ratings, None, False, "Your rating was removed.")
    turn = turns[position // 2]
    feedback_id = services.feedback.add(
        rating="up" if liked else "down", question=turn.question, answer=turn.answer, sources=turn.api_sources(),
        refused=turn.refused, snapshot=services.snapshot(turn.backend),
    )
    ratings[position] = feedback_id
    if liked:
        return FeedbackResult(ratings, None, False, "Thanks for the thumbs up.")
    return FeedbackResult(ratings, feedback_id, True, "What was wrong with this answer? Choose a reason below.")


def send_reason(services: Services, pending: int | None, reason: str | None, comment: str | None) -> str:
    """Attach the reason to the pending thumbs-down; returns the note to show."""
    if pending is None:
        return "There is no thumbs-down waiting for a reason."
    if not reason:
        if not (comment or "").strip():
            raise TutorError("Choose a reason, or write a few words, then press Send.")
        reason = "other"
    if reason not in REASONS:
        raise TutorError("Choose one of the reasons listed.")
    services.feedback.set_reason(pending, reason, comment)
    return "Thank you: your feedback was saved and will help us improve the answers."
