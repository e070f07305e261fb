"""The speed-to-threshold experiment end to end: actlab against PyTorch.

Run by hand, not in the tests:

    .venv/bin/python benchmarks/speed_vs_torch.py [--quick]

Both sides run the whole grid of the ``speed`` experiment (each activation,
learning rate and seed): the same layer sizes, SGD with momentum, batch
size, shuffles and measurement steps, stopping a run once it has reached
every threshold. PyTorch draws its own initial weights, so its runs can stop
at other steps; the table therefore also gives the steps each side took and
the time per step. Both use one thread.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import math
import platform
import time

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from actlab import data, experiments
from actlab.experiments import speed

INITIALISERS = {"relu": "he", "tanh": "xavier", "sigmoid": "xavier"}
MODULES = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}


def torch_network(sizes: list[int], name: str, seed: int) -> torch.nn.Sequential:
    """Return the PyTorch twin of ``nn.Network.build(sizes, hidden=name)``."""
    torch.manual_seed(seed)
    layers: list[torch.nn.Module] = []
    for index, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        linear = torch.nn.Linear(fan_in, fan_out)
        if INITIALISERS[name] == "he":
            torch.nn.init.kaiming_uniform_(linear.weight, nonlinearity="relu")
        else:
            torch.nn.init.xavier_uniform_(linear.weight)
        torch.nn.init.zeros_(linear.bias)
        layers.append(linear)
        if index < len(sizes) - 2:
            layers.append(MODULES[name]())
    return torch.nn.Sequential(*layers)


def torch_run(settings, x, y, name, rate, seed) -> int:
    """Train one PyTorch network as ``speed`` trains one; return the steps taken."""
    sizes = [x.shape[1], *settings.hidden, int(y.max()) + 1]
    model = torch_network(sizes, name, seed)
    optimiser = torch.optim.SGD(model.parameters(), lr=rate, momentum=settings.momentum)
    loss_function = torch.nn.CrossEntropyLoss()
    inputs, targets = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
    shuffle_rng = np.random.default_rng(seed)
    steps_per_epoch = math.ceil(len(x) / settings.batch_size)
    last_step = settings.epochs * steps_per_epoch
    reached = [False] * len(settings.thresholds)
    step, next_measurement = 0, 1
    while step < last_step and not all(reached):
        order = torch.from_numpy(shuffle_rng.permutation(len(x)))
        for start in range(0, len(x), settings.batch_size):
            rows = order[start : start + settings.batch_size]
            optimiser.zero_grad()
            loss = loss_function(model(inputs[rows]), targets[rows])
            loss.backward()
            optimiser.step()
            step += 1
            if not math.isfinite(loss.item()):
                return step
            if step < next_measurement and step < last_step:
                continue
            with torch.no_grad():
                error = (model(inputs).argmax(1) != targets).float().mean().item()
            reached = [
                done or error <= t
                for done, t in zip(reached, settings.thresholds, strict=True)
            ]
            if all(reached):
                break
            next_measurement = max(step + 1, math.ceil(step * speed.EVALUATION_SPACING))
    return step


def actlab_steps(result) -> int:
    """Return the optimiser steps that the experiment's runs took, from their curves."""
    digits = result.data["dataset"]["train_examples"]
    per_epoch = math.ceil(digits / result.settings["batch_size"])
    return sum(
        round(run["curve"]["epochs"][-1] * per_epoch) for run in result.data["runs"]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the quick settings")
    args = parser.parse_args()
    settings = speed.SpeedSettings.quick() if args.quick else speed.SpeedSettings()
    # The PyTorch side trains on the digits, so the actlab side must too, even
    # on a machine where the experiment would pick MNIST.
    settings = dataclasses.replace(settings, dataset="digits")
    torch.set_num_threads(1)

    start = time.perf_counter()
    result = experiments.run_experiment("speed", settings)
    actlab_seconds = time.perf_counter() - start

    train_set, _ = data.split(data.load("digits"), speed.TEST_FRACTION, seed=0)
    x, y = train_set.X.astype(np.float32), train_set.y
    start = time.perf_counter()
    torch_total = 0
    with threadpool_limits(1, "blas"):
        for name in settings.activations:
            for rate in settings.learning_rates:
                for seed in settings.seeds:
                    torch_total += torch_run(settings, x, y, name, rate, seed)
    torch_seconds = time.perf_counter() - start
    steps = actlab_steps(result)

    print(
        f"python {platform.python_version()}, numpy {np.__version__}, torch "
        f"{torch.__version__}, {platform.machine()}, one thread; sizes "
        f"{result.data['sizes']}, {len(result.data['runs'])} runs"
    )
    print(f"{'engine':<10}{'seconds':>10}{'steps':>10}{'µs/step':>10}")
    for engine, seconds, count in (
        ("actlab", actlab_seconds, steps),
        ("pytorch", torch_seconds, torch_total),
    ):
        print(f"{engine:<10}{seconds:>10.1f}{count:>10}{seconds / count * 1e6:>10.0f}")
    print(f"pytorch / actlab, whole grid: {torch_seconds / actlab_seconds:.2f}")


if __name__ == "__main__":
    main()
