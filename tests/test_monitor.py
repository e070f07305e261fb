"""The PyTorch monitor, on real torch training and a real SQLite store."""

from __future__ import annotations

import operator
import sqlite3
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler
from torch import nn

from actlab import activations, diagnostics
from actlab.errors import ActlabWarning
from actlab.monitor import (
    MEAN_STD_ACTIVATIONS,
    MEAN_STD_FUNCTIONS,
    RECOGNISED_ACTIVATIONS,
    RECOGNISED_FUNCTIONS,
    Monitor,
)
from actlab.store import Store

# Thresholds that no fraction exceeds, for tests about something else.
QUIET = {"dead_threshold": 1.0, "saturated_threshold": 1.0}


@pytest.fixture(scope="module")
def digits() -> tuple[torch.Tensor, torch.Tensor]:
    features, labels = load_digits(return_X_y=True)
    features = StandardScaler().fit_transform(features)
    return torch.tensor(features, dtype=torch.float32), torch.tensor(labels)


def mlp(activation: type[nn.Module] = nn.ReLU, width: int = 32) -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(64, width),
        activation(),
        nn.Linear(width, width),
        activation(),
        nn.Linear(width, 10),
    )


def train(model, monitor, x, y, steps: int, batch: int = 128, lr: float = 0.05):
    """Run ``steps`` SGD steps over shuffled batches, calling ``monitor.step``."""
    generator = torch.Generator().manual_seed(1)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        index = torch.randperm(len(x), generator=generator)[:batch]
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x[index]), y[index])
        loss.backward()
        optimizer.step()
        monitor.step(loss)


def actlab_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, ActlabWarning)]


def dead_fractions(monitor: Monitor, layer: str) -> list[float]:
    return [
        entry["dead_fraction"]
        for record in monitor.history
        for entry in record["activations"]
        if entry["layer"] == layer
    ]


# --- dead, saturated and healthy networks --------------------------------------


def test_dead_relus_warn_once(digits):
    x, y = digits
    model = mlp()
    with torch.no_grad():
        model[0].bias.fill_(-20.0)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with Monitor(model, dead_threshold=0.1) as monitor:
            train(model, monitor, x, y, steps=15)

    assert min(dead_fractions(monitor, "1")) > 0.1
    messages = [m for m in actlab_warnings(caught) if "'1'" in m]
    assert len(messages) == 1
    assert "dead" in messages[0]
    assert "ReLU" in messages[0]
    assert "10%" in messages[0]


def test_healthy_network_does_not_warn(digits):
    x, y = digits
    model = mlp(width=128)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with Monitor(model) as monitor:
            train(model, monitor, x, y, steps=15, batch=512)

    assert actlab_warnings(caught) == []
    assert max(dead_fractions(monitor, "1")) <= 0.1
    assert len(monitor.history) == 15


def test_sigmoid_with_huge_weights_saturates(digits):
    x, y = digits
    model = mlp(nn.Sigmoid)
    with torch.no_grad():
        model[0].weight.mul_(100.0)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with Monitor(model, saturated_threshold=0.5) as monitor:
            train(model, monitor, x, y, steps=3)

    first = monitor.history[0]["activations"][0]
    assert first["layer"] == "1"
    assert first["saturated_fraction"] > 0.5
    assert first["dead_fraction"] is None
    messages = [m for m in actlab_warnings(caught) if "'1'" in m]
    assert len(messages) == 1
    assert "saturated" in messages[0]


def test_fractions_follow_numpy_diagnostics(digits):
    x, _ = digits
    model = mlp(nn.Tanh)
    with torch.no_grad():
        # Biases far from 0 push some units onto the flat tails of tanh.
        model[0].bias.copy_(torch.linspace(-8.0, 8.0, 32))
    batch = x[:200]

    with Monitor(model, **QUIET) as monitor:
        model(batch)
        record = monitor.step()

    z = model[0](batch).detach().numpy()
    tanh = activations.get("tanh")
    expected = diagnostics.saturated_fraction(z, tanh)
    assert 0 < expected < 1
    assert record["activations"][0]["saturated_fraction"] == pytest.approx(expected)
    hidden = torch.tanh(model[0](batch))
    assert record["activations"][0]["mean"] == pytest.approx(hidden.mean().item())
    assert record["activations"][0]["std"] == pytest.approx(
        hidden.std(correction=0).item(), rel=1e-5
    )


def test_dead_fraction_matches_numpy_engine():
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(5, 40), nn.ReLU())
    x = torch.randn(30, 5)

    with Monitor(model, **QUIET) as monitor:
        model(x)
        record = monitor.step()

    z = model[0](x).detach().numpy()
    expected = diagnostics.dead_fraction(z, activations.get("relu"))
    assert record["activations"][0]["dead_fraction"] == pytest.approx(expected)
    assert record["activations"][0]["units"] == 40
    assert record["activations"][0]["examples"] == 30


def test_inplace_relu_reads_pre_activation():
    torch.manual_seed(4)
    plain = nn.Sequential(nn.Linear(6, 20), nn.ReLU())
    inplace = nn.Sequential(nn.Linear(6, 20), nn.ReLU(inplace=True))
    inplace.load_state_dict(plain.state_dict())
    x = torch.randn(3, 6)

    records = []
    for model in (plain, inplace):
        with Monitor(model, **QUIET) as monitor:
            model(x)
            records.append(monitor.step()["activations"][0])

    assert records[0]["dead_fraction"] > 0
    assert records[1]["dead_fraction"] == records[0]["dead_fraction"]
    assert records[1]["mean"] == pytest.approx(records[0]["mean"])


def test_warning_waits_for_recovery():
    model = nn.ReLU()
    # Columns below k are all negative, so exactly k of the 25 units are dead:
    # 52%, then 8% (above half the threshold), 52%, 0% and 52% again.
    dead_counts = [13, 2, 13, 0, 13]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with Monitor(model, dead_threshold=0.1) as monitor:
            for k in dead_counts:
                x = torch.ones(4, 25)
                x[:, :k] = -1.0
                model(x)
                monitor.step()

    assert dead_fractions(monitor, "ReLU") == [k / 25 for k in dead_counts]
    messages = actlab_warnings(caught)
    assert len(messages) == 2
    assert "at step 1" in messages[0]
    assert "at step 5" in messages[1]


# --- gradient norms --------------------------------------------------------------


def test_grad_norms_match_torch(digits):
    x, y = digits
    model = mlp()
    with Monitor(model) as monitor:
        loss = nn.functional.cross_entropy(model(x[:64]), y[:64])
        loss.backward()
        record = monitor.step(loss)

    weights = {entry["layer"]: entry for entry in record["weights"]}
    assert list(weights) == ["0", "2", "4"]
    for name in weights:
        layer = model[int(name)]
        expected = torch.linalg.norm(layer.weight.grad).item()
        assert weights[name]["grad_norm"] == pytest.approx(expected)
        bias = torch.linalg.norm(layer.bias.grad).item()
        assert weights[name]["bias_grad_norm"] == pytest.approx(bias)
        assert weights[name]["shape"] == list(layer.weight.shape)
    assert record["loss"] == pytest.approx(loss.item())


def test_conv_channels_are_units():
    torch.manual_seed(5)
    model = nn.Sequential(nn.Conv2d(1, 6, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(2))
    x = torch.randn(4, 1, 8, 8)
    model(x)

    with Monitor(model, **QUIET) as monitor:
        model(x).sum().backward()
        record = monitor.step()

    relu = record["activations"][0]
    assert relu["units"] == 6
    assert relu["examples"] == 4 * 6 * 6
    conv = record["weights"][0]
    assert conv["module"] == "Conv2d"
    expected = torch.linalg.norm(model[0].weight.grad).item()
    assert conv["grad_norm"] == pytest.approx(expected)


def test_grad_norm_none_without_backward():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    with Monitor(model, **QUIET) as monitor:
        model(torch.randn(2, 3))
        record = monitor.step()
    assert record["weights"][0]["grad_norm"] is None
    assert record["weights"][0]["bias_grad_norm"] is None


# --- models, modes and steps -----------------------------------------------------


class TwoTanh(nn.Module):
    """A custom module that uses one Tanh module twice."""

    def __init__(self):
        super().__init__()
        self.first = nn.Linear(4, 8)
        self.second = nn.Linear(8, 8)
        self.act = nn.Tanh()

    def forward(self, x):
        return self.act(self.second(self.act(self.first(x))))


def test_custom_module_gets_one_layer_per_use():
    model = TwoTanh()
    with Monitor(model) as monitor:
        for _ in range(2):
            model(torch.randn(5, 4)).sum().backward()
            record = monitor.step()

    assert [entry["layer"] for entry in record["activations"]] == ["act", "act#2"]
    assert [entry["examples"] for entry in record["activations"]] == [5, 5]
    assert [entry["layer"] for entry in record["weights"]] == ["first", "second"]
    assert record["weights"][1]["grad_norm"] > 0


def test_eval_mode_forwards_are_left_out():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    with Monitor(model, **QUIET) as monitor:
        model(torch.randn(7, 3))
        model.eval()
        model(torch.randn(100, 3))
        model.train()
        record = monitor.step()
    assert record["activations"][0]["examples"] == 7


def test_every_records_one_step_in_n():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    with Monitor(model, every=3, **QUIET) as monitor:
        for _ in range(7):
            model(torch.randn(2, 3))
            monitor.step()
    assert [record["step"] for record in monitor.history] == [1, 4, 7]
    assert monitor.steps == 7
    assert all(r["activations"][0]["examples"] == 2 for r in monitor.history)


def test_detach_removes_hooks():
    model = TwoTanh()
    monitor = Monitor(model).attach()
    assert monitor.attached

    monitor.detach()

    for module in model.modules():
        assert len(module._forward_hooks) == 0
        assert len(module._forward_pre_hooks) == 0
    with pytest.raises(RuntimeError, match="not attached"):
        monitor.step()


def test_attach_twice_raises():
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    with Monitor(model) as monitor, pytest.raises(RuntimeError, match="already"):
        monitor.attach()


def test_recognised_activations_are_hooked():
    modules = [getattr(nn, name)() for name in RECOGNISED_ACTIVATIONS]
    model = nn.Sequential(*modules)
    with Monitor(model, **QUIET) as monitor:
        model(torch.randn(3, 4))
        record = monitor.step()

    entries = record["activations"]
    assert [entry["module"] for entry in entries] == list(RECOGNISED_ACTIVATIONS)
    assert all(entry["activation"] is not None for entry in entries)
    by_module = {entry["module"]: entry for entry in entries}
    assert by_module["ReLU"]["dead_fraction"] is not None
    assert by_module["Sigmoid"]["saturated_fraction"] is not None
    assert by_module["GELU"]["dead_fraction"] is None


def test_other_activations_get_mean_and_std():
    arguments = {"Threshold": (0.1, 0.0)}
    modules = [
        getattr(nn, name)(*arguments.get(name, ())) for name in MEAN_STD_ACTIVATIONS
    ]
    modules.append(nn.Hardtanh(-2.0, 2.0))
    model = nn.Sequential(*modules)
    with Monitor(model) as monitor:
        model(torch.randn(3, 4))
        record = monitor.step()

    entries = record["activations"]
    assert [e["module"] for e in entries] == [*MEAN_STD_ACTIVATIONS, "Hardtanh"]
    assert all(e["mean"] is not None for e in entries)
    assert all(e["dead_fraction"] is None for e in entries)
    assert all(e["saturated_fraction"] is None for e in entries)


def test_summary_lists_layers():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    with torch.no_grad():
        model[0].bias.fill_(-50.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ActlabWarning)
        with Monitor(model, run="table") as monitor:
            model(torch.randn(8, 3)).sum().backward()
            monitor.step()

    text = monitor.summary()
    assert "run 'table'" in text
    assert "100.0%!" in text
    assert "ReLU" in text
    assert "4x3" in text


def test_summary_before_any_step():
    monitor = Monitor(nn.Sequential(nn.Linear(2, 2), nn.ReLU()), run="empty")
    assert "0 recorded of 0 steps" in monitor.summary()


# --- functional activations ------------------------------------------------------


class FunctionalMLP(nn.Module):
    """The network of ``mlp()``, with the same weights, calling ``activation``."""

    def __init__(self, activation=F.relu, width: int = 32):
        super().__init__()
        torch.manual_seed(0)
        self.first = nn.Linear(64, width)
        self.second = nn.Linear(width, width)
        self.out = nn.Linear(width, 10)
        self.activation = activation

    def forward(self, x):
        x = self.activation(self.first(x))
        x = self.activation(self.second(x))
        return self.out(x)


def function_mode_stack() -> list:
    return torch.overrides._get_current_function_mode_stack()


def test_functional_dead_relus_warn(digits):
    x, y = digits
    model = FunctionalMLP(F.relu)
    with torch.no_grad():
        model.first.bias.fill_(-20.0)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with Monitor(model, dead_threshold=0.1) as monitor:
            train(model, monitor, x, y, steps=15)

    layers = [entry["layer"] for entry in monitor.history[0]["activations"]]
    assert layers == ["FunctionalMLP:relu", "FunctionalMLP:relu#2"]
    assert min(dead_fractions(monitor, "FunctionalMLP:relu")) > 0.1
    messages = [m for m in actlab_warnings(caught) if "'FunctionalMLP:relu'" in m]
    assert len(messages) == 1
    assert "dead" in messages[0]
    assert "10%" in messages[0]


def test_functional_tanh_saturates_with_large_weights(digits):
    x, y = digits
    model = FunctionalMLP(torch.tanh)
    with torch.no_grad():
        model.first.weight.mul_(100.0)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with Monitor(model, saturated_threshold=0.5) as monitor:
            train(model, monitor, x, y, steps=3)

    first = monitor.history[0]["activations"][0]
    assert first["layer"] == "FunctionalMLP:tanh"
    assert first["activation"] == "tanh"
    assert first["saturated_fraction"] > 0.5
    assert first["dead_fraction"] is None
    messages = [m for m in actlab_warnings(caught) if "'FunctionalMLP:tanh'" in m]
    assert len(messages) == 1
    assert "saturated" in messages[0]


def test_functional_fractions_match_direct_computation(digits):
    x, _ = digits
    model = FunctionalMLP(torch.tanh)
    with torch.no_grad():
        model.first.bias.copy_(torch.linspace(-8.0, 8.0, 32))
    batch = x[:200]

    with Monitor(model, **QUIET) as monitor:
        model(batch)
        record = monitor.step()

    tanh = activations.get("tanh")
    with torch.no_grad():
        z1 = model.first(batch)
        z2 = model.second(torch.tanh(z1))
    for entry, z in zip(record["activations"], (z1, z2), strict=True):
        expected = diagnostics.saturated_fraction(z.numpy(), tanh)
        assert entry["saturated_fraction"] == pytest.approx(expected)
        assert entry["units"] == 32
        assert entry["examples"] == 200
        hidden = torch.tanh(z)
        assert entry["mean"] == pytest.approx(hidden.mean().item(), abs=1e-6)
        assert entry["std"] == pytest.approx(hidden.std(correction=0).item(), rel=1e-5)
    first = record["activations"][0]["saturated_fraction"]
    assert 0 < first < 1


def test_functional_and_module_records_agree(digits):
    x, y = digits
    modules, functional = mlp(), FunctionalMLP(F.relu)
    with torch.no_grad():
        modules[0].bias.add_(-1.5)
        functional.first.bias.add_(-1.5)

    monitors = []
    for model in (modules, functional):
        with Monitor(model, **QUIET) as monitor:
            train(model, monitor, x, y, steps=4)
        monitors.append(monitor)

    for ours, theirs in zip(monitors[0].history, monitors[1].history, strict=True):
        names = [entry["layer"] for entry in ours["activations"]]
        assert names == ["1", "3"]
        pairs = zip(ours["activations"], theirs["activations"], strict=True)
        for module_entry, call_entry in pairs:
            assert call_entry["units"] == module_entry["units"]
            assert call_entry["examples"] == module_entry["examples"]
            assert call_entry["dead_fraction"] == module_entry["dead_fraction"]
            assert call_entry["mean"] == pytest.approx(module_entry["mean"])
            assert call_entry["std"] == pytest.approx(module_entry["std"])
    assert max(dead_fractions(monitors[0], "1")) > 0


@pytest.mark.parametrize("activation", [nn.ReLU, nn.GELU, nn.Sigmoid, nn.Tanh])
def test_activation_modules_count_once(activation):
    model = mlp(activation)
    with Monitor(model, **QUIET) as monitor:
        model(torch.randn(16, 64)).sum().backward()
        record = monitor.step()

    assert [entry["layer"] for entry in record["activations"]] == ["1", "3"]
    assert [entry["module"] for entry in record["activations"]] == [
        activation.__name__
    ] * 2
    assert all(entry["examples"] == 16 for entry in record["activations"])


def transformer_layer(**options) -> nn.TransformerEncoderLayer:
    torch.manual_seed(6)
    return nn.TransformerEncoderLayer(
        d_model=16,
        nhead=2,
        dim_feedforward=24,
        dropout=0.0,
        batch_first=True,
        **options,
    )


def test_transformer_layer_records_feed_forward_relu():
    layer = transformer_layer()
    with torch.no_grad():
        # Eight of the 24 feed-forward units can never be positive.
        layer.linear1.bias[:8] = -50.0
    src = torch.randn(4, 5, 16)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with Monitor(layer, dead_threshold=0.1) as monitor:
            assert layer.training
            layer(src).sum().backward()
            record = monitor.step()

    assert len(record["activations"]) == 1
    entry = record["activations"][0]
    assert entry["layer"] == "TransformerEncoderLayer:relu"
    assert entry["module"] == "TransformerEncoderLayer"
    assert entry["activation"] == "relu"
    assert entry["units"] == 24
    assert entry["examples"] == 4 * 5
    with torch.no_grad():
        attended = layer.self_attn(src, src, src, need_weights=False)[0]
        z = layer.linear1(layer.norm1(src + attended))
    expected = diagnostics.dead_fraction(
        z.reshape(-1, 24).numpy(), activations.get("relu")
    )
    assert expected >= 8 / 24
    assert entry["dead_fraction"] == pytest.approx(expected)
    assert entry["mean"] == pytest.approx(torch.relu(z).mean().item(), rel=1e-5)
    messages = actlab_warnings(caught)
    assert len(messages) == 1
    assert "'TransformerEncoderLayer:relu'" in messages[0]
    weights = [entry["layer"] for entry in record["weights"]]
    assert weights == ["self_attn.out_proj", "linear1", "linear2"]
    assert function_mode_stack() == []


def test_transformer_encoder_names_each_layer():
    encoder = nn.TransformerEncoder(
        transformer_layer(activation="gelu"), num_layers=2, enable_nested_tensor=False
    )
    with Monitor(encoder, **QUIET) as monitor:
        encoder(torch.randn(3, 7, 16)).sum().backward()
        record = monitor.step()

    entries = record["activations"]
    assert [entry["layer"] for entry in entries] == ["layers.0:gelu", "layers.1:gelu"]
    assert all(entry["activation"] == "gelu" for entry in entries)
    assert all(entry["units"] == 24 for entry in entries)
    assert all(entry["examples"] == 21 for entry in entries)


def test_transformer_activation_module_units_are_features():
    layer = transformer_layer(activation=nn.GELU())
    with Monitor(layer, **QUIET) as monitor:
        layer(torch.randn(3, 7, 16))
        record = monitor.step()

    assert [entry["layer"] for entry in record["activations"]] == ["activation"]
    assert record["activations"][0]["units"] == 24
    assert record["activations"][0]["examples"] == 21


def test_functional_conv_channels_are_units():
    class ConvNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 6, 3)

        def forward(self, x):
            return F.relu(self.conv(x))

    model = ConvNet()
    with Monitor(model, **QUIET) as monitor:
        model(torch.randn(4, 1, 8, 8))
        record = monitor.step()

    relu = record["activations"][0]
    assert relu["units"] == 6
    assert relu["examples"] == 4 * 6 * 6


# Arguments after z for the functions that need them.
EXTRA_ARGUMENTS = {"prelu": (torch.tensor([0.25]),), "threshold": (0.1, 0.0)}


class Call(nn.Module):
    """A Linear layer followed by one call of ``function``."""

    def __init__(self, function, extra: tuple = ()):
        super().__init__()
        torch.manual_seed(7)
        self.linear = nn.Linear(4, 6)
        with torch.no_grad():
            # Units 0 and 1 sit far below and above 0, and the rest spread widely.
            self.linear.weight.mul_(10.0)
            self.linear.bias.copy_(torch.tensor([-100.0, 100.0, 0.0, 0.0, 0.0, 0.0]))
        self.function = function
        self.extra = extra

    def forward(self, x):
        return self.function(self.linear(x), *self.extra)


@pytest.mark.parametrize("path", [*RECOGNISED_FUNCTIONS, *MEAN_STD_FUNCTIONS])
def test_each_function_records_its_call(path):
    function = operator.attrgetter(path.removeprefix("torch."))(torch)
    base = path.rsplit(".", 1)[1].rstrip("_")
    name = {"expit": "sigmoid"}.get(base, base)
    model = Call(function, EXTRA_ARGUMENTS.get(name, ()))
    x = torch.randn(64, 4)

    with Monitor(model, **QUIET) as monitor:
        output = model(x)
        record = monitor.step()

    assert len(record["activations"]) == 1
    entry = record["activations"][0]
    assert entry["layer"] == f"Call:{name}"
    assert entry["module"] == "Call"
    assert entry["units"] == 6
    assert entry["examples"] == 64
    assert entry["mean"] == pytest.approx(output.mean().item(), rel=1e-5, abs=1e-6)
    if path in MEAN_STD_FUNCTIONS:
        assert entry["activation"] is None
        assert entry["dead_fraction"] is None
        assert entry["saturated_fraction"] is None
        return
    activation = activations.get(entry["activation"])
    with torch.no_grad():
        z = model.linear(x).numpy()
    # An in-place variant matches only if the monitor read z before the call.
    dead = diagnostics.dead_fraction(z, activation)
    saturated = diagnostics.saturated_fraction(z, activation)
    assert entry["dead_fraction"] == dead
    assert entry["saturated_fraction"] == saturated


@pytest.mark.parametrize(
    "call",
    [
        lambda z: F.leaky_relu(z, 0.0),
        lambda z: F.leaky_relu(z, negative_slope=0.0),
        lambda z: F.leaky_relu_(z, 0.0),
    ],
    ids=["positional", "keyword", "inplace"],
)
def test_leaky_relu_slope_reaches_registry(call):
    model = Call(call)
    x = torch.randn(32, 4)
    with Monitor(model, **QUIET) as monitor:
        model(x)
        record = monitor.step()

    entry = record["activations"][0]
    assert entry["layer"] == "Call:leaky_relu"
    assert entry["activation"] == "leaky_relu"
    with torch.no_grad():
        z = model.linear(x).numpy()
    # With a slope of 0 below zero, leaky_relu dies as relu does.
    expected = diagnostics.dead_fraction(z, activations.get("relu"))
    assert expected >= 1 / 6
    assert entry["dead_fraction"] == expected


def test_hardtanh_with_other_bounds_gets_mean_only():
    model = Call(lambda z: F.hardtanh(z, -2.0, 2.0))
    with Monitor(model, **QUIET) as monitor:
        model(torch.randn(8, 4))
        record = monitor.step()

    entry = record["activations"][0]
    assert entry["layer"] == "Call:hardtanh"
    assert entry["activation"] is None
    assert entry["saturated_fraction"] is None
    assert entry["mean"] is not None


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 4)

    def forward(self, x):
        return self._activate(self.linear(x))

    def _activate(self, x):
        return F.silu(x)


def squash(x):
    return x.sigmoid()


class Net(nn.Module):
    """Functional calls in submodules, a helper method, a free function and twice."""

    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([Block(), Block()])
        self.linear = nn.Linear(4, 4)

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        x = torch.relu(self.linear(x))
        x = torch.relu(x - 0.1)
        return squash(x)


def test_functional_layer_names_per_call_site():
    model = Net()
    with Monitor(model, **QUIET) as monitor:
        for _ in range(2):
            model(torch.randn(5, 4)).sum().backward()
            record = monitor.step()

    entries = record["activations"]
    assert [entry["layer"] for entry in entries] == [
        "blocks.0:silu",
        "blocks.1:silu",
        "Net:relu",
        "Net:relu#2",
        "Net:sigmoid",
    ]
    assert [entry["module"] for entry in entries] == ["Block"] * 2 + ["Net"] * 3
    assert all(entry["examples"] == 5 for entry in entries)


def test_functional_calls_skip_eval_mode():
    model = Net()
    with Monitor(model, **QUIET) as monitor:
        model.eval()
        model(torch.randn(9, 4))
        model.train()
        model.blocks[0].eval()
        model(torch.randn(3, 4))
        record = monitor.step()

    entries = record["activations"]
    assert [entry["layer"] for entry in entries] == [
        "blocks.1:silu",
        "Net:relu",
        "Net:relu#2",
        "Net:sigmoid",
    ]
    assert all(entry["examples"] == 3 for entry in entries)


class StackProbe(nn.Module):
    """Stores how many torch function modes are active in each forward pass."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 3)
        self.modes: list[int] = []

    def forward(self, x):
        self.modes.append(len(function_mode_stack()))
        return F.relu(self.linear(x))


def test_mode_only_in_recorded_training_passes():
    model = StackProbe()
    with Monitor(model, every=2, **QUIET) as monitor:
        for _ in range(4):
            model(torch.randn(2, 3))
            monitor.step()
        model.eval()
        model(torch.randn(2, 3))

    assert model.modes == [1, 0, 1, 0, 0]
    assert [len(record["activations"]) for record in monitor.history] == [1, 1]
    assert function_mode_stack() == []


def test_forward_error_leaves_no_mode():
    class Failing(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(3, 3)

        def forward(self, x):
            F.relu(self.linear(x))
            raise ValueError("bad batch")

    model = Failing()
    with Monitor(model, **QUIET):
        with pytest.raises(ValueError, match="bad batch"):
            model(torch.randn(2, 3))
        assert function_mode_stack() == []
    assert function_mode_stack() == []


def test_failing_pre_hook_leaves_no_mode():
    model = StackProbe()

    def reject(module, args):
        raise RuntimeError("rejected input")

    with Monitor(model, **QUIET) as monitor:
        handle = model.register_forward_pre_hook(reject)
        with pytest.raises(RuntimeError, match="rejected input"):
            model(torch.randn(2, 3))
        assert function_mode_stack() == []
        handle.remove()
        model(torch.randn(2, 3))
        record = monitor.step()

    assert model.modes == [1]
    assert record["activations"][0]["examples"] == 2


def test_error_in_with_block_detaches():
    model = StackProbe()
    with pytest.raises(KeyError), Monitor(model, **QUIET) as monitor:
        model(torch.randn(2, 3))
        raise KeyError("stop")

    assert not monitor.attached
    assert function_mode_stack() == []
    assert len(model._forward_hooks) == 0
    assert len(model._forward_pre_hooks) == 0
    model(torch.randn(2, 3))
    assert model.modes == [1, 0]


def test_unseen_activations_warn_once_at_step():
    class Recurrent(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(4, 8, batch_first=True)
            self.head = nn.Linear(8, 1)

        def forward(self, x):
            return self.head(self.lstm(x)[0])

    model = Recurrent()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        monitor = Monitor(model, run="lstm").attach()
        assert actlab_warnings(caught) == []
        monitor.step()
        assert actlab_warnings(caught) == []
        for _ in range(2):
            model(torch.randn(2, 3, 4)).sum().backward()
            record = monitor.step()
        monitor.detach()

    messages = actlab_warnings(caught)
    assert len(messages) == 1
    assert "no activation seen" in messages[0]
    assert "step 2" in messages[0]
    assert "nn.LSTM" in messages[0]
    assert record["activations"] == []
    assert record["weights"][0]["layer"] == "head"


# --- the store -------------------------------------------------------------------


def test_records_land_in_sqlite_store(digits, database_url):
    x, y = digits
    model = mlp()
    with Monitor(model, run="digits", store=database_url, flush_every=4) as monitor:
        train(model, monitor, x, y, steps=10)

    with Store.open(database_url) as store:
        summary = store.monitor_runs()
        records = store.monitor_records("digits")
    assert [(s.run, s.records, s.last_step) for s in summary] == [("digits", 10, 10)]
    assert [record["step"] for record in records] == list(range(1, 11))
    stored = records[-1]["stats"]
    last = monitor.history[-1]
    assert stored["activations"] == last["activations"]
    assert stored["weights"] == last["weights"]
    assert stored["loss"] == pytest.approx(last["loss"])


def test_default_run_name_is_unique(database_url):
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    # The default name has one-second resolution, so the two monitors are
    # created again if a second boundary fell between them.
    for _ in range(3):
        monitors = [Monitor(model, store=database_url, **QUIET) for _ in range(2)]
        if monitors[0].run == monitors[1].run:
            break
    names = []
    for monitor in monitors:
        with monitor:
            model(torch.randn(2, 2))
            monitor.step()
        names.append(monitor.run)
    assert names[0].startswith("sequential-")
    assert names[1] == names[0] + "-2"


def test_taken_run_name_raises(database_url):
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    with Monitor(model, run="taken", store=database_url, **QUIET) as monitor:
        model(torch.randn(2, 2))
        monitor.step()
    with pytest.raises(ValueError, match="'taken' exists in the store"):
        Monitor(model, run="taken", store=database_url).attach()


def test_locked_store_warns_and_keeps_records(tmp_path):
    path = tmp_path / "locked.db"
    store = Store.open(f"sqlite:///{path}", busy_timeout=0.05)
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    monitor = Monitor(model, run="locked", store=store, flush_every=100, **QUIET)
    monitor.attach()
    model(torch.randn(2, 2))
    monitor.step()

    lock = sqlite3.connect(path, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    with pytest.warns(ActlabWarning, match="stay buffered"):
        assert monitor.flush() == 0
    lock.execute("ROLLBACK")
    lock.close()

    monitor.detach()
    assert [r["step"] for r in store.monitor_records("locked")] == [1]
    store.close()


# --- checks ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"every": 0}, "invalid every=0"),
        ({"every": 1.5}, "invalid every=1.5"),
        ({"flush_every": -1}, "invalid flush_every=-1"),
        ({"dead_threshold": 1.5}, "invalid dead_threshold=1.5"),
        ({"saturated_threshold": float("nan")}, "invalid saturated_threshold=nan"),
        ({"dead_threshold": True}, "invalid dead_threshold=True"),
        ({"run": ""}, "invalid run ''"),
        ({"run": " padded"}, "invalid run ' padded'"),
        ({"run": ".."}, "invalid run '..'"),
        ({"run": "."}, "invalid run '.'"),
    ],
)
def test_invalid_options_raise(options, fragment):
    with pytest.raises(ValueError, match=fragment.replace("(", r"\(")):
        Monitor(nn.ReLU(), **options)


def test_invalid_model_and_store_raise():
    with pytest.raises(TypeError, match=r"expected a torch\.nn\.Module"):
        Monitor(lambda x: x)
    with pytest.raises(TypeError, match="expected a database URL"):
        Monitor(nn.ReLU(), store=3)


def test_loss_of_many_elements_raises():
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    with Monitor(model) as monitor, pytest.raises(ValueError, match="one element"):
        monitor.step(torch.ones(3))


def test_actlab_imports_without_torch():
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import actlab, actlab.diagnostics, actlab.web.app\n"
        "try:\n"
        "    import actlab.monitor\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "pip install 'actlab[torch]'" in result.stdout


def test_module_doctest_passes():
    import doctest

    import actlab.monitor

    result = doctest.testmod(actlab.monitor)
    assert result.attempted > 0
    assert result.failed == 0


def test_history_holds_no_tensors():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    with Monitor(model, **QUIET) as monitor:
        model(torch.randn(2, 3)).sum().backward()
        monitor.step(torch.tensor(1.5))

    def leaves(value):
        if isinstance(value, dict):
            for item in value.values():
                yield from leaves(item)
        elif isinstance(value, list):
            for item in value:
                yield from leaves(item)
        else:
            yield value

    kinds = {type(leaf) for leaf in leaves(monitor.history)}
    assert kinds <= {int, float, str, type(None)}
    assert not any(isinstance(leaf, np.ndarray) for leaf in leaves(monitor.history))
