"""The drill API and page, over a real SQLite file per test."""

from __future__ import annotations

import pytest

from actlab import practice
from actlab.web.routers.practice_page import SEED_MAX

TEMPLATES = practice.drill_templates()
NUMERIC = "value-at-z"
CHOICE = "output-for-target"
# The predict drill with the shortest runs, because grading trains both versions.
PREDICT = "standardise-saturation"


def question(template: str, seed: int) -> practice.Question:
    drill = TEMPLATES[template]
    return practice.generate_drill(drill.kind, seed, template=template)


def answer(client, template: str, seed: int, value, **extra):
    body = {"template": template, "seed": seed, "answer": value, **extra}
    return client.post("/api/drills/answer", json=body)


def drill_attempts(client):
    return client.app.state.store.attempts(kind="drill")


def wrong_option(q: practice.Question) -> str:
    return next(i for i, _ in q.options if i not in q.answer["correct"])


# --- templates and questions -------------------------------------------------


def test_templates_list_lesson_templates(client):
    body = client.get("/api/drills/templates").json()

    assert body["kinds"] == list(practice.KINDS)
    assert [t["id"] for t in body["templates"]] == list(TEMPLATES)
    for shown in body["templates"]:
        drill = TEMPLATES[shown["id"]]
        assert shown["kind"] == drill.kind
        assert shown["concept"] == drill.concept
        assert shown["title"] == drill.title
        assert shown["title"] != drill.id
        assert set(shown) == {"id", "kind", "title", "concept", "opens"}


def test_section_targets_become_lesson_urls(client):
    body = client.get("/api/drills/templates").json()
    opens = {t["id"]: t["opens"] for t in body["templates"]}

    assert opens[NUMERIC] == "/explorer"
    assert opens[CHOICE] == "/lessons/activations#choosing-the-output"


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_new_question_matches_generator(client, template):
    response = client.post("/api/drills/new", json={"template": template, "seed": 7})
    body = response.json()
    expected = question(template, 7)

    assert response.status_code == 200
    assert body["id"] == expected.id
    assert body["prompt"] == expected.prompt
    assert body["kind"] == expected.kind
    assert body["title"] == TEMPLATES[template].title
    assert body["options"] == [{"id": i, "text": t} for i, t in expected.options]
    assert "answer" not in body
    assert "explanation" not in response.text


def test_same_seed_gives_same_question(client):
    first = client.post("/api/drills/new", json={"kind": "numeric", "seed": 3}).json()
    again = client.post("/api/drills/new", json={"kind": "numeric", "seed": 3}).json()

    assert first == again


@pytest.mark.parametrize("kind", practice.KINDS)
def test_kind_picks_template_of_kind(client, kind):
    for seed in range(5):
        body = client.post("/api/drills/new", json={"kind": kind, "seed": seed}).json()
        assert TEMPLATES[body["template"]].kind == kind


def test_new_question_without_fields(client):
    body = client.post("/api/drills/new", json={}).json()

    assert body["template"] in TEMPLATES
    assert 0 <= body["seed"] <= SEED_MAX


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"template": "nope"}, "template", "'nope'"),
        ({"template": "nope"}, "template", "choose one of value-at-z"),
        ({"kind": "essay"}, "kind", "'essay'"),
        ({"kind": "predict", "template": NUMERIC}, "kind", "numeric drill"),
        ({"seed": -1}, "seed", "invalid seed -1"),
        ({"seed": SEED_MAX + 1}, "seed", str(SEED_MAX + 1)),
        ({"seed": 1.5}, "seed", "1.5"),
        ({"seed": "7"}, "seed", "'7'"),
        ({"seed": True}, "seed", "True"),
        ({"template": 5}, "template", "5"),
    ],
)
def test_bad_new_request_is_422(client, body, field, fragment):
    response = client.post("/api/drills/new", json=body)

    assert response.status_code == 422
    assert response.json()["field"] == field
    assert fragment in response.json()["detail"]


# --- grading -----------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_numeric_right_answer_is_correct(client, seed):
    q = question(NUMERIC, seed)
    value = q.answer["value"]
    response = answer(client, NUMERIC, seed, value)
    body = response.json()

    assert response.status_code == 200
    assert body["correct"] is True
    assert body["score"] == 1.0
    assert body["expected"] == f"{value:.4g}"
    assert "$" not in body["explanation"]
    assert body["formula"] is not None


def test_numeric_answer_as_text_and_fraction(client):
    seed = next(s for s in range(50) if question(NUMERIC, s).answer["value"] == 0.0)
    for text in ("0", "0/4", "0.0e0", " 0.001 "):
        assert answer(client, NUMERIC, seed, text).json()["correct"] is True


def test_numeric_wrong_answer_explains(client):
    q = question(NUMERIC, 2)
    body = answer(client, NUMERIC, 2, q.answer["value"] + 1).json()

    assert body["correct"] is False
    assert body["score"] == 0.0
    assert body["explanation"].startswith("For ")
    assert body["formula_image"].startswith("/formulas/")


def test_formula_image_is_served(client):
    body = answer(client, NUMERIC, 2, 0.5).json()
    image = client.get(body["formula_image"])

    assert image.status_code == 200
    assert image.headers["content-type"].startswith("image/svg+xml")


@pytest.mark.parametrize("template", [CHOICE, "hidden-for-problem"])
def test_choice_right_and_wrong(client, template):
    q = question(template, 4)
    picked = wrong_option(q)
    right = answer(client, template, 4, q.answer["correct"][0]).json()
    wrong = answer(client, template, 4, picked).json()

    assert right["correct"] is True
    assert right["explanation"] == practice.grade(q, q.answer["correct"][0]).explanation
    assert right["explanation"].startswith(q.answer["correct"][0] + " ")
    assert wrong["correct"] is False
    assert wrong["expected"] == q.answer["correct"][0]
    assert wrong["explanation"] == practice.grade(q, picked).explanation
    assert wrong["explanation"].startswith(picked + " ")
    assert wrong["explanation"].endswith(right["explanation"])
    assert "registry" not in wrong["explanation"]
    assert wrong["formula"] is None


def test_predict_reports_observed_run(client):
    q = question(PREDICT, 0)
    observed = practice.observe(q)
    actual = practice.outcome(observed["change"], q.answer["tolerance"])
    body = answer(client, PREDICT, 0, actual).json()

    assert body["correct"] is True
    assert body["expected"] == actual
    assert body["observed"] == pytest.approx(observed)
    assert body["explanation"].startswith("Observed:")


def test_predict_same_option_states_tolerance(client):
    body = client.post("/api/drills/new", json={"template": PREDICT, "seed": 0}).json()
    tolerance = TEMPLATES[PREDICT].params["tolerance"]

    assert [o["id"] for o in body["options"]] == [i for i, _ in practice.PREDICTIONS]
    assert body["options"][1]["text"] == f"About the same, within ±{tolerance:g}"


def test_predict_wrong_prediction(client):
    q = question(PREDICT, 0)
    actual = practice.outcome(practice.observe(q)["change"], q.answer["tolerance"])
    other = next(i for i, _ in practice.PREDICTIONS if i != actual)
    body = answer(client, PREDICT, 0, other).json()

    assert body["correct"] is False
    assert body["score"] == 0.0


@pytest.mark.parametrize(
    ("template", "value", "fragment"),
    [
        (NUMERIC, "abc", "invalid answer 'abc'"),
        (NUMERIC, "", "missing answer"),
        (NUMERIC, "1/0", "denominator"),
        (NUMERIC, "nan", "invalid answer 'nan'"),
        (NUMERIC, "x" * 201, "at most 200"),
        (NUMERIC, [0.5], "invalid answer [0.5]"),
        (NUMERIC, None, "invalid answer None"),
        (NUMERIC, True, "invalid answer True"),
        (CHOICE, "not-an-activation", "choose one of"),
        (CHOICE, 3, "invalid choice 3"),
        (PREDICT, "maybe", "'maybe'"),
    ],
)
def test_malformed_answer_is_422_unrecorded(client, template, value, fragment):
    response = answer(client, template, 1, value)

    assert response.status_code == 422
    assert response.json()["field"] == "answer"
    assert fragment in response.json()["detail"]
    assert drill_attempts(client) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"seed": 1, "answer": "1"}, "template"),
        ({"template": NUMERIC, "answer": "1"}, "seed"),
        ({"template": NUMERIC, "seed": 1}, "answer"),
        ({"template": "nope", "seed": 1, "answer": "1"}, "template"),
        ({"template": NUMERIC, "seed": -5, "answer": "1"}, "seed"),
        ({"template": NUMERIC, "seed": 1, "answer": [1]}, "answer"),
        ({"template": NUMERIC, "seed": 1, "answer": True}, "answer"),
        ({"template": NUMERIC, "seed": 1, "answer": None}, "answer"),
        ({"template": NUMERIC, "seed": 1, "answer": "1", "action_id": ""}, "action_id"),
        (
            {"template": NUMERIC, "seed": 1, "answer": "1", "action_id": "a" * 65},
            "action_id",
        ),
    ],
)
def test_bad_answer_body_is_422(client, body, field):
    response = client.post("/api/drills/answer", json=body)

    assert response.status_code == 422
    assert field in {error["field"] for error in response.json()["errors"]}
    assert drill_attempts(client) == []


@pytest.mark.parametrize(
    "content", [b"", b"{not json", b"[1, 2]", b'"text"', b"null", b"{}"]
)
def test_body_that_is_no_object_is_422(client, content):
    response = client.post(
        "/api/drills/answer",
        content=content,
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 422
    assert response.json()["detail"]


# --- the store ---------------------------------------------------------------


def test_answer_is_stored_as_attempt(client):
    q = question(NUMERIC, 9)
    body = answer(client, NUMERIC, 9, "0.5", action_id="drill-action-1").json()
    (stored,) = drill_attempts(client)

    assert stored.item_id == NUMERIC
    assert stored.concept == q.concept
    assert stored.action_id == "drill-action-1"
    assert stored.score == body["score"]
    assert stored.correct is body["correct"]
    assert stored.detail == {"seed": 9, "answer": "0.5"}
    assert body["attempt"]["id"] == stored.id
    assert body["attempt"]["duplicate"] is False


def test_answer_without_action_id_gets_one(client):
    body = answer(client, CHOICE, 1, question(CHOICE, 1).options[0][0]).json()

    assert len(body["attempt"]["action_id"]) > 0
    assert len(drill_attempts(client)) == 1


def test_repeated_action_id_counts_once(client):
    q = question(NUMERIC, 4)
    first = answer(client, NUMERIC, 4, q.answer["value"], action_id="same").json()
    # A resend with another answer must still report the answer stored first.
    again = answer(client, NUMERIC, 4, q.answer["value"] + 5, action_id="same").json()

    assert len(drill_attempts(client)) == 1
    assert again["attempt"]["duplicate"] is True
    assert again["attempt"]["id"] == first["attempt"]["id"]
    assert again["correct"] is True
    assert again["answer"] == first["answer"]


def test_action_id_of_other_kind_is_422(client):
    steps = practice.exercises()["layer-forward"].answer
    client.post(
        "/api/ordering/layer-forward/answer",
        json={"order": steps, "action_id": "shared-key"},
    )
    response = answer(client, NUMERIC, 1, "1", action_id="shared-key")

    assert response.status_code == 422
    assert response.json()["field"] == "action_id"
    assert "ordering attempt" in response.json()["detail"]
    assert drill_attempts(client) == []


def test_every_kind_is_recorded_with_concept(client):
    for template in (NUMERIC, CHOICE, PREDICT):
        q = question(template, 0)
        value = q.answer["value"] if q.kind == "numeric" else q.options[0][0]
        assert answer(client, template, 0, value).status_code == 200

    stored = {a.item_id: a.concept for a in drill_attempts(client)}
    assert stored == {t: TEMPLATES[t].concept for t in (NUMERIC, CHOICE, PREDICT)}


# --- page --------------------------------------------------------------------


def test_drill_page_offers_templates(client):
    response = client.get("/drill")

    assert response.status_code == 200
    for template, drill in TEMPLATES.items():
        assert f'value="{template}"' in response.text
        assert f">{drill.title} ({drill.kind})</option>" in response.text
    assert "actions.js" in response.text
    assert "drill.js" in response.text


def test_drill_page_uses_only_local_urls(client):
    text = client.get("/drill").text

    assert "http://" not in text.replace("http://www.w3.org", "")
    assert "https://" not in text
