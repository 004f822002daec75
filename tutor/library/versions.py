"""Document versions: which chunks are in force, and on which dates.

Every chunk carries its document's ``version``, the ``as_of`` date that version took effect, a
``status`` (``current``, ``superseded`` or ``retired``) and two day numbers, ``from_day`` and
``until_day`` (``YYYYMMDD`` as integers). Chroma compares only numbers with ``$lte``/``$gt``, so dates
are kept as day numbers beside the readable ISO date. A version is in force on day D when
``from_day <= D < until_day``; the current version's ``until_day`` is :data:`OPEN_DAY`.

Only the current version's chunks keep the contract's ids (``doc_id:where:index``); when a new version
arrives, the old chunks are copied to ``<id>@v<n>`` (see :func:`archived_id`) and marked superseded.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from tutor.errors import TutorError

CURRENT = "current"
SUPERSEDED = "superseded"
RETIRED = "retired"
#: ``until_day`` of a version still in force.
OPEN_DAY = 99991231

_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")


class AsOfError(TutorError):
    """An ``as_of`` value that is not an ISO date."""


def parse_date(value: Any) -> dt.date | None:
    """An ISO date (``2025-03-01``; ``2025-03`` and ``2025`` mean the first day), or ``None`` if unreadable."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    match = _PARTIAL.match(str(value or "").strip())
    if not match:
        return None
    year, month, day = (int(g) if g else 1 for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def day_number(date: dt.date) -> int:
    """``2025-03-01`` -> ``20250301``: a date Chroma can compare."""
    return date.year * 10000 + date.month * 100 + date.day


def as_of_day(value: str | None) -> int | None:
    """The day number of a user's ``as_of`` (``None`` when not given); a one-line error when unreadable."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        return day_number(dt.date.fromisoformat(text[:10]))
    except ValueError as exc:
        raise AsOfError(f"“{text}” is not a date: give the as-of date as an ISO date, YYYY-MM-DD, "
                        "such as 2024-06-30") from exc


def effective_date(declared: Any, ingested_on: dt.date) -> dt.date:
    """The date a version takes effect: the one the document or catalog declares, else the ingestion date."""
    return parse_date(declared) or ingested_on


def archived_id(chunk_id: str, version: int) -> str:
    """The id a superseded chunk is kept under: ``konza:introduction:0@v1``."""
    return f"{chunk_id}@v{version}"


def chunk_where(day: int | None) -> dict[str, Any]:
    """The Chroma filter for the versions answers use: current ones, or those in force on ``day``."""
    if day is None:  # "not superseded or retired": a chunk written without version fields counts as current
        return {"status": {"$nin": [SUPERSEDED, RETIRED]}}
    return {"$and": [{"from_day": {"$lte": day}}, {"until_day": {"$gt": day}}]}


def in_force(meta: dict[str, Any], day: int | None) -> bool:
    """The Python twin of :func:`chunk_where`, for results filtered after the search."""
    if day is None:
        return meta.get("status") not in (SUPERSEDED, RETIRED)
    return int(meta.get("from_day", 0) or 0) <= day < int(meta.get("until_day", 0) or 0)


def superseded_note(sources: Sequence[Any]) -> str:
    """One line when an answer cites a version that is no longer current (empty otherwise)."""
    old = {}
    for source in sources:
        if getattr(source, "status", CURRENT) != CURRENT:
            old.setdefault(source.doc_id, source)
    if not old:
        return ""
    parts = []
    for source in old.values():
        ended = f" (until {source.until})" if getattr(source, "until", "") else ""
        what = "since retired" if source.status == RETIRED else "since superseded"
        parts.append(f"{source.title}, version {source.version} as of {source.as_of}{ended}, {what}")
    return "Note: this answer cites an earlier version: " + "; ".join(parts) + "."


def backdated_warning(previous: Any, version: int, as_of: str) -> str:
    """One line when a new version is dated before the version it replaces (empty otherwise).

    The newest-ingested version is always current (what staff just put in is what answers use), and it
    is in force from its own date; so a backdated version ends the one it replaces before that one
    began, and as-of questions can no longer reach it. That is right for a correction that applies
    from the earlier date, and wrong for a date typed by mistake: staff are told, in one line.
    ``previous`` is the document's register record (a :class:`~tutor.library.register.DocumentRecord`).
    """
    old, new = parse_date(getattr(previous, "as_of", "")), parse_date(as_of)
    if old is None or new is None or new >= old or version <= int(getattr(previous, "version", 0) or 0):
        return ""
    number = getattr(previous, "version", 0) or 1
    return (f"version {version} is dated {new.isoformat()}, before version {number} ({old.isoformat()}) which it "
            f"replaces: version {version} is now current and in force from {new.isoformat()}, so as-of questions "
            f"no longer reach version {number}; check the as_of date")

def stored_versions(record: Any) -> int:
    """How many versions of a document are kept: the current (or retired) one and its history."""
    return 1 + len(getattr(record, "history", ()) or ())


def record_state(record: Any) -> str:
    """``current``, or ``retired on 2026-01-31``: what the Library table says about a document."""
    if getattr(record, "status", CURRENT) == RETIRED:
        on = getattr(record, "retired_on", "")
        return f"retired on {on}" if on else RETIRED
    return CURRENT


def version_label(source: Any) -> str:
    """``version 2, in force from 2025-03-01`` (or ``... 2023-01-01 to 2025-03-01, superseded``): the
    line of a source card that tells an official which text and date the passage comes from."""
    version = int(getattr(source, "version", 0) or 0)
    if not version:
        return ""
    since, until = getattr(source, "as_of", ""), getattr(source, "until", "")
    status = getattr(source, "status", CURRENT)
    if status == CURRENT:
        return f"version {version}, in force from {since}" if since else f"version {version}"
    span = f"{since} to {until}" if since and until else (f"from {since}" if since else "")
    return ", ".join(p for p in (f"version {version}", f"in force {span}" if span else "", status) if p)
