"""Per-layer diagnostics: gradient norms, dead and saturated units, z and a."""

from __future__ import annotations

import json

import numpy as np
import pytest

from actlab import activations, diagnostics, nn

ELEMENTWISE = [
    name for name in activations.names() if not activations.spec(name).vector
]
CAN_DIE = [name for name in ELEMENTWISE if activations.spec(name).can_die]
SATURATES = [name for name in ELEMENTWISE if activations.spec(name).saturates]


@pytest.fixture(scope="module")
def inputs():
    return np.random.default_rng(0).normal(size=(200, 10))


def test_diagnose_one_record_per_layer(inputs):
    net = nn.Network.build([10, 16, 8, 1], hidden=["relu", "tanh"], seed=0)

    report = diagnostics.diagnose(net, inputs, np.zeros(200), "mse")

    assert report.n_examples == 200
    assert [layer.index for layer in report.layers] == [0, 1, 2]
    assert [layer.activation for layer in report.layers] == ["relu", "tanh", "linear"]
    assert [(s.n_in, s.n_out) for s in report.layers] == [(10, 16), (16, 8), (8, 1)]
    assert report.loss == pytest.approx(
        nn.evaluate(net, inputs, np.zeros(200), "mse")[0]
    )


def test_grad_norms_match_backward(inputs):
    net = nn.Network.build([10, 16, 1], seed=0)
    y = inputs[:, 0] > 0

    report = diagnostics.diagnose(net, inputs, y, "bce")
    grads = nn.backward(net, nn.forward(net, inputs), y, "bce")

    assert report.grad_norms == [float(np.linalg.norm(dW)) for dW in grads.dW]
    assert [layer.bias_grad_norm for layer in report.layers] == [
        float(np.linalg.norm(db)) for db in grads.db
    ]


def test_forward_only_without_targets(inputs):
    net = nn.Network.build([10, 16, 1], seed=0)

    report = diagnostics.diagnose(net, inputs)

    assert report.loss is None
    assert report.grad_norms == [None, None]
    assert report.grad_norm_ratio is None
    assert report.dead_fractions[0] is not None


def test_diagnose_needs_y_and_loss_together(inputs):
    net = nn.Network.build([10, 16, 1], seed=0)

    with pytest.raises(ValueError, match="both y and loss"):
        diagnostics.diagnose(net, inputs, np.zeros(200))


def test_activation_statistics_match_trace(inputs):
    net = nn.Network.build([10, 16, 8, 1], hidden="tanh", seed=0)

    report = diagnostics.diagnose(net, inputs, keep_z=True)
    trace = nn.forward(net, inputs)

    for stats, z, a in zip(report.layers, trace.z, trace.a, strict=True):
        assert stats.activation_mean == pytest.approx(a.mean())
        assert stats.activation_std == pytest.approx(a.std())
        assert stats.z_mean == pytest.approx(z.mean())
        assert stats.z_std == pytest.approx(z.std())
        np.testing.assert_array_equal(stats.z, z)


def test_z_histogram_counts_every_value(inputs):
    net = nn.Network.build([10, 16, 1], seed=0)

    report = diagnostics.diagnose(net, inputs, bins=12)

    histogram = report.layers[0].z_histogram
    assert len(histogram.counts) == 12
    assert len(histogram.edges) == 13
    assert sum(histogram.counts) == 200 * 16
    z = nn.forward(net, inputs).z[0]
    assert histogram.edges[0] == z.min()
    assert histogram.edges[-1] == z.max()
    assert diagnostics.diagnose(net, inputs, bins=0).layers[0].z_histogram is None


def test_histogram_of_constant_huge_values():
    histogram = diagnostics.Histogram.of(np.full(5, 1e300), bins=10)

    assert sum(histogram.counts) == 5
    assert histogram.edges[0] <= 1e300 <= histogram.edges[-1]
    assert diagnostics.Histogram.of(np.array([np.nan, np.inf]), bins=10) is None


def test_diagnosis_serialises_to_json(inputs):
    net = nn.Network.build([10, 16, 1], hidden="sigmoid", seed=0)

    report = diagnostics.diagnose(net, inputs, np.zeros(200), "mse")

    data = json.loads(json.dumps(report.to_dict()))
    assert data["n_examples"] == 200
    assert data["layers"][0]["saturated_fraction"] == report.saturated_fractions[0]


# Dead units ----------------------------------------------------------------


@pytest.mark.parametrize("name", CAN_DIE)
def test_dead_fraction_one_for_forced_dead_layer(inputs, name):
    net = nn.Network.build([10, 16, 1], hidden=name, seed=0)
    net.layers[0].b = np.full(16, -100.0)

    report = diagnostics.diagnose(net, inputs, np.zeros(200), "mse")

    assert report.dead_fractions[0] == 1.0


@pytest.mark.parametrize("name", CAN_DIE)
def test_dead_fraction_zero_for_healthy_layer(inputs, name):
    net = nn.Network.build([10, 16, 1], hidden=name, seed=0)

    report = diagnostics.diagnose(net, inputs, np.zeros(200), "mse")

    assert report.dead_fractions[0] == 0.0


def test_dead_fraction_counts_units():
    z = np.array([[-1.0, 2.0, 0.0, -3.0], [-2.0, -1.0, 0.0, 0.5]])
    relu = activations.get("relu")

    np.testing.assert_array_equal(diagnostics.dead_units(z), [True, False, True, False])
    np.testing.assert_array_equal(
        diagnostics.dead_units(z, relu), [True, False, True, False]
    )
    assert diagnostics.dead_fraction(z, relu) == 0.5


def test_relu6_dead_above_six():
    z = np.array([[7.0, 2.0, -1.0], [9.0, 8.0, -2.0]])
    relu6 = activations.get("relu6")

    np.testing.assert_array_equal(diagnostics.dead_units(z, relu6), [True, False, True])


def test_dead_rule_follows_parameters():
    z = np.array([[-1.0, 2.0], [-2.0, 1.0]])
    leaky = activations.get("leaky_relu")
    flat = activations.get("leaky_relu", negative_slope=0.0)

    assert diagnostics.dead_fraction(z, leaky) is None
    assert diagnostics.dead_fraction(z, flat) == 0.5


@pytest.mark.parametrize(
    "name", [n for n in ELEMENTWISE if not activations.spec(n).can_die]
)
def test_dead_fraction_none_when_cannot_die(inputs, name):
    net = nn.Network.build([10, 16, 1], hidden=name, seed=0)
    net.layers[0].b = np.full(16, -100.0)

    report = diagnostics.diagnose(net, inputs)

    assert report.dead_fractions[0] is None


def test_dead_layer_shown_in_training_records(inputs):
    net = nn.Network.build([10, 16, 1], hidden="relu", seed=0)
    net.layers[0].b = np.full(16, -100.0)
    y = inputs[:, 0]

    history = nn.train(net, inputs, y, "mse", nn.SGD(0.01), 3, 20)

    assert history.initial.dead_fractions[0] == 1.0
    assert [r.dead_fractions[0] for r in history.epochs] == [1.0, 1.0, 1.0]
    assert [r.grad_norms[0] for r in history.epochs] == [0.0, 0.0, 0.0]


# Saturated units -----------------------------------------------------------


def test_sigmoid_saturation_grows_with_weight_scale(inputs):
    fractions = {}
    for scale in (0.01, 100.0):
        net = nn.Network.build([10, 32, 1], hidden="sigmoid", seed=0)
        net.layers[0].W = net.layers[0].W * scale

        report = diagnostics.diagnose(net, inputs, np.zeros(200), "mse")
        fractions[scale] = report.saturated_fractions[0]

    assert fractions[100.0] > 0.9
    assert fractions[0.01] < 0.05


@pytest.mark.parametrize("name", SATURATES)
def test_saturated_fraction_one_for_huge_bias(inputs, name):
    fractions = []
    for bias in (-1e3, 1e3):
        net = nn.Network.build([10, 16, 1], hidden=name, seed=0)
        net.layers[0].b = np.full(16, bias)
        fractions.append(diagnostics.diagnose(net, inputs).saturated_fractions[0])

    assert max(fractions) == 1.0


@pytest.mark.parametrize("name", SATURATES)
def test_saturated_fraction_zero_at_steepest_point(inputs, name):
    act = activations.get(name)
    grid = np.linspace(-8.0, 8.0, 3201)
    steepest = grid[np.argmax(np.abs(act.derivative(grid)))]
    net = nn.Network.build([10, 16, 1], hidden=name, seed=0)
    net.layers[0].W = net.layers[0].W * 1e-3
    net.layers[0].b = np.full(16, steepest)

    report = diagnostics.diagnose(net, inputs)

    assert report.saturated_fractions[0] == 0.0


def test_saturation_needs_more_than_half_the_examples():
    sigmoid = activations.get("sigmoid")
    # Unit 0 saturates on 2 of 4 examples, unit 1 on 3 of 4.
    z = np.array([[20.0, 20.0], [-20.0, 20.0], [0.0, -20.0], [0.5, 0.0]])

    np.testing.assert_array_equal(
        diagnostics.saturated_units(z, sigmoid), [False, True]
    )
    assert diagnostics.saturated_fraction(z, sigmoid) == 0.5
    assert diagnostics.saturated_fraction(z, activations.get("relu")) is None


# Gradient flow -------------------------------------------------------------


def test_deep_sigmoid_gradient_vanishes(inputs):
    y = inputs[:, 0]
    ratios = {}
    for hidden in ("sigmoid", "relu"):
        net = nn.Network.build([10] + [32] * 8 + [1], hidden=hidden, seed=0)
        ratios[hidden] = diagnostics.diagnose(net, inputs, y, "mse").grad_norm_ratio

    assert net.layers[0].initialiser == "he"
    assert ratios["sigmoid"] < ratios["relu"] / 100
    assert ratios["sigmoid"] < 1e-3
