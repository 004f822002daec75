"""Slowing down guessing: failed sign-ins and failed role checks, per account and per client address.

Each failure is a row in the database, so every replica behind a load balancer sees the same count.
The :data:`FREE_TRIES`-th failure within :data:`WINDOW_S` (a minute) blocks the key for
:data:`FIRST_BLOCK_S`, so the next try is refused unchecked; each further block while failures keep
coming doubles (1, 2, 4... minutes, at most :data:`MAX_BLOCK_S`). A success clears the key. That caps
guessing at five tries a minute per account and per address, and far fewer for anyone who keeps going.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    func,
    insert,
    select,
)

from tutor.db import create_tables

log = logging.getLogger(__name__)

WINDOW_S = 60.0
FREE_TRIES = 5
FIRST_BLOCK_S = 60.0
MAX_BLOCK_S = 3600.0

metadata = MetaData()
failures = Table(
    "throttle_failures", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False),  # "account:jane wanjiru" or "address:10.0.0.7"
    Column("at", Float, nullable=False),  # seconds since the epoch
    Index("ix_throttle_key_at", "key", "at"),
)


@dataclass(frozen=True)
class Verdict:
    """Whether a try may go ahead, and if not, for how many more seconds it is blocked."""

    allowed: bool
    retry_after_s: float = 0.0

    def message(self, what: str = "failed attempts") -> str:
        """``Too many failed attempts: try again in 2 minutes.`` ("" when allowed)."""
        minutes = max(1, round(self.retry_after_s / 60))
        return (f"Too many {what}: try again in {minutes} minute{'s' * (minutes != 1)}."
                if not self.allowed else "")


class Throttle:
    """Failure counts per key, kept in the shared database; ``clock`` is a seam for tests."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clock = clock
        create_tables(metadata, engine)

    def check(self, *keys: str) -> Verdict:
        """Blocked if any key is: the account and the address are limited separately."""
        verdicts = [self._check(k) for k in keys if k]
        blocked = [v for v in verdicts if not v.allowed]
        return max(blocked, key=lambda v: v.retry_after_s) if blocked else Verdict(True)

    def failed(self, *keys: str, reason: str = "failed sign-in") -> Verdict:
        """Record one failure for each key; returns the verdict for the next try."""
        now = self.clock()
        with self.engine.begin() as conn:
            for key in (k for k in keys if k):
                conn.execute(insert(failures).values(key=key, at=now))
        verdict = self.check(*keys)
        log.warning("%s for %s%s", reason, ", ".join(k for k in keys if k),
                    f": blocked for {verdict.retry_after_s:.0f} s" if not verdict.allowed else "")
        return verdict

    def succeeded(self, *keys: str) -> None:
        """A success clears the keys' failures."""
        with self.engine.begin() as conn:
            conn.execute(delete(failures).where(failures.c.key.in_([k for k in keys if k])))

    def purge(self, older_than_s: float = 2 * MAX_BLOCK_S) -> int:
        """Drop failures too old to matter (the app calls this now and then)."""
        with self.engine.begin() as conn:
            return conn.execute(delete(failures).where(failures.c.at < self.clock() - older_than_s)).rowcount

    def _check(self, key: str) -> Verdict:
        now = self.clock()
        with self.engine.connect() as conn:
            times = [r[0] for r in conn.execute(
                select(failures.c.at).where(failures.c.key == key, failures.c.at >= now - 2 * MAX_BLOCK_S)
                .order_by(failures.c.at))]
        block_until = blocked_until(times)
        return Verdict(True) if block_until <= now else Verdict(False, block_until - now)

    def count(self, key: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(failures).where(failures.c.key == key)).scalar_one())


def blocked_until(times: list[float]) -> float:
    """When the block earned by these failure times (sorted) ends; 0 if none.

    Replays the failures: once :data:`FREE_TRIES` fall within :data:`WINDOW_S`, a block starts
    at that failure; each failure during or soon after a block (within the window after it ends) extends
    the streak and doubles the next block.
    """
    until, block, streak_end = 0.0, FIRST_BLOCK_S, 0.0
    window: list[float] = []
    for at in times:
        window = [t for t in window if t > at - WINDOW_S] + [at]
        if streak_end and at > streak_end + WINDOW_S:
            block, streak_end = FIRST_BLOCK_S, 0.0  # the streak is over: back to the first block
        if len(window) >= FREE_TRIES or (streak_end and at <= streak_end + WINDOW_S):
            if at < until:
                continue  # tries made while blocked were refused without a check: they do not lengthen it
            until = at + block
            streak_end = until
            block = min(block * 2, MAX_BLOCK_S)
    return until
