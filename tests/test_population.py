"""Populations: stacked networks trained at once, against each trained alone."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes

from actlab import nn
from actlab.errors import TrainingDivergedError

SEEDS = list(range(8))
RATES = [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3]
# Rates low enough that no member of the step tests diverges with momentum.
STEP_RATES = [0.001, 0.002, 0.004, 0.006, 0.01, 0.015, 0.02, 0.03]

OPTIMISERS = {
    "sgd": (nn.SGD, {}),
    "momentum": (nn.SGD, {"momentum": 0.9}),
    "nesterov": (nn.SGD, {"momentum": 0.9, "nesterov": True}),
    "adam": (nn.Adam, {}),
}

LOSSES = {
    "bce": (1, lambda rng, n: rng.integers(0, 2, size=n)),
    "softmax_ce": (3, lambda rng, n: rng.integers(0, 3, size=n)),
    "mse": (2, lambda rng, n: rng.normal(size=(n, 2))),
}


def standardised(X):
    return (X - X.mean(axis=0)) / X.std(axis=0)


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return standardised(X)[:300], y[:300]


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return standardised(X), (y - y.mean()) / y.std()


def make_data(loss, dtype=np.float64, n=45):
    n_outputs, make_target = LOSSES[loss]
    rng = np.random.default_rng(4)
    X = rng.normal(0.0, 1.5, size=(n, 3)).astype(dtype)
    return X, make_target(rng, n), n_outputs


def batches(n, size):
    return [slice(start, start + size) for start in range(0, n, size)]


# Building ----------------------------------------------------------------


def test_build_members_match_networks():
    population = nn.Population.build([3, 5, 2], SEEDS, hidden="tanh", bias=0.1)

    assert len(population) == 8
    for seed in SEEDS:
        net = nn.Network.build([3, 5, 2], hidden="tanh", seed=seed, bias=0.1)
        np.testing.assert_array_equal(population.parameters[seed], net.parameters)
        np.testing.assert_array_equal(
            population.member(seed).parameters, net.parameters
        )


def test_layer_views_share_parameters():
    population = nn.Population.build([3, 5, 2], [0, 1], dtype=np.float32)

    weights = population.layer_weights(1)
    biases = population.layer_biases(1)
    weights[1, 4, 0] = 7.0
    biases[0, 0, 1] = -3.0

    assert weights.shape == (2, 5, 2)
    assert biases.shape == (2, 1, 2)
    assert population.member(1).layers[1].W[4, 0] == 7.0
    assert population.member(0).layers[1].b[1] == -3.0
    assert population.parameters.dtype == np.float32


def test_member_is_independent_copy():
    population = nn.Population.build([2, 3, 1], [0, 1])
    before = population.parameters.copy()

    net = population.member(-1)
    net.parameters = np.zeros(net.n_parameters)

    np.testing.assert_array_equal(population.parameters, before)
    with pytest.raises(IndexError, match="member 2 is out of range"):
        population.member(2)


def test_call_matches_each_member():
    population = nn.Population.build([3, 6, 4, 2], [5, 6, 7], hidden="gelu")
    X = np.random.default_rng(0).normal(size=(9, 3))

    outputs = population(X)

    assert outputs.shape == (3, 9, 2)
    for i, output in enumerate(outputs):
        np.testing.assert_array_equal(output, population.member(i)(X))


@pytest.mark.parametrize(
    ("networks", "message"),
    [
        ([], "at least one network"),
        ([nn.Network.build([2, 3, 1]), nn.Network.build([2, 4, 1])], "same sizes"),
        (
            [nn.Network.build([2, 3, 1]), nn.Network.build([2, 3, 1], dtype="f4")],
            "same sizes and dtype",
        ),
        (
            [nn.Network.build([2, 3, 1]), nn.Network.build([2, 3, 1], hidden="tanh")],
            "same activations",
        ),
        ([nn.Network.build([2, 3, 1]), "net"], "member 1 is 'net'"),
    ],
)
def test_population_rejects_mismatched_members(networks, message):
    with pytest.raises(ValueError, match=message):
        nn.Population(networks)


def test_build_rejects_no_seeds():
    with pytest.raises(ValueError, match="at least one seed"):
        nn.Population.build([2, 3, 1], [])


# Steps against single networks -------------------------------------------


def step_alone(seed, sizes, hidden, loss, optimiser, rate, X, y, slices, dtype):
    make, options = OPTIMISERS[optimiser]
    net = nn.Network.build(sizes, hidden=hidden, seed=seed, dtype=dtype)
    single = make(learning_rate=rate, **options)
    losses = [nn.step(net, X[rows], y[rows], loss, single) for rows in slices]
    return net, losses


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("optimiser", OPTIMISERS)
@pytest.mark.parametrize(
    ("hidden", "loss"), [("tanh", "bce"), ("relu", "softmax_ce"), ("elu", "mse")]
)
def test_steps_equal_single_networks(hidden, loss, optimiser, dtype):
    X, y, n_outputs = make_data(loss, dtype)
    sizes = [3, 8, 8, n_outputs]
    make, options = OPTIMISERS[optimiser]
    population = nn.Population.build(sizes, SEEDS, hidden=hidden, dtype=dtype)
    trainer = nn.PopulationTrainer(
        population,
        loss,
        make(**options),
        learning_rates=STEP_RATES,
        batch_size=10,
        slopes_from_output=False,
    )
    target = nn.prepare_targets(population.member(0), y, nn.get_loss(loss), len(y))
    slices = batches(len(X), 10) * 3

    stacked_losses = [trainer.step(X[rows], target[rows]) for rows in slices]

    for i, seed in enumerate(SEEDS):
        net, losses = step_alone(
            seed, sizes, hidden, loss, optimiser, STEP_RATES[i], X, y, slices, dtype
        )
        np.testing.assert_array_equal(population.parameters[i], net.parameters)
        if loss != "mse":
            assert [float(values[i]) for values in stacked_losses] == losses
        else:
            np.testing.assert_allclose(
                [values[i] for values in stacked_losses], losses, rtol=1e-6
            )


def test_per_member_batches_equal_single_networks():
    X, y, _ = make_data("bce")
    population = nn.Population.build([3, 6, 1], SEEDS, hidden="sigmoid")
    trainer = nn.PopulationTrainer(population, "bce", nn.Adam(0.01))
    target = nn.prepare_targets(population.member(0), y, nn.get_loss("bce"), len(y))
    orders = np.stack([np.random.default_rng(s).permutation(len(X)) for s in SEEDS])

    for rows in batches(len(X), 8):
        trainer.step(X[orders[:, rows]], target[orders[:, rows]])

    for i, seed in enumerate(SEEDS):
        net = nn.Network.build([3, 6, 1], hidden="sigmoid", seed=seed)
        single = nn.Adam(0.01)
        for rows in batches(len(X), 8):
            nn.step(net, X[orders[i, rows]], y[orders[i, rows]], "bce", single)
        np.testing.assert_array_equal(population.parameters[i], net.parameters)


class HalvedSquaredError(nn.MeanSquaredError):
    """A loss outside the built-in three, so the population applies it per member."""

    name = "halved_mse"

    def value_and_gradient(self, output, target):
        value, gradient = super().value_and_gradient(output, target)
        gradient *= 0.5
        return value / 2, gradient


@pytest.mark.parametrize("loss", ["softmax_ce", HalvedSquaredError()])
def test_per_member_targets_any_loss(loss):
    name = "mse" if isinstance(loss, nn.Loss) else loss
    X, y, n_outputs = make_data(name)
    sizes = [3, 5, n_outputs]
    population = nn.Population.build(sizes, SEEDS[:4], hidden="softplus")
    trainer = nn.PopulationTrainer(population, loss, nn.SGD(0.1, momentum=0.5))
    target = nn.prepare_targets(population.member(0), y, nn.get_loss(loss), len(y))
    orders = np.stack([np.random.default_rng(s).permutation(len(X)) for s in SEEDS[:4]])

    for rows in batches(len(X), 9):
        losses = trainer.step(X[orders[:, rows]], target[orders[:, rows]])

    for i, seed in enumerate(SEEDS[:4]):
        net = nn.Network.build(sizes, hidden="softplus", seed=seed)
        single = nn.SGD(0.1, momentum=0.5)
        for rows in batches(len(X), 9):
            value = nn.step(net, X[orders[i, rows]], y[orders[i, rows]], loss, single)
        np.testing.assert_array_equal(population.parameters[i], net.parameters)
        assert losses[i] == value


@pytest.mark.parametrize("hidden", ["tanh", "relu"])
def test_output_slopes_equal_trainer(hidden):
    X, y, _ = make_data("mse")
    population = nn.Population.build([3, 8, 2], SEEDS, hidden=hidden)
    trainer = nn.PopulationTrainer(population, "mse", nn.SGD(0.05), RATES)
    target = nn.prepare_targets(population.member(0), y, nn.get_loss("mse"), len(y))

    for rows in batches(len(X), 7):
        trainer.step(X[rows], target[rows])

    for i, seed in enumerate(SEEDS):
        net = nn.Network.build([3, 8, 2], hidden=hidden, seed=seed)
        single = nn.Trainer(net, "mse", nn.SGD(RATES[i]))
        for rows in batches(len(X), 7):
            single.step(X[rows], y[rows])
        np.testing.assert_array_equal(population.parameters[i], net.parameters)


# train_population ---------------------------------------------------------


def assert_same_history(member, alone, exact_batch_loss=True):
    # A population sums the batch losses of mse without np.vdot, so they may
    # differ in the last bits. The epoch losses use the same function.
    assert len(member.epochs) == len(alone.epochs)
    assert member.initial.loss == alone.initial.loss
    assert member.losses == alone.losses
    assert member.metrics == alone.metrics
    assert member.eval_losses == alone.eval_losses
    batch_losses = [r.batch_loss for r in alone.epochs]
    if not exact_batch_loss:
        batch_losses = pytest.approx(batch_losses, rel=1e-12)
    assert [r.batch_loss for r in member.epochs] == batch_losses
    assert [r.penalty for r in member.epochs] == [r.penalty for r in alone.epochs]
    assert [r.steps for r in member.epochs] == [r.steps for r in alone.epochs]


@pytest.mark.parametrize("shuffle", ["shared", "per member"])
def test_train_population_equals_train(cancer, shuffle):
    X, y = cancer
    seed = 3 if shuffle == "shared" else [10 + s for s in SEEDS]
    population = nn.Population.build([30, 8, 4, 1], SEEDS, hidden=["relu", "tanh"])
    penalty = nn.Penalty(l2=0.01)

    histories = nn.train_population(
        population,
        X[:250],
        y[:250],
        "bce",
        nn.Adam(0.01),
        3,
        32,
        seed=seed,
        learning_rates=RATES,
        penalty=penalty,
        X_eval=X[250:],
        y_eval=y[250:],
    )

    for i, member_seed in enumerate(SEEDS):
        net = nn.Network.build([30, 8, 4, 1], hidden=["relu", "tanh"], seed=member_seed)
        alone = nn.train(
            net,
            X[:250],
            y[:250],
            "bce",
            nn.Adam(RATES[i]),
            3,
            32,
            seed=seed if shuffle == "shared" else seed[i],
            penalty=penalty,
            X_eval=X[250:],
            y_eval=y[250:],
        )
        np.testing.assert_array_equal(population.parameters[i], net.parameters)
        assert_same_history(histories[i], alone)
        assert histories[i].epochs[-1].learning_rate == RATES[i]
        assert not histories[i].diverged


def test_train_population_reduces_loss(cancer):
    X, y = cancer
    population = nn.Population.build([30, 16, 1], SEEDS, hidden="tanh")

    histories = nn.train_population(
        population, X, y, "bce", nn.SGD(0.05), 5, 16, learning_rates=0.05
    )

    for history in histories:
        assert history.losses[-1] < 0.5 * history.initial.loss
        assert history.epochs[-1].stats is None
    json.dumps([history.to_dict() for history in histories])


def test_divergence_freezes_one_member(diabetes):
    X, y = diabetes
    rates = [0.01, 10.0, 0.02]
    population = nn.Population.build([10, 32, 32, 1], [0, 1, 2], hidden="relu")

    histories = nn.train_population(
        population,
        X,
        y,
        "mse",
        nn.SGD(0.1),
        5,
        20,
        learning_rates=rates,
        slopes_from_output=False,
    )

    assert population.diverged.tolist() == [False, True, False]
    for i, rate in enumerate(rates):
        net = nn.Network.build([10, 32, 32, 1], hidden="relu", seed=i)
        if rate == 10.0:
            with pytest.raises(TrainingDivergedError) as caught:
                nn.train(net, X, y, "mse", nn.SGD(rate), 5, 20)
            alone = caught.value.history
            where = f"epoch {caught.value.epoch}, batch {caught.value.batch}"
            assert where in histories[i].divergence
        else:
            alone = nn.train(net, X, y, "mse", nn.SGD(rate), 5, 20)
        np.testing.assert_array_equal(population.parameters[i], net.parameters)
        assert_same_history(histories[i], alone, exact_batch_loss=False)
    message = histories[1].divergence
    assert "member 1 diverged" in message
    assert "learning rate 10 is probably too high, so try 1 or lower" in message
    assert np.isfinite(population.parameters).all()


def test_divergence_after_update_restores_last_finite():
    X = np.array([[1.0, -2.0, 0.5]])
    y = np.array([3.0])
    population = nn.Population.build([3, 8, 1], [2, 3], hidden="tanh")

    histories = nn.train_population(
        population,
        X,
        y,
        "mse",
        nn.SGD(0.01),
        300,
        1,
        learning_rates=[50.0, 0.01],
        slopes_from_output=False,
    )

    net = nn.Network.build([3, 8, 1], hidden="tanh", seed=2)
    with pytest.raises(TrainingDivergedError, match="after the update") as caught:
        nn.train(net, X, y, "mse", nn.SGD(50.0), 300, 1)
    assert "after the update" in histories[0].divergence
    assert f"(step {caught.value.step})" in histories[0].divergence
    np.testing.assert_array_equal(population.parameters[0], net.parameters)
    assert len(histories[0].epochs) == len(caught.value.history.epochs)
    assert not histories[1].diverged
    assert len(histories[1].epochs) == 300


def test_frozen_member_stays_frozen(diabetes):
    X, y = diabetes
    population = nn.Population.build([10, 8, 1], [0, 1])
    population.diverged[0] = True
    before = population.parameters[0].copy()

    histories = nn.train_population(population, X, y, "mse", nn.SGD(0.01), 2, 50)

    np.testing.assert_array_equal(population.parameters[0], before)
    assert "frozen before this run" in histories[0].divergence
    assert histories[0].epochs == []
    assert len(histories[1].epochs) == 2


def test_divergence_at_start_marks_member():
    X = np.random.default_rng(0).normal(size=(20, 3))
    population = nn.Population.build([3, 4, 1], [0, 1])
    population.parameters[1] *= 1e200

    histories = nn.train_population(population, X, X[:, 0], "mse", nn.SGD(0.01), 2, 5)

    assert "member 1 cannot start training" in histories[1].divergence
    assert histories[1].epochs == []
    assert len(histories[0].epochs) == 2


def test_callback_sees_frozen_as_none_and_stops(diabetes):
    X, y = diabetes
    population = nn.Population.build([10, 8, 1], [0, 1])
    seen = []

    def callback(records):
        seen.append([record is None for record in records])
        return len(seen) < 3

    histories = nn.train_population(
        population,
        X,
        y,
        "mse",
        nn.SGD(0.01),
        10,
        20,
        learning_rates=[0.01, 1e3],
        callback=callback,
    )

    assert seen == [[False, True]] * 3
    assert all(history.stopped_early for history in histories)
    assert len(histories[0].epochs) == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"learning_rates": [0.1, 0.2, 0.3]}, "got 3 learning rates for a popul"),
        ({"learning_rates": [0.1, -1.0]}, "invalid learning rate -1.0"),
        ({"seed": [1, 2, 3]}, "got 3 shuffle seeds for a population of 2"),
        ({"optimiser": object()}, "trains with nn.SGD or nn.Adam"),
        ({"batch_size": 0}, "invalid batch_size 0"),
        ({"epochs": -1}, "invalid epochs -1"),
        ({"X_eval": np.zeros((2, 2))}, "both X_eval and y_eval"),
    ],
)
def test_train_population_rejects_bad_arguments(kwargs, message):
    arguments = {
        "population": nn.Population.build([2, 3, 1], [0, 1]),
        "X": np.zeros((4, 2)),
        "y": np.zeros(4),
        "loss": "mse",
        "optimiser": nn.SGD(0.1),
        "epochs": 1,
        "batch_size": 2,
    }

    with pytest.raises(ValueError, match=message):
        nn.train_population(**{**arguments, **kwargs})
