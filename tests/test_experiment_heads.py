"""The heads experiment: the range of each output activation, measured."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from actlab import experiments
from actlab.experiments import ExperimentResult, heads, run_experiment
from actlab.experiments.heads import HeadsSettings
from actlab.store import Store


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """Run the quick settings once into a SQLite store and yield both."""
    path = tmp_path_factory.mktemp("heads") / "s.db"
    with Store.open(f"sqlite:///{path}") as store:
        yield run_experiment("heads", quick=True, store=store), store


@pytest.fixture(scope="module")
def result(stored):
    return stored[0]


def summary(result, task: str) -> dict:
    return result.data["summary"][task]


def claim(result, start: str, contains: str = ""):
    return next(
        c for c in result.claims if c.claim.startswith(start) and contains in c.claim
    )


def test_registered_under_module_name():
    experiment = experiments.get("heads")
    assert experiment.settings is HeadsSettings
    assert experiment.run is heads.run


@pytest.mark.slow
def test_linear_head_leaves_unit_interval(result):
    binary = summary(result, "binary")
    assert binary["linear"]["outside_share"] > 0.05
    assert (
        binary["linear"]["min_prediction"] < 0 or binary["linear"]["max_prediction"] > 1
    )
    assert binary["sigmoid"]["outside_share"] == 0
    assert binary[heads.CROSS_ENTROPY_HEAD]["outside_share"] == 0
    assert binary["sigmoid"]["accuracy"] > 0.9
    assert claim(result, "A linear head trained on 0/1").held is True


@pytest.mark.slow
def test_sigmoid_head_caps_r2(result):
    regression = summary(result, "regression")
    linear, sigmoid = regression["linear"], regression["sigmoid"]
    assert linear["r2"] > 0.3
    assert sigmoid["r2"] < linear["r2"] - 0.1
    assert sigmoid["r2"] <= sigmoid["r2_ceiling"]
    assert sigmoid["r2_ceiling"] < 0.8
    assert linear["r2_ceiling"] == 1.0
    assert sigmoid["min_prediction"] >= 0
    assert sigmoid["max_prediction"] <= 1
    assert claim(result, "A sigmoid head caps").held is True


@pytest.mark.slow
def test_linear_head_negative_on_count(result):
    count = summary(result, "count")
    assert count["linear"]["outside_share"] > 0
    assert count["linear"]["min_prediction"] < 0
    for name in ("relu", "softplus"):
        assert count[name]["outside_share"] == 0
        assert count[name]["min_prediction"] >= 0
    assert claim(result, "A linear head makes negative", "(count)").held is True


@pytest.mark.slow
def test_positive_claim_matches_measure(result):
    positive = summary(result, "positive")
    for name in ("relu", "softplus"):
        assert positive[name]["min_prediction"] >= 0
    stated = claim(result, "A linear head makes negative", "(positive)")
    linear_share = positive["linear"]["outside_share"]
    assert stated.held is (linear_share > 0)
    assert f"{linear_share:.1%} of the linear head's" in stated.measured


@pytest.mark.slow
def test_tables_one_per_task(result):
    titles = [table.title.split(":")[0] for table in result.tables]
    assert titles == [task.name for task in heads.TASKS]
    binary = result.tables[0]
    assert binary.columns[1] == "share outside [0, 1]"
    assert "accuracy" in binary.columns
    assert result.tables[1].columns[1] == "share outside (-∞, ∞)"
    assert [row[0] for row in binary.rows][-1] == heads.CROSS_ENTROPY_HEAD


@pytest.mark.slow
def test_runs_per_task_head_and_seed(result):
    settings = result.settings
    seeds = len(settings["seeds"])
    heads_per_task = len(settings["heads"])
    expected = seeds * (len(heads.TASKS) * heads_per_task + 1)
    assert len(result.data["runs"]) == expected
    example = result.data["examples"]["count"]
    assert len(example["target"]) == len(example["predictions"]["linear"])
    assert min(example["target"]) >= 0


@pytest.mark.slow
def test_round_trips_through_json(result):
    values = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    restored = ExperimentResult.from_dict(values)
    assert restored.to_dict() == result.to_dict()
    assert restored.claims == result.claims
    assert restored.tables == result.tables


@pytest.mark.slow
def test_saved_in_store(stored):
    result, store = stored
    records = store.experiment_runs("heads")
    assert len(records) == 1
    assert records[0].result["name"] == "heads"
    assert records[0].result["claims"] == result.to_dict()["claims"]


@pytest.mark.slow
def test_plot_writes_png(result, tmp_path):
    paths = heads.plot(result, tmp_path)
    assert [path.name for path in paths] == ["heads.png"]
    content = paths[0].read_bytes()
    assert content.startswith(b"\x89PNG")
    assert len(content) > 10_000


def test_measure_ceiling_and_share():
    task = heads.TASKS[1]
    head = heads.Head("sigmoid", "sigmoid", "mse", (0.0, 1.0))
    target = np.array([-2.0, -1.0, 0.5, 1.0, 2.0])
    predictions = np.array([0.0, 0.1, 0.5, 0.9, 1.0])
    measures = heads._measure(predictions, target, task, head)
    clipped = np.clip(target, 0.0, 1.0)
    total = np.sum((target - target.mean()) ** 2)
    expected = 1 - np.sum((target - clipped) ** 2) / total
    assert math.isclose(measures["r2_ceiling"], expected)
    assert measures["r2"] <= measures["r2_ceiling"]
    assert measures["outside_share"] == 0.0
    assert measures["constant"] is False


def test_measure_binary_share_and_accuracy():
    task = heads.TASKS[0]
    head = heads.Head("linear", "linear", "mse", (-math.inf, math.inf))
    target = np.array([0, 0, 1, 1])
    predictions = np.array([-0.2, 0.3, 0.8, 1.4])
    measures = heads._measure(predictions, target, task, head)
    assert measures["outside_share"] == 0.5
    assert measures["accuracy"] == 1.0


def test_count_target_is_non_negative_integers():
    dataset = heads._with_count_target(heads.data.load("diabetes"), seed=0)
    assert dataset.y.min() == 0
    assert np.all(dataset.y == np.round(dataset.y))
    assert 0.5 < dataset.y.mean() < 2.0


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"heads": ("sigmoid", "relu")}, "'linear'"),
        ({"heads": ("linear", "softmax")}, "'softmax'"),
        ({"heads": ("linear", "nope")}, "'nope'"),
        ({"heads": ("linear", "relu", "relu")}, "'relu' is listed twice"),
        ({"hidden": ()}, "hidden ()"),
        ({"hidden": (16, 0)}, "hidden width 0"),
        ({"epochs": 0}, "epochs 0"),
        ({"batch_size": 1.5}, "batch_size 1.5"),
        ({"learning_rate": 0.0}, "learning_rate 0.0"),
        ({"learning_rate": math.nan}, "learning_rate nan"),
        ({"test_fraction": 0.9}, "test_fraction 0.9"),
        ({"seeds": ()}, "seeds ()"),
    ],
)
def test_invalid_settings_name_value(changes, named):
    with pytest.raises(ValueError, match=r"invalid|unknown") as error:
        HeadsSettings(**changes)
    assert named in str(error.value)


def test_settings_normalise_head_names():
    settings = HeadsSettings(heads=("identity", "logistic"))
    assert settings.heads == ("linear", "sigmoid")
