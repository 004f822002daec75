"""The chat in a real browser: Debian's chromium, headless, driven by Playwright's Python package.

Types a question, waits for the streamed answer, checks a citation and the sources panel, gives a
thumbs-down with a reason and finds it in the database; then the same at phone width (390 px). Saves the
screenshots the README shows: ``docs/chat.png`` and ``docs/chat-phone.png``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from factories import shipped_documents

from tutor.ui.chat import THINKING

pytestmark = [pytest.mark.browser,
              pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword).*")]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
DOCS = Path(__file__).resolve().parents[1] / "docs"
ANSWER_TIMEOUT_MS = 90_000




def wait_for_answer(page: Any, answers: int = 1) -> str:
    """Wait until ``answers`` answers are complete (their sources are shown); return the chat's text."""
    page.locator("#mw-source-1").wait_for(timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_function(
        """([n, thinking]) => {
            const chat = document.querySelector('#mw-chatbot');
            return chat && !chat.innerText.includes(thinking)
                && chat.querySelectorAll('[aria-label="Dislike"]').length >= n;
        }""", arg=[answers, THINKING], timeout=ANSWER_TIMEOUT_MS)
    return page.locator("#mw-chatbot").inner_text()


def scroll_chat_to_top(page: Any) -> None:
    page.wait_for_timeout(800)  # let the chat finish its own scrolling to the newest message
    page.evaluate("""() => {
        for (const el of document.querySelectorAll('#mw-chatbot *')) {
            if (el.scrollHeight > el.clientHeight + 4) el.scrollTo({top: 0, behavior: 'instant'});
        }
    }""")
    page.wait_for_timeout(500)


def test_chat_answer_sources_and_thumbs_down(browser: Any, app_server: str, app_services: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.goto(app_server)
    box = page.get_by_label("Your question")
    box.wait_for()
    assert page.evaluate("document.activeElement === document.querySelector('#mw-question textarea')")
    question = "How many services are on eCitizen?"
    page.keyboard.type(question)  # keyboard only: the box has focus when the page opens
    page.keyboard.press("Enter")

    chat = wait_for_answer(page)
    assert question in chat and "[1]" in chat and "Sources:" in chat
    card = page.locator("#mw-source-1")
    assert "eCitizen" in card.inner_text()
    assert card.locator("mark").count() >= 1
    assert card.locator('a[href^="https://"][target="_blank"]').count() == 1
    assert "Answered by offline (extractive)" in page.locator("#mw-answer-note").inner_text()
    assert f"Library: {shipped_documents()} documents" in page.locator("#mw-status").inner_text()
    assert page.locator(".mw-suggestion:visible").count() >= 1
    DOCS.mkdir(exist_ok=True)
    scroll_chat_to_top(page)  # the README shows the question as well as the answer
    page.screenshot(path=str(DOCS / "chat.png"))

    page.get_by_role("button", name="Dislike").last.click()
    reason = page.locator("#mw-reason")
    reason.wait_for(state="visible")
    page.get_by_label("Unsupported: the sources don't say this").check()
    page.get_by_label("Anything else? (optional)").fill("The 22,510 figure needs its date.")
    page.get_by_role("button", name="Send feedback").click()
    page.get_by_text("your feedback was saved").wait_for()
    reason.wait_for(state="hidden")

    stored = [r for r in app_services.feedback.thumbs_down() if r.question == question]
    assert stored, "the thumbs-down was not stored"
    record = stored[0]
    assert record.reason == "unsupported" and record.comment == "The 22,510 figure needs its date."
    assert "[1]" in record.answer and record.sources and record.sources[0]["n"] == 1
    assert record.backend == "offline (extractive)"
    page.close()


def test_phone_width_example_and_follow_up(browser: Any, app_server: str) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                            has_touch=True)
    page.goto(app_server)
    page.get_by_role("button", name="What are the OECD AI principles?").click()
    chat = wait_for_answer(page)
    assert "What are the OECD AI principles?" in chat and "[1]" in chat
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "page scrolls sideways"
    chat_box = page.locator("#mw-chatbot").bounding_box()
    sources_box = page.locator("#mw-sources").bounding_box()
    assert sources_box["y"] > chat_box["y"] + chat_box["height"] - 1  # stacked under the chat, not squeezed beside
    assert sources_box["width"] > 300

    follow_up = page.locator(".mw-suggestion:visible").first
    asked = follow_up.inner_text()
    follow_up.click()
    chat = wait_for_answer(page, answers=2)
    assert asked in chat
    height = page.evaluate("document.documentElement.scrollHeight")
    page.screenshot(path=str(DOCS / "chat-phone.png"), full_page=True,
                    clip={"x": 0, "y": 0, "width": 390, "height": min(height, 1900)})
    page.close()


def test_brief_folds_more_from_the_sources_and_detailed_is_remembered(browser: Any, app_server: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.goto(app_server)
    page.get_by_label("Your question").fill("On what date was the Computer Misuse and Cybercrimes Act assented to?")
    page.keyboard.press("Enter")
    wait_for_answer(page)
    chat = page.locator("#mw-chatbot")
    assert chat.locator("strong.mw-answer-span").first.inner_text() == "16 May 2018"
    assert page.locator("#mw-sources strong.mw-answer-span").first.inner_text() == "16 May 2018"
    more = chat.locator("details.mw-more").last
    assert more.locator("summary").inner_text() == "More from the sources"
    assert more.evaluate("d => d.open") is False, "Brief folds the rest of the answer"

    page.locator("#mw-length").get_by_label("Detailed").check()
    page.wait_for_function("() => { const d = [...document.querySelectorAll('#mw-chatbot details.mw-more')].pop();"
                           " return d && d.open; }", timeout=10_000)
    page.reload()
    page.get_by_label("Your question").wait_for()
    page.wait_for_function("() => document.querySelector('#mw-length input[value=\"Detailed\"]')?.checked",
                           timeout=10_000)
    page.get_by_label("Your question").fill("How many services are on eCitizen?")
    page.keyboard.press("Enter")
    wait_for_answer(page)
    assert page.locator("#mw-chatbot details.mw-more").last.evaluate("d => d.open") is True, \
        "the Detailed choice survives a reload and applies to new answers"
    page.close()
