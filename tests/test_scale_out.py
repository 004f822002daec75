"""Two app replicas on one Chroma server and one PostgreSQL: what one replica writes, the other serves.

The deployment is real and local: PostgreSQL (Debian's binaries, a throw-away cluster on a free port),
``chroma run`` on a free port, and two ``python app.py`` processes, each with a data folder and library
folder of its own (as on two machines), sharing only ``TUTOR_CHROMA_URL`` and ``TUTOR_DATABASE_URL``.
"""

from __future__ import annotations

import csv
import re
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from accounts import PASSWORD, fast_users
from factories import make_report_pdf
from gradio_client import Client, handle_file
from serving import AppProcess, chroma_server, postgres_bin, postgres_server, start_app
from system import require_postgresql

from tutor.db import driver_url, make_engine
from tutor.learning.curriculum import load_curriculum
from tutor.learning.progress import ProgressStore
from tutor.library.chroma import open_store
from tutor.library.embeddings import LocalEmbeddings
from tutor.library.ingestion import Ingestor
from tutor.settings import Settings
from tutor.ui.feedback import FeedbackStore, SettingsSnapshot
from tutor.users.throttle import Throttle

pytestmark = [
    pytest.mark.server,
    pytest.mark.timeout(900),
    pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning"),
]
REPO = Path(__file__).resolve().parents[1]
STAFF = "Replica Content Staff"
QUESTION = "How many officers were in the first intake of the Nyeri course?"
LEARNER = "Scale Out Tester 42"
GUESSED = "Scale Out Guessed"


@dataclass
class Deployment:
    chroma_url: str
    database_url: str
    a: AppProcess
    b: AppProcess
    settings: Settings  # what the test process uses to reach the same Chroma and database


def _copy_corpus(root: Path) -> Path:
    corpus = root / "corpus"
    shutil.copytree(REPO / "corpus", corpus)
    return corpus


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, embeddings: LocalEmbeddings) -> Iterator[Deployment]:
    require_postgresql(postgres_bin() is not None)
    root = tmp_path_factory.mktemp("scale-out")
    with postgres_server() as database_url, chroma_server(root / "chroma", root / "chroma.log") as chroma_url:
        # Content staff ingest the starter library into the shared index from a machine of their own.
        settings = Settings(chroma_url=chroma_url, database_url=database_url, data_dir=root / "staff-data",
                            corpus_dir=_copy_corpus(root / "staff"), _env_file=None)  # type: ignore[call-arg]
        summary = Ingestor(settings, open_store(settings), embeddings).run()
        assert not summary.failures and summary.count("added") > 20, summary.text()
        # An administrator adds the accounts once, in the shared database; both replicas sign them in.
        users = fast_users(make_engine(settings))
        for name, role in ((STAFF, "content"), (LEARNER, "learner"), (GUESSED, "learner")):
            users.add(name, role, PASSWORD, actor="test")
        replicas = [
            start_app(root / f"replica-{name}.log", chroma_url=chroma_url, database_url=database_url,
                      data_dir=root / f"replica-{name}" / "data", corpus_dir=_copy_corpus(root / f"replica-{name}"),
                      auth="password")
            for name in ("a", "b")
        ]
        try:
            for replica in replicas:
                replica.wait_ready(timeout=400)
            yield Deployment(chroma_url, database_url, replicas[0], replicas[1], settings)
        finally:
            for replica in replicas:
                replica.stop()


def _cited_titles(sources: list[dict[str, Any]]) -> set[str]:
    return {s["title"] for s in sources}


def test_a_document_uploaded_through_one_replica_is_cited_by_the_other(deployment: Deployment,
                                                                       tmp_path: Path) -> None:
    a = Client(deployment.a.url, auth=(STAFF, PASSWORD), verbose=False)
    b = Client(deployment.b.url, auth=(STAFF, PASSWORD), verbose=False)
    assert deployment.a.process.poll() is None and deployment.b.process.poll() is None, "a replica died"
    # Replica B's own data folder was empty: it built its BM25 copy from the shared index at start-up.
    assert re.search(r"rebuilt BM25 index v\d+ from the store", deployment.b.log_text()), deployment.b.log_text()[-3000:]
    _, before = b.predict(QUESTION, api_name="/ask")
    assert "Nyeri county paper" not in _cited_titles(before)

    pdf = make_report_pdf(tmp_path / "nyeri-paper.pdf")
    result = a.predict(handle_file(str(pdf)), "Nyeri county paper", "KSG", "2024", "",
                       api_name="/upload_document")[0]
    assert result.startswith("Added “Nyeri county paper”"), result

    deadline = time.monotonic() + 30  # replicas check the index version once a second
    while True:
        answer, sources = b.predict(QUESTION, api_name="/ask")
        if "Nyeri county paper" in _cited_titles(sources) or time.monotonic() > deadline:
            break
        time.sleep(1)
    cited = [s for s in sources if s["title"] == "Nyeri county paper"]
    assert cited and "412" in answer and cited[0]["page"] == 1, (answer, sources)
    # B answered from its own BM25 copy of the new version, rebuilt from the store (not from A's folder).
    assert len(re.findall(r"rebuilt BM25 index v\d+ from the store", deployment.b.log_text())) >= 2
    # The shared index holds the document exactly once.
    records = open_store(deployment.settings).records()
    assert [r.title for r in records.values()].count("Nyeri county paper") == 1


def _api_names(client: Client) -> set[str]:
    return {d.get("api_name") for d in client.config.get("dependencies", []) if d.get("api_name")}


def _answer_rows(exported: Any, module_id: str) -> list[dict[str, str]]:
    path = exported if isinstance(exported, str) else (exported or {}).get("value")
    assert path, exported
    rows = list(csv.DictReader(Path(path).read_text(encoding="utf-8").splitlines()))
    return [row for row in rows if row["record"] == "answer" and row["module_id"] == module_id]


def test_progress_recorded_through_one_replica_is_read_through_the_other(deployment: Deployment) -> None:
    curriculum = load_curriculum(REPO / "corpus")
    module = curriculum.modules[0]
    progress = ProgressStore(make_engine(deployment.settings), curriculum)
    a = Client(deployment.a.url, auth=(LEARNER, PASSWORD), verbose=False)
    b = Client(deployment.b.url, auth=(LEARNER, PASSWORD), verbose=False)
    learn = {"learn_open_module", "learn_check_answer", "learn_export"}
    if learn <= _api_names(a):
        # Through replica A's Learn tab, signed in: open the first module (a visit), answer its first question.
        a.predict(module.id, api_name="/learn_open_module")
        a.predict("A", "a few words", api_name="/learn_check_answer")
    else:  # the Learn tab is not there: record straight into the shared database, as the tab would
        progress.record_visit(LEARNER, module.id)
        progress.record_answer(LEARNER, module.id, module.questions[0].id, False)
    # It is in the shared PostgreSQL database...
    first = next(p for p in progress.module_progress(LEARNER) if p.module_id == module.id)
    assert first.attempts == 1 and first.last_visit is not None
    # ... and replica B's Learn tab reads it: the learner's exported record lists that answer.
    assert learn <= _api_names(b), "replica B has no Learn endpoints to read progress through"
    assert len(_answer_rows(b.predict(api_name="/learn_export")[0], module.id)) == 1


def test_replicas_share_accounts_and_the_guessing_limit(deployment: Deployment) -> None:
    """Five wrong passwords at replica A block the account at replica B too: the count is in PostgreSQL."""
    with httpx.Client() as http:
        codes = [http.post(f"{deployment.a.url.rstrip('/')}/login",
                           data={"username": GUESSED, "password": "a wrong guess"}).status_code for _ in range(5)]
        blocked = http.post(f"{deployment.b.url.rstrip('/')}/login", data={"username": GUESSED, "password": PASSWORD})
    assert codes == [400] * 5 and blocked.status_code == 429, (codes, blocked.text)
    assert "Too many failed attempts" in blocked.json()["detail"]
    # The block holds this machine's address too; lift it (as an hour would) for the tests that follow.
    Throttle(make_engine(deployment.settings)).succeeded("address:127.0.0.1", f"account:{GUESSED.casefold()}")


def test_feedback_and_progress_tables_work_on_postgresql(deployment: Deployment) -> None:
    """The same SQLAlchemy code the replicas run, against the shared PostgreSQL (both tables, both ways)."""
    engine = make_engine(deployment.settings)
    assert engine.dialect.name == "postgresql"
    feedback = FeedbackStore(engine).create()
    snapshot = SettingsSnapshot(backend="offline (extractive)", model="extractive",
                                embedding_model="all-MiniLM-L6-v2", k=5)
    new_id = feedback.add(rating="down", question="Q?", answer="A [1].", sources=[{"n": 1, "title": "T"}],
                          refused=False, snapshot=snapshot, reason="wrong")
    stored = feedback.get(new_id)
    assert stored is not None and stored.sources == [{"n": 1, "title": "T"}] and stored.reason == "wrong"
    progress = ProgressStore(engine, module_ids=["m1"])
    progress.record_answer("Another Learner", "m1", "q1", True)
    assert progress.module_progress("another learner")[0].correct == 1


def test_plain_postgresql_urls_use_the_installed_driver() -> None:
    assert driver_url("postgresql://u:p@db:5432/mwalimu") == "postgresql+psycopg://u:p@db:5432/mwalimu"
    assert driver_url("postgres://db/mwalimu") == "postgresql+psycopg://db/mwalimu"
    assert driver_url("postgresql+psycopg://db/m") == "postgresql+psycopg://db/m"
    assert driver_url("sqlite:////tmp/x.sqlite") == "sqlite:////tmp/x.sqlite"


def test_both_replicas_write_one_audit_record_without_losing_rows(deployment: Deployment) -> None:
    """Officials asking through both replicas at once: every answer lands in the one shared audit table."""
    from tutor.audit import AuditLog

    per_replica, failures = 6, []
    questions = {name: [f"What does eCitizen offer county officers (scale-out audit {name}{i})?"
                        for i in range(per_replica)] for name in ("a", "b")}

    def ask(name: str, url: str) -> None:
        for question in questions[name]:
            try:
                Client(url, auth=(LEARNER, PASSWORD), verbose=False).predict(question, api_name="/ask")
            except Exception as exc:  # noqa: BLE001 - collected and reported below
                failures.append(exc)

    threads = [threading.Thread(target=ask, args=(name, replica.url))
               for name, replica in (("a", deployment.a), ("b", deployment.b))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert failures == []
    audit = AuditLog.from_settings(deployment.settings)
    assert audit.engine.dialect.name == "postgresql"
    recorded = [r for r in audit.rows() if "scale-out audit" in r["question"]]
    asked = sorted(q for qs in questions.values() for q in qs)
    assert sorted(r["question"] for r in recorded) == asked  # each once: none lost, none doubled
    assert {r["channel"] for r in recorded} == {"api"} and all(r["passages"] for r in recorded)
    assert {r["learner"] for r in recorded} == {LEARNER.casefold()}, "each answer belongs to who asked"


def test_replicas_creating_the_tables_at_once_do_not_collide(deployment: Deployment) -> None:
    """Replicas started together against an empty database all create the tables at the same moment."""
    from sqlalchemy import create_engine, inspect, text

    admin = create_engine(deployment.database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE fresh_start"))
    admin.dispose()
    url = deployment.database_url.rsplit("/", 1)[0] + "/fresh_start"
    engines = [create_engine(url) for _ in range(6)]
    ready = threading.Barrier(len(engines))
    failures: list[BaseException] = []

    def start_replica(number: int, engine: Any) -> None:
        ready.wait()
        try:
            FeedbackStore(engine).create()
            ProgressStore(engine, module_ids=["m1"]).record_answer(f"Race Tester {number}", "m1", "q1", True)
        except Exception as exc:  # noqa: BLE001 - collected and reported below
            failures.append(exc)

    threads = [threading.Thread(target=start_replica, args=pair) for pair in enumerate(engines)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert {"feedback", "progress_learners", "progress_answers"} <= set(inspect(engines[0]).get_table_names())
    progress = ProgressStore(engines[0], module_ids=["m1"])
    assert [progress.module_progress(f"race tester {n}")[0].attempts for n in range(len(engines))] == [1] * 6
    for engine in engines:
        engine.dispose()
