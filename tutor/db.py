"""The relational database for progress and feedback: SQLite by default, PostgreSQL for many replicas.

Each feature module declares its own tables with SQLAlchemy Core and creates them with
:func:`create_tables` on the engine it is given; this module builds engines, once per URL.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from sqlalchemy import Engine, MetaData, Table, create_engine, event, text

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


#: Key of the PostgreSQL advisory lock under which replicas create tables ("mwal" in ASCII).
SCHEMA_LOCK = 0x6D77616C


def create_tables(metadata: MetaData, engine: Engine, tables: list[Table] | None = None) -> None:
    """``metadata.create_all``, safe when several replicas start at once against one PostgreSQL database.

    Two processes that both find a table missing both send ``CREATE TABLE``, and the second fails on a
    unique index of PostgreSQL's catalogue. A transaction-level advisory lock makes them take turns: the
    second then finds the tables and creates nothing. SQLite serialises writers by itself.
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
        metadata.create_all(conn, tables=tables, checkfirst=True)
