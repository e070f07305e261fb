"""Tests for actlab.data: built-in sets, split, standardiser, generators, CSV."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import socket
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import actlab.data
from actlab import data
from actlab.data import DataError, Dataset, Standardiser, Task

REAL_SETS = [
    # name, shape, task, number of classes
    ("breast_cancer", (569, 30), Task.BINARY, 2),
    ("digits", (1797, 64), Task.MULTICLASS, 10),
    ("iris", (150, 4), Task.MULTICLASS, 3),
    ("wine", (178, 13), Task.MULTICLASS, 3),
    ("diabetes", (442, 10), Task.REGRESSION, 0),
]
PLAYGROUND = list(data.names("playground"))
BINARY_PLAYGROUND = ["circle", "xor", "gauss", "spiral"]
REGRESSION_PLAYGROUND = ["plane", "multigauss"]


def _table(n: int = 40, positive: int = 12) -> Dataset:
    """Return a dataset whose single feature is the row number."""
    labels = np.array([1] * positive + [0] * (n - positive))
    return Dataset(
        X=np.arange(n, dtype=float)[:, None],
        y=labels,
        task="binary",
        feature_names=("row",),
        target_name="label",
        class_names=("no", "yes"),
    )


# Built-in datasets


@pytest.mark.parametrize(("name", "shape", "task", "n_classes"), REAL_SETS)
def test_real_set_shape_and_task(name, shape, task, n_classes):
    dataset = data.load(name)

    assert dataset.X.shape == shape
    assert dataset.X.dtype == np.float64
    assert dataset.y.shape == (shape[0],)
    assert dataset.task is task
    assert dataset.n_classes == n_classes
    assert len(dataset.feature_names) == shape[1]
    assert dataset.name == name
    assert dataset.description
    if n_classes:
        assert dataset.y.dtype == np.int64
        assert set(np.unique(dataset.y)) == set(range(n_classes))
    else:
        assert dataset.y.dtype == np.float64


def test_digits_pixels_scaled_to_unit():
    digits = data.load("digits")

    assert digits.X.min() == 0.0
    assert digits.X.max() == 1.0
    assert np.allclose(digits.X * 16, np.round(digits.X * 16))
    assert digits.class_names == tuple(str(d) for d in range(10))


def test_breast_cancer_class_counts():
    cancer = data.load("breast_cancer")

    assert cancer.class_names == ("malignant", "benign")
    assert np.bincount(cancer.y).tolist() == [212, 357]


def test_diabetes_in_original_units():
    diabetes = data.load("diabetes")
    age = diabetes.X[:, diabetes.feature_names.index("age")]
    sex = diabetes.X[:, diabetes.feature_names.index("sex")]

    assert 18 <= age.min() < age.max() <= 80
    assert set(np.unique(sex)) == {1.0, 2.0}
    assert diabetes.y.min() == 25.0
    assert diabetes.y.max() == 346.0


def test_names_match_loaded_tasks():
    listed = data.names()

    assert {name for name, *_ in REAL_SETS} <= set(listed)
    assert {"circle", "xor", "gauss", "spiral", "plane", "multigauss"} <= set(listed)
    assert "blobs" in listed
    assert "demand" in listed
    for name, task in listed.items():
        assert data.load(name).task is task, name


def test_names_by_kind():
    real = data.names("real")
    playground = data.names("playground")

    assert set(real) == {name for name, *_ in REAL_SETS}
    assert set(playground) == set(BINARY_PLAYGROUND + REGRESSION_PLAYGROUND + ["blobs"])
    assert set(data.names("synthetic")) == {"demand"}
    with pytest.raises(ValueError, match="'playground'"):
        data.names("toy")


def test_load_unknown_name_lists_choices():
    with pytest.raises(ValueError, match="unknown dataset 'mnist'") as info:
        data.load("mnist")

    message = str(info.value)
    for name, task in data.names().items():
        assert f"{name} ({task.value})" in message


def test_load_rejects_unknown_option():
    with pytest.raises(TypeError, match="accepts: no options"):
        data.load("iris", n=10)
    with pytest.raises(TypeError, match="size"):
        data.load("circle", size=10)


def test_load_passes_options():
    dataset = data.load("blobs", n=60, noise=0.1, seed=4, classes=5)

    assert dataset.X.shape == (60, 2)
    assert dataset.n_classes == 5
    assert data.default_options("blobs") == {
        "n": 500,
        "noise": 0.0,
        "seed": 0,
        "classes": 3,
    }
    assert data.default_options("iris") == {}


def test_loaders_never_touch_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)

    for name in data.names():
        assert data.load(name).n_samples > 0


def test_sources_call_no_fetch_function():
    package = Path(actlab.data.__file__).parent
    call = re.compile(r"\bfetch_\w*\s*\(|import\s+fetch_|fetch_\w+\s*,")

    sources = sorted(package.glob("*.py"))
    assert sources
    for source in sources:
        assert not call.search(source.read_text()), source.name


def test_import_is_light():
    code = "import sys, actlab.data; print('sklearn' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "False"


# Dataset record


def test_dataset_arrays_read_only():
    dataset = _table()

    with pytest.raises(ValueError, match="read-only"):
        dataset.X[0, 0] = 5.0
    with pytest.raises(ValueError, match="read-only"):
        dataset.y[0] = 0


def test_dataset_copies_inputs():
    X = np.zeros((3, 1))
    dataset = Dataset(X, np.zeros(3), "regression", ("a",), "t")
    X[0, 0] = 1.0

    assert dataset.X[0, 0] == 0.0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"X": np.zeros(4)}, "2-D"),
        ({"X": np.full((4, 1), np.nan)}, "NaN"),
        ({"y": np.zeros(3, dtype=int)}, "shape"),
        ({"y": np.array([0.0, 1.0, 0.0, 1.0])}, "integer class indices"),
        ({"y": np.array([0, 1, 2, 1])}, r"\[0, 1\]"),
        ({"class_names": ("a", "b", "c")}, "2 class_names"),
        ({"feature_names": ("a", "b")}, "feature names"),
        ({"task": "ranking"}, "invalid task 'ranking'"),
        ({"hidden": {"z": np.zeros(3)}}, "hidden"),
    ],
)
def test_dataset_rejects_mismatch(changes, message):
    parts = {
        "X": np.zeros((4, 1)),
        "y": np.array([0, 1, 0, 1]),
        "task": "binary",
        "feature_names": ("a",),
        "target_name": "t",
        "class_names": ("no", "yes"),
    }
    parts.update(changes)

    with pytest.raises(ValueError, match=message):
        Dataset(**parts)


def test_dataset_regression_rejects_classes():
    with pytest.raises(ValueError, match="no class_names"):
        Dataset(np.zeros((2, 1)), np.zeros(2), "regression", ("a",), "t", ("x", "y"))


def test_dataset_subset_and_repr():
    dataset = data.load("demand", n=20, seed=1)
    part = dataset.subset([3, 1])

    assert np.array_equal(part.X, dataset.X[[3, 1]])
    assert np.array_equal(part.y, dataset.y[[3, 1]])
    assert np.array_equal(part.hidden["awareness"], dataset.hidden["awareness"][[3, 1]])
    assert repr(part) == (
        "Dataset(name='demand', task='binary', n_samples=2, n_features=4, n_classes=2)"
    )


# Split


def test_split_sizes_and_disjoint():
    dataset = _table(n=40)
    train, test = data.split(dataset, test_fraction=0.25, seed=3)
    train_rows = set(train.X[:, 0])
    test_rows = set(test.X[:, 0])

    assert train.n_samples == 30
    assert test.n_samples == 10
    assert not train_rows & test_rows
    assert train_rows | test_rows == set(range(40))


def test_split_is_stratified():
    iris = data.load("iris")
    train, test = data.split(iris, test_fraction=0.2, seed=5)

    assert np.bincount(test.y).tolist() == [10, 10, 10]
    assert np.bincount(train.y).tolist() == [40, 40, 40]


@pytest.mark.parametrize("seed", range(5))
def test_split_class_counts_within_one(seed):
    dataset = _table(n=37, positive=11)
    _, test = data.split(dataset, test_fraction=0.3, seed=seed)
    counts = np.bincount(test.y, minlength=2)
    shares = np.bincount(dataset.y) * 0.3

    assert test.n_samples == round(0.3 * 37)
    assert np.all(np.abs(counts - shares) < 1)


def test_split_deterministic_from_seed():
    wine = data.load("wine")
    first = data.split(wine, seed=11)
    again = data.split(wine, seed=11)
    other = data.split(wine, seed=12)

    assert np.array_equal(first[0].X, again[0].X)
    assert np.array_equal(first[1].y, again[1].y)
    assert not np.array_equal(first[1].X, other[1].X)


def test_split_without_stratify_and_regression():
    diabetes = data.load("diabetes")
    train, test = data.split(diabetes, test_fraction=0.1, seed=0)
    plain_train, _ = data.split(_table(), stratify=False, seed=0)

    assert train.n_samples + test.n_samples == 442
    assert test.n_samples == 44
    assert test.task is Task.REGRESSION
    assert plain_train.n_samples == 30


def test_split_keeps_hidden_aligned():
    train, test = data.split(data.load("demand", n=200, seed=2), seed=2)

    for part in (train, test):
        recomputed = data.hidden_quantities(part.X)
        for key, values in recomputed.items():
            assert np.allclose(part.hidden[key], values), key


def test_split_tiny_sets():
    train, test = data.split(_table(n=2, positive=1), test_fraction=0.01)

    assert train.n_samples == 1
    assert test.n_samples == 1
    with pytest.raises(ValueError, match="at least 2"):
        data.split(_table(n=1, positive=1))


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.5, 1.5, float("nan")])
def test_split_rejects_fraction(fraction):
    with pytest.raises(ValueError, match="test_fraction"):
        data.split(_table(), test_fraction=fraction)


# Standardiser


def test_standardiser_train_mean_zero_variance_one():
    train, test = data.split(data.load("wine"), seed=0)
    scaler = Standardiser.fit(train)
    standard_train = scaler.transform(train)
    standard_test = scaler.transform(test)

    assert np.allclose(standard_train.X.mean(axis=0), 0.0, atol=1e-12)
    assert np.allclose(standard_train.X.std(axis=0), 1.0)
    expected_test = (test.X - train.X.mean(axis=0)) / train.X.std(axis=0)
    assert np.allclose(standard_test.X, expected_test)
    assert np.array_equal(standard_test.y, test.y)


def test_standardiser_constant_columns():
    X = np.column_stack([np.full(6, 5.0), np.full(6, 0.1), np.arange(6.0)])
    scaler = Standardiser.fit(X)
    standard = scaler.transform(X)

    assert np.all(np.isfinite(standard))
    assert np.array_equal(standard[:, 0], np.zeros(6))
    assert np.allclose(standard[:, 1], 0.0)
    assert scaler.scale[0] == 1.0
    assert scaler.scale[1] == 1.0
    assert np.allclose(standard[:, 2].std(), 1.0)


def test_standardiser_inverse_round_trip():
    iris = data.load("iris")
    scaler = Standardiser.fit(iris)

    assert np.allclose(scaler.inverse_transform(scaler.transform(iris.X)), iris.X)


def test_standardiser_rejects_wrong_width():
    scaler = Standardiser.fit(np.zeros((3, 2)))

    with pytest.raises(ValueError, match="expected 2 columns"):
        scaler.transform(np.zeros((3, 3)))


def test_standardise_helper_uses_train_statistics():
    train, test = data.split(data.load("breast_cancer"), seed=1)
    standard_train, standard_test = data.standardise(train, test)

    assert np.allclose(standard_train.X.mean(axis=0), 0.0, atol=1e-12)
    assert not np.allclose(standard_test.X.mean(axis=0), 0.0, atol=1e-12)
    assert standard_test.feature_names == test.feature_names


# Playground sets


@pytest.mark.parametrize("name", PLAYGROUND)
def test_playground_size_and_square(name):
    dataset = data.load(name, n=137, noise=0.5, seed=3)

    assert dataset.X.shape == (137, 2)
    assert np.all(np.abs(dataset.X) <= 6.0)
    assert dataset.feature_names == ("x1", "x2")


@pytest.mark.parametrize("name", PLAYGROUND)
def test_playground_deterministic_from_seed(name):
    first = data.load(name, n=80, noise=0.2, seed=7)
    again = data.load(name, n=80, noise=0.2, seed=7)
    other = data.load(name, n=80, noise=0.2, seed=8)

    assert np.array_equal(first.X, again.X)
    assert np.array_equal(first.y, again.y)
    assert not np.array_equal(first.X, other.X)


@pytest.mark.parametrize("name", PLAYGROUND)
def test_playground_noise_moves_points(name):
    clean = data.load(name, n=80, noise=0.0, seed=1)
    noisy = data.load(name, n=80, noise=0.3, seed=1)

    assert not np.allclose(clean.X, noisy.X)
    assert np.array_equal(clean.y, noisy.y)


@pytest.mark.parametrize("name", BINARY_PLAYGROUND)
def test_playground_binary_labels(name):
    dataset = data.load(name, n=301, seed=2)
    counts = np.bincount(dataset.y)

    assert dataset.task is Task.BINARY
    assert set(np.unique(dataset.y)) == {0, 1}
    if name != "xor":
        assert abs(counts[0] - counts[1]) <= 1


@pytest.mark.parametrize("name", REGRESSION_PLAYGROUND)
def test_playground_regression_values(name):
    dataset = data.load(name, n=400, seed=2)

    assert dataset.task is Task.REGRESSION
    assert np.all(np.abs(dataset.y) <= 1.0)
    assert dataset.y.min() < -0.5
    assert dataset.y.max() > 0.5


def test_circle_geometry():
    dataset = data.circle(n=300, seed=0)
    radius = np.hypot(*dataset.X.T)

    assert np.all(radius[dataset.y == 1] <= 2.5)
    assert np.all((radius[dataset.y == 0] >= 3.5) & (radius[dataset.y == 0] <= 5.0))


def test_xor_geometry():
    dataset = data.xor(n=300, seed=0)
    same_sign = dataset.X[:, 0] * dataset.X[:, 1] > 0

    assert np.array_equal(dataset.y, same_sign.astype(int))
    assert np.all(np.abs(dataset.X) >= 0.3)


def test_gauss_centres():
    dataset = data.gauss(n=2000, seed=0)

    assert np.allclose(dataset.X[dataset.y == 1].mean(axis=0), [2, 2], atol=0.15)
    assert np.allclose(dataset.X[dataset.y == 0].mean(axis=0), [-2, -2], atol=0.15)


def test_spiral_arms_opposite():
    dataset = data.spiral(n=200, seed=0)
    outer = np.hypot(*dataset.X.T) > 2.0
    arm1 = dataset.X[outer & (dataset.y == 1)]
    arm0 = dataset.X[outer & (dataset.y == 0)]

    # Half a turn apart: each arm point mirrored through the origin lies on
    # the other arm, close to one of its points.
    distances = np.linalg.norm(-arm1[:, None, :] - arm0[None, :, :], axis=2)
    assert distances.min(axis=1).max() < 0.3


def test_plane_formula():
    dataset = data.plane(n=100, seed=0)

    assert np.allclose(dataset.y, dataset.X.sum(axis=1) / 12)


def test_multigauss_signs_at_centres():
    dataset = data.multigauss(n=5000, seed=0)

    for x1, x2, sign in data._playground.BUMPS:
        near = np.hypot(dataset.X[:, 0] - x1, dataset.X[:, 1] - x2) < 0.3
        assert near.any()
        assert np.all(np.sign(dataset.y[near]) == sign)
        assert np.all(np.abs(dataset.y[near]) > 0.9)


def test_blobs_multiclass():
    dataset = data.blobs(n=400, seed=0, classes=4)

    assert dataset.task is Task.MULTICLASS
    assert dataset.class_names == ("0", "1", "2", "3")
    assert np.bincount(dataset.y).tolist() == [100, 100, 100, 100]
    top = dataset.X[dataset.y == 0].mean(axis=0)
    assert np.allclose(top, [0.0, 3.5], atol=0.3)


def test_playground_single_point():
    dataset = data.spiral(n=1, seed=0)

    assert dataset.X.shape == (1, 2)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"n": 0}, r"n=0: expected an integer in \[1, 100000\]"),
        ({"n": 100_001}, r"n=100001: .*\[1, 100000\]"),
        ({"n": 2.5}, r"n=2.5"),
        ({"n": True}, r"n=True"),
        ({"noise": -0.1}, r"noise=-0.1: expected a fraction in \[0, 0.5\]"),
        ({"noise": 0.6}, r"noise=0.6"),
        ({"noise": float("nan")}, r"noise=nan"),
        ({"noise": "low"}, r"noise='low'"),
        ({"seed": -1}, r"seed=-1"),
    ],
)
@pytest.mark.parametrize("name", PLAYGROUND)
def test_playground_rejects_options(name, options, message):
    with pytest.raises(ValueError, match=message):
        data.load(name, **options)


def test_blobs_rejects_class_count():
    with pytest.raises(ValueError, match=r"classes=9: .*\[3, 8\]"):
        data.blobs(classes=9)


def test_playground_accepts_limits():
    assert data.circle(n=100_000, noise=0.5).n_samples == 100_000
    assert data.xor(n=1, noise=0).n_samples == 1


# Demand


def test_demand_shape_and_units():
    demand = data.load("demand", n=3000, seed=1)
    price, shipping, marketing, quality = demand.X.T

    assert demand.X.shape == (3000, 4)
    assert demand.feature_names == tuple(data.DEMAND_UNITS)
    assert demand.task is Task.BINARY
    assert price.min() >= 5
    assert price.max() <= 250
    assert shipping.min() >= 1
    assert shipping.max() <= 40
    assert marketing.min() >= 0.1
    assert marketing.max() <= 200
    assert quality.min() >= 1
    assert quality.max() <= 10


def test_demand_deterministic_from_seed():
    first = data.demand(n=100, seed=9)
    again = data.demand(n=100, seed=9)
    other = data.demand(n=100, seed=10)

    assert np.array_equal(first.X, again.X)
    assert np.array_equal(first.y, again.y)
    assert not np.array_equal(first.X, other.X)


def test_demand_awareness_relu_long_tail():
    awareness = data.demand(n=5000, seed=0).hidden["awareness"]
    median = np.median(awareness)

    assert awareness.min() == 0.0
    assert np.mean(awareness == 0.0) > 0.05
    assert awareness.max() > 1.0
    assert np.mean(awareness > 1.0) > 0.1
    assert np.percentile(awareness, 99) > 5 * median
    assert awareness.mean() > median


def test_demand_bounded_hidden_in_open_unit():
    hidden = data.demand(n=5000, seed=0).hidden

    for key in ("affordability", "perceived_quality", "probability"):
        assert np.all((hidden[key] > 0) & (hidden[key] < 1)), key


def test_demand_hidden_follow_formulas():
    demand = data.demand(n=500, seed=3)
    price, shipping, marketing, quality = demand.X.T
    weights = data.TOP_SELLER_WEIGHTS
    hidden = demand.hidden

    def logistic(z):
        return 1 / (1 + np.exp(-z))

    assert np.allclose(hidden["affordability"], logistic((60 - price - shipping) / 15))
    assert np.allclose(hidden["awareness"], np.maximum(0, (marketing - 1) / 4))
    quality_logit = 0.9 * (quality - 5.5) + 0.8 * np.log(price / 40)
    assert np.allclose(hidden["perceived_quality"], logistic(quality_logit))
    logit = weights["bias"] + sum(
        weights[key] * hidden[key]
        for key in ("affordability", "awareness", "perceived_quality")
    )
    assert np.allclose(hidden["probability"], logistic(logit))


def test_demand_labels_drawn_from_probability():
    demand = data.demand(n=20_000, seed=4)
    probability = demand.hidden["probability"]
    spread = np.sqrt(np.sum(probability * (1 - probability)))

    assert abs(demand.y.sum() - probability.sum()) < 4 * spread
    assert 0.1 < demand.y.mean() < 0.5


@pytest.mark.parametrize("key", ["affordability", "awareness", "perceived_quality"])
def test_demand_more_of_hidden_more_top_sellers(key):
    demand = data.demand(n=20_000, seed=5)
    values = demand.hidden[key]
    low = demand.y[values <= np.quantile(values, 0.25)].mean()
    high = demand.y[values >= np.quantile(values, 0.75)].mean()

    assert high > low + 0.1


def test_demand_rejects_size():
    with pytest.raises(ValueError, match=r"n=0"):
        data.load("demand", n=0)
    with pytest.raises(TypeError, match="noise"):
        data.load("demand", noise=0.1)


# CSV: bad files

BAD_CSVS = [
    # id, content, keyword arguments, substrings the message must contain
    ("not_numeric", "a,b,y\n1,2,0\n3,abc,1\n", {}, ["row 3", "column 2", "'abc'"]),
    ("missing_value", "a,b,y\n1,,0\n3,4,1\n", {}, ["row 2", "column 2", "missing"]),
    ("missing_na", "a,b,y\n1,NA,0\n3,4,1\n", {}, ["row 2", "('b')", "missing"]),
    ("missing_target", "a,y\n1,0\n2,\n", {}, ["row 3", "column 2", "missing"]),
    ("empty", "", {}, ["empty"]),
    ("blank_lines", "\n\r\n\n", {}, ["empty"]),
    ("header_only", "a,b,y\n", {}, ["no data rows", "row 1"]),
    ("duplicate", "a,b,a,y\n1,2,3,0\n", {}, ["'a'", "columns 1 and 3", "rename"]),
    ("blank_name", "a, ,y\n1,2,0\n", {}, ["column 2", "blank name"]),
    ("unknown_target", "a,b,y\n1,2,0\n", {"target": "label"}, ["'label'", "'a', 'b'"]),
    ("case_hint", "a,Y\n1,0\n2,1\n", {}, ["Did you mean 'Y'"]),
    ("single_class", "a,y\n1,0\n2,0\n", {}, ["single class '0'", "column 2"]),
    (
        "binary_five",
        "a,y\n1,0\n2,1\n3,2\n4,3\n5,4\n",
        {"task": "binary"},
        ["task='binary'", "has 5"],
    ),
    (
        "regression_text",
        "a,y\n1,2.5\n2,high\n",
        {"task": "regression"},
        ["row 3", "'high'", "regression"],
    ),
    ("constant", "a,y\n1,3.5\n2,3.5\n", {"task": "regression"}, ["every row"]),
    (
        "fractional_label",
        "a,y\n1,0.5\n2,1\n",
        {"task": "binary"},
        ["row 2", "whole number"],
    ),
    ("short_row", "a,b,y\n1,2,0\n3,4\n", {}, ["row 3", "2 values", "3 columns"]),
    ("long_row", "a,b,y\n1,2,0,9\n", {}, ["row 2", "4 values", "3 columns"]),
    ("not_utf8", b"a,b,y\n1,2,0\n3,4,\xe9t\xe9\n", {}, ["row 3", "UTF-8"]),
    ("utf16", "a,y\n1,0\n2,1\n".encode("utf-16"), {}, ["UTF-16"]),
    ("open_quote", 'a,b,y\n1,2,0\n1,"2,0\n', {}, ["row 3", "quotes"]),
    ("after_quote", 'a,b,y\n1,"2"x,0\n', {}, ["row 2", "not valid CSV"]),
    ("thousands", 'a,y\n"1,000",0\n5,1\n', {}, ["row 2", "thousands"]),
    ("overflow", "a,y\n1e400,0\n2,1\n", {}, ["row 2", "too large"]),
    ("infinity", "a,y\ninf,0\n2,1\n", {}, ["row 2", "'inf'", "not a number"]),
    ("nul", "a,y\n1\x00,0\n2,1\n", {}, ["row 2", "not a number"]),
    ("no_features", "y\n0\n1\n", {}, ["no feature columns"]),
    (
        "max_features",
        "a,b,c,y\n1,2,3,0\n",
        {"max_features": 2},
        ["3 feature columns", "max_features=2"],
    ),
    ("max_rows", "a,y\n1,0\n2,1\n3,0\n", {"max_rows": 2}, ["max_rows=2"]),
    ("no_header", "1,2,3\n4,5,6\n", {}, ["Row 1 looks like data", "header row"]),
    ("semicolons", "a;b;y\n1;2;0\n", {}, ["delimiter=';'"]),
    (
        "blank_row_counted",
        "a,y\n1,0\n\n2,x\n",
        {"task": "regression"},
        ["row 4", "'x'"],
    ),
    (
        "too_many_labels",
        "a,y\n" + "".join(f"{i},label{i}\n" for i in range(101)),
        {},
        ["101 distinct labels"],
    ),
]


@pytest.mark.parametrize(
    ("content", "options", "expected"),
    [case[1:] for case in BAD_CSVS],
    ids=[case[0] for case in BAD_CSVS],
)
def test_bad_csv_rejected(tmp_path, content, options, expected):
    path = tmp_path / "bad.csv"
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    options = {"target": "y", **options}

    with pytest.raises(DataError) as info:
        data.load_csv(path, **options)

    message = str(info.value)
    for part in expected:
        assert part in message


def test_csv_missing_file(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        data.load_csv(str(tmp_path / "absent.csv"), "y")


def test_csv_directory(tmp_path):
    with pytest.raises(DataError, match="not a regular file"):
        data.load_csv(tmp_path, "y")


def test_csv_invalid_arguments():
    with pytest.raises(ValueError, match="invalid task 'ranking'"):
        data.load_csv("a,y\n1,0\n", "y", task="ranking")
    with pytest.raises(ValueError, match="max_bytes=0"):
        data.load_csv("a,y\n1,0\n", "y", max_bytes=0)
    with pytest.raises(TypeError, match="target"):
        data.load_csv("a,y\n1,0\n", 1)
    with pytest.raises(TypeError, match="source"):
        data.load_csv(12, "y")


# CSV: good files


def test_csv_binary_inferred(tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text("price, quality ,sold\n10,3,0\n12.5,-4e-1,1\n8,2,1\n")
    dataset = data.load_csv(path, "sold")

    assert dataset.task is Task.BINARY
    assert dataset.feature_names == ("price", "quality")
    assert dataset.target_name == "sold"
    assert dataset.class_names == ("0", "1")
    assert dataset.y.tolist() == [0, 1, 1]
    assert np.array_equal(dataset.X, [[10, 3], [12.5, -0.4], [8, 2]])
    assert dataset.name == "sales"


def test_csv_multiclass_inferred():
    text = "x,y\n" + "".join(f"{i},{i % 4 + 1}\n" for i in range(12))
    dataset = data.load_csv(text, "y")

    assert dataset.task is Task.MULTICLASS
    assert dataset.class_names == ("1", "2", "3", "4")
    assert dataset.y.tolist() == [i % 4 for i in range(12)]


def test_csv_many_integers_are_regression():
    text = "x,y\n" + "".join(f"{i},{i}\n" for i in range(data.MAX_INFERRED_CLASSES + 1))
    dataset = data.load_csv(text, "y")

    assert dataset.task is Task.REGRESSION
    assert dataset.y.dtype == np.float64


def test_csv_real_target_is_regression():
    dataset = data.load_csv("x,y\n1,0.5\n2,1.5\n3,0.5\n", "y")

    assert dataset.task is Task.REGRESSION
    assert dataset.y.tolist() == [0.5, 1.5, 0.5]
    assert dataset.class_names == ()


def test_csv_string_labels():
    dataset = data.load_csv("a,b,kind\n1,2,dog\n3,4, cat\n5,6,dog\n", "kind")

    assert dataset.task is Task.BINARY
    assert dataset.class_names == ("cat", "dog")
    assert dataset.y.tolist() == [1, 0, 1]


def test_csv_string_labels_multiclass():
    text = "a,species\n1,setosa\n2,virginica\n3,versicolor\n4,setosa\n"
    dataset = data.load_csv(text, "species")

    assert dataset.task is Task.MULTICLASS
    assert dataset.class_names == ("setosa", "versicolor", "virginica")
    assert dataset.y.tolist() == [0, 2, 1, 0]


def test_csv_explicit_task_overrides_inference():
    text = "a,y\n1,0\n2,1\n3,0\n"

    assert data.load_csv(text, "y", task="regression").task is Task.REGRESSION
    assert data.load_csv(text, "y", task="multiclass").n_classes == 2


def test_csv_numeric_labels_sorted_numerically():
    dataset = data.load_csv("a,y\n1,10\n2,9\n3,1.0\n4,10\n", "y")

    assert dataset.class_names == ("1", "9", "10")
    assert dataset.y.tolist() == [2, 1, 0, 2]


def test_csv_bom_crlf_quotes_blank_lines():
    content = b'\xef\xbb\xbf"a","b",y\r\n"1.5",2,0\r\n\r\n, ,\r\n3,"4",1\r\n\r\n'
    dataset = data.load_csv(content, "y")

    assert dataset.feature_names == ("a", "b")
    assert np.array_equal(dataset.X, [[1.5, 2], [3, 4]])
    assert dataset.y.tolist() == [0, 1]


def test_csv_other_delimiter():
    dataset = data.load_csv("a;y\n1;0\n2;1\n", "y", delimiter=";")

    assert dataset.X[:, 0].tolist() == [1.0, 2.0]


def test_csv_source_kinds(tmp_path):
    text = "a,y\n1,0\n2,1\n"
    path = tmp_path / "table.csv"
    path.write_text(text)
    sources = [
        text,
        text.encode(),
        bytearray(text.encode()),
        path,
        str(path),
        io.BytesIO(text.encode()),
        io.StringIO(text),
    ]

    for source in sources:
        dataset = data.load_csv(source, "y")
        assert dataset.X[:, 0].tolist() == [1.0, 2.0], type(source)
        assert dataset.y.tolist() == [0, 1], type(source)


def test_csv_result_splits_and_standardises():
    text = "a,b,y\n" + "".join(f"{i},{i * i},{i % 2}\n" for i in range(20))
    train, test = data.split(data.load_csv(text, "y"), seed=0)
    standard_train, _ = data.standardise(train, test)

    assert np.allclose(standard_train.X.mean(axis=0), 0.0, atol=1e-12)


# CSV: size limit


class _CountingReader(io.BytesIO):
    """A binary stream that records how many bytes were read from it."""

    def __init__(self, content: bytes) -> None:
        super().__init__(content)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def test_csv_size_limit_boundary(tmp_path):
    content = b"a,y\n1,0\n2,1\n"
    path = tmp_path / "table.csv"
    path.write_bytes(content)

    assert data.load_csv(path, "y", max_bytes=len(content)).n_samples == 2
    with pytest.raises(DataError, match=f"max_bytes={len(content) - 1}"):
        data.load_csv(path, "y", max_bytes=len(content) - 1)
    with pytest.raises(DataError, match="max_bytes"):
        data.load_csv(content, "y", max_bytes=len(content) - 1)
    with pytest.raises(DataError, match="max_bytes"):
        data.load_csv(content.decode(), "y", max_bytes=len(content) - 1)


def test_csv_size_limit_reads_one_byte_more():
    content = b"a,y\n" + b"1,0\n" * 10_000
    stream = _CountingReader(content)

    with pytest.raises(DataError, match="max_bytes=100"):
        data.load_csv(stream, "y", max_bytes=100)

    assert stream.bytes_read == 101


@pytest.mark.skipif(not os.path.exists("/proc/self/io"), reason="needs Linux /proc")
def test_csv_size_limit_large_file_not_read(tmp_path):
    path = tmp_path / "huge.csv"
    with open(path, "wb") as stream:
        stream.write(b"a,y\n")
        stream.truncate(256 * 2**20)  # sparse where the file system allows it

    def bytes_read() -> int:
        fields = dict(
            line.split(": ") for line in Path("/proc/self/io").read_text().splitlines()
        )
        return int(fields["rchar"])

    before = bytes_read()
    with pytest.raises(DataError, match="max_bytes=1000"):
        data.load_csv(path, "y", max_bytes=1000)
    after = bytes_read()

    assert after - before < 2**20


# CSV: fuzzing

TASKS = st.sampled_from([None, "binary", "multiclass", "regression"])
CSV_ALPHABET = st.sampled_from([*'ay,;"\n\r 0123456789.-+eE\x00\t', "NA", "é"])
CSV_LIKE = st.lists(CSV_ALPHABET, max_size=120).map("".join)
NUMBERS = ["0", "1", "2", "3", "1.5", "-3e2", " 4 ", '"5"']
ODD_CELLS = ["", "NA", "x", "cat", "1e999", '"', "\x00", "1,2"]
# Mostly numbers, so that many generated tables load and the checks on the
# returned dataset run too.
CELLS = st.sampled_from(NUMBERS * 12 + ODD_CELLS)
ROWS = st.lists(
    st.tuples(CELLS, CELLS, CELLS).map(",".join),
    min_size=1,
    max_size=12,
)
LINE_ENDS = st.sampled_from(["\n", "\r\n", "\r"])


def _check_outcome(source, task) -> None:
    try:
        dataset = data.load_csv(source, "y", task=task, max_bytes=2_000)
    except DataError:
        return
    assert dataset.n_samples >= 1
    assert dataset.n_features >= 1
    assert np.all(np.isfinite(dataset.X))
    assert dataset.y.shape == (dataset.n_samples,)


@settings(max_examples=300, deadline=None)
@given(content=st.binary(max_size=400), task=TASKS)
def test_fuzz_random_bytes(content, task):
    _check_outcome(content, task)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=400), task=TASKS)
def test_fuzz_random_text(text, task):
    _check_outcome(text + "\n", task)
    _check_outcome(io.StringIO(text), task)


@settings(max_examples=500, deadline=None)
@given(body=CSV_LIKE, task=TASKS)
def test_fuzz_csv_like_text(body, task):
    _check_outcome("a,y\n" + body, task)
    _check_outcome(("a,y\n" + body).encode("utf-8"), task)


@settings(max_examples=500, deadline=None)
@given(rows=ROWS, line_end=LINE_ENDS, task=TASKS)
def test_fuzz_rows_of_cells(rows, line_end, task):
    _check_outcome(line_end.join(["a,b,y", *rows]) + line_end, task)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(max_size=60))
def test_fuzz_single_line_as_path(tmp_path, monkeypatch, text):
    # A str without a line break is read as a path, relative to an empty
    # folder here, so that no name matches a real file by chance.
    monkeypatch.chdir(tmp_path)
    _check_outcome(text.replace("\n", "").replace("\r", ""), None)


def test_long_digit_cell_fails_fast():
    # A pattern with two ways to split a run of digits took quadratic time here.
    text = "a,b,y\n" + "1" * 100_000 + "x,2,0\n1,2,1\n"
    with pytest.raises(DataError, match="row 2"):
        data.load_csv(text, "y")


# MNIST from local files. These tests write a handful of tiny images in each
# format, so they test the parsers, not the real set.


def _images(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=count, dtype=np.uint8)
    return images, labels


def _idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def no_mnist(tmp_path, monkeypatch) -> Path:
    """Point both MNIST places at empty folders; return scikit-learn's data home."""
    home = tmp_path / "scikit_learn_data"
    home.mkdir()
    monkeypatch.delenv("ACTLAB_MNIST", raising=False)
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(home))
    return home


def _write_idx_folder(folder: Path, gzipped: bool) -> dict[str, np.ndarray]:
    folder.mkdir()
    x_train, y_train = _images(5, seed=1)
    x_test, y_test = _images(3, seed=2)
    arrays = {
        "train-images-idx3-ubyte": x_train,
        "train-labels-idx1-ubyte": y_train,
        "t10k-images-idx3-ubyte": x_test,
        "t10k-labels-idx1-ubyte": y_test,
    }
    for name, array in arrays.items():
        content = _idx_bytes(array)
        if gzipped:
            (folder / f"{name}.gz").write_bytes(gzip.compress(content))
        else:
            (folder / name).write_bytes(content)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def _check_mnist(expected: dict[str, np.ndarray]) -> None:
    train, test = data.mnist()
    for part, dataset in (("train", train), ("test", test)):
        images = expected[f"x_{part}"]
        assert dataset.X.shape == (len(images), 784)
        assert dataset.name == "mnist"
        assert dataset.n_classes == 10
        np.testing.assert_allclose(dataset.X, images.reshape(len(images), -1) / 255)
        np.testing.assert_array_equal(dataset.y, expected[f"y_{part}"])


def test_mnist_npz_parser_small_file(no_mnist, tmp_path, monkeypatch):
    x_train, y_train = _images(5, seed=1)
    x_test, y_test = _images(3, seed=2)
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    monkeypatch.setenv("ACTLAB_MNIST", str(path))

    assert data.find_mnist() == data.MnistSource("npz", path)
    _check_mnist(
        {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    )


@pytest.mark.parametrize("gzipped", [True, False])
def test_mnist_idx_parser_small_files(no_mnist, tmp_path, monkeypatch, gzipped):
    folder = tmp_path / "idx"
    expected = _write_idx_folder(folder, gzipped)
    monkeypatch.setenv("ACTLAB_MNIST", str(folder))

    assert data.find_mnist() == data.MnistSource("idx", folder)
    _check_mnist(expected)


def _write_openml_cache(home: Path, rows: list[str]) -> Path:
    root = home / "openml" / "openml.org"
    description = {
        "data_set_description": {
            "id": "554",
            "name": "mnist_784",
            "version": "1",
            "file_id": "52667",
            "url": "https://api.openml.org/data/v1/download/52667/mnist_784.arff",
        }
    }
    info = root / "api" / "v1" / "json" / "data" / "554.gz"
    info.parent.mkdir(parents=True)
    info.write_bytes(gzip.compress(json.dumps(description).encode()))
    header = [f"@ATTRIBUTE pixel{i} NUMERIC" for i in range(1, 785)]
    arff = "\n".join(
        [
            "% a comment",
            "@RELATION mnist_784",
            *header,
            "@ATTRIBUTE class {'0','1','2','3','4','5','6','7','8','9'}",
            "@DATA",
            *rows,
        ]
    )
    archive = root / "data" / "v1" / "download" / "52667" / "mnist_784.arff.gz"
    archive.parent.mkdir(parents=True)
    archive.write_bytes(gzip.compress(arff.encode()))
    return archive


def test_mnist_openml_cache_parser_small_file(no_mnist):
    images, labels = _images(4, seed=3)
    rows = [
        ",".join(map(str, image.ravel())) + f",'{label}'"
        for image, label in zip(images, labels, strict=True)
    ]
    archive = _write_openml_cache(no_mnist, rows)

    source = data.find_mnist()
    arrays = actlab.data._mnist.read_openml(source.path, train_size=3)

    assert source == data.MnistSource("openml", archive)
    np.testing.assert_array_equal(arrays["x_train"], images[:3].reshape(3, -1))
    np.testing.assert_array_equal(arrays["y_train"], labels[:3])
    np.testing.assert_array_equal(arrays["x_test"], images[3:].reshape(1, -1))
    np.testing.assert_array_equal(arrays["y_test"], labels[3:])


def test_mnist_not_found_names_places(no_mnist):
    assert data.find_mnist() is None
    with pytest.raises(data.MnistNotFoundError) as error:
        data.mnist()

    message = str(error.value)
    assert "ACTLAB_MNIST (not set)" in message
    assert str(no_mnist / "openml") in message
    assert "mnist.npz" in message
    assert "never downloads" in message


def test_mnist_missing_env_path_rejected(no_mnist, tmp_path, monkeypatch):
    monkeypatch.setenv("ACTLAB_MNIST", str(tmp_path / "nowhere.npz"))

    with pytest.raises(data.MnistNotFoundError, match=r"nowhere\.npz, which does not"):
        data.find_mnist()


def test_mnist_folder_missing_idx_file(no_mnist, tmp_path, monkeypatch):
    folder = tmp_path / "idx"
    _write_idx_folder(folder, gzipped=True)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    monkeypatch.setenv("ACTLAB_MNIST", str(folder))

    with pytest.raises(data.MnistNotFoundError, match="lacks some of the IDX"):
        data.find_mnist()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x01\x02", "no IDX header"),
        (bytes([0, 0, 0x0D, 1]) + struct.pack(">I", 2), "type code 0x0d"),
        (bytes([0, 0, 0x08, 2]) + struct.pack(">2I", 2, 3) + b"\x00" * 5, "5 values"),
    ],
)
def test_idx_parser_rejects_bad_file(tmp_path, content, message):
    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(content)

    with pytest.raises(data.MnistFormatError, match=message):
        actlab.data._mnist.read_idx(path)


def test_npz_parser_names_missing_arrays(no_mnist, tmp_path, monkeypatch):
    path = tmp_path / "mnist.npz"
    images, labels = _images(2, seed=4)
    np.savez(path, x_train=images, y_train=labels)
    monkeypatch.setenv("ACTLAB_MNIST", str(path))

    with pytest.raises(data.MnistFormatError, match="missing x_test, y_test"):
        data.mnist()


def test_npz_parser_rejects_bad_labels(no_mnist, tmp_path, monkeypatch):
    path = tmp_path / "mnist.npz"
    images, labels = _images(2, seed=5)
    labels[0] = 12
    np.savez(path, x_train=images, y_train=labels, x_test=images, y_test=labels)
    monkeypatch.setenv("ACTLAB_MNIST", str(path))

    with pytest.raises(data.MnistFormatError, match="integers 0 to 9"):
        data.mnist()
