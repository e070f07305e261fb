"""The flash-card API and page, over a real SQLite file per test."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from actlab import lessons, practice
from actlab.web import Settings, create_app
from actlab.web.routers.playground_page import read_query

# The lab serves only loopback host names, so test clients use one.
LAB = "http://127.0.0.1"

LESSON_CARDS = [
    card for lesson in lessons.bundled_lessons().values() for card in lesson.cards
]
QUESTIONS = [
    q for lesson in lessons.bundled_lessons().values() for q in lesson.interview
]
CARD_COUNT = len(LESSON_CARDS) + len(QUESTIONS)


def make_client(database_url: str, **settings) -> TestClient:
    return TestClient(
        create_app(Settings(database_url=database_url, **settings)), base_url=LAB
    )


@pytest.fixture
def client(database_url) -> Iterator[TestClient]:
    """A client over an app whose store is an empty SQLite file of this test."""
    with make_client(database_url) as test_client:
        yield test_client


def review(client: TestClient, card_id: str, rating, **fields):
    return client.post(
        f"/api/cards/{card_id}/review", json={"rating": rating, **fields}
    )


def card(client: TestClient, card_id: str) -> dict:
    response = client.get(f"/api/cards/{card_id}")
    assert response.status_code == 200, response.text
    return response.json()


# --- due queue ---------------------------------------------------------------


def test_due_queue_starts_with_new_cards(client):
    body = client.get("/api/cards/due").json()

    assert body["total_cards"] == CARD_COUNT
    assert body["due"] == 0
    assert body["new"] == min(20, CARD_COUNT)
    assert body["new_left_today"] == 20
    assert body["new_per_day"] == 20
    assert len(body["cards"]) == body["new"]
    assert all(entry["is_new"] for entry in body["cards"])
    assert body["next_due"] is None


def test_due_queue_respects_daily_new_limit(database_url):
    with make_client(database_url, new_cards_per_day=3) as client:
        first = client.get("/api/cards/due").json()
        assert first["new"] == 3
        assert first["new_left_today"] == 3

        for entry in first["cards"][:2]:
            assert review(client, entry["id"], 3).status_code == 200
        second = client.get("/api/cards/due").json()
        assert second["new_left_today"] == 1
        assert second["new"] == 1

        assert review(client, second["cards"][0]["id"], 3).status_code == 200
        third = client.get("/api/cards/due").json()

    assert third["new_left_today"] == 0
    assert third["new"] == 0
    assert [entry for entry in third["cards"] if entry["is_new"]] == []
    assert third["next_due"] is not None


def test_practice_reviews_leave_new_limit(database_url):
    with make_client(database_url, new_cards_per_day=2) as client:
        for entry in LESSON_CARDS[:4]:
            response = review(client, entry.id, 2, practice=True)
            assert response.status_code == 200
        body = client.get("/api/cards/due").json()

    assert body["new_left_today"] == 2
    assert body["new"] == 2


def test_again_card_returns_to_queue_later(client):
    card_id = LESSON_CARDS[0].id
    result = review(client, card_id, "again").json()
    queue = client.get("/api/cards/due").json()

    assert result["rating"] == 1
    assert result["card"]["state"] == "learning"
    assert card_id not in [entry["id"] for entry in queue["cards"]]
    assert queue["next_due"] == result["next_due"]


# --- reviews -----------------------------------------------------------------


def test_review_changes_stored_schedule(client):
    card_id = LESSON_CARDS[1].id
    before = card(client, card_id)
    response = review(client, card_id, 3)
    after = card(client, card_id)

    assert before["state"] == "new"
    assert response.status_code == 200
    body = response.json()
    assert body["practice"] is False
    assert body["duplicate"] is False
    assert body["rating_name"] == "good"
    assert after["state"] == "learning"
    assert after["due"] == body["next_due"]
    assert after["due"] > before["due"]
    assert after["stability"] is not None
    assert after["last_review"] is not None


def test_review_survives_restart(database_url):
    card_id = LESSON_CARDS[2].id
    with make_client(database_url) as client:
        due = review(client, card_id, 4).json()["next_due"]
    with make_client(database_url) as client:
        stored = card(client, card_id)

    assert stored["state"] == "review"
    assert stored["due"] == due


def test_practice_review_keeps_schedule(client):
    card_id = LESSON_CARDS[3].id
    review(client, card_id, 3)
    before = card(client, card_id)
    due_before = client.get("/api/cards/due").json()
    response = review(client, card_id, 1, practice=True)
    after = card(client, card_id)
    due_after = client.get("/api/cards/due").json()

    assert response.status_code == 200
    assert response.json()["practice"] is True
    for key in ("state", "due", "stability", "difficulty", "last_review"):
        assert after[key] == before[key], key
    assert due_after["due"] == due_before["due"]
    assert due_after["new"] == due_before["new"]


def test_repeated_action_id_counts_once(client):
    card_id = LESSON_CARDS[4].id
    first = review(client, card_id, 3, action_id="retry-1").json()
    after_first = card(client, card_id)
    second = review(client, card_id, 1, action_id="retry-1").json()
    after_second = card(client, card_id)
    progress = client.get("/api/progress").json()

    assert first["duplicate"] is False
    assert second["duplicate"] is True
    assert second["review_id"] == first["review_id"]
    assert second["rating"] == 3
    assert after_second["due"] == after_first["due"]
    assert progress["reviews_today"] == 1


def test_review_accepts_rating_name(client):
    body = review(client, LESSON_CARDS[5].id, "Easy").json()

    assert body["rating"] == 4
    assert body["card"]["state"] == "review"


def test_review_of_interview_card(client):
    card_id = f"interview:{QUESTIONS[0].id}"
    body = review(client, card_id, 3).json()

    assert body["card"]["kind"] == "interview"
    assert body["card"]["question_url"] == f"/interview#q-{QUESTIONS[0].id}"


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        (b"", "body", "not valid JSON"),
        (b"{rating: 3}", "body", "not valid JSON"),
        (b"[3]", "body", "expected a JSON object"),
        (b'"good"', "body", "expected a JSON object"),
        (b"{}", "rating", "missing field 'rating'"),
        (b'{"rating": 5}', "rating", "invalid rating 5"),
        (b'{"rating": 0}', "rating", "choose one of 1 (again)"),
        (b'{"rating": "great"}', "rating", "invalid rating 'great'"),
        (b'{"rating": true}', "rating", "invalid rating True"),
        (b'{"rating": 2.5}', "rating", "invalid rating 2.5"),
        (b'{"rating": null}', "rating", "invalid rating None"),
        (b'{"rating": 3, "practice": "yes"}', "practice", "invalid practice='yes'"),
        (b'{"rating": 3, "practice": 1}', "practice", "invalid practice=1"),
        (b'{"rating": 3, "action_id": ""}', "action_id", "action_id"),
        (b'{"rating": 3, "action_id": "a b"}', "action_id", "action_id"),
        (b'{"rating": 3, "action_id": 7}', "action_id", "action_id=7"),
        (b'{"rating": 3, "extra": 1}', "extra", "unknown field 'extra'"),
        (b"\xff\xfe", "body", "not valid JSON"),
    ],
)
def test_review_bad_body_is_422(client, body, field, fragment):
    card_id = LESSON_CARDS[0].id
    response = client.post(
        f"/api/cards/{card_id}/review",
        content=body,
        headers={"content-type": "application/json"},
    )
    answer = response.json()

    assert response.status_code == 422
    assert answer["field"] == field
    assert fragment in answer["detail"]
    assert card(client, card_id)["state"] == "new"


def test_review_long_action_id_is_422(client):
    response = review(client, LESSON_CARDS[0].id, 3, action_id="x" * 65)

    assert response.status_code == 422
    assert response.json()["field"] == "action_id"


def test_unknown_card_is_404(client):
    for response in (
        client.get("/api/cards/no-such-card"),
        review(client, "no-such-card", 3),
        review(client, "interview:no-such-question", 3),
    ):
        assert response.status_code == 404
        assert "unknown card" in response.json()["detail"]


def test_database_failure_is_503(client):
    with client.app.state.store.engine.begin() as connection:
        connection.execute(text("DROP TABLE reviews"))

    for response in (
        client.get("/api/cards/due"),
        review(client, LESSON_CARDS[0].id, 3),
        client.get("/api/progress"),
    ):
        assert response.status_code == 503
        assert "no such table: reviews" in response.json()["detail"]


# --- listing and lab links ---------------------------------------------------


def test_card_list_matches_lessons(client):
    body = client.get("/api/cards").json()
    by_id = {entry["id"]: entry for entry in body["cards"]}

    assert body["total"] == CARD_COUNT
    for lesson_card in LESSON_CARDS:
        shown = by_id[lesson_card.id]
        assert shown["front"] == lesson_card.front
        assert shown["opens"] == lesson_card.opens
        assert shown["concept"] == lesson_card.concept
        assert shown["back_html"].startswith("<p>")
    for question in QUESTIONS:
        assert by_id[f"interview:{question.id}"]["kind"] == "interview"


def test_some_cards_open_each_lab_kind():
    targets = [card.opens for card in LESSON_CARDS if card.opens]
    paths = {urlsplit(target).path for target in targets}

    assert "/playground" in paths
    assert sum(target.startswith("/failures/") for target in targets) >= 5


def test_failure_links_name_scenarios(client):
    for lesson_card in LESSON_CARDS:
        if lesson_card.opens and lesson_card.opens.startswith("/failures/"):
            scenario_id = lesson_card.opens.removeprefix("/failures/")
            assert scenario_id in practice.SCENARIOS, lesson_card.id
            response = client.get(lesson_card.opens)
            assert response.status_code == 200, lesson_card.id


def test_playground_links_load_their_state():
    for lesson_card in LESSON_CARDS:
        parts = urlsplit(lesson_card.opens or "")
        if parts.path != "/playground":
            continue
        query = dict(parse_qsl(parts.query))
        state, messages = read_query(query)
        assert messages == [], lesson_card.id
        for key, value in query.items():
            # The state writes numbers in its own form, such as lr=3 as 3.0.
            expected = repr(float(value)) if key == "lr" else value
            assert state[key] == expected, (lesson_card.id, key)


# --- page --------------------------------------------------------------------


def test_page_loads_scripts_in_order(client):
    html = client.get("/cards").text

    assert html.index("/static/actions.js") < html.index("/static/cards.js")
    assert '"mode": "review"' in html
    assert 'id="practice-toggle"' in html


def test_page_practice_mode_from_query(client):
    html = client.get("/cards?mode=practice").text

    assert 'data-mode="practice"' in html
    assert 'aria-checked="true"' in html


def test_page_bad_mode_shows_message(client):
    response = client.get("/cards?mode=cram")

    assert response.status_code == 200
    assert "invalid mode=&#39;cram&#39;" in response.text
    assert 'data-mode="review"' in response.text
