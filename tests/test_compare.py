"""The compare experiment: real networks on real data, summarised per activation."""

from __future__ import annotations

import json

import pytest

from actlab.experiments import CompareSettings, plot_curves, run_compare, verdict

SMALL = {"hidden": (32, 32, 32), "epochs": 15, "seeds": (0,)}


@pytest.fixture(scope="module")
def digits_result():
    settings = CompareSettings(activations=("relu", "sigmoid"), **SMALL)
    return run_compare(settings)


def test_relu_reaches_threshold_before_sigmoid(digits_result):
    relu = digits_result.summary("relu")
    sigmoid = digits_result.summary("sigmoid")
    assert relu.reached == 1
    assert sigmoid.median_epochs is None or relu.median_epochs < sigmoid.median_epochs


def test_sigmoid_gradient_vanishes_towards_input(digits_result):
    relu = digits_result.summary("relu")
    sigmoid = digits_result.summary("sigmoid")
    assert sigmoid.grad_norm_ratio < relu.grad_norm_ratio / 3


def test_statistics_apply_per_family(digits_result):
    relu = digits_result.summary("relu")
    sigmoid = digits_result.summary("sigmoid")
    assert relu.dead_fraction is not None
    assert relu.saturated_fraction is None
    assert sigmoid.dead_fraction is None
    assert 0.0 <= sigmoid.saturated_fraction <= 1.0


def test_runs_record_curves_and_settings(digits_result):
    run = digits_result.runs[0]
    assert len(run.losses) == SMALL["epochs"]
    assert run.losses[-1] < run.losses[0]
    assert digits_result.dataset["name"] == "digits"
    assert digits_result.versions["numpy"]
    encoded = json.dumps(digits_result.to_dict())
    assert json.loads(encoded)["settings"]["activations"] == ["relu", "sigmoid"]


def test_verdict_names_both(digits_result):
    sentence = verdict(digits_result)
    assert sentence.startswith("relu reached")
    assert "sigmoid" in sentence


def test_plot_curves_writes_png_and_svg(digits_result, tmp_path):
    paths = plot_curves(digits_result, tmp_path)
    assert [p.suffix for p in paths] == [".png", ".svg"]
    assert paths[0].read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in paths[1].read_bytes()[:2000]


def test_regression_reports_r2():
    settings = CompareSettings(
        dataset="diabetes", activations=("relu",), hidden=(16,), epochs=20, seeds=(0,)
    )
    result = run_compare(settings)
    assert result.metric_name == "r2"
    assert result.loss == "mse"
    assert result.summary("relu").train_metric > 0.3


def test_diverging_run_is_recorded_not_raised():
    settings = CompareSettings(
        dataset="diabetes",
        activations=("relu",),
        hidden=(16,),
        epochs=5,
        seeds=(0,),
        learning_rate=50.0,
    )
    result = run_compare(settings)
    run = result.runs[0]
    assert run.diverged is not None
    assert "diverged" in run.diverged
    assert result.summary("relu").diverged == 1


def test_verdict_warns_when_faster_generalises_worse():
    settings = CompareSettings(
        dataset="diabetes",
        activations=("relu", "sigmoid"),
        hidden=(64, 64),
        epochs=60,
        seeds=(0,),
        learning_rate=0.05,
    )
    result = run_compare(settings)
    relu = result.summary("relu")
    sigmoid = result.summary("sigmoid")
    sentence = verdict(result)
    if relu.test_metric < sigmoid.test_metric - 0.02:
        assert "generalises worse" in sentence
    else:
        assert "generalises worse" not in sentence


def test_progress_counts_epochs():
    seen = []
    settings = CompareSettings(activations=("relu", "tanh"), **SMALL)
    run_compare(settings, progress=lambda done, total, what: seen.append(done))
    total = 2 * SMALL["epochs"]
    assert seen[-1] == total
    assert seen == sorted(seen)
    assert len(set(seen)) == total + 1


def test_csv_dataset_needs_target(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("a,b,label\n1,2,0\n2,1,1\n3,3,0\n4,1,1\n")
    with pytest.raises(ValueError, match="--target"):
        run_compare(CompareSettings(dataset=str(path), **SMALL))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"activations": ("softmax",)}, "only an output layer"),
        ({"activations": ("nope",)}, "unknown activation 'nope'"),
        ({"activations": ()}, "activations is empty"),
        ({"epochs": 0}, "epochs=0"),
        ({"learning_rate": float("nan")}, "learning_rate=nan"),
        ({"hidden": (0,)}, "hidden layer sizes"),
        ({"seeds": ()}, "seeds is empty"),
        ({"optimiser": "lbfgs"}, "lbfgs"),
    ],
)
def test_settings_reject_bad_values(options, message):
    with pytest.raises(ValueError, match=message):
        CompareSettings(**options)


def test_unknown_dataset_lists_choices():
    with pytest.raises(ValueError, match="breast_cancer"):
        run_compare(CompareSettings(dataset="no_such_set", **SMALL))
