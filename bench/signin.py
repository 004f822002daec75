"""What signing in costs (issue 13): the sign-in itself, the role check on every request, and answers.

One real app over a small library (two starter notes), served twice at once from the same process: as an
open kiosk (the baseline: no accounts, the guard lets everyone ask) and behind the password sign-in, asked
in turn. Timed:

* ``signin_login_ms``: one ``POST /login`` with the right password (Argon2id at
  :data:`tutor.users.accounts.HASH_COSTS`, run in a worker thread), what a session pays once, before its first request;
* ``signin_check_ms``: the same check in process (throttle, Argon2id, the account's last sign-in), without
  HTTP and Gradio's login route;
* ``signin_guard_ms``: the check every handler runs (account lookup + role check, SQLite), in process;
* ``signin_first_request_ms``: a new signed-in session's first ``/ask`` minus a new kiosk session's first
  ``/ask`` (the extra a signed-in session's first answer pays, the sign-in itself excluded);
* ``signin_ask_p50_ms`` / ``kiosk_ask_p50_ms``: ``/ask`` through ``gradio_client``, signed in and not.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
NOTES = ("kenya-ecitizen.md", "kenya-cloud-policy.md")
PASSWORD = "a long bench pass phrase"
ASKS = 20
LOGINS = 10
QUESTION = "How many services are on eCitizen?"


def _serve(settings: Any, embeddings: Any, mode: str) -> tuple[Any, str, Any]:
    from tutor.ui.app import build_app, launch_app
    from tutor.ui.services import make_services

    services = make_services(settings.model_copy(update={"auth": mode}), embeddings=embeddings)
    demo = build_app(services.settings, services)
    _, url, _ = launch_app(demo, services.settings, port=_free_port(), prevent_thread_lock=True)
    return demo, url, services


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _asks(client: Any, n: int) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        client.predict(QUESTION, api_name="/ask")
        times.append((time.perf_counter() - started) * 1000)
    return times


def run() -> dict[str, Any]:
    from gradio_client import Client

    from tutor.library.chroma import open_store
    from tutor.library.embeddings import make_embeddings
    from tutor.library.ingestion import Ingestor
    from tutor.settings import Settings
    from tutor.ui import guard
    from tutor.users.accounts import Users

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for name in NOTES:
            shutil.copy(REPO / "corpus" / name, corpus / name)
        settings = Settings(data_dir=Path(tmp) / "data", corpus_dir=corpus, _env_file=None)  # type: ignore[call-arg]
        embeddings = make_embeddings(settings)
        Ingestor(settings, open_store(settings), embeddings).run()

        # Both at once, asked in turn, so other work on the machine weighs on both alike.
        kiosk_demo, kiosk_url, _ = _serve(settings, embeddings, "open")
        demo, url, services = _serve(settings, embeddings, "password")
        users: Users = services.access.users
        names = [f"Bench Learner {i}" for i in range(LOGINS)]
        for name in names:
            users.add(name, "learner", PASSWORD, actor="bench")
        _asks(Client(kiosk_url, verbose=False), 3)  # warm: model, indexes, sentence cache
        _asks(Client(url, verbose=False, auth=(names[0], PASSWORD)), 3)
        logins, firsts, kiosk_firsts = [], [], []
        for name in names:
            started = time.perf_counter()
            httpx.post(f"{url.rstrip('/')}/login", data={"username": name, "password": PASSWORD}).raise_for_status()
            logins.append((time.perf_counter() - started) * 1000)
            kiosk_firsts.append(_asks(Client(kiosk_url, verbose=False), 1)[0])  # a new session's first answer
            firsts.append(_asks(Client(url, verbose=False, auth=(name, PASSWORD)), 1)[0])
        kiosk, signed_in = Client(kiosk_url, verbose=False), Client(url, verbose=False, auth=(names[0], PASSWORD))
        kiosk_times, signed_in_times = [], []
        for _ in range(ASKS):
            kiosk_times += _asks(kiosk, 1)
            signed_in_times += _asks(signed_in, 1)

        access = services.access
        checks = []
        for _ in range(LOGINS):
            started = time.perf_counter()
            access.sign_in(names[0], PASSWORD, "127.0.0.1")
            checks.append((time.perf_counter() - started) * 1000)
        visitor_times = []
        for _ in range(1000):
            started = time.perf_counter()
            access.require(guard.visitor_of(access, _Request(names[0])), "anyone", "Asking a question")
            visitor_times.append((time.perf_counter() - started) * 1000)
        demo.close()
        kiosk_demo.close()

    return {
        "signin_login_ms": round(statistics.median(logins), 1),
        "signin_check_ms": round(statistics.median(checks), 1),
        "signin_guard_ms": round(statistics.median(visitor_times), 3),
        "signin_first_request_ms": round(statistics.median(firsts) - statistics.median(kiosk_firsts), 1),
        "signin_ask_p50_ms": round(statistics.median(signed_in_times), 1),
        "kiosk_ask_p50_ms": round(statistics.median(kiosk_times), 1),
        "signin_library_notes": len(NOTES),
    }


class _Request:
    """The parts of a Gradio request the guard reads (what ``gr.Request`` carries after sign-in)."""

    def __init__(self, username: str) -> None:
        self.username = username
        self.client = type("Client", (), {"host": "127.0.0.1"})()
        self.headers: dict[str, str] = {}


def report(figures: dict[str, Any]) -> str:
    return "\n".join(f"{k:<28} {v}" for k, v in figures.items())
