"""The fast training step: nn.Trainer against nn.step."""

from __future__ import annotations

import numpy as np
import pytest

from actlab import activations, nn

ELEMENTWISE = [
    name for name in activations.names() if not activations.spec(name).vector
]

OPTIMISERS = {
    "sgd": lambda: nn.SGD(0.05),
    "momentum": lambda: nn.SGD(0.02, momentum=0.9),
    "nesterov": lambda: nn.SGD(0.02, momentum=0.9, nesterov=True),
    "adam": lambda: nn.Adam(0.01),
}

LOSSES = {
    "bce": (1, lambda rng, n: rng.integers(0, 2, size=n)),
    "softmax_ce": (3, lambda rng, n: rng.integers(0, 3, size=n)),
    "mse": (2, lambda rng, n: rng.normal(size=(n, 2))),
}


def make_case(hidden, loss, dtype=np.float64, n=37, seed=0):
    n_outputs, make_target = LOSSES[loss]
    rng = np.random.default_rng(seed)
    X = rng.normal(0.0, 1.5, size=(n, 3)).astype(dtype)
    y = make_target(rng, n)
    net = nn.Network.build([3, 6, 5, n_outputs], hidden=hidden, seed=seed, dtype=dtype)
    return net, X, y


def train_both(net, X, y, loss, make_optimiser, batch, epochs=3, **options):
    """Train a copy with nn.step and a copy with a Trainer on the same batches."""
    slow, fast = net.copy(), net.copy()
    slow_optimiser = make_optimiser()
    trainer = nn.Trainer(fast, loss, make_optimiser(), batch_size=batch, **options)
    for _ in range(epochs):
        for start in range(0, len(X), batch):
            rows = slice(start, start + batch)
            slow_loss = nn.step(slow, X[rows], y[rows], loss, slow_optimiser)
            fast_loss = trainer.step(X[rows], y[rows])
    return slow, fast, slow_loss, fast_loss


@pytest.mark.parametrize("hidden", ELEMENTWISE)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_exact_slopes_bit_for_bit(hidden, dtype):
    net, X, y = make_case(hidden, "mse", dtype)

    slow, fast, slow_loss, fast_loss = train_both(
        net, X, y, "mse", OPTIMISERS["adam"], 8, slopes_from_output=False
    )

    np.testing.assert_array_equal(fast.parameters, slow.parameters)
    assert fast_loss == slow_loss


@pytest.mark.parametrize("optimiser", OPTIMISERS)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("hidden", ["tanh", "relu", "sigmoid", "elu"])
def test_output_slopes_match_step(hidden, loss, optimiser):
    net, X, y = make_case(hidden, loss)

    slow, fast, slow_loss, fast_loss = train_both(
        net, X, y, loss, OPTIMISERS[optimiser], 10, epochs=4
    )

    np.testing.assert_allclose(fast.parameters, slow.parameters, rtol=1e-9, atol=1e-12)
    assert fast_loss == pytest.approx(slow_loss, rel=1e-9)


@pytest.mark.parametrize("hidden", ["tanh", "relu"])
def test_output_slopes_float32(hidden):
    net, X, y = make_case(hidden, "bce", np.float32)

    slow, fast, _, _ = train_both(net, X, y, "bce", OPTIMISERS["sgd"], 10, epochs=4)

    assert fast.parameters.dtype == np.float32
    np.testing.assert_allclose(fast.parameters, slow.parameters, rtol=1e-5, atol=1e-6)


def test_relu_output_slope_is_exact():
    net, X, y = make_case("relu", "softmax_ce")

    slow, fast, _, _ = train_both(net, X, y, "softmax_ce", OPTIMISERS["sgd"], 10)

    np.testing.assert_array_equal(fast.parameters, slow.parameters)


def test_output_slopes_differ_for_tanh():
    # 1 - a**2 rounds differently from the registry's tanh'. If the two
    # paths agreed bit for bit, the option would have no effect.
    net, X, y = make_case("tanh", "mse")

    slow, fast, _, _ = train_both(net, X, y, "mse", OPTIMISERS["sgd"], 10)
    _, exact, _, _ = train_both(
        net, X, y, "mse", OPTIMISERS["sgd"], 10, slopes_from_output=False
    )

    assert not np.array_equal(fast.parameters, slow.parameters)
    np.testing.assert_array_equal(exact.parameters, slow.parameters)


def test_parametrised_activation_and_penalty():
    hidden = activations.get("leaky_relu", negative_slope=0.2)
    net, X, y = make_case(hidden, "mse")
    penalty = nn.Penalty(l1=0.01, l2=0.1)
    slow, fast = net.copy(), net.copy()
    slow_optimiser = nn.SGD(0.05, momentum=0.5)
    trainer = nn.Trainer(fast, "mse", nn.SGD(0.05, momentum=0.5), penalty)

    for start in range(0, len(X), 6):
        rows = slice(start, start + 6)
        nn.step(slow, X[rows], y[rows], "mse", slow_optimiser, penalty)
        trainer.step(X[rows], y[rows])

    np.testing.assert_array_equal(fast.parameters, slow.parameters)


@pytest.mark.parametrize("batch", [1, 5, 37, 64])
def test_buffer_size_any_batch(batch):
    net, X, y = make_case("gelu", "bce")
    slow, fast = net.copy(), net.copy()
    slow_optimiser = nn.Adam(0.01)
    trainer = nn.Trainer(fast, "bce", nn.Adam(0.01), batch_size=7)

    for size in (batch, 3, batch):
        nn.step(slow, X[:size], y[:size], "bce", slow_optimiser)
        trainer.step(X[:size], y[:size])

    np.testing.assert_array_equal(fast.parameters, slow.parameters)


def test_learning_rate_change_applies():
    net, X, y = make_case("tanh", "mse")
    slow, fast = net.copy(), net.copy()
    slow_optimiser, fast_optimiser = nn.SGD(0.1), nn.SGD(0.1)
    trainer = nn.Trainer(fast, "mse", fast_optimiser, slopes_from_output=False)

    for rate in (0.1, 0.01, 0.3):
        slow_optimiser.learning_rate = fast_optimiser.learning_rate = rate
        nn.step(slow, X, y, "mse", slow_optimiser)
        trainer.step(X, y)

    np.testing.assert_array_equal(fast.parameters, slow.parameters)


def test_forward_matches_network():
    net, X, _ = make_case("softplus", "mse")
    trainer = nn.Trainer(net, "mse", nn.SGD(0.1), batch_size=4)

    output = trainer.forward(X)

    np.testing.assert_array_equal(output, net(X))


def test_nonfinite_loss_skips_update():
    net = nn.Network.build([2, 3, 1], seed=0)
    before = net.parameters.copy()
    trainer = nn.Trainer(net, "mse", nn.SGD(0.1))

    with np.errstate(all="ignore"):
        value = trainer.step(np.ones((2, 2)), [1e200, 1e200])

    assert value == np.inf
    np.testing.assert_array_equal(net.parameters, before)


def test_step_checks_inputs_and_targets():
    net = nn.Network.build([2, 3, 1], seed=0)
    trainer = nn.Trainer(net, "bce", nn.SGD(0.1))

    with pytest.raises(ValueError, match="takes 2 input"):
        trainer.step(np.ones((4, 3)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="invalid target 2"):
        trainer.step(np.ones((4, 2)), [0, 1, 2, 1])
    with pytest.raises(ValueError, match="got 3 targets for 4 examples"):
        trainer.step(np.ones((4, 2)), [0, 1, 1])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch_size": 0}, "invalid batch_size 0"),
        ({"batch_size": 2.5}, "invalid batch_size 2.5"),
        ({"net": "net"}, "net must be a Network"),
        ({"loss": "hinge"}, "unknown loss 'hinge'"),
    ],
)
def test_trainer_rejects_bad_arguments(kwargs, message):
    arguments = {
        "net": nn.Network.build([2, 3, 1], seed=0),
        "loss": "mse",
        "optimiser": nn.SGD(0.1),
    }

    with pytest.raises(ValueError, match=message):
        nn.Trainer(**{**arguments, **kwargs})


def test_trainer_rejects_nonlinear_output_for_bce():
    net = nn.Network.build([2, 3, 1], output="sigmoid", seed=0)

    with pytest.raises(ValueError, match="output layer must be linear"):
        nn.Trainer(net, "bce", nn.SGD(0.1))


@pytest.mark.parametrize("hidden", ["tanh", "gelu"])
def test_train_equals_step_loop(hidden):
    # nn.train runs its steps through a Trainer with exact slopes, so a loop
    # of nn.step over the same minibatch order must give the same weights.
    net, X, y = make_case(hidden, "softmax_ce", n=50)
    looped = net.copy()
    optimiser = nn.Adam(0.01)
    penalty = nn.Penalty(l2=0.01)
    shuffle = np.random.default_rng(np.random.SeedSequence(4).spawn(2)[0])

    nn.train(net, X, y, "softmax_ce", nn.Adam(0.01), 3, 16, seed=4, penalty=penalty)
    for _ in range(3):
        order = shuffle.permutation(len(X))
        for rows in np.array_split(order, range(16, len(X), 16)):
            nn.step(looped, X[rows], y[rows], "softmax_ce", optimiser, penalty)

    np.testing.assert_array_equal(net.parameters, looped.parameters)
