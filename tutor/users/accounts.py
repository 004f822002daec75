"""Accounts and roles, in the project's database (SQLite by default, PostgreSQL when shared).

Roles, from least to most: ``learner`` (chat, Learn tab, one's own progress), ``content`` (library
changes), ``evaluator`` (Evaluate tab, exports) and ``admin`` (accounts, purges, erasure on request).
Each role may do what the roles before it may; :data:`ROLES` is that order.

Passwords are hashed with Argon2id (``argon2-cffi``, the reference implementation's bindings) at the costs
of :data:`HASH_COSTS`: memory-hard, so a stolen table is slow to attack. A password is never stored,
returned or logged in clear. Names are compared without regard to case or surrounding space, as learners'
names are in :mod:`tutor.learning.progress`.

Every change an administrator makes to accounts is written to ``staff_actions`` with who made it, so the
record of who may do what can be shown later. ``python -m tutor.users`` is the command line for it.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from tutor.db import create_tables
from tutor.errors import TutorError

if TYPE_CHECKING:
    from collections.abc import Sequence

log = logging.getLogger(__name__)

#: Roles in order of what they may do: each includes the ones before it.
ROLES = ("learner", "content", "evaluator", "admin")
MIN_PASSWORD_LENGTH = 10
#: Argon2id costs: OWASP's Password Storage Cheat Sheet configuration (19 MiB, 2 passes, 1 lane). About
#: 40 ms per sign-in on the 2-core server, where argon2-cffi's default (64 MiB, 3 passes, 4 lanes) took about
#: 210 ms, four times the issue's 50 ms budget. Hashes made with other costs are re-hashed at the next sign-in.
HASH_COSTS = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}
MAX_NAME_LENGTH = 64
_SPACES = re.compile(r"\s+")
#: Letters, digits and the punctuation of names, staff numbers and sign-on names (``jane.w@ksg.ac.ke``).
NAME_PATTERN = re.compile(r"[\w .'/@+-]+")

metadata = MetaData()
accounts = Table(
    "accounts", metadata,
    Column("name_key", String(MAX_NAME_LENGTH), primary_key=True),
    Column("display_name", String(MAX_NAME_LENGTH), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(255), nullable=True),  # None: signs in only through the proxy
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_sign_in", DateTime(timezone=True), nullable=True),
)
staff_actions = Table(
    "staff_actions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(MAX_NAME_LENGTH), nullable=False),
    Column("action", String(32), nullable=False),
    Column("subject", String(MAX_NAME_LENGTH), nullable=False, default=""),
    Column("detail", String(500), nullable=False, default=""),
)


class AccountError(TutorError):
    """An account cannot be added or changed: the message says why, in one line."""


@dataclass(frozen=True)
class Account:
    """One person as the app knows them (never with their password)."""

    name: str
    role: str
    disabled: bool = False
    has_password: bool = True
    created_at: datetime | None = None
    last_sign_in: datetime | None = None

    @property
    def key(self) -> str:
        return name_key(self.name)

    def may(self, role: str) -> bool:
        """May this account do what ``role`` may? (``admin`` may everything, ``learner`` only its own.)"""
        return not self.disabled and ROLES.index(self.role) >= ROLES.index(role)


@dataclass(frozen=True)
class StaffAction:
    at: datetime
    actor: str
    action: str
    subject: str
    detail: str


def name_key(name: str) -> str:
    """The account key: NFKC, trimmed, inner spaces collapsed, case-folded."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", name or "")).strip().casefold()


def check_role(role: str) -> str:
    role = (role or "").strip().lower()
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    return role


class Users:
    """Accounts, their roles and passwords, and the record of staff actions, on one engine."""

    def __init__(self, engine: Engine, hasher: PasswordHasher | None = None) -> None:
        self.engine = engine
        self.hasher = hasher or PasswordHasher(**HASH_COSTS)
        create_tables(metadata, engine)
        # Verifying against this keeps a wrong name as slow as a wrong password (no timing tells names apart).
        self._dummy_hash = self.hasher.hash("not a password of anyone")

    # --- reading -------------------------------------------------------------------------------------
    def get(self, name: str) -> Account | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(accounts).where(accounts.c.name_key == name_key(name))).mappings().first()
        return _account(row) if row else None

    def list(self) -> list[Account]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(accounts).order_by(accounts.c.name_key)).mappings().all()
        return [_account(r) for r in rows]

    def actions(self, limit: int = 100) -> list[StaffAction]:
        """The newest staff actions first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(staff_actions).order_by(staff_actions.c.id.desc()).limit(limit)).mappings()
            return [StaffAction(r["at"], r["actor"], r["action"], r["subject"], r["detail"]) for r in rows]

    # --- signing in ----------------------------------------------------------------------------------
    def verify(self, name: str, password: str) -> Account | None:
        """The account if ``password`` is its password and it is enabled; ``None`` otherwise.

        Hashes made with older costs are re-hashed on a successful sign-in, so raising the costs later
        needs no password reset.
        """
        with self.engine.connect() as conn:
            row = conn.execute(select(accounts).where(accounts.c.name_key == name_key(name))).mappings().first()
        stored = row["password_hash"] if row else None
        try:
            self.hasher.verify(stored or self._dummy_hash, password or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None or stored is None or row["disabled"]:
            return None
        values: dict[str, object] = {"last_sign_in": _now()}
        if self.hasher.check_needs_rehash(stored):
            values["password_hash"] = self.hasher.hash(password)
        with self.engine.begin() as conn:
            conn.execute(update(accounts).where(accounts.c.name_key == row["name_key"]).values(**values))
        return _account(row)

    def ensure_learner(self, name: str) -> Account:
        """The account for a name vouched for by the sign-on proxy, created as a learner on first visit."""
        found = self.get(name)
        if found is not None:
            return found
        try:
            return self.add(name, "learner", None, actor="proxy")
        except AccountError:  # another replica created it at the same moment
            found = self.get(name)
            if found is None:
                raise
            return found

    # --- changing ------------------------------------------------------------------------------------
    def add(self, name: str, role: str, password: str | None, actor: str = "cli") -> Account:
        """Add an account; ``password`` ``None`` makes one that can only come in through the proxy."""
        display = _SPACES.sub(" ", unicodedata.normalize("NFKC", name or "")).strip()
        if not display or len(display) > MAX_NAME_LENGTH:
            raise AccountError(f"a name must be 1 to {MAX_NAME_LENGTH} characters")
        if not NAME_PATTERN.fullmatch(display) or not any(ch.isalnum() for ch in display):
            raise AccountError("a name may have letters, digits, spaces and . ' / - @ + only")
        role = check_role(role)
        digest = self.hasher.hash(check_password(password)) if password is not None else None
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(accounts).values(
                    name_key=name_key(display), display_name=display, role=role, password_hash=digest,
                    disabled=False, created_at=_now()))
                self._record(conn, actor, "add", display, f"role {role}")
        except IntegrityError:
            raise AccountError(f"an account named {display!r} already exists") from None
        log.info("account %r added as %s by %s", display, role, actor)
        return Account(display, role, has_password=digest is not None)

    def set_role(self, name: str, role: str, actor: str = "cli") -> None:
        role = check_role(role)
        self._change(name, {"role": role}, actor, "set-role", f"role {role}")

    def set_password(self, name: str, password: str, actor: str = "cli") -> None:
        self._change(name, {"password_hash": self.hasher.hash(check_password(password))}, actor, "set-password", "")

    def disable(self, name: str, actor: str = "cli") -> None:
        self._change(name, {"disabled": True}, actor, "disable", "")

    def enable(self, name: str, actor: str = "cli") -> None:
        self._change(name, {"disabled": False}, actor, "enable", "")

    def remove(self, name: str, actor: str = "cli") -> None:
        with self.engine.begin() as conn:
            gone = conn.execute(delete(accounts).where(accounts.c.name_key == name_key(name))).rowcount
            if not gone:
                raise AccountError(f"no account named {name!r}")
            self._record(conn, actor, "remove", name, "")
        log.info("account %r removed by %s", name, actor)

    def record(self, actor: str, action: str, subject: str = "", detail: str = "") -> None:
        """Write one staff action (a library change, an erasure on request...) to the record."""
        with self.engine.begin() as conn:
            self._record(conn, actor, action, subject, detail)

    def _change(self, name: str, values: dict[str, object], actor: str, action: str, detail: str) -> None:
        with self.engine.begin() as conn:
            changed = conn.execute(update(accounts).where(accounts.c.name_key == name_key(name)).values(**values))
            if not changed.rowcount:
                raise AccountError(f"no account named {name!r}")
            self._record(conn, actor, action, name, detail)
        log.info("account %r: %s by %s", name, action, actor)

    @staticmethod
    def _record(conn: object, actor: str, action: str, subject: str, detail: str) -> None:
        conn.execute(insert(staff_actions).values(  # type: ignore[attr-defined]
            at=_now(), actor=actor[:MAX_NAME_LENGTH], action=action, subject=subject[:MAX_NAME_LENGTH],
            detail=detail[:500]))


def record_action(engine: Engine, actor: str, action: str, subject: str = "", detail: str = "") -> None:
    """Write one staff action without building :class:`Users` (no password hasher): for ``ingest.py``."""
    create_tables(metadata, engine)
    with engine.begin() as conn:
        Users._record(conn, actor, action, subject, detail)


def check_password(password: str | None) -> str:
    """A password must be long enough to resist guessing; it may be any characters (a pass phrase)."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password must have at least {MIN_PASSWORD_LENGTH} characters")
    return password


def _account(row: object) -> Account:
    r = row  # a RowMapping
    return Account(r["display_name"], r["role"], bool(r["disabled"]), r["password_hash"] is not None,  # type: ignore[index]
                   r["created_at"], r["last_sign_in"])  # type: ignore[index]


def _now() -> datetime:
    return datetime.now(UTC)


def describe(found: Sequence[Account]) -> str:
    """The accounts as a table for the terminal (no password hashes, ever)."""
    lines = [f"{'name':<32} {'role':<10} {'state':<9} {'sign-in':<9} last sign-in"]
    for a in found:
        state = "disabled" if a.disabled else "active"
        way = "password" if a.has_password else "proxy"
        last = a.last_sign_in.isoformat(timespec="minutes") if a.last_sign_in else "never"
        lines.append(f"{a.name:<32} {a.role:<10} {state:<9} {way:<9} {last}")
    return "\n".join(lines)

