"""Accounts (Argon2id in the real SQLite database), the command line, and the guessing throttle (issue 13)."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from tutor.db import make_engine
from tutor.settings import Settings
from tutor.users.accounts import AccountError, Users, accounts
from tutor.users.cli import main
from tutor.users.throttle import FREE_TRIES, Throttle, blocked_until

PASSWORD = "correct horse battery"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path / "corpus", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def users(settings: Settings) -> Users:
    # Argon2id with small costs: the same code path, fast enough for a unit test.
    return Users(make_engine(settings), PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1))


def test_passwords_are_stored_as_argon2id_hashes_only(users: Users, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    users.add("Jane Wanjiru", "content", PASSWORD)
    with users.engine.connect() as conn:
        stored = conn.execute(select(accounts.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert PASSWORD not in caplog.text
    assert users.verify("  jane   WANJIRU ", PASSWORD).role == "content", "names compare without case or spaces"
    assert users.verify("Jane Wanjiru", PASSWORD + "!") is None
    assert users.verify("Nobody", PASSWORD) is None


def test_roles_include_the_ones_below(users: Users) -> None:
    editor = users.add("Editor", "content", PASSWORD)
    assert editor.may("learner") and editor.may("content")
    assert not editor.may("evaluator") and not editor.may("admin")
    assert users.add("Root", "admin", PASSWORD).may("evaluator")


def test_disabled_and_removed_accounts_cannot_sign_in(users: Users) -> None:
    users.add("Omondi", "learner", PASSWORD)
    users.disable("omondi", actor="root")
    assert users.verify("Omondi", PASSWORD) is None
    assert not users.get("Omondi").may("learner")
    users.enable("Omondi", actor="root")
    assert users.verify("Omondi", PASSWORD) is not None
    users.remove("Omondi", actor="root")
    assert users.get("Omondi") is None
    actions = [(a.actor, a.action, a.subject) for a in users.actions()]
    assert actions[:3] == [("root", "remove", "Omondi"), ("root", "enable", "Omondi"), ("root", "disable", "omondi")]


def test_bad_changes_say_why_in_one_line(users: Users) -> None:
    users.add("Amina", "learner", PASSWORD)
    with pytest.raises(AccountError, match="already exists"):
        users.add("AMINA", "admin", PASSWORD)
    with pytest.raises(AccountError, match="at least 10 characters"):
        users.add("Short", "learner", "abc")
    with pytest.raises(AccountError, match="unknown role 'boss'"):
        users.set_role("Amina", "boss")
    with pytest.raises(AccountError, match="no account named 'Ghost'"):
        users.disable("Ghost")


def test_a_proxy_visitor_becomes_a_learner_once_and_has_no_password(users: Users) -> None:
    first = users.ensure_learner("wanjiru@ksg.ac.ke")
    again = users.ensure_learner("Wanjiru@KSG.ac.ke")
    assert first.role == again.role == "learner" and not first.has_password
    assert len(users.list()) == 1
    assert users.verify("wanjiru@ksg.ac.ke", "") is None, "a proxy account cannot sign in with a password"


def test_old_hashes_are_upgraded_at_sign_in(settings: Settings) -> None:
    weak = Users(make_engine(settings), PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1))
    weak.add("Kamau", "learner", PASSWORD)
    stronger = Users(make_engine(settings), PasswordHasher(time_cost=2, memory_cost=16 * 1024, parallelism=1))
    assert stronger.verify("Kamau", PASSWORD) is not None
    with stronger.engine.connect() as conn:
        stored = conn.execute(select(accounts.c.password_hash)).scalar_one()
    assert "m=16384,t=2" in stored


def test_command_line_reads_the_password_from_standard_input(settings: Settings, tmp_path: Path) -> None:
    env = {"TUTOR_DATA_DIR": str(settings.data_dir), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    added = subprocess.run([sys.executable, "-m", "tutor.users", "add", "Grace Achieng", "--role", "evaluator"],
                           input=PASSWORD + "\n", capture_output=True, text=True, cwd=REPO, env=env, timeout=120, check=False)
    assert added.returncode == 0, added.stderr
    assert "Added Grace Achieng as evaluator." in added.stdout
    listed = subprocess.run([sys.executable, "-m", "tutor.users", "list"], capture_output=True, text=True, cwd=REPO,
                            env=env, timeout=120, check=False)
    assert "Grace Achieng" in listed.stdout and "evaluator" in listed.stdout and "argon2" not in listed.stdout
    assert Users(make_engine(settings)).verify("grace achieng", PASSWORD).role == "evaluator"


def test_command_line_errors_are_one_line(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TUTOR_DATA_DIR", str(settings.data_dir))
    assert main(["add", "Paul", "--role", "learner"], stdin=io.StringIO("short\n")) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "at least 10 characters" in err
    out = io.StringIO()
    assert main(["add", "Paul", "--role", "learner"], stdin=io.StringIO(PASSWORD + "\n"), out=out) == 0
    assert main(["set-role", "Paul", "content"], out=out) == 0
    assert main(["actions"], out=out) == 0
    assert "set-role" in out.getvalue() and "role content" in out.getvalue()


# --- throttling ---------------------------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_the_fifth_failure_in_a_minute_blocks_the_sixth_try_and_blocks_grow(settings: Settings) -> None:
    clock = Clock()
    throttle = Throttle(make_engine(settings), clock)
    keys = ("account:jane", "address:10.0.0.7")
    for _ in range(FREE_TRIES - 1):
        assert throttle.check(*keys).allowed
        assert throttle.failed(*keys).allowed
        clock.now += 5
    assert throttle.check(*keys).allowed
    verdict = throttle.failed(*keys)
    assert not verdict.allowed and 55 <= verdict.retry_after_s <= 60
    assert verdict.message() == "Too many failed attempts: try again in 1 minute."
    assert not throttle.check("account:jane").allowed and not throttle.check("address:10.0.0.7").allowed
    assert throttle.check("account:someone-else").allowed, "other accounts are not held back"
    clock.now += 61
    assert throttle.check(*keys).allowed
    second = throttle.failed(*keys)  # straight after the block: the next one is twice as long
    assert not second.allowed and 115 <= second.retry_after_s <= 120


def test_a_success_clears_the_count(settings: Settings) -> None:
    clock = Clock()
    throttle = Throttle(make_engine(settings), clock)
    for _ in range(FREE_TRIES - 1):
        throttle.failed("account:amina")
    throttle.succeeded("account:amina")
    assert throttle.count("account:amina") == 0
    assert throttle.failed("account:amina").allowed


def test_slow_guessing_stays_under_five_a_minute_without_a_block() -> None:
    times = [i * 15.0 for i in range(40)]  # one try every 15 s: at most 4 in any minute
    assert blocked_until(times) == 0.0
    fast = [i * 2.0 for i in range(40)]  # a try every 2 s
    assert blocked_until(fast) > fast[-1], "a fast guesser stays blocked"


def test_replicas_share_the_count_through_the_database(settings: Settings) -> None:
    clock = Clock()
    one, two = Throttle(make_engine(settings), clock), Throttle(make_engine(settings), clock)
    for i in range(FREE_TRIES):
        (one if i % 2 else two).failed("address:10.0.0.9")
    assert not one.failed("address:10.0.0.9").allowed
    assert not two.check("address:10.0.0.9").allowed
