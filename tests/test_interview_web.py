"""The interview API and page, over a real SQLite file per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from actlab import lessons, practice
from actlab.web import Settings, create_app

# The lab serves only loopback host names, so test clients use one.
LAB = "http://127.0.0.1"

QUESTIONS = [
    q for lesson in lessons.bundled_lessons().values() for q in lesson.interview
]
FIRST = QUESTIONS[0]


@pytest.fixture
def client(database_url) -> Iterator[TestClient]:
    """A client over an app whose store is an empty SQLite file of this test."""
    with TestClient(
        create_app(Settings(database_url=database_url)), base_url=LAB
    ) as test_client:
        yield test_client


def answer(client: TestClient, question_id: str, **body):
    body.setdefault("answer", "ReLU is max(0, z) and is cheap to compute.")
    return client.post(f"/api/interview/{question_id}", json=body)


def card_state(client: TestClient, question_id: str) -> dict:
    return client.get(f"/api/cards/interview:{question_id}").json()


# --- questions and model answers ---------------------------------------------


def test_questions_come_without_answers(client):
    response = client.get("/api/interview")
    body = response.json()

    assert response.status_code == 200
    assert [q["id"] for q in body["questions"]] == [q.id for q in QUESTIONS]
    assert body["tiers"] == list(lessons.TIERS)
    for question in QUESTIONS:
        assert question.answer not in response.text
        for point in question.key_points:
            assert point not in response.text
    shown = body["questions"][0]
    assert set(shown) == {
        "id",
        "tier",
        "question",
        "key_point_count",
        "card_id",
        "state",
        "due",
    }
    assert shown["key_point_count"] == len(FIRST.key_points)
    assert shown["card_id"] == f"interview:{FIRST.id}"


@pytest.mark.parametrize("tier", lessons.TIERS)
def test_tier_filter(client, tier):
    body = client.get("/api/interview", params={"tier": tier}).json()

    assert body["tier"] == tier
    assert [q["id"] for q in body["questions"]] == [
        q.id for q in QUESTIONS if q.tier == tier
    ]


@pytest.mark.parametrize("tier", ["novice", "", "Beginner"])
def test_bad_tier_is_422(client, tier):
    response = client.get("/api/interview", params={"tier": tier})
    body = response.json()

    assert response.status_code == 422
    assert body["field"] == "tier"
    assert f"invalid tier={tier!r}" in body["detail"]
    assert "beginner, intermediate, expert" in body["detail"]


def test_model_answer_has_key_points(client):
    body = client.get(f"/api/interview/{FIRST.id}/answer").json()
    count = len(FIRST.key_points)

    assert body["answer"] == FIRST.answer
    assert body["key_points"] == list(FIRST.key_points)
    assert body["answer_html"].startswith("<p>")
    assert [link["target"] for link in body["links"]] == [
        link.target for link in FIRST.links if link.target
    ]
    assert body["rating_for_covered"] == [
        int(practice.rating_from_self_assessment(n, count)) for n in range(count + 1)
    ]
    assert body["rating_for_covered"][-1] == 4
    assert body["rating_for_covered"][0] == 1


def test_unknown_question_is_404(client):
    for response in (
        client.get("/api/interview/no-such-question/answer"),
        answer(client, "no-such-question", covered=[], rating=3),
    ):
        assert response.status_code == 404
        assert response.json()["field"] == "id"
        assert "'no-such-question'" in response.json()["detail"]


# --- answers -----------------------------------------------------------------


def test_rated_answer_reviews_card(client):
    before = card_state(client, FIRST.id)
    response = answer(client, FIRST.id, covered=[2, 0], rating=3)
    body = response.json()
    after = card_state(client, FIRST.id)

    assert before["state"] == "new"
    assert response.status_code == 200
    assert body["rating"] == 3
    assert body["rating_name"] == "good"
    assert body["rated_by"] == "learner"
    assert body["covered"] == [0, 2]
    assert body["score"] == pytest.approx(2 / len(FIRST.key_points))
    assert body["duplicate"] is False
    assert after["state"] == body["card_state"] == "learning"
    assert after["due"] == body["next_due"]


def test_unrated_answer_uses_key_points(client):
    every = list(range(len(FIRST.key_points)))
    full = answer(client, FIRST.id, covered=every).json()
    empty = answer(client, QUESTIONS[1].id, covered=[]).json()

    assert full["rating_name"] == "easy"
    assert full["rated_by"] == "key points"
    assert full["score"] == 1.0
    assert empty["rating_name"] == "again"
    assert empty["score"] == 0.0


def test_answer_counts_as_interview_attempt(client):
    answer(client, FIRST.id, covered=[0], rating=2)
    answer(client, FIRST.id, covered=[0], rating=1)
    progress = client.get("/api/progress").json()
    kinds = {kind["kind"]: kind for kind in progress["kinds"]}
    concepts = {item["concept"]: item for item in progress["concepts"]}

    assert kinds["interview"]["attempts"] == 2
    # Right unless rated Again, whatever share of key points was ticked.
    assert kinds["interview"]["correct"] == 1
    assert concepts[FIRST.concept]["attempts"] == 2
    assert progress["reviews_today"] == 2


def test_repeated_action_id_counts_once(client):
    first = answer(client, FIRST.id, covered=[0], rating=2, action_id="try-7").json()
    due = card_state(client, FIRST.id)["due"]
    second = answer(client, FIRST.id, covered=[0, 1], rating=4, action_id="try-7")
    progress = client.get("/api/progress").json()
    kinds = {kind["kind"]: kind for kind in progress["kinds"]}

    assert second.status_code == 200
    assert second.json()["duplicate"] is True
    assert second.json()["attempt_id"] == first["attempt_id"]
    assert second.json()["covered"] == [0]
    assert card_state(client, FIRST.id)["due"] == due
    assert kinds["interview"]["attempts"] == 1
    assert progress["reviews_today"] == 1


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        (b"", "body", "not valid JSON"),
        (b"[]", "body", "expected a JSON object"),
        (b"{}", "answer", "missing field 'answer'"),
        (b'{"answer": "   "}', "answer", "write an answer first"),
        (b'{"answer": 12}', "answer", "invalid answer=12"),
        (b'{"answer": "x", "covered": [9]}', "covered", "invalid covered index 9"),
        (b'{"answer": "x", "covered": [-1]}', "covered", "numbered 0 to"),
        (b'{"answer": "x", "covered": [1, 1]}', "covered", "give each key point"),
        (b'{"answer": "x", "covered": ["1"]}', "covered", "invalid covered[0]='1'"),
        (b'{"answer": "x", "covered": [true]}', "covered", "invalid covered[0]"),
        (b'{"answer": "x", "covered": 2}', "covered", "invalid covered=2"),
        (b'{"answer": "x", "rating": 9}', "rating", "invalid rating 9"),
        (b'{"answer": "x", "rating": "superb"}', "rating", "invalid rating"),
        (b'{"answer": "x", "action_id": ""}', "action_id", "action_id"),
        (b'{"answer": "x", "score": 1}', "score", "unknown field 'score'"),
    ],
)
def test_bad_answer_body_is_422(client, body, field, fragment):
    response = client.post(
        f"/api/interview/{FIRST.id}",
        content=body,
        headers={"content-type": "application/json"},
    )
    answer_body = response.json()

    assert response.status_code == 422
    assert answer_body["field"] == field
    assert fragment in answer_body["detail"]
    assert card_state(client, FIRST.id)["state"] == "new"


def test_too_long_answer_is_422(client):
    response = answer(client, FIRST.id, answer="x" * 20_001, covered=[])

    assert response.status_code == 422
    assert response.json()["field"] == "answer"


# --- page --------------------------------------------------------------------


def test_page_hides_model_answers(client):
    response = client.get("/interview")
    html = response.text

    assert response.status_code == 200
    for question in QUESTIONS:
        assert f'id="q-{question.id}"' in html
    assert FIRST.key_points[0] not in html
    assert FIRST.answer[:60] not in html
    assert html.index("/static/actions.js") < html.index("/static/interview.js")


def test_page_filters_by_tier(client):
    html = client.get("/interview?tier=expert").text
    shown = [q.id for q in QUESTIONS if f'id="q-{q.id}"' in html]

    assert shown == [q.id for q in QUESTIONS if q.tier == "expert"]
    assert 'href="/interview?tier=expert" aria-current="page"' in html


def test_page_bad_tier_shows_message(client):
    response = client.get("/interview?tier=guru")

    assert response.status_code == 200
    assert "invalid tier=&#39;guru&#39;" in response.text
    for question in QUESTIONS:
        assert f'id="q-{question.id}"' in response.text
