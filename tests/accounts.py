"""People for tests that sign in: one account per role, added as an administrator would with the CLI."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from argon2 import PasswordHasher

from tutor.ui.services import Services
from tutor.users.access import Access, parse_networks
from tutor.users.accounts import Users
from tutor.users.throttle import Throttle

PASSWORD = "a long pass phrase 42"
PEOPLE = {"Amina Otieno": "learner", "Baraka Mwangi": "learner", "Chebet Content": "content",
          "Daudi Evaluator": "evaluator", "Esther Admin": "admin"}
BY_ROLE = {"learner": "Amina Otieno", "content": "Chebet Content", "evaluator": "Daudi Evaluator",
           "admin": "Esther Admin"}


def fast_users(engine: Any) -> Users:
    """Argon2id with small costs: the same code path, fast enough to add a handful of accounts per test."""
    return Users(engine, PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1))


def with_people(services: Services, mode: str, clock: Callable[[], float] = time.time, proxies: str = "") -> Services:
    """``services`` with :data:`PEOPLE` in its database and the way in ``mode`` (open, password or proxy)."""
    users = fast_users(services.engine)
    for name, role in PEOPLE.items():
        if users.get(name) is None:
            users.add(name, role, PASSWORD, actor="test")
    services.access = Access(mode, users, Throttle(services.engine, clock=clock),  # type: ignore[arg-type]
                             parse_networks(proxies))
    return services


def new_learner(services: Services, prefix: str = "Test Learner") -> str:
    """A learner account of this test only (the app tests share one database); returns its name."""
    import uuid

    name = f"{prefix} {uuid.uuid4().hex[:8]}"
    assert services.access is not None
    services.access.users.add(name, "learner", PASSWORD, actor="test")
    return name


def sign_in_page(page: Any, url: str, name: str) -> None:
    """Sign in on Gradio's sign-in page, as a person would, and wait for the app to greet them."""
    page.goto(url)
    page.get_by_label("username").fill(name)
    page.get_by_label("password").fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    page.locator("#mw-whoami").get_by_text("Signed in as").wait_for()
