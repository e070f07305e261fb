"""The ordering API and pages, over a real SQLite file per test."""

from __future__ import annotations

import pytest

from actlab import practice
from actlab.web.routers.practice_page import SEED_MAX

EXERCISES = practice.exercises()
SET = "layer-forward"
ANSWER = EXERCISES[SET].answer


def submit(client, order, ordering_id: str = SET, **extra):
    body = {"order": order, **extra}
    return client.post(f"/api/ordering/{ordering_id}/answer", json=body)


def ordering_attempts(client):
    return client.app.state.store.attempts(kind="ordering")


def swapped(order: list[str], i: int, j: int) -> list[str]:
    order = list(order)
    order[i], order[j] = order[j], order[i]
    return order


# --- sets and shuffles -------------------------------------------------------


def test_list_matches_lesson_sets(client):
    body = client.get("/api/ordering").json()

    assert [s["id"] for s in body] == list(EXERCISES)
    for shown in body:
        assert shown["n_steps"] == len(EXERCISES[shown["id"]].steps)
        assert shown["url"] == f"/ordering/{shown['id']}"


@pytest.mark.parametrize("ordering_id", list(EXERCISES))
@pytest.mark.parametrize("seed", [0, 1, 17, SEED_MAX])
def test_shuffle_matches_exercise(client, ordering_id, seed):
    exercise = EXERCISES[ordering_id]
    body = client.get(f"/api/ordering/{ordering_id}", params={"seed": seed}).json()
    ids = [step["id"] for step in body["steps"]]

    assert body["seed"] == seed
    assert ids == [step.id for step in exercise.shuffled(seed)]
    assert ids != exercise.answer
    assert sorted(ids) == sorted(exercise.answer)
    assert all(set(step) == {"id", "text"} for step in body["steps"])


def test_shuffle_without_seed_draws_one(client):
    body = client.get(f"/api/ordering/{SET}").json()

    assert 0 <= body["seed"] <= SEED_MAX
    assert sorted(step["id"] for step in body["steps"]) == sorted(ANSWER)


@pytest.mark.parametrize(
    ("seed", "fragment"),
    [
        ("-1", "invalid seed -1"),
        (str(SEED_MAX + 1), str(SEED_MAX + 1)),
        ("abc", "'abc'"),
        ("1.5", "'1.5'"),
    ],
)
def test_bad_seed_is_422_naming_it(client, seed, fragment):
    response = client.get(f"/api/ordering/{SET}", params={"seed": seed})

    assert response.status_code == 422
    assert response.json()["field"] == "seed"
    assert fragment in response.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/ordering/nope"), ("post", "/api/ordering/nope/answer")],
)
def test_unknown_set_is_404_listing_them(client, method, path):
    kwargs = {"json": {"order": ANSWER}} if method == "post" else {}
    response = getattr(client, method)(path, **kwargs)

    assert response.status_code == 404
    assert "'nope'" in response.json()["detail"]
    assert SET in response.json()["detail"]
    assert ordering_attempts(client) == []


# --- grading -----------------------------------------------------------------


@pytest.mark.parametrize("ordering_id", list(EXERCISES))
def test_right_order_scores_full(client, ordering_id):
    order = EXERCISES[ordering_id].answer
    body = submit(client, order, ordering_id).json()

    assert body["correct"] is True
    assert body["score"] == 1.0
    assert body["feedback"] == []
    assert body["explanation"] == EXERCISES[ordering_id].explanation


@pytest.mark.parametrize(
    ("order", "in_order", "neighbours"),
    [
        # Positions 1 0 2 3 4: four steps in order, two right neighbours.
        (swapped(ANSWER, 0, 1), 4, 2),
        # Positions 4 1 2 3 0: three in order, two right neighbours.
        (swapped(ANSWER, 0, 4), 3, 2),
        # Positions 4 3 2 1 0: one in order, no right neighbour.
        (ANSWER[::-1], 1, 0),
        # Positions 1 2 3 4 0: four in order, three right neighbours.
        (ANSWER[1:] + ANSWER[:1], 4, 3),
    ],
)
def test_partial_credit_table(client, order, in_order, neighbours):
    n = len(ANSWER)
    body = submit(client, order).json()

    assert body["correct"] is False
    assert body["in_order"] == in_order
    assert body["neighbours"] == neighbours
    assert body["score"] == pytest.approx((in_order / n + neighbours / (n - 1)) / 2)


def test_feedback_names_place_and_reason(client):
    exercise = EXERCISES[SET]
    body = submit(client, swapped(ANSWER, 1, 2)).json()
    by_step = {item["step_id"]: item for item in body["feedback"]}
    moved = by_step[ANSWER[1]]

    assert moved["submitted_position"] == 2
    assert moved["correct_position"] == 1
    assert moved["after"] == ANSWER[0]
    assert moved["before"] == ANSWER[2]
    assert moved["reason"] == exercise.steps[1].reason
    assert moved["text"] == exercise.steps[1].text
    assert ANSWER[4] not in by_step


@pytest.mark.parametrize(
    ("order", "fragment"),
    [
        ([], "missing step id(s)"),
        (ANSWER[:-1], f"missing step id(s) '{ANSWER[-1]}'"),
        ([*ANSWER, ANSWER[0]], f"duplicate step id(s) '{ANSWER[0]}'"),
        ([*ANSWER[:-1], "nope"], "unknown step id(s) 'nope'"),
        ([1, 2, 3, 4, 5], "invalid step id 1"),
        ("take-input", "take-input"),
        (None, "None"),
        ({"a": 1}, "order"),
        (["x" * 201] * 5, "200"),
        (["a"] * 101, "100"),
    ],
)
def test_malformed_order_is_422_unrecorded(client, order, fragment):
    response = submit(client, order)

    assert response.status_code == 422
    assert response.json()["field"] == "order"
    assert fragment in response.json()["detail"]
    assert ordering_attempts(client) == []


@pytest.mark.parametrize("content", [b"", b"{", b"[]", b'"x"', b"null", b"{}"])
def test_body_that_is_no_object_is_422(client, content):
    response = client.post(
        f"/api/ordering/{SET}/answer",
        content=content,
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 422


# --- the store ---------------------------------------------------------------


def test_answer_is_stored_as_attempt(client):
    order = swapped(ANSWER, 2, 3)
    body = submit(client, order, action_id="order-1").json()
    (stored,) = ordering_attempts(client)

    assert stored.item_id == SET
    assert stored.action_id == "order-1"
    assert stored.score == pytest.approx(body["score"])
    assert stored.correct is False
    assert stored.detail == {"order": order}
    assert body["attempt"] == {
        "id": stored.id,
        "action_id": "order-1",
        "duplicate": False,
    }


def test_repeated_action_id_counts_once(client):
    first = submit(client, ANSWER, action_id="again").json()
    resent = submit(client, ANSWER[::-1], action_id="again").json()

    assert len(ordering_attempts(client)) == 1
    assert resent["attempt"]["duplicate"] is True
    assert resent["correct"] is True
    assert resent["order"] == first["order"] == ANSWER


def test_attempts_of_each_set_are_kept_apart(client):
    for ordering_id, exercise in EXERCISES.items():
        submit(client, exercise.answer, ordering_id)

    stored = sorted(a.item_id for a in ordering_attempts(client))
    assert stored == sorted(EXERCISES)


# --- pages -------------------------------------------------------------------


def test_index_page_links_every_set(client):
    response = client.get("/ordering")

    assert response.status_code == 200
    for ordering_id in EXERCISES:
        assert f'href="/ordering/{ordering_id}"' in response.text


def test_set_page_shows_shuffled_steps(client):
    exercise = EXERCISES[SET]
    text = client.get(f"/ordering/{SET}", params={"seed": 3}).text
    shown = [text.index(f'data-step="{step.id}"') for step in exercise.shuffled(3)]

    assert shown == sorted(shown)
    assert 'draggable="true"' in text
    assert 'aria-live="assertive"' in text
    assert "ordering.js" in text
    for step in exercise.steps:
        assert step.reason not in text


def test_set_page_bad_seed_shows_message(client):
    response = client.get(f"/ordering/{SET}", params={"seed": "-4"})

    assert response.status_code == 200
    assert "invalid seed &#39;-4&#39;" in response.text
    assert 'data-step="' in response.text


def test_unknown_set_page_is_404_listing_sets(client):
    response = client.get("/ordering/nope")

    assert response.status_code == 404
    assert "&#39;nope&#39; not found" in response.text
    for ordering_id in EXERCISES:
        assert f'href="/ordering/{ordering_id}"' in response.text


def test_practice_hub_links_every_tool(client):
    response = client.get("/practice")

    assert response.status_code == 200
    for path in ("/drill", "/failures", "/ordering", "/interview", "/cards"):
        assert f'href="{path}"' in response.text
    assert f"{len(practice.SCENARIOS)} scenarios" in response.text
    assert f"{len(EXERCISES)} step sets" in response.text
