"""Interview practice, flash cards and progress in headless chromium.

Each test gets its own server over an empty SQLite file, so the counts that
a test reads are those of its own actions.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import uvicorn
from playwright.sync_api import Page

from actlab import lessons, practice
from actlab.web import Settings, create_app

pytestmark = pytest.mark.browser

CARDS = [card for x in lessons.bundled_lessons().values() for card in x.cards]
QUESTIONS = [q for x in lessons.bundled_lessons().values() for q in x.interview]


@pytest.fixture
def memory_server(database_url) -> Iterator[str]:
    """Serve the app over this test's SQLite file on a free loopback port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(Settings(port=port, database_url=database_url))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    try:
        for _ in range(200):
            if server.started or not thread.is_alive():
                break
            time.sleep(0.05)
        assert server.started, "uvicorn did not start serving"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def api(base: str, path: str) -> dict:
    response = httpx.get(base + path)
    assert response.status_code == 200, response.text
    return response.json()


def schedules(base: str) -> list[tuple]:
    """Return each card's stored schedule, leaving out ``due`` (now for new cards)."""
    return [
        (card["id"], card["state"], card["stability"], card["last_review"])
        for card in api(base, "/api/cards")["cards"]
    ]


def assert_clean(offline) -> None:
    assert offline.blocked == []
    assert offline.errors == []
    assert offline.console_errors == []


def cards_data(page: Page) -> dict[str, str]:
    return page.eval_on_selector("#cards", "root => ({...root.dataset})")


def open_cards(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#cards[data-loaded='1']")


def wait_loaded(page: Page, count: int) -> None:
    page.wait_for_selector(f"#cards[data-loaded='{count}']")


def review_with_keys(page: Page, key: str) -> str:
    """Show the current card with Space and rate it with ``key``. Return its id."""
    card_id = cards_data(page)["cardId"]
    loaded = int(cards_data(page)["loaded"])
    page.keyboard.press("Space")
    page.wait_for_selector("#cards[data-shown='true']")
    page.keyboard.press(key)
    if cards_data(page)["mode"] == "review":
        wait_loaded(page, loaded + 1)
    else:
        page.wait_for_function(
            "id => document.querySelector('#cards').dataset.cardId !== id", arg=card_id
        )
    return card_id


# --- interview ---------------------------------------------------------------


def test_interview_to_rated_answer(offline_page, memory_server):
    page = offline_page.page
    question = QUESTIONS[0]
    page.goto(f"{memory_server}/interview?tier={question.tier}")
    root = page.locator(f"#q-{question.id}")
    reveal = root.locator('[data-action="reveal"]')

    assert reveal.is_disabled()
    assert root.locator('[data-field="model"]').is_hidden()
    root.locator("textarea").fill("max(0, z); cheap, and flat on one side only.")
    reveal.click()
    root.locator('[data-field="model"]').wait_for(state="visible")
    boxes = root.locator("input[data-point]")
    assert boxes.count() == len(question.key_points)
    boxes.nth(0).check()
    boxes.nth(2).check()
    suggested = practice.rating_from_self_assessment(2, len(question.key_points))
    assert root.locator("button.suggested").get_attribute("data-rating") == str(
        int(suggested)
    )
    root.locator('button[data-rating="3"]').click()
    root.locator('[data-field="result"]').wait_for(state="visible")

    assert "rated good" in root.locator('[data-field="result"]').inner_text()
    assert root.get_attribute("data-rated") == "good"
    card = api(memory_server, f"/api/cards/interview:{question.id}")
    assert card["state"] == "learning"
    kinds = {k["kind"]: k for k in api(memory_server, "/api/progress")["kinds"]}
    assert kinds["interview"]["attempts"] == 1
    assert_clean(offline_page)


# --- flash cards -------------------------------------------------------------


def test_review_with_keyboard_only(offline_page, memory_server):
    page = offline_page.page
    open_cards(page, f"{memory_server}/cards")
    start = api(memory_server, "/api/cards/due")

    rated = {}
    for key in ("3", "1", "4"):
        rated[review_with_keys(page, key)] = int(key)
    after = api(memory_server, "/api/cards/due")

    assert len(rated) == 3
    for card_id, rating in rated.items():
        card = api(memory_server, f"/api/cards/{card_id}")
        assert card["state"] == ("review" if rating == 4 else "learning"), card_id
    assert after["new_left_today"] == start["new_left_today"] - 3
    assert cards_data(page)["newLeft"] == str(after["new_left_today"])
    assert cards_data(page)["cardId"] not in rated
    assert_clean(offline_page)


def test_rating_waits_for_the_answer(offline_page, memory_server):
    page = offline_page.page
    open_cards(page, f"{memory_server}/cards")
    first = cards_data(page)["cardId"]
    page.keyboard.press("3")

    assert "Show the answer first" in page.inner_text("#status")
    assert cards_data(page)["cardId"] == first
    assert api(memory_server, f"/api/cards/{first}")["state"] == "new"


def test_practice_mode_keeps_due_count(offline_page, memory_server):
    page = offline_page.page
    open_cards(page, f"{memory_server}/cards")
    before = api(memory_server, "/api/cards/due")
    cards_before = schedules(memory_server)
    page.keyboard.press("p")
    wait_loaded(page, 2)

    assert cards_data(page)["mode"] == "practice"
    assert dict(parse_qsl(urlsplit(page.url).query)) == {"mode": "practice"}
    practised = [review_with_keys(page, key) for key in ("1", "4", "3")]
    page.wait_for_function(
        "() => document.querySelector('#status').textContent.includes('unchanged')"
    )
    after = api(memory_server, "/api/cards/due")
    cards_after = schedules(memory_server)

    assert len(set(practised)) == 3
    assert after["due"] == before["due"]
    assert after["new"] == before["new"]
    assert after["new_left_today"] == before["new_left_today"]
    assert cards_after == cards_before
    assert api(memory_server, "/api/progress")["practice_today"] == 3
    page.keyboard.press("p")
    wait_loaded(page, 3)
    assert cards_data(page)["mode"] == "review"
    assert "mode=" not in page.url
    assert_clean(offline_page)


def test_opens_link_loads_playground_preset(offline_page, memory_server):
    page = offline_page.page
    target = next(
        card for card in CARDS if card.opens and card.opens.startswith("/playground")
    )
    open_cards(page, f"{memory_server}/cards?mode=practice")
    while cards_data(page)["cardId"] != target.id:
        review_with_keys(page, "3")
    page.keyboard.press("Space")
    link = page.locator('#card [data-field="opens"]')
    assert link.inner_text() == "Open in the lab"
    link.click()
    page.wait_for_url("**/playground?*")
    page.wait_for_function("() => window.playground?.runs?.[0]?.state")
    state = page.evaluate("() => ({...window.playground.runs[0].state})")

    for key, value in parse_qsl(urlsplit(target.opens).query):
        # The state writes numbers in its own form, such as lr=3 as 3.0.
        expected = repr(float(value)) if key == "lr" else value
        assert state[key] == expected, key
    assert offline_page.blocked == []
    assert offline_page.errors == []


def test_opens_link_loads_failure_scenario(offline_page, memory_server):
    page = offline_page.page
    target = next(
        card for card in CARDS if card.opens and card.opens.startswith("/failures/")
    )
    scenario = practice.get_scenario(target.opens.removeprefix("/failures/"))
    open_cards(page, f"{memory_server}/cards?mode=practice")
    while cards_data(page)["cardId"] != target.id:
        review_with_keys(page, "3")
    page.keyboard.press("Space")
    page.click('#card [data-field="opens"]')
    page.wait_for_url(f"**{target.opens}")

    assert scenario.title in page.inner_text("body")
    assert offline_page.blocked == []
    assert offline_page.errors == []


# --- progress ----------------------------------------------------------------


def test_progress_shows_reviews_just_made(offline_page, memory_server):
    page = offline_page.page
    open_cards(page, f"{memory_server}/cards")
    review_with_keys(page, "3")
    review_with_keys(page, "2")
    page.click("header.site-header nav a[href='/progress']")
    page.wait_for_url("**/progress")

    reviews = page.locator('[data-tile="reviews-today"] .tile-value')
    assert reviews.inner_text() == "2"
    assert page.locator('[data-tile="streak"] .tile-value').inner_text() == "1"
    assert_clean(offline_page)
