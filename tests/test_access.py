"""Who may do what (issue 13): the role check behind every handler, the three ways in, and the throttle.

Unit tests drive :class:`tutor.users.access.Access` on a real SQLite database; the sweep calls every function of
the built app (private ones too: the browser calls them) as every role; the HTTP tests sign in to a real
server with ``gradio_client`` and plain HTTP, as anyone on the campus network could.
"""

from __future__ import annotations

import csv
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import httpx
import pytest
from accounts import BY_ROLE, PASSWORD, PEOPLE, sign_in_page, with_people
from conftest import free_port
from factories import make_report_pdf
from gradio.context import LocalContext
from gradio_client import Client, handle_file

from tutor.errors import TutorError
from tutor.learning.curriculum import load_curriculum
from tutor.learning.progress import ProgressStore
from tutor.settings import Settings
from tutor.ui.app import build_app, launch_app
from tutor.ui.services import Services, make_services
from tutor.users.access import Access, AccessRefused, Visitor, parse_networks

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning",
                                        "ignore:.*(no_silent_downcasting|copy keyword).*")

RANK = ["anyone", "learner", "content", "evaluator", "admin"]
#: What each named endpoint needs, written out here independently of tutor/ui/permissions.py, so the sweep
#: checks the table rather than repeating it. A new endpoint fails the sweep until it is listed here.
NAMED = {
    "chat": "anyone", "ask": "anyone", "ask_full": "anyone", "document_changes": "anyone",
    "learn_open_module": "anyone", "learn_study_next": "anyone", "learn_check_answer": "anyone",
    "learn_next_question": "anyone", "learn_practise_document": "anyone", "learn_glossary": "anyone",
    "learn_export": "learner", "learn_delete_ask": "learner", "learn_delete_confirm": "learner",
    "upload_document": "content", "reingest": "content", "delete_document": "content",
    "export_audit": "evaluator", "run_evaluation": "evaluator",
    "people_set_role": "admin", "people_disable": "admin", "people_enable": "admin", "people_erase": "admin",
}
REPO = Path(__file__).resolve().parents[1]
REFUSALS = ("role;", "needs an account", "needs a signed-in account", "Too many refused requests")


@pytest.fixture
def desk(settings: Settings, embeddings: Any) -> Services:
    return with_people(make_services(settings.model_copy(update={"auth": "password"}), embeddings=embeddings),
                       "password")


# --- the policy -----------------------------------------------------------------------------------------
def test_each_role_may_do_what_the_roles_below_it_may(desk: Services) -> None:
    access = desk.access
    assert access is not None
    for role, name in BY_ROLE.items():
        visitor = access.visitor(name, "10.0.0.1")
        assert visitor.role == role
        for need in RANK:
            allowed = RANK.index(need) <= RANK.index(role)
            if allowed:
                access.require(visitor, need, "Doing it")
            else:
                with pytest.raises(AccessRefused, match=f"Doing it needs the {need} role; {name} has the {role} role"):
                    access.require(visitor, need, "Doing it")
            access.throttle.succeeded(f"refused-account:{visitor.account.key}")  # type: ignore[union-attr]


def test_a_disabled_account_may_do_nothing_even_with_a_valid_session(desk: Services) -> None:
    access = desk.access
    assert access is not None
    access.users.disable("Chebet Content", actor="test")
    visitor = access.visitor("Chebet Content", "10.0.0.1")
    for need in ("anyone", "content"):
        with pytest.raises(AccessRefused, match="needs a signed-in account"):
            access.require(visitor, need, "Doing it")


def test_an_open_kiosk_lets_everyone_ask_and_nobody_keep_or_change_anything(settings: Settings,
                                                                             embeddings: Any) -> None:
    services = with_people(make_services(settings, embeddings=embeddings), "open")
    access = services.access
    assert access is not None
    anonymous = access.visitor("Esther Admin", "10.0.0.9")  # a name means nothing at a kiosk
    assert anonymous == Visitor(None, "10.0.0.9")
    access.require(anonymous, "anyone", "Asking")
    for need in ("learner", "content", "evaluator", "admin"):
        with pytest.raises(AccessRefused, match="open kiosk that keeps no records"):
            access.require(anonymous, need, "Downloading your record")


def test_the_proxy_header_counts_only_from_the_proxy_and_creates_a_learner(settings: Settings,
                                                                          embeddings: Any) -> None:
    services = with_people(make_services(settings, embeddings=embeddings), "proxy", proxies="10.1.0.0/24")
    access = services.access
    assert access is not None
    header = {"x-forwarded-user": "wanjiku.k@ksg.ac.ke", "x-forwarded-for": "192.168.5.20, 10.1.0.7"}
    assert access.proxy_name("192.168.5.20", header) is None, "a client naming itself is ignored"
    assert access.users.get("wanjiku.k@ksg.ac.ke") is None
    assert access.proxy_name("10.1.0.7", header) == "wanjiku.k@ksg.ac.ke"
    assert access.users.get("wanjiku.k@ksg.ac.ke").role == "learner"  # type: ignore[union-attr]
    assert access.client_address("10.1.0.7", header) == "192.168.5.20", "throttled by the real client"
    assert access.client_address("192.168.5.20", {"x-forwarded-for": "1.2.3.4"}) == "192.168.5.20"
    access.users.disable("wanjiku.k@ksg.ac.ke", actor="test")
    assert access.proxy_name("10.1.0.7", header) is None
    with pytest.raises(TutorError, match="needs TUTOR_PROXY_ADDRESSES"):
        Access("proxy", access.users, access.throttle)
    with pytest.raises(TutorError, match="not an address"):
        parse_networks("10.0.0.1, proxy.ksg")


def test_guessing_is_cut_to_five_tries_a_minute_per_account_and_per_address(settings: Settings,
                                                                           embeddings: Any) -> None:
    now = [1_000_000.0]
    services = with_people(make_services(settings, embeddings=embeddings), "password", clock=lambda: now[0])
    access = services.access
    assert access is not None
    for _ in range(5):
        assert access.sign_in("Amina Otieno", "wrong guess", "10.0.0.2") is None
        now[0] += 1
    with pytest.raises(AccessRefused, match="Too many failed attempts: try again in 1 minute"):
        access.sign_in("Amina Otieno", PASSWORD, "10.0.0.2")  # the right password, but not checked now
    with pytest.raises(AccessRefused):
        access.sign_in("Amina Otieno", PASSWORD, "10.0.0.3")  # the account is blocked from anywhere
    with pytest.raises(AccessRefused):
        access.sign_in("Baraka Mwangi", PASSWORD, "10.0.0.2")  # and so is the address, for any account
    now[0] += 61
    assert access.sign_in("Amina Otieno", PASSWORD, "10.0.0.2") is not None
    assert access.throttle.count("account:amina otieno") == 0, "a success clears the count"


# --- every handler, every role ----------------------------------------------------------------------------
def _call_as(fn: Any, username: str | None) -> str:
    """Call one wrapped handler as ``username`` with dummy arguments: "refused", or "ran" (whatever it did)."""
    request = SimpleNamespace(username=username, client=SimpleNamespace(host="10.0.0.5"), headers={})
    token = LocalContext.request.set(request)  # type: ignore[arg-type]
    try:
        params = [p for p in fn.__wrapped__.__code__.co_varnames[: fn.__wrapped__.__code__.co_argcount]
                  if p != "self"]
        result = fn(*[None] * len(params))
        if hasattr(result, "__next__"):
            next(result)
    except gr.Error as exc:
        return "refused" if any(r in str(exc) for r in REFUSALS) else "ran"
    except Exception:  # noqa: BLE001 - the handler ran and failed on the dummy arguments: not a refusal
        return "ran"
    finally:
        LocalContext.request.reset(token)
    return "ran"


@pytest.mark.filterwarnings("ignore::UserWarning")  # handlers warn about the dummy arguments
@pytest.mark.parametrize("mode", ["password", "open"])
def test_sweep_every_handler_of_the_app_for_every_role(settings: Settings, embeddings: Any, mode: str) -> None:
    shutil.copytree(REPO / "corpus", settings.corpus_dir, dirs_exist_ok=True)  # the Learn tab's curriculum
    services = with_people(make_services(settings, embeddings=embeddings), mode)
    demo = build_app(settings, services)
    by_api = {b.api_name: b for b in demo.fns.values() if b.fn and b.api_visibility == "public"}
    assert set(by_api) == set(NAMED), "list every named endpoint in NAMED with the role it needs"
    checked = 0
    for role, name in BY_ROLE.items():
        services.access.throttle.succeeded(f"refused-account:{name.casefold()}", "refused-address:10.0.0.5")  # type: ignore[union-attr]
        for block_fn in demo.fns.values():
            if block_fn.fn is None:
                continue
            need = NAMED.get(block_fn.api_name or "", None)
            outcome = _call_as(block_fn.fn, name)
            if need is not None:
                allowed = need == "anyone" or (mode != "open" and RANK.index(need) <= RANK.index(role))
                assert outcome == ("ran" if allowed else "refused"), (mode, role, block_fn.api_name)
                checked += 1
            services.access.throttle.succeeded(f"refused-account:{name.casefold()}", "refused-address:10.0.0.5")  # type: ignore[union-attr]
    assert checked == len(NAMED) * len(BY_ROLE)
    # The private People refresh (the browser calls it when the tab opens) is an administrator's too.
    refresh = next(b.fn for b in demo.fns.values() if b.fn and b.fn.__qualname__ == "PeopleView.refresh")
    assert _call_as(refresh, "Amina Otieno") == "refused"
    assert _call_as(refresh, "Esther Admin") == ("refused" if mode == "open" else "ran")


# --- a real server ----------------------------------------------------------------------------------------
@dataclass
class Server:
    url: str
    services: Services

    def client(self, name: str, **kwargs: Any) -> Client:
        return Client(self.url, auth=(name, PASSWORD), verbose=False, **kwargs)


@pytest.fixture
def password_server(settings: Settings, embeddings: Any) -> Iterator[Server]:
    shutil.copytree(REPO / "corpus", settings.corpus_dir, dirs_exist_ok=True)  # the Learn tab's curriculum
    services = with_people(make_services(settings.model_copy(update={"auth": "password"}), embeddings=embeddings),
                           "password")
    demo = build_app(services.settings, services)
    _, url, _ = launch_app(demo, services.settings, port=free_port(), prevent_thread_lock=True)
    yield Server(url, services)
    demo.close()


def _refused(call: Any) -> str:
    with pytest.raises(Exception) as caught:  # gradio_client raises AppError with the server's message
        call()
    message = str(caught.value)
    assert any(r in message for r in REFUSALS), message
    return message


def test_learners_own_their_records_and_cannot_reach_staff_endpoints(password_server: Server,
                                                                    tmp_path: Path) -> None:
    curriculum = load_curriculum(REPO / "corpus")
    module = curriculum.modules[0]
    progress = ProgressStore(password_server.services.engine, curriculum)
    amina = password_server.client("Amina Otieno", download_files=str(tmp_path / "a"))
    amina.predict(module.id, api_name="/learn_open_module")
    amina.predict("A", "a few words", api_name="/learn_check_answer")
    assert progress.find_learner("Amina Otieno") is not None, "her answer is kept under her account"

    baraka = password_server.client("Baraka Mwangi", download_files=str(tmp_path / "b"))
    record, note = baraka.predict(api_name="/learn_export")
    assert "Nothing is stored under “Baraka Mwangi”" in note and not record.get("value"), "only his own record"
    baraka.predict(api_name="/learn_delete_ask")
    baraka.predict(api_name="/learn_delete_confirm")
    assert progress.find_learner("Amina Otieno") is not None, "deleting his record leaves hers alone"

    pdf = make_report_pdf(tmp_path / "paper.pdf")
    assert "needs the content role; Baraka Mwangi has the learner role" in _refused(
        lambda: baraka.predict(handle_file(str(pdf)), "Paper", "KSG", "2024", "", api_name="/upload_document"))
    _refused(lambda: baraka.predict(False, api_name="/reingest"))
    _refused(lambda: baraka.predict(api_name="/export_audit"))
    _refused(lambda: baraka.predict("Amina Otieno", api_name="/people_erase"))
    assert password_server.services.store.count() == 0

    exported, _ = amina.predict(api_name="/learn_export")
    rows = list(csv.DictReader(Path(exported["value"]).read_text(encoding="utf-8").splitlines()))
    assert {r["learner"] for r in rows} == {"Amina Otieno"}


def test_content_staff_change_the_library_and_the_change_names_them(password_server: Server,
                                                                    tmp_path: Path) -> None:
    chebet = password_server.client("Chebet Content")
    pdf = make_report_pdf(tmp_path / "County paper.pdf")
    result = chebet.predict(handle_file(str(pdf)), "County paper", "KSG", "2024", "", api_name="/upload_document")[0]
    assert result.startswith("Added “County paper”"), result
    action = password_server.services.access.users.actions(1)[0]  # type: ignore[union-attr]
    assert (action.actor, action.action, action.subject) == ("Chebet Content", "added", "uploads/County-paper.pdf")
    _refused(lambda: chebet.predict(api_name="/export_audit"))  # exports are for evaluators
    daudi = password_server.client("Daudi Evaluator")
    daudi.predict("What does the working paper recommend?", api_name="/ask")
    exported, message = daudi.predict(api_name="/export_audit")
    assert "record of answers was written" in message
    assert '"learner": "daudi evaluator"' in Path(exported).read_text(encoding="utf-8")


def test_an_admin_erases_a_named_persons_data_and_the_erasure_is_recorded(password_server: Server) -> None:
    curriculum = load_curriculum(REPO / "corpus")
    progress = ProgressStore(password_server.services.engine, curriculum)
    amina = password_server.client("Amina Otieno")
    amina.predict(curriculum.modules[0].id, api_name="/learn_open_module")
    amina.predict("What is a cloud-first policy?", api_name="/ask")
    assert progress.find_learner("Amina Otieno") is not None
    esther = password_server.client("Esther Admin")
    message, accounts, actions = esther.predict("Amina Otieno", api_name="/people_erase")
    assert message.startswith("Deleted the data of “Amina Otieno”: the learning record and 1 answer record.")
    assert progress.find_learner("Amina Otieno") is None
    assert actions["data"][0][1:4] == ["Esther Admin", "erase", "Amina Otieno"]
    assert accounts["data"][0][:2] == ["Amina Otieno", "learner"], "the account itself stays"


def _dummy(parameter: dict[str, Any]) -> Any:
    """An argument the component accepts (files: none; otherwise the API's own example)."""
    if "filepath" in str(parameter.get("python_type", {}).get("type", "")) or parameter["component"] == "File":
        return None
    return parameter.get("parameter_default") if parameter.get("parameter_has_default") else parameter["example_input"]


def test_sweep_every_named_endpoint_over_http_for_every_role(password_server: Server) -> None:
    """Every endpoint beyond a role, called over HTTP by that role, is refused (and changes nothing)."""
    api = Client(password_server.url, auth=(BY_ROLE["admin"], PASSWORD), verbose=False).view_api(
        print_info=False, return_format="dict")
    endpoints = {name.lstrip("/"): info["parameters"] for name, info in api["named_endpoints"].items()}
    assert set(endpoints) == set(NAMED)
    refused = 0
    for role, name in BY_ROLE.items():
        client = password_server.client(name)
        for endpoint, parameters in endpoints.items():
            if RANK.index(NAMED[endpoint]) <= RANK.index(role):
                continue
            _refused(lambda: client.predict(*[_dummy(p) for p in parameters], api_name=f"/{endpoint}"))  # noqa: B023
            refused += 1
    assert refused == 9 + 6 + 4 + 0  # beyond a learner, content staff, an evaluator, an admin
    assert password_server.services.store.count() == 0
    assert [a.action for a in password_server.services.access.users.actions(50)] == ["add"] * len(PEOPLE)  # type: ignore[union-attr]


def test_refused_requests_are_slowed_per_account(password_server: Server) -> None:
    amina = password_server.client("Amina Otieno")
    messages = [_refused(lambda: amina.predict(api_name="/export_audit")) for _ in range(6)]
    assert all("needs the evaluator role" in m for m in messages[:5])
    assert "Too many refused requests: try again in 1 minute" in messages[5]
    assert amina.predict("cloud", api_name="/learn_glossary"), "what a learner may do still works"
    daudi = password_server.client("Daudi Evaluator")  # same address, another account: not held back
    assert "record of answers was written" in daudi.predict(api_name="/export_audit")[1]


def test_the_sixth_wrong_password_in_a_minute_is_refused_without_a_check(password_server: Server) -> None:
    login = f"{password_server.url.rstrip('/')}/login"
    codes, started = [], time.perf_counter()
    with httpx.Client() as http:
        for _ in range(6):
            codes.append(http.post(login, data={"username": "Amina Otieno", "password": "guess"}).status_code)
        blocked = http.post(login, data={"username": "Amina Otieno", "password": PASSWORD})
    assert codes[:5] == [400] * 5 and codes[5] == 429, codes
    assert blocked.status_code == 429 and "try again in 1 minute" in blocked.json()["detail"]
    assert time.perf_counter() - started < 60, "all within the minute the limit is about"
    with pytest.raises(ValueError, match="Could not login"):
        password_server.client("Amina Otieno")
    with pytest.raises(ValueError, match="Could not login"):
        password_server.client("Baraka Mwangi")  # the address is blocked too, for every account
    assert httpx.get(f"{password_server.url.rstrip('/')}/config").status_code == 401, "nothing without signing in"


def test_proxy_mode_believes_the_header_only_from_the_proxy(settings: Settings, embeddings: Any) -> None:
    def serve(proxies: str) -> tuple[Any, str, Services]:
        proxied = settings.model_copy(update={"auth": "proxy", "proxy_addresses": proxies})
        services = with_people(make_services(proxied, embeddings=embeddings), "proxy", proxies=proxies)
        demo = build_app(services.settings, services)
        _, url, _ = launch_app(demo, services.settings, port=free_port(), prevent_thread_lock=True)
        return demo, url, services

    demo, url, services = serve("10.77.0.1")  # the proxy is elsewhere: this test's requests are not from it
    try:
        spoofed = {"X-Forwarded-User": "Esther Admin", "X-Forwarded-For": "10.77.0.1"}
        assert httpx.get(f"{url.rstrip('/')}/config", headers=spoofed).status_code == 401
        with pytest.raises(Exception):  # noqa: B017 - any failure to connect is the point
            Client(url, headers=spoofed, verbose=False)
    finally:
        demo.close()
    demo, url, services = serve("127.0.0.1")  # now the requests come from the trusted proxy's address
    try:
        client = Client(url, headers={"X-Forwarded-User": "newcomer@ksg.ac.ke"}, verbose=False)
        assert services.access.users.get("newcomer@ksg.ac.ke").role == "learner"  # type: ignore[union-attr]
        assert "needs the content role" in _refused(lambda: client.predict(False, api_name="/reingest"))
    finally:
        demo.close()


# --- a real browser ---------------------------------------------------------------------------------------
def _tab_names(page: Any) -> list[str]:
    return [t.inner_text().strip() for t in page.get_by_role("tab").all() if t.is_visible()]


@pytest.mark.browser
def test_browser_sign_in_shows_each_role_its_own_tabs_and_tools(browser: Any, staff_server: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(staff_server)
    page.get_by_role("button", name="Login").wait_for()
    assert page.locator("#mw-chatbot").count() == 0, "nothing of the app before signing in"
    page.get_by_label("username").fill(BY_ROLE["learner"])
    page.get_by_label("password").fill("not the password")
    page.get_by_role("button", name="Login").click()
    page.get_by_text(re.compile("incorrect credentials", re.IGNORECASE)).wait_for()

    sign_in_page(page, staff_server, BY_ROLE["learner"])
    assert "Signed in as Amina Otieno (learner)" in page.locator("#mw-whoami").inner_text()
    assert _tab_names(page) == ["Chat", "Learn", "Library"]
    page.get_by_role("tab", name="Library").click()
    page.get_by_text("Changes are made by content staff.").wait_for()
    assert not page.get_by_role("button", name="Upload and add to the library").is_visible()
    page.close()

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in_page(page, staff_server, BY_ROLE["admin"])
    assert _tab_names(page) == ["Chat", "Learn", "Evaluate", "Library", "People"]
    page.get_by_role("tab", name="People").click()
    page.locator("#mw-accounts span").filter(has_text="Daudi Evaluator").first.wait_for()
    page.get_by_role("tab", name="Library").click()
    assert page.get_by_role("button", name="Upload and add to the library").is_visible()
    page.close()
