"""The saturation experiment: gradient spread per layer, top layer, depth."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from actlab import experiments
from actlab.experiments import ExperimentResult, run_experiment, saturation
from actlab.experiments.saturation import SaturationSettings, predicted_factor
from actlab.store import Store


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    path = tmp_path_factory.mktemp("saturation") / "s.db"
    with Store.open(f"sqlite:///{path}") as store:
        result = run_experiment("saturation", quick=True, store=store)
        yield result, store.experiment_runs("saturation")


@pytest.fixture(scope="module")
def result(stored) -> ExperimentResult:
    return stored[0]


def _factor(result: ExperimentResult, activation: str, initialiser: str) -> dict:
    for factor in result.data["factors"]:
        if (factor["activation"], factor["initialiser"]) == (activation, initialiser):
            return factor
    raise AssertionError(f"no factor for {activation} with {initialiser}")


def test_predicted_factors_follow_variance_rule():
    assert math.isclose(predicted_factor("sigmoid", "standard"), math.sqrt(1 / 48))
    assert math.isclose(predicted_factor("tanh", "standard"), math.sqrt(1 / 3))
    assert math.isclose(predicted_factor("tanh", "xavier"), 1.0, rel_tol=1e-6)
    assert math.isclose(predicted_factor("relu", "xavier"), math.sqrt(0.5))
    assert math.isclose(predicted_factor("relu", "he"), 1.0)


@pytest.mark.slow
def test_measured_factor_ordering(result):
    sigmoid = _factor(result, "sigmoid", "standard")["measured"]
    tanh = _factor(result, "tanh", "xavier")["measured"]
    relu = _factor(result, "relu", "he")["measured"]
    assert sigmoid < tanh
    assert tanh < relu


@pytest.mark.slow
@pytest.mark.parametrize(
    ("activation", "initialiser"),
    [
        ("sigmoid", "standard"),
        ("tanh", "standard"),
        ("tanh", "xavier"),
        ("relu", "xavier"),
        ("relu", "he"),
    ],
)
def test_measured_factor_near_prediction(result, activation, initialiser):
    factor = _factor(result, activation, initialiser)
    assert 0.7 < factor["measured"] / factor["predicted"] < 1.3


@pytest.mark.slow
def test_sigmoid_gradient_vanishes_towards_input(result):
    stds = _factor(result, "sigmoid", "standard")["layer_stds"]
    assert stds[0] < stds[-1] / 100


@pytest.mark.slow
def test_top_layer_saturates_at_chance(result):
    first, last = result.data["curve"][0], result.data["curve"][-1]
    assert last["layer_means"][-1] < 0.8 * first["layer_means"][-1]
    for mean in last["layer_means"][:2]:
        assert abs(mean - 0.5) < 0.1
    assert last["error"] > 0.8


@pytest.mark.slow
def test_quick_top_layer_claim_not_held(result):
    # Eight epochs move the top layer's mean towards 0 but leave its outputs
    # above the saturation threshold, so the quick run cannot decide.
    claim = result.claims[1]
    last = result.data["curve"][-1]

    assert last["top_low_share"] <= saturation.SATURATED_SHARE
    assert claim.held is None
    assert "more epochs are needed" in claim.measured


@pytest.mark.slow
def test_full_budget_saturates_top_layer():
    settings = SaturationSettings()
    train, _ = saturation._digits(settings.seed)
    curve = saturation._train_saturating(settings, train)
    chance = 1.0 - float(np.bincount(train.y).max()) / train.n_samples
    claim = saturation._saturation_claim(curve, chance)

    assert curve[-1]["top_low_share"] > 0.9
    assert curve[0]["top_low_share"] < 0.1
    assert claim.held is True


def _curve(top_mean: float, low_share: float, error: float) -> list[dict]:
    start = {"epoch": 0, "error": 0.9, "layer_means": [0.5, 0.5], "top_low_share": 0}
    end = {
        "epoch": 30,
        "error": error,
        "layer_means": [0.5, top_mean],
        "top_low_share": low_share,
    }
    return [start, end]


@pytest.mark.parametrize(
    ("top_mean", "low_share", "error", "held"),
    [
        (0.08, 0.97, 0.90, True),
        (0.20, 0.00, 0.90, None),
        (0.30, 0.50, 0.90, None),
        (0.08, 0.97, 0.40, False),
        (0.60, 0.00, 0.90, False),
    ],
)
def test_saturation_claim_needs_saturated_share(top_mean, low_share, error, held):
    claim = saturation._saturation_claim(_curve(top_mean, low_share, error), 0.9)

    assert claim.held is held


@pytest.mark.slow
def test_sigmoid_error_grows_with_depth(result):
    sweep = result.data["sweep"]
    shallow = sweep["depths"].index(min(sweep["depths"]))
    deep = sweep["depths"].index(max(sweep["depths"]))
    sigmoid = sweep["activations"]["sigmoid"]["mean_errors"]
    relu = sweep["activations"]["relu"]["mean_errors"]
    assert sigmoid[deep] > sigmoid[shallow] + 0.2
    assert relu[deep] < 0.1


@pytest.mark.slow
def test_result_round_trips_through_json(result):
    encoded = json.dumps(result.to_dict())
    decoded = ExperimentResult.from_dict(json.loads(encoded))
    assert decoded.claims == result.claims
    assert decoded.tables == result.tables
    assert decoded.settings == result.settings
    assert decoded.versions["numpy"]


@pytest.mark.slow
def test_result_lands_in_store(stored):
    result, runs = stored
    assert len(runs) == 1
    assert runs[0].result["name"] == "saturation"
    assert runs[0].result["claims"][0]["claim"] == result.claims[0].claim


@pytest.mark.slow
def test_plot_writes_pngs(result, tmp_path):
    paths = experiments.get("saturation").plot(result, tmp_path)
    assert len(paths) == 3
    for path in paths:
        assert path.read_bytes().startswith(b"\x89PNG")
        assert path.stat().st_size > 5_000


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("width", 1, "width 1"),
        ("depth", 1.5, "depth 1.5"),
        ("saturation_learning_rate", float("nan"), "saturation_learning_rate nan"),
        ("depths", (), "depths is empty"),
        ("initialisers", ("lecun",), "'lecun'"),
        ("activations", ("nope",), "'nope'"),
    ],
)
def test_bad_settings_name_the_value(field, value, named):
    with pytest.raises(ValueError, match=re.escape(named)):
        SaturationSettings(**{field: value})
