"""The progress API and page, over a real SQLite file per test."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from actlab import lessons
from actlab.store import ATTEMPT_KINDS
from actlab.web import Settings, create_app

# The lab serves only loopback host names, so test clients use one.
LAB = "http://127.0.0.1"

LESSON = next(iter(lessons.bundled_lessons().values()))
SECTION_COUNT = sum(len(x.sections) for x in lessons.bundled_lessons().values())
CARDS = [card for x in lessons.bundled_lessons().values() for card in x.cards]
QUESTIONS = [q for x in lessons.bundled_lessons().values() for q in x.interview]


def make_client(database_url: str) -> TestClient:
    return TestClient(create_app(Settings(database_url=database_url)), base_url=LAB)


@pytest.fixture
def client(database_url) -> Iterator[TestClient]:
    """A client over an app whose store is an empty SQLite file of this test."""
    with make_client(database_url) as test_client:
        yield test_client


def progress(client: TestClient) -> dict:
    response = client.get("/api/progress")
    assert response.status_code == 200, response.text
    return response.json()


def review(client: TestClient, card_id: str, rating: int, **fields) -> None:
    body = {"rating": rating, **fields}
    response = client.post(f"/api/cards/{card_id}/review", json=body)
    assert response.status_code == 200, response.text


def tile(html: str, name: str) -> str:
    """Return the big number of one summary tile of the progress page."""
    match = re.search(
        rf'data-tile="{name}">\s*<span class="tile-value">([^<]*)</span>', html
    )
    assert match, name
    return match.group(1).strip()


def test_empty_progress(client):
    body = progress(client)

    assert body["sections_done"] == 0
    assert body["sections_total"] == SECTION_COUNT
    assert len(body["sections"]) == SECTION_COUNT
    assert not any(section["done"] for section in body["sections"])
    assert [kind["kind"] for kind in body["kinds"]] == list(ATTEMPT_KINDS)
    for kind in body["kinds"]:
        assert kind["attempts"] == 0
        assert kind["accuracy"] is None
    assert body["concepts"] == []
    assert body["cards"]["total"] == len(CARDS) + len(QUESTIONS)
    assert body["cards"]["new"] == body["cards"]["total"]
    assert body["reviews_today"] == 0
    assert body["streak_days"] == 0
    assert body["last_active"] is None


def test_reviews_show_in_progress(client):
    before = progress(client)
    review(client, CARDS[0].id, 3)
    review(client, CARDS[1].id, 1)
    review(client, CARDS[2].id, 4, practice=True)
    after = progress(client)

    assert after["reviews_today"] == 2
    assert after["practice_today"] == 1
    assert after["streak_days"] == 1
    assert after["last_active"] is not None
    assert after["cards"]["new"] == before["cards"]["new"] - 2
    assert after["cards"]["new_today"] == before["cards"]["new_today"] - 2
    assert after["cards"]["due"] == before["cards"]["due"] == 0


def test_accuracy_per_concept(client):
    concept = CARDS[0].concept
    same = [card for card in CARDS if card.concept == concept]
    assert len(same) >= 2
    review(client, same[0].id, 3)
    review(client, same[1].id, 1)
    concepts = {item["concept"]: item for item in progress(client)["concepts"]}

    assert concepts[concept]["attempts"] == 2
    assert concepts[concept]["correct"] == 1
    assert concepts[concept]["accuracy"] == pytest.approx(0.5)
    assert concepts[concept]["title"] == LESSON.concept_title(concept)


def test_attempts_per_kind(client):
    store = client.app.state.store
    store.record_attempt("drill", "d1", score=1.0, correct=True, concept="relu")
    store.record_attempt("drill", "d2", score=0.0, correct=False, concept="relu")
    store.record_attempt("ordering", "o1", score=1.0, correct=True)
    kinds = {kind["kind"]: kind for kind in progress(client)["kinds"]}

    assert kinds["drill"]["attempts"] == 2
    assert kinds["drill"]["correct"] == 1
    assert kinds["drill"]["accuracy"] == pytest.approx(0.5)
    assert kinds["ordering"]["accuracy"] == 1.0
    assert kinds["scenario"]["attempts"] == 0


def test_sections_done(client):
    section = LESSON.sections[1]
    client.app.state.store.mark_section(LESSON.id, section.id)
    body = progress(client)
    done = [entry for entry in body["sections"] if entry["done"]]

    assert body["sections_done"] == 1
    assert [(entry["lesson"], entry["section"]) for entry in done] == [
        (LESSON.id, section.id)
    ]
    assert done[0]["title"] == section.title


def test_progress_survives_restart(database_url):
    with make_client(database_url) as client:
        review(client, CARDS[0].id, 3)
        first = progress(client)
    with make_client(database_url) as client:
        second = progress(client)

    assert second["reviews_today"] == first["reviews_today"] == 1
    assert second["concepts"] == first["concepts"]


def test_page_shows_numbers(client):
    review(client, CARDS[0].id, 3)
    review(client, CARDS[1].id, 2)
    client.app.state.store.mark_section(LESSON.id, LESSON.sections[0].id)
    html = client.get("/progress").text
    body = progress(client)

    assert tile(html, "reviews-today") == "2"
    assert tile(html, "streak") == "1"
    assert tile(html, "sections") == f"1 / {SECTION_COUNT}"
    assert tile(html, "due") == str(body["cards"]["due"])
    assert f'data-concept="{CARDS[0].concept}"' in html
    first, second = (f"{LESSON.id}/{section.id}" for section in LESSON.sections[:2])
    assert f'<li class="done" data-section="{first}">' in html
    assert f'<li class="todo" data-section="{second}">' in html
    assert html.index("/static/actions.js") < html.index("/static/progress.js")


def test_empty_page_suggests_practice(client):
    html = client.get("/progress").text

    assert tile(html, "reviews-today") == "0"
    assert "No attempts yet" in html
