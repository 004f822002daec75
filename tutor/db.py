"""The relational database for progress and feedback: SQLite by default, PostgreSQL for many replicas.

Each feature module declares its own tables with SQLAlchemy Core and calls ``create_all`` on the
engine it is given; this module only builds engines, once per URL.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event

if TYPE_CHECKING:
    from tutor.settings import Settings

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def driver_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` use psycopg 3, the driver Mwalimu installs (SQLAlchemy's default
    for them is psycopg2, which it does not)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(settings: Settings) -> Engine:
    """The engine for ``settings.resolved_database_url`` (shared within a process)."""
    url = driver_url(settings.resolved_database_url)
    with _lock:
        if url not in _engines:
            if url.startswith("sqlite"):
                settings.data_dir.mkdir(parents=True, exist_ok=True)
                engine = create_engine(url, connect_args={"check_same_thread": False})
                event.listen(engine, "connect", _sqlite_pragmas)
            else:
                engine = create_engine(url, pool_pre_ping=True)
            _engines[url] = engine
        return _engines[url]
