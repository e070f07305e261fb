"""The variants experiment: mean activations, SELU through depth, accuracy."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from actlab import experiments, nn
from actlab.experiments import ExperimentResult, run_experiment
from actlab.experiments.variants import (
    PUBLISHED_GAINS,
    VariantsSettings,
    unit_mean_magnitude,
)
from actlab.store import Store


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    path = tmp_path_factory.mktemp("variants") / "s.db"
    with Store.open(f"sqlite:///{path}") as store:
        result = run_experiment("variants", quick=True, store=store)
        yield result, store.experiment_runs("variants")


@pytest.fixture(scope="module")
def result(stored) -> ExperimentResult:
    return stored[0]


def test_unit_mean_magnitude_of_known_network():
    # A single ReLU unit with weight 1 outputs 1 and 0, whose mean is 0.5.
    hidden = nn.Dense([[1.0]], [0.0], "relu")
    output = nn.Dense([[1.0]], [0.0], "linear")
    net = nn.Network([hidden, output])
    assert unit_mean_magnitude(net, np.array([[1.0], [-1.0]])) == 0.5


def test_elu_mean_closer_to_zero(result):
    runs = result.data["runs"]
    assert runs["elu"]["initial_mean"] < runs["relu"]["initial_mean"]
    assert runs["elu"]["trained_mean"] < runs["relu"]["trained_mean"]


def test_selu_keeps_mean_and_variance(result):
    selu = result.data["deep"]["selu"]
    assert len(selu["variances"][0]) == 64
    for variances, means in zip(selu["variances"], selu["means"], strict=True):
        assert 0.5 <= variances[-1] <= 2.0
        assert abs(means[-1]) < 0.2


def test_relu_and_tanh_drift(result):
    deep = result.data["deep"]
    assert deep["tanh"]["variances"][0][-1] < 0.1
    assert deep["relu"]["means"][0][-1] > 0.2


def test_every_variant_learns_digits(result):
    for name, summary in result.data["runs"].items():
        assert summary["test_accuracy"] > 0.5, name
        assert summary["diverged"] == 0, name


def test_each_variant_has_gain_claim(result):
    for name in ("leaky_relu", "elu", "selu", "silu", "gelu"):
        claims = [c for c in result.claims if c.claim == PUBLISHED_GAINS[name]]
        assert len(claims) == 1, name
        accuracy = f"{result.data['runs'][name]['test_accuracy']:.3f}"
        assert accuracy in claims[0].measured


def test_result_round_trips_through_json(result):
    decoded = ExperimentResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert decoded.claims == result.claims
    assert decoded.tables == result.tables
    assert decoded.seeds == result.seeds


def test_result_lands_in_store(stored):
    result, runs = stored
    assert len(runs) == 1
    assert runs[0].result["name"] == "variants"
    assert runs[0].result["data"]["deep"] == result.data["deep"]


def test_plot_writes_pngs(result, tmp_path):
    paths = experiments.get("variants").plot(result, tmp_path)
    assert len(paths) == 2
    for path in paths:
        assert path.read_bytes().startswith(b"\x89PNG")
        assert path.stat().st_size > 5_000


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("activations", ("elu", "selu"), "include 'relu'"),
        ("activations", ("relu", "softmax"), "'softmax'"),
        ("learning_rate", 0.0, "learning_rate 0.0"),
        ("deep_depth", 0, "deep_depth 0"),
        ("seeds", (), "seeds is empty"),
    ],
)
def test_bad_settings_name_the_value(field, value, named):
    with pytest.raises(ValueError, match=re.escape(named)):
        VariantsSettings(**{field: value})
