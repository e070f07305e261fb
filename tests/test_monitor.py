"""The PyTorch monitor, on real torch training and a real SQLite store."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler
from torch import nn

from actlab import activations, diagnostics
from actlab.errors import ActlabWarning
from actlab.monitor import MEAN_STD_ACTIVATIONS, RECOGNISED_ACTIVATIONS, Monitor
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


def test_functional_activations_warn_at_attach():
    class Functional(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(3, 3)

        def forward(self, x):
            return torch.relu(self.linear(x))

    monitor = Monitor(Functional())
    with pytest.warns(ActlabWarning, match="functional calls such as torch.relu"):
        monitor.attach()
    monitor.detach()


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
    names = []
    for _ in range(2):
        with Monitor(model, store=database_url, **QUIET) as monitor:
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
