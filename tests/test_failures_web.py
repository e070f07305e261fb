"""The failure-lab API and pages, over a real SQLite file per test."""

from __future__ import annotations

import json
import math

import pytest

from actlab import practice
from actlab.web.routers import failures
from actlab.web.routers.practice_page import SEED_MAX

SCENARIOS = practice.SCENARIOS
# The scenario with the shortest runs, for the tests that need any one.
FAST = "linear-probability"


def right(options: tuple[practice.Option, ...]) -> practice.Option:
    return next(option for option in options if option.correct)


def wrong(options: tuple[practice.Option, ...]) -> practice.Option:
    return next(option for option in options if not option.correct)


def choose(client, scenario_id: str, diagnosis: str, remedy: str, **extra):
    body = {"diagnosis": diagnosis, "remedy": remedy, **extra}
    return client.post(f"/api/scenarios/{scenario_id}/choose", json=body)


def scenario_attempts(client):
    return client.app.state.store.attempts(kind="scenario")


def keys_of(value) -> set[str]:
    """Every key of every object nested in a JSON value."""
    if isinstance(value, dict):
        return set(value) | {k for item in value.values() for k in keys_of(item)}
    if isinstance(value, list):
        return {k for item in value for k in keys_of(item)}
    return set()


# --- listing -----------------------------------------------------------------


def test_list_matches_catalogue(client):
    body = client.get("/api/scenarios").json()

    assert [s["id"] for s in body] == list(SCENARIOS)
    for shown in body:
        assert shown["title"] == SCENARIOS[shown["id"]].title
        assert shown["url"] == f"/failures/{shown['id']}"


@pytest.mark.parametrize("scenario_id", list(SCENARIOS))
def test_detail_hides_right_answers(client, scenario_id):
    scenario = SCENARIOS[scenario_id]
    body = client.get(f"/api/scenarios/{scenario_id}").json()

    assert body["criterion"] == scenario.criterion
    assert [o["id"] for o in body["diagnoses"]] == [o.id for o in scenario.diagnoses]
    assert [o["id"] for o in body["remedies"]] == [o.id for o in scenario.remedies]
    assert keys_of(body).isdisjoint({"correct", "reason", "changes"})
    assert body["setup"]["sizes"] == list(scenario.setup.sizes)


@pytest.mark.parametrize("scenario_id", list(SCENARIOS))
def test_page_does_not_name_the_failure(client, scenario_id):
    scenario = SCENARIOS[scenario_id]
    page = client.get(f"/failures/{scenario_id}").text
    listing = client.get("/failures").text

    assert scenario.failure not in page
    assert scenario.failure not in listing
    assert scenario.explanation not in page
    # The criterion tells what to look for, so it waits for the choice too.
    assert scenario.criterion not in page


@pytest.mark.parametrize(
    ("scenario_id", "shown"),
    [("dead-relu-rate", "softmax"), (FAST, "linear"), ("dead-relu-bias", "sigmoid")],
)
def test_setup_shows_output_in_loss(client, scenario_id, shown):
    body = client.get(f"/api/scenarios/{scenario_id}").json()

    assert body["setup"]["output_shown"] == shown


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/scenarios/nope"),
        ("post", "/api/scenarios/nope/trigger"),
        ("post", "/api/scenarios/nope/choose"),
    ],
)
def test_unknown_scenario_is_404_listing_them(client, method, path):
    body = {"diagnosis": "a", "remedy": "b"} if path.endswith("choose") else {}
    response = getattr(client, method)(
        path, **({"json": body} if method == "post" else {})
    )

    assert response.status_code == 404
    assert "'nope'" in response.json()["detail"]
    assert FAST in response.json()["detail"]


# --- trigger -----------------------------------------------------------------


@pytest.mark.parametrize("scenario_id", list(SCENARIOS))
def test_trigger_fails_as_engine_does(client, scenario_id):
    scenario = SCENARIOS[scenario_id]
    response = client.post(f"/api/scenarios/{scenario_id}/trigger", json={"seed": 0})
    body = response.json()
    direct = scenario.trigger(0)

    assert response.status_code == 200
    assert body["failed"] is direct.failed is True
    assert body["recovered"] is None
    assert body["remedy"] is None
    assert set(body["measures"]) == {*scenario.reads, "metric", "diverged"}
    for name in body["measures"]:
        value = direct.measures[name]
        if isinstance(value, bool) or not math.isfinite(value):
            assert body["measures"][name] == (
                value if isinstance(value, bool) else None
            )
        else:
            assert body["measures"][name] == pytest.approx(value)
    n_layers = len(scenario.setup.sizes) - 1
    assert len(body["before"]) == len(body["after"]) == n_layers
    assert body["history"]["epochs"][0]["epoch"] == 0
    assert len(body["history"]["epochs"]) == len(direct.history.epochs) + 1


def test_trigger_layer_stats_match_diagnosis(client):
    scenario = SCENARIOS["dead-relu-bias"]
    body = client.post(f"/api/scenarios/{scenario.id}/trigger", json={"seed": 2}).json()
    direct = scenario.trigger(2)

    for shown, layer in zip(body["after"], direct.after.layers, strict=True):
        assert shown["dead_fraction"] == layer.dead_fraction
        assert shown["saturated_fraction"] == layer.saturated_fraction
        assert shown["grad_norm"] == pytest.approx(layer.grad_norm)
        assert shown["activation"] == layer.activation


def test_trigger_seed_defaults_to_zero(client):
    body = client.post(f"/api/scenarios/{FAST}/trigger", json={}).json()

    assert body["seed"] == 0


def test_trigger_records_nothing(client):
    client.post(f"/api/scenarios/{FAST}/trigger", json={"seed": 1})

    assert scenario_attempts(client) == []


@pytest.mark.parametrize(
    ("seed", "fragment"),
    [
        (-1, "invalid seed -1"),
        (SEED_MAX + 1, str(SEED_MAX + 1)),
        (2**64, str(2**64)),
        (1.5, "1.5"),
        ("3", "'3'"),
        (True, "True"),
        (None, "None"),
    ],
)
def test_bad_seed_is_422_naming_it(client, seed, fragment):
    scenario = SCENARIOS[FAST]
    trigger = client.post(f"/api/scenarios/{FAST}/trigger", json={"seed": seed})
    chosen = choose(
        client,
        FAST,
        right(scenario.diagnoses).id,
        right(scenario.remedies).id,
        seed=seed,
    )

    for response in (trigger, chosen):
        assert response.status_code == 422
        assert response.json()["field"] == "seed"
        assert fragment in response.json()["detail"]
    assert scenario_attempts(client) == []


def test_largest_seed_is_accepted(client):
    response = client.post(f"/api/scenarios/{FAST}/trigger", json={"seed": SEED_MAX})

    assert response.status_code == 200
    assert response.json()["seed"] == SEED_MAX


def test_non_finite_measures_become_null():
    measures = {"growth": float("inf"), "ratio": float("nan"), "x": 0.5, "d": True}

    names = ("growth", "ratio", "x", "d")

    assert failures._measures(measures, names) == {
        "growth": None,
        "ratio": None,
        "x": 0.5,
        "d": True,
    }
    assert failures._measures(measures, ("x",)) == {"x": 0.5}


# --- choose and rerun --------------------------------------------------------


@pytest.mark.parametrize("scenario_id", list(SCENARIOS))
def test_right_choice_recovers(client, scenario_id):
    scenario = SCENARIOS[scenario_id]
    diagnosis, remedy = right(scenario.diagnoses), right(scenario.remedies)
    body = choose(client, scenario_id, diagnosis.id, remedy.id, seed=1).json()

    assert body["score"] == 1.0
    assert body["diagnosis"]["correct"] is True
    assert body["remedy"]["reason"] == remedy.reason
    assert body["rerun"]["remedy"] == remedy.id
    assert body["rerun"]["seed"] == 1
    assert body["rerun"]["recovered"] is True
    assert body["failure"] == scenario.failure
    assert body["explanation"] == scenario.explanation
    failing = client.get(f"/api/scenarios/{scenario_id}").json()["setup"]
    changed = {
        name for name in failing if failing[name] != body["rerun"]["setup"][name]
    }
    # The rerun changes exactly the fields the remedy lists, and nothing else.
    assert changed - {"output_shown"} == set(remedy.changes)


def test_wrong_choices_give_reasons(client):
    scenario = SCENARIOS[FAST]
    diagnosis, remedy = wrong(scenario.diagnoses), wrong(scenario.remedies)
    body = choose(client, FAST, diagnosis.id, remedy.id).json()

    assert body["score"] == 0.0
    assert body["diagnosis"] == {
        "id": diagnosis.id,
        "text": diagnosis.text,
        "correct": False,
        "reason": diagnosis.reason,
    }
    assert body["remedy"]["correct"] is False
    assert body["remedy"]["reason"] == remedy.reason
    assert body["rerun"]["recovered"] is False


def test_half_right_scores_half(client):
    scenario = SCENARIOS[FAST]
    body = choose(
        client, FAST, right(scenario.diagnoses).id, wrong(scenario.remedies).id
    ).json()

    assert body["score"] == 0.5
    (stored,) = scenario_attempts(client)
    assert stored.correct is False
    assert stored.score == 0.5


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"diagnosis": "nope", "remedy": "sigmoid-bce"}, "diagnosis", "'nope'"),
        ({"diagnosis": "output-range", "remedy": "nope"}, "remedy", "'nope'"),
        ({"diagnosis": "output-range", "remedy": "xavier"}, "remedy", "'xavier'"),
        ({"remedy": "sigmoid-bce"}, "diagnosis", "diagnosis"),
        ({"diagnosis": "output-range"}, "remedy", "remedy"),
        ({"diagnosis": "", "remedy": "sigmoid-bce"}, "diagnosis", "diagnosis"),
        ({"diagnosis": 3, "remedy": "sigmoid-bce"}, "diagnosis", "3"),
        ({"diagnosis": "x" * 101, "remedy": "sigmoid-bce"}, "diagnosis", "100"),
        (
            {
                "diagnosis": "output-range",
                "remedy": "sigmoid-bce",
                "action_id": "a" * 65,
            },
            "action_id",
            "64",
        ),
    ],
)
def test_bad_choice_is_422_unrecorded(client, body, field, fragment):
    response = client.post(f"/api/scenarios/{FAST}/choose", json=body)

    assert response.status_code == 422
    assert response.json()["field"] == field
    assert fragment in response.json()["detail"]
    assert scenario_attempts(client) == []


@pytest.mark.parametrize("content", [b"", b"{", b"[]", b"42", b"null"])
def test_body_that_is_no_object_is_422(client, content):
    response = client.post(
        f"/api/scenarios/{FAST}/choose",
        content=content,
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 422


def test_choice_is_stored_as_attempt(client):
    scenario = SCENARIOS["dead-relu-bias"]
    diagnosis, remedy = right(scenario.diagnoses), right(scenario.remedies)
    body = choose(
        client, scenario.id, diagnosis.id, remedy.id, seed=5, action_id="lab-1"
    ).json()
    (stored,) = scenario_attempts(client)

    assert stored.item_id == scenario.id
    assert stored.action_id == "lab-1"
    assert stored.correct is True
    assert stored.score == 1.0
    assert stored.concept == scenario.concept == "dead-relu"
    assert stored.detail == {"seed": 5, "diagnosis": diagnosis.id, "remedy": remedy.id}
    assert body["attempt"] == {
        "id": stored.id,
        "action_id": "lab-1",
        "duplicate": False,
    }


def test_repeated_action_id_counts_once(client):
    scenario = SCENARIOS[FAST]
    first = choose(
        client,
        FAST,
        right(scenario.diagnoses).id,
        right(scenario.remedies).id,
        action_id="resent",
    ).json()
    again = choose(
        client,
        FAST,
        wrong(scenario.diagnoses).id,
        wrong(scenario.remedies).id,
        action_id="resent",
    ).json()

    assert len(scenario_attempts(client)) == 1
    assert again["attempt"]["duplicate"] is True
    assert again["score"] == first["score"] == 1.0
    assert again["remedy"]["id"] == first["remedy"]["id"]


def test_response_json_is_finite(client):
    for scenario_id in ("exploding-relu", "narrow-deep-relu", "vanishing-sigmoid"):
        text = client.post(
            f"/api/scenarios/{scenario_id}/trigger", json={"seed": 3}
        ).text
        assert "NaN" not in text
        assert "Infinity" not in text
        json.loads(text)


# --- pages -------------------------------------------------------------------


def test_list_page_links_every_scenario(client):
    response = client.get("/failures")

    assert response.status_code == 200
    for scenario_id in SCENARIOS:
        assert f'href="/failures/{scenario_id}"' in response.text


def test_scenario_page_offers_options(client):
    scenario = SCENARIOS["saturated-sigmoid"]
    response = client.get(f"/failures/{scenario.id}")

    assert response.status_code == 200
    assert scenario.title in response.text
    for option in (*scenario.diagnoses, *scenario.remedies):
        assert f'value="{option.id}"' in response.text
    assert "failures.js" in response.text


def test_scenario_page_hides_reasons(client):
    scenario = SCENARIOS["saturated-sigmoid"]
    text = client.get(f"/failures/{scenario.id}").text

    for option in (*scenario.diagnoses, *scenario.remedies):
        assert option.reason not in text


def test_unknown_scenario_page_is_404_listing_them(client):
    response = client.get("/failures/not-a-scenario")

    assert response.status_code == 404
    assert "&#39;not-a-scenario&#39; not found" in response.text
    for scenario_id in SCENARIOS:
        assert f'href="/failures/{scenario_id}"' in response.text
