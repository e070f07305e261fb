"""The network engine: layers, losses, initialisers, optimisers and training."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from threadpoolctl import threadpool_info

from actlab import activations, nn
from actlab.errors import ActlabWarning, TrainingDivergedError

ELEMENTWISE = [
    name for name in activations.names() if not activations.spec(name).vector
]
STEP = 1e-6


def standardised(X):
    return (X - X.mean(axis=0)) / X.std(axis=0)


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return standardised(X), y


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return standardised(X), y


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return standardised(X), (y - y.mean()) / y.std()


def numeric_gradient(net, X, y, loss):
    """Central finite differences of the mean loss in every parameter."""
    loss = nn.get_loss(loss)
    target = nn.prepare_targets(net, y, loss, len(X))
    parameters = net.parameters
    gradient = np.empty_like(parameters)
    for i in range(parameters.size):
        saved = parameters[i]
        parameters[i] = saved + STEP
        above = loss.value(net(X), target)
        parameters[i] = saved - STEP
        below = loss.value(net(X), target)
        parameters[i] = saved
        gradient[i] = (above - below) / (2 * STEP)
    return gradient


def kink_distance(net, X):
    """The smallest distance of any hidden or output z from its layer's kinks."""
    trace = nn.forward(net, X)
    distance = np.inf
    for layer, z in zip(net.layers, trace.z, strict=True):
        for kink in layer.activation.spec.kinks:
            distance = min(distance, float(np.abs(z - kink).min()))
    return distance


def smooth_case(sizes, hidden, output):
    """A network and data whose z stay at least 1e-3 away from every kink."""
    for seed in range(50):
        rng = np.random.default_rng(seed)
        net = nn.Network.build(sizes, hidden=hidden, output=output, seed=seed)
        net.parameters = net.parameters + rng.normal(0, 0.1, net.n_parameters)
        X = rng.normal(0, 1.5, size=(6, sizes[0]))
        if kink_distance(net, X) > 1e-3:
            return net, X, rng
    raise AssertionError(f"no kink-free case found for {hidden}/{output}")


# Gradient checks -----------------------------------------------------------


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_gradient_hidden_activation(name):
    net, X, rng = smooth_case([3, 4, 4, 2], name, "linear")
    y = rng.normal(size=(6, 2))

    grads = nn.backward(net, nn.forward(net, X), y, "mse")

    np.testing.assert_allclose(
        grads.flat, numeric_gradient(net, X, y, "mse"), rtol=1e-5, atol=1e-8
    )


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_gradient_output_activation_mse(name):
    net, X, rng = smooth_case([3, 4, 2], "tanh", name)
    y = rng.normal(size=(6, 2))

    grads = nn.backward(net, nn.forward(net, X), y, "mse")

    np.testing.assert_allclose(
        grads.flat, numeric_gradient(net, X, y, "mse"), rtol=1e-5, atol=1e-8
    )


@pytest.mark.parametrize(
    ("loss", "n_outputs", "make_target"),
    [
        ("bce", 1, lambda rng: rng.integers(0, 2, size=6)),
        ("bce", 3, lambda rng: rng.integers(0, 2, size=(6, 3))),
        ("softmax_ce", 3, lambda rng: rng.integers(0, 3, size=6)),
        ("mse", 2, lambda rng: rng.normal(size=(6, 2))),
    ],
)
def test_gradient_every_loss(loss, n_outputs, make_target):
    net, X, rng = smooth_case([3, 5, n_outputs], "tanh", "linear")
    y = make_target(rng)

    grads = nn.backward(net, nn.forward(net, X), y, loss)

    np.testing.assert_allclose(
        grads.flat, numeric_gradient(net, X, y, loss), rtol=1e-5, atol=1e-8
    )


@pytest.mark.parametrize(
    ("loss", "target"),
    [
        ("bce", np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])),
        ("softmax_ce", np.array([0, 1, 1])),
        ("mse", np.array([[0.5, -1.0], [2.0, 0.0], [1.0, 3.0]])),
    ],
)
def test_loss_gradient_in_output(loss, target):
    loss = nn.get_loss(loss)
    output = np.random.default_rng(1).normal(size=(3, 2)) * 3
    prepared = loss.prepare(target, 2, np.float64)

    _, analytic = loss.value_and_gradient(output, prepared)
    numeric = np.empty_like(output)
    for index in np.ndindex(output.shape):
        shifted = output.copy()
        shifted[index] += STEP
        above = loss.value(shifted, prepared)
        shifted[index] -= 2 * STEP
        below = loss.value(shifted, prepared)
        numeric[index] = (above - below) / (2 * STEP)

    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


def test_bce_stable_for_huge_logits():
    loss = nn.get_loss("bce")
    logits = np.array([[1e4], [-1e4], [1e4], [-1e4], [40.0]])
    target = loss.prepare([1, 0, 0, 1, 1], 1, np.float64)

    value, gradient = loss.value_and_gradient(logits, target)

    assert value == pytest.approx((0 + 0 + 1e4 + 1e4 + np.exp(-40.0)) / 5)
    assert np.isfinite(gradient).all()
    expected = np.array([0, 0, 1, -1, -np.exp(-40.0)]) / 5
    np.testing.assert_allclose(gradient[:, 0], expected)


def test_softmax_ce_stable_for_huge_logits():
    loss = nn.get_loss("softmax_ce")
    logits = np.array([[1e300, 0.0, -1e300], [5e3, 5e3, 0.0]])
    target = loss.prepare([0, 2], 3, np.float64)

    value, gradient = loss.value_and_gradient(logits, target)

    assert value == pytest.approx((0.0 + 5e3 + np.log(2)) / 2)
    assert np.isfinite(gradient).all()
    np.testing.assert_allclose(gradient.sum(axis=1), 0.0, atol=1e-12)


def test_r2_score_perfect_and_mean():
    target = np.array([[1.0], [2.0], [4.0]])

    assert nn.r2_score(target, target) == 1.0
    assert nn.r2_score(np.full((3, 1), target.mean()), target) == pytest.approx(0.0)


# Forward and backward ------------------------------------------------------


def test_forward_keeps_z_and_a():
    net = nn.Network.build([3, 5, 4, 2], hidden=["relu", "tanh"], seed=3)
    X = np.random.default_rng(0).normal(size=(7, 3))

    trace = nn.forward(net, X)

    assert [z.shape for z in trace.z] == [(7, 5), (7, 4), (7, 2)]
    assert [a.shape for a in trace.a] == [(7, 5), (7, 4), (7, 2)]
    previous = X
    for layer, z, a in zip(net.layers, trace.z, trace.a, strict=True):
        np.testing.assert_allclose(z, previous @ layer.W + layer.b)
        np.testing.assert_allclose(a, layer.activation(z))
        previous = a
    np.testing.assert_array_equal(trace.output, net(X))


def test_backward_shapes_and_layout():
    net = nn.Network.build([3, 5, 4, 2], hidden="relu", seed=3)
    X = np.random.default_rng(0).normal(size=(7, 3))
    trace = nn.forward(net, X)

    grads = nn.backward(net, trace, np.arange(7) % 2, "softmax_ce")

    assert [g.shape for g in grads.dW] == [layer.W.shape for layer in net.layers]
    assert [g.shape for g in grads.db] == [layer.b.shape for layer in net.layers]
    assert [g.shape for g in grads.dz] == [z.shape for z in trace.z]
    assert [g.shape for g in grads.da] == [a.shape for a in trace.a]
    assert grads.flat.shape == net.parameters.shape
    for view, part in zip(net.split(grads.flat), [*grads.dW, *grads.db], strict=True):
        np.testing.assert_array_equal(view, part)
    assert np.isfinite(grads.loss)


def test_backward_chain_rule_per_layer():
    net = nn.Network.build([3, 5, 4, 1], hidden="tanh", output="sigmoid", seed=4)
    X = np.random.default_rng(0).normal(size=(7, 3))
    trace = nn.forward(net, X)

    grads = nn.backward(net, trace, np.zeros(7), "mse")

    for i, layer in enumerate(net.layers):
        derivative = layer.activation.derivative(trace.z[i])
        np.testing.assert_allclose(grads.dz[i], grads.da[i] * derivative)
        np.testing.assert_allclose(grads.dW[i], trace.layer_input(i).T @ grads.dz[i])
        np.testing.assert_allclose(grads.db[i], grads.dz[i].sum(axis=0))
    for i in range(len(net.layers) - 1):
        np.testing.assert_allclose(grads.da[i], grads.dz[i + 1] @ net.layers[i + 1].W.T)


def test_backward_rejects_row_mismatch():
    net = nn.Network.build([2, 3, 1], seed=0)
    trace = nn.forward(net, np.zeros((4, 2)))

    with pytest.raises(ValueError, match="3 targets for 4 examples"):
        nn.backward(net, trace, np.zeros(3), "mse")


def test_forward_rejects_wrong_width():
    net = nn.Network.build([2, 3, 1], seed=0)

    with pytest.raises(ValueError, match=r"shape \(4, 3\).*takes 2 input"):
        nn.forward(net, np.zeros((4, 3)))


# Layers, networks and initialisers ----------------------------------------


def test_layer_repr_shows_shape_and_activation():
    relu = activations.get("relu")
    net = nn.Network.build([2, 8, 1], hidden=relu, output="sigmoid")

    assert repr(net.layers[0]) == "Dense(2 -> 8, relu)"
    assert repr(net.layers[1]) == "Dense(8 -> 1, sigmoid)"
    assert "Dense(2 -> 8, relu)" in repr(net)


def test_build_picks_initialiser_per_activation():
    net = nn.Network.build([4, 6, 6, 6, 1], hidden=["relu", "tanh", "linear"])

    for layer in net.layers:
        assert layer.initialiser == layer.activation.spec.initialiser
    assert [layer.initialiser for layer in net.layers] == [
        "he",
        "xavier",
        "lecun",
        "lecun",
    ]


def test_build_one_initialiser_and_bias():
    net = nn.Network.build([4, 6, 1], initialiser="standard", bias=0.1)

    assert [layer.initialiser for layer in net.layers] == ["standard", "standard"]
    np.testing.assert_array_equal(net.layers[0].b, np.full(6, 0.1))
    np.testing.assert_array_equal(net.layers[1].b, np.zeros(1))
    per_layer = nn.Network.build([4, 6, 1], bias=[0.5, -0.5])
    np.testing.assert_array_equal(per_layer.layers[1].b, [-0.5])


def test_build_same_seed_same_weights():
    first = nn.Network.build([5, 7, 3], seed=11)
    second = nn.Network.build([5, 7, 3], seed=11)
    other = nn.Network.build([5, 7, 3], seed=12)

    np.testing.assert_array_equal(first.parameters, second.parameters)
    assert not np.array_equal(first.parameters, other.parameters)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_build_dtype_everywhere(dtype):
    net = nn.Network.build([3, 4, 2], hidden="tanh", seed=0, dtype=dtype)
    X = np.random.default_rng(0).normal(size=(5, 3))

    trace = nn.forward(net, X)
    grads = nn.backward(net, trace, [0, 1, 0, 1, 1], "softmax_ce")

    assert net.parameters.dtype == dtype
    assert all(z.dtype == dtype for z in trace.z)
    assert all(a.dtype == dtype for a in trace.a)
    assert grads.flat.dtype == dtype


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_activation_keeps_dtype(name, dtype):
    layer = nn.Dense.build(3, 4, name, dtype=dtype)
    z = np.linspace(-4, 4, 12, dtype=dtype).reshape(3, 4)

    assert layer._value(z).dtype == dtype
    assert layer._derivative(z).dtype == dtype
    np.testing.assert_array_equal(layer._value(z), layer.activation(z))
    np.testing.assert_array_equal(layer._derivative(z), layer.activation.derivative(z))


def test_build_rejects_vector_activation():
    with pytest.raises(ValueError, match="whole vector"):
        nn.resolve_activation(activations.Activation(_vector_spec(), {}))


def _vector_spec():
    # Sigmoid's record with vector=True tests the rule whatever the registry contains.
    from dataclasses import replace

    return replace(activations.spec("sigmoid"), name="vector_test", vector=True)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sizes": [3, 4, 1], "hidden": "no_such_activation"}, "no_such_activation"),
        ({"sizes": [3, 4, 1], "initialiser": "uniformish"}, "uniformish"),
        ({"sizes": [3]}, "at least the number of inputs"),
        ({"sizes": [3, 0, 1]}, "invalid layer size 0"),
        ({"sizes": [3, 4, 4, 1], "hidden": ["relu"]}, "1 hidden activations for 2"),
        ({"sizes": [3, 4, 1], "dtype": np.float16}, "float32 or float64"),
    ],
)
def test_build_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nn.Network.build(**kwargs)


def test_unknown_initialiser_lists_choices():
    with pytest.raises(
        ValueError, match=r"choose one of .*he.*lecun.*standard.*xavier"
    ):
        nn.resolve_initialiser("orthogonal")


@pytest.mark.parametrize(
    ("name", "std"),
    [
        ("he", lambda n_in, n_out: np.sqrt(2 / n_in)),
        ("lecun", lambda n_in, n_out: np.sqrt(1 / n_in)),
        ("xavier", lambda n_in, n_out: np.sqrt(2 / (n_in + n_out))),
        ("xavier_normal", lambda n_in, n_out: np.sqrt(2 / (n_in + n_out))),
        ("standard", lambda n_in, n_out: np.sqrt(1 / (3 * n_in))),
    ],
)
def test_initialiser_spread(name, std):
    W = nn.initialise(name, 300, 100, np.random.default_rng(0))

    assert W.shape == (300, 100)
    assert abs(W.mean()) < 0.05 * std(300, 100)
    assert W.std() == pytest.approx(std(300, 100), rel=0.03)


@pytest.mark.parametrize(
    ("name", "limit"),
    [("xavier", np.sqrt(6 / 400)), ("standard", 1 / np.sqrt(300))],
)
def test_uniform_initialiser_bounds(name, limit):
    W = nn.initialise(name, 300, 100, np.random.default_rng(0))

    assert np.abs(W).max() <= limit
    assert np.abs(W).max() > 0.99 * limit


def test_layer_assignment_updates_network():
    net = nn.Network.build([2, 3, 1], seed=0)

    net.layers[0].W = np.ones((2, 3))
    net.layers[1].b = [2.5]

    np.testing.assert_array_equal(net.parameters[:6], np.ones(6))
    assert net.parameters[-1] == 2.5
    with pytest.raises(ValueError, match=r"shape \(2, 3\)"):
        net.layers[0].W = np.ones((3, 2))


def test_network_rejects_shared_layer():
    net = nn.Network.build([2, 3, 1], seed=0)

    with pytest.raises(ValueError, match="already belongs to a network"):
        nn.Network(net.layers)
    copy = nn.Network([layer.copy() for layer in net.layers])
    np.testing.assert_array_equal(copy.parameters, net.parameters)


def test_network_rejects_unchained_layers():
    layers = [nn.Dense.build(2, 3), nn.Dense.build(4, 1)]

    with pytest.raises(ValueError, match="layer 0 has 3 units but layer 1 takes 4"):
        nn.Network(layers)


# Losses: names, targets, predictions ---------------------------------------


def test_unknown_loss_lists_choices():
    with pytest.raises(ValueError, match=r"unknown loss 'hinge'.*bce.*mse.*softmax_ce"):
        nn.get_loss("hinge")


@pytest.mark.parametrize(
    ("loss", "sizes", "y", "message"),
    [
        ("bce", [2, 1], [0, 1, 2], "invalid target 2 at row 2"),
        ("bce", [2, 1], [0, 0.5, 1], "invalid target 0.5 at row 1"),
        ("bce", [2, 2], [0, 1, 1], r"shape \(3,\).*2 output"),
        ("softmax_ce", [2, 3], [0, 3, 1], "invalid label 3 at row 1.*labels 0 to 2"),
        ("softmax_ce", [2, 3], [0, -1, 1], "invalid label -1"),
        ("softmax_ce", [2, 3], [0, 1.5, 1], "invalid label 1.5"),
        ("softmax_ce", [2, 1], [0, 0, 0], "at least 2 outputs"),
        ("softmax_ce", [2, 3], np.eye(3), "argmax"),
        ("mse", [2, 1], [0.0, np.nan, 1.0], "invalid target nan at row 1"),
        ("mse", [2, 1], ["a", "b", "c"], "must be numbers"),
    ],
)
def test_loss_rejects_bad_targets(loss, sizes, y, message):
    net = nn.Network.build(sizes, seed=0)

    with pytest.raises(ValueError, match=message):
        nn.evaluate(net, np.zeros((3, 2)), y, loss)


@pytest.mark.parametrize("loss", ["bce", "softmax_ce"])
def test_cross_entropy_rejects_nonlinear_output(loss):
    net = nn.Network.build([2, 3, 2], output="sigmoid", seed=0)

    with pytest.raises(ValueError, match="output='linear'"):
        nn.evaluate(net, np.zeros((2, 2)), [0, 1], loss)


def test_predictions_follow_the_loss():
    net = nn.Network.build([2, 4, 1], seed=0)
    X = np.random.default_rng(0).normal(size=(20, 2))
    logits = net(X)[:, 0]

    np.testing.assert_array_equal(net.predict(X, "bce"), (logits > 0).astype(int))
    np.testing.assert_allclose(net.predict_proba(X, "bce"), 1 / (1 + np.exp(-logits)))
    np.testing.assert_array_equal(net.predict(X, "mse"), logits)
    assert net.predict(X).shape == (20, 1)
    with pytest.raises(ValueError, match="not class probabilities"):
        net.predict_proba(X, "mse")


def test_softmax_predictions():
    net = nn.Network.build([2, 4, 3], seed=0)
    X = np.random.default_rng(0).normal(size=(20, 2))

    probabilities = net.predict_proba(X, "softmax_ce")

    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    np.testing.assert_array_equal(net.predict(X, "softmax_ce"), net(X).argmax(axis=1))


def test_evaluate_matches_loss_and_metric(cancer):
    X, y = cancer
    net = nn.Network.build([30, 8, 1], seed=0)

    value, accuracy = nn.evaluate(net, X, y, "bce")

    p = net.predict_proba(X, "bce")
    assert value == pytest.approx(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    assert accuracy == pytest.approx(np.mean(net.predict(X, "bce") == y))


# Optimisers and penalties --------------------------------------------------


def test_sgd_momentum_matches_formula():
    parameters = np.array([1.0, -2.0])
    gradient = np.array([0.5, 0.25])
    sgd = nn.SGD(learning_rate=0.1, momentum=0.9)

    sgd.apply(parameters, gradient)
    sgd.apply(parameters, gradient)

    # v1 = -0.1 g, v2 = 0.9 v1 - 0.1 g = -0.19 g, and w = w0 + v1 + v2.
    np.testing.assert_allclose(parameters, np.array([1.0, -2.0]) - 0.29 * gradient)


def test_sgd_nesterov_matches_formula():
    parameters = np.array([1.0])
    sgd = nn.SGD(learning_rate=0.1, momentum=0.5, nesterov=True)

    sgd.apply(parameters, np.array([2.0]))

    # v = -0.2, and w += 0.5 v - 0.1 g = -0.1 - 0.2.
    np.testing.assert_allclose(parameters, [0.7])


def test_adam_first_step_is_learning_rate():
    parameters = np.array([1.0, 1.0, 1.0])
    adam = nn.Adam(learning_rate=0.01)

    adam.apply(parameters, np.array([3.0, -1e-3, 0.0]))

    np.testing.assert_allclose(parameters, [0.99, 1.01, 1.0], rtol=1e-6)


def test_learning_rate_changes_between_steps():
    parameters = np.array([0.0])
    sgd = nn.SGD(learning_rate=0.1)

    sgd.apply(parameters, np.array([1.0]))
    sgd.learning_rate = 1.0
    sgd.apply(parameters, np.array([1.0]))

    np.testing.assert_allclose(parameters, [-1.1])


@pytest.mark.parametrize("rate", [0, -1, float("nan"), "fast"])
def test_optimiser_rejects_bad_rate(rate):
    with pytest.raises(ValueError, match="invalid learning rate"):
        nn.SGD(learning_rate=rate)


def test_optimiser_state_tied_to_one_network():
    adam = nn.Adam()
    adam.apply(np.zeros(3), np.ones(3))

    with pytest.raises(ValueError, match="use a new optimiser"):
        adam.apply(np.zeros(4), np.ones(4))
    adam.reset()
    adam.apply(np.zeros(4), np.ones(4))


def test_get_optimiser_by_name():
    assert isinstance(nn.get_optimiser("adam", learning_rate=0.1), nn.Adam)
    with pytest.raises(ValueError, match=r"unknown optimiser 'rmsprop'.*adam"):
        nn.get_optimiser("rmsprop")


def test_penalty_acts_on_weights_only():
    net = nn.Network.build([2, 3, 1], bias=0.5, seed=0)
    weights = net.parameters[: net.n_weights].copy()
    biases = net.parameters[net.n_weights :].copy()
    grads = nn.backward(net, nn.forward(net, np.zeros((1, 2))), [0.0], "mse")
    grads.flat[:] = 0.0

    nn.update(nn.SGD(0.1), net, grads, nn.Penalty(l1=0.01, l2=0.5))

    expected = weights - 0.1 * (0.01 * np.sign(weights) + 0.5 * weights)
    np.testing.assert_allclose(net.parameters[: net.n_weights], expected)
    np.testing.assert_array_equal(net.parameters[net.n_weights :], biases)


def test_penalty_value_formula():
    penalty = nn.Penalty(l1=0.1, l2=2.0)

    assert penalty.value(np.array([1.0, -3.0])) == pytest.approx(0.4 + 10.0)
    with pytest.raises(ValueError, match="invalid l2=-1"):
        nn.Penalty(l2=-1)


def test_l2_penalty_shrinks_weights(cancer):
    X, y = cancer
    norms = {}
    for l2 in (0.0, 0.1):
        net = nn.Network.build([30, 8, 1], seed=0)
        nn.train(net, X, y, "bce", nn.SGD(0.05), 10, 32, penalty=nn.Penalty(l2=l2))
        norms[l2] = np.linalg.norm(net.parameters[: net.n_weights])

    assert norms[0.1] < 0.8 * norms[0.0]


# Training ------------------------------------------------------------------


OPTIMISERS = {
    "sgd": lambda: nn.SGD(0.05),
    "momentum": lambda: nn.SGD(0.02, momentum=0.9),
    "nesterov": lambda: nn.SGD(0.02, momentum=0.9, nesterov=True),
    "adam": lambda: nn.Adam(0.01),
}


@pytest.mark.parametrize("optimiser", OPTIMISERS)
def test_train_reduces_bce_loss(cancer, optimiser):
    X, y = cancer
    net = nn.Network.build([30, 16, 1], hidden="relu", seed=0)

    history = nn.train(net, X, y, "bce", OPTIMISERS[optimiser](), 15, 32)

    assert len(history.epochs) == 15
    assert history.losses[-1] < 0.3 * history.initial.loss
    assert history.metrics[-1] > 0.95
    assert history.metric_name == "accuracy"


@pytest.mark.parametrize("optimiser", OPTIMISERS)
def test_train_reduces_softmax_loss(iris, optimiser):
    X, y = iris
    net = nn.Network.build([4, 16, 3], hidden="tanh", seed=0)

    history = nn.train(net, X, y, "softmax_ce", OPTIMISERS[optimiser](), 30, 16)

    assert history.losses[-1] < 0.5 * history.initial.loss
    assert history.metrics[-1] > 0.9


def test_train_mse_improves_r2(diabetes):
    X, y = diabetes
    net = nn.Network.build([10, 16, 1], hidden="relu", seed=0)

    history = nn.train(net, X, y, "mse", nn.Adam(0.01), 30, 32)

    assert history.metric_name == "r2"
    assert history.initial.metric < 0.1
    assert history.metrics[-1] > 0.4


def test_train_xor_float32():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 8, dtype=np.float32)
    y = np.array([0, 1, 1, 0] * 8)
    net = nn.Network.build([2, 8, 8, 1], hidden="tanh", seed=1, dtype=np.float32)

    history = nn.train(net, X, y, "bce", nn.Adam(0.05), 60, 8)

    assert net.parameters.dtype == np.float32
    assert history.metrics[-1] == 1.0
    assert history.losses[-1] < 0.1


def test_train_same_seed_bit_for_bit(cancer):
    X, y = cancer
    runs = []
    for _ in range(2):
        net = nn.Network.build([30, 16, 8, 1], hidden="relu", seed=5)
        history = nn.train(net, X, y, "bce", nn.Adam(0.01), 5, 16, seed=9)
        runs.append((net.parameters.copy(), history))

    (first, history1), (second, history2) = runs
    np.testing.assert_array_equal(first, second)
    assert history1.losses == history2.losses
    assert [r.batch_loss for r in history1.epochs] == [
        r.batch_loss for r in history2.epochs
    ]
    assert history1.epochs[-1].grad_norms == history2.epochs[-1].grad_norms


def test_train_other_seed_other_curve(cancer):
    X, y = cancer
    losses = []
    for seed in (1, 2):
        net = nn.Network.build([30, 8, 1], seed=0)
        losses.append(nn.train(net, X, y, "bce", nn.SGD(0.05), 3, 16, seed=seed).losses)

    assert losses[0] != losses[1]


def test_epoch_record_fields(cancer):
    X, y = cancer
    net = nn.Network.build([30, 8, 4, 1], hidden=["relu", "tanh"], seed=0)

    history = nn.train(
        net,
        X[:400],
        y[:400],
        "bce",
        nn.SGD(0.05),
        2,
        50,
        X_eval=X[400:],
        y_eval=y[400:],
    )

    record = history.epochs[-1]
    assert record.epoch == 2
    assert record.steps == 16
    assert record.metric_name == "accuracy"
    assert (record.loss, record.metric) == pytest.approx(
        nn.evaluate(net, X[:400], y[:400], "bce")
    )
    assert (record.eval_loss, record.eval_metric) == pytest.approx(
        nn.evaluate(net, X[400:], y[400:], "bce")
    )
    assert len(record.grad_norms) == 3
    assert all(norm > 0 for norm in record.grad_norms)
    assert record.dead_fractions[0] is not None
    assert record.dead_fractions[1] is None
    assert record.saturated_fractions[0] is None
    assert record.saturated_fractions[1] is not None
    assert len(record.activation_means) == len(record.activation_stds) == 3
    assert record.learning_rate == 0.05
    json.dumps(history.to_dict())


def test_stats_every_and_subsample():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 3))
    y = X.sum(axis=1)
    net = nn.Network.build([3, 4, 1], seed=0)

    history = nn.train(net, X, y, "mse", nn.SGD(0.01), 4, 500, stats_every=2)

    assert [r.stats is None for r in history.epochs] == [True, False, True, False]
    assert history.epochs[1].stats.n_examples == nn.STATS_MAX_EXAMPLES
    assert history.epochs[0].grad_norms is None
    assert history.epochs[-1].loss == nn.evaluate(net, X, y, "mse")[0]


def test_callback_stops_at_threshold(cancer):
    X, y = cancer
    net = nn.Network.build([30, 8, 1], seed=0)
    seen = []

    def callback(record):
        seen.append(record.epoch)
        return record.loss > 0.2

    history = nn.train(net, X, y, "bce", nn.SGD(0.05), 100, 32, callback=callback)

    assert history.stopped_early
    assert seen == [record.epoch for record in history.epochs]
    assert history.epochs[-1].loss <= 0.2
    assert all(record.loss > 0.2 for record in history.epochs[:-1])


def test_callback_changes_learning_rate(cancer):
    X, y = cancer
    net = nn.Network.build([30, 8, 1], seed=0)
    optimiser = nn.SGD(0.05)

    def halve(record):
        optimiser.learning_rate /= 2

    history = nn.train(net, X, y, "bce", optimiser, 3, 32, callback=halve)

    assert [r.learning_rate for r in history.epochs] == [0.05, 0.025, 0.0125]


def test_train_single_blas_thread_for_small_network(cancer):
    X, y = cancer
    net = nn.Network.build([30, 8, 1], seed=0)
    threads = []

    def record_threads(record):
        threads.extend(
            info["num_threads"]
            for info in threadpool_info()
            if info["user_api"] == "blas"
        )

    nn.train(net, X, y, "bce", nn.SGD(0.05), 1, 32, callback=record_threads)

    if not threads:
        pytest.skip("threadpoolctl finds no BLAS library in this NumPy build")
    assert set(threads) == {1}


def test_batch_size_larger_than_data_warns():
    net = nn.Network.build([2, 3, 1], seed=0)

    with pytest.warns(ActlabWarning, match="batch_size 64 is larger than the 4"):
        history = nn.train(
            net, np.zeros((4, 2)), np.zeros(4), "mse", nn.SGD(0.1), 2, 64
        )

    assert history.epochs[-1].steps == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": -1}, "invalid epochs -1"),
        ({"batch_size": 0}, "invalid batch_size 0"),
        ({"batch_size": 2.5}, "invalid batch_size 2.5"),
        ({"stats_every": -2}, "invalid stats_every -2"),
        ({"X_eval": np.zeros((2, 2))}, "both X_eval and y_eval"),
        ({"X": np.array([[0.0, np.nan]] * 4)}, "X contains NaN or infinity at row 0"),
    ],
)
def test_train_rejects_bad_arguments(kwargs, message):
    net = nn.Network.build([2, 3, 1], seed=0)
    arguments = {
        "X": np.zeros((4, 2)),
        "y": np.zeros(4),
        "loss": "mse",
        "optimiser": nn.SGD(0.1),
        "epochs": 1,
        "batch_size": 2,
    }

    with pytest.raises(ValueError, match=message):
        nn.train(net, **{**arguments, **kwargs})


# Divergence ----------------------------------------------------------------


def test_divergence_names_step_and_restores_weights(diabetes):
    X, y = diabetes
    net = nn.Network.build([10, 32, 32, 1], hidden="relu", seed=0)

    with pytest.raises(TrainingDivergedError) as caught:
        nn.train(net, X, y, "mse", nn.SGD(10.0), 5, 20)

    error = caught.value
    batches_per_epoch = -(-len(X) // 20)
    assert error.step == (error.epoch - 1) * batches_per_epoch + error.batch
    assert not np.isfinite(error.loss)
    message = str(error)
    assert f"epoch {error.epoch}, batch {error.batch}" in message
    assert str(error.loss) in message
    assert "learning rate 10 is probably too high, so try 1 or lower" in message
    assert np.isfinite(net.parameters).all()
    assert np.isfinite(nn.evaluate(net, X, y, "mse")[0])
    assert len(error.history.epochs) == error.epoch - 1


def test_divergence_restores_last_finite_step():
    # One example, so each epoch is one step and the run can be replayed with
    # nn.step. The loss over the training set after the last update is the
    # first non-finite one, and the weights go back to before that update.
    X = np.array([[1.0, -2.0, 0.5]])
    y = np.array([3.0])
    net = nn.Network.build([3, 8, 1], hidden="tanh", seed=2)
    replay = net.copy()
    before_step = []
    with np.errstate(all="ignore"):
        for _ in range(200):
            before = replay.parameters.copy()
            if not np.isfinite(nn.step(replay, X, y, "mse", nn.SGD(50.0))):
                break
            before_step.append(before)
    assert 1 < len(before_step) < 200

    with pytest.raises(TrainingDivergedError, match="after the update") as caught:
        nn.train(net, X, y, "mse", nn.SGD(50.0), 300, 1)

    assert caught.value.step == len(before_step)
    assert caught.value.epoch == len(before_step)
    np.testing.assert_array_equal(net.parameters, before_step[-1])


def test_divergence_at_start_blames_inputs():
    X = np.random.default_rng(0).normal(size=(20, 3)) * 1e300
    net = nn.Network.build([3, 8, 8, 1], hidden="relu", seed=0)
    initial = net.parameters.copy()

    with pytest.raises(TrainingDivergedError, match="Standardise the inputs") as caught:
        nn.train(net, X, np.zeros(20), "mse", nn.SGD(0.01), 3, 5)

    assert caught.value.step == 0
    assert "he, lecun" in str(caught.value)
    np.testing.assert_array_equal(net.parameters, initial)


def test_divergence_at_start_blames_targets():
    X = np.random.default_rng(0).normal(size=(20, 3))
    net = nn.Network.build([3, 8, 1], seed=0)

    with pytest.raises(TrainingDivergedError, match="Scale the targets"):
        nn.train(net, X, np.full(20, 1e200), "mse", nn.SGD(0.01), 3, 5)


def test_step_skips_update_on_nonfinite_loss():
    net = nn.Network.build([2, 3, 1], seed=0)
    before = net.parameters.copy()

    with np.errstate(all="ignore"):
        value = nn.step(net, np.ones((2, 2)), [1e200, 1e200], "mse", nn.SGD(0.1))

    assert value == np.inf
    np.testing.assert_array_equal(net.parameters, before)


@pytest.mark.parametrize("bias", [float("nan"), float("inf"), "0.1", True, [0.0, "x"]])
def test_build_rejects_bad_bias(bias):
    with pytest.raises(ValueError, match="invalid bias"):
        nn.Network.build([2, 4, 1], bias=bias)
