"""Time a population step per network: actlab's stacked step against PyTorch.

Run by hand, not in the tests:

    .venv/bin/python benchmarks/population.py [--members 32] [--repeats 7]

A population of ``--members`` 2-8-8-1 tanh networks for binary
cross-entropy, each with its own seed and learning rate (a grid from 0.001
to 0.1, plain SGD), trains on one shared batch of 10 or 500 rows. Every
column is the time of one step divided by the number of networks, in µs:

- ``population``: one ``nn.PopulationTrainer.step`` for all members;
- ``Trainer x P``: ``nn.Trainer.step`` on each network in turn;
- ``torch x P``: a PyTorch step (forward, loss, ``backward``,
  ``optimizer.step``, ``loss.item()``) on each of P models in turn;
- ``torch bmm``: one PyTorch step on stacked ``(P, n_in, n_out)`` weights
  with ``torch.baddbmm``, the members' mean losses summed for one
  ``backward``, and the update applied under ``torch.no_grad``.

BLAS and PyTorch run on one thread. Each figure is the fastest of
``--repeats`` runs of at least ``--seconds`` each, with the median beside it.
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from actlab import nn
from training import machine_line, make_batch, time_per_call, torch_step

SIZES = [2, 8, 8, 1]


def rate_grid(members: int) -> np.ndarray:
    return np.geomspace(0.001, 0.1, members)


def actlab_population(X, y, members: int):
    population = nn.Population.build(
        SIZES, range(members), hidden="tanh", dtype=X.dtype
    )
    trainer = nn.PopulationTrainer(
        population, "bce", nn.SGD(0.01), rate_grid(members), batch_size=len(X)
    )
    target = nn.prepare_targets(population.member(0), y, nn.get_loss("bce"), len(X))
    return lambda: trainer.step(X, target)


def actlab_sequential(X, y, members: int):
    trainers = []
    for seed, rate in zip(range(members), rate_grid(members), strict=True):
        net = nn.Network.build(SIZES, hidden="tanh", seed=seed, dtype=X.dtype)
        trainers.append(nn.Trainer(net, "bce", nn.SGD(rate), batch_size=len(X)))
    target = nn.prepare_targets(trainers[0].net, y, nn.get_loss("bce"), len(X))

    def run() -> None:
        for trainer in trainers:
            trainer.step_prepared(X, target)

    return run


def torch_sequential(X, y, members: int):
    steps = [torch_step(SIZES, "tanh", X, y) for _ in range(members)]

    def run() -> None:
        for step in steps:
            step()

    return run


def torch_batched(X, y, members: int):
    """Return one PyTorch step of all members on stacked weights."""
    torch.manual_seed(0)
    dtype = torch.float32 if X.dtype == np.float32 else torch.float64
    weights, biases = [], []
    for n_in, n_out in itertools.pairwise(SIZES):
        scale = (1.0 / n_in) ** 0.5
        weights.append(torch.randn(members, n_in, n_out, dtype=dtype) * scale)
        biases.append(torch.zeros(members, 1, n_out, dtype=dtype))
    parameters = [p.requires_grad_() for p in weights + biases]
    rates = torch.tensor(rate_grid(members), dtype=dtype).view(-1, 1, 1)
    inputs = torch.from_numpy(X).expand(members, *X.shape)
    target = torch.from_numpy(y.astype(X.dtype)).view(1, -1, 1).expand(members, -1, 1)
    loss_function = torch.nn.functional.binary_cross_entropy_with_logits

    def step() -> np.ndarray:
        for parameter in parameters:
            parameter.grad = None
        a = inputs
        for i, (W, b) in enumerate(zip(weights, biases, strict=True)):
            z = torch.baddbmm(b, a, W)
            a = z if i == len(weights) - 1 else torch.tanh(z)
        losses = loss_function(a, target, reduction="none").mean(dim=(1, 2))
        losses.sum().backward()
        with torch.no_grad():
            for parameter in parameters:
                parameter -= rates * parameter.grad
        return losses.detach().numpy()

    return step


def measure(members: int, repeats: int, seconds: float) -> list[tuple]:
    rows = []
    torch.set_num_threads(1)
    for n in (10, 500):
        for dtype in (np.float32, np.float64):
            X, y = make_batch(SIZES, n, dtype)
            cases = {
                "population": actlab_population(X, y, members),
                "Trainer x P": actlab_sequential(X, y, members),
                "torch x P": torch_sequential(X, y, members),
                "torch bmm": torch_batched(X, y, members),
            }
            with threadpool_limits(1, "blas"), np.errstate(all="ignore"):
                times = {
                    name: time_per_call(function, repeats, seconds)
                    for name, function in cases.items()
                }
            per_network = {
                name: (best / members * 1e6, median / members * 1e6)
                for name, (best, median) in times.items()
            }
            rows.append((n, np.dtype(dtype).name, per_network))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=32, help="networks (P)")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per case")
    parser.add_argument(
        "--seconds", type=float, default=0.2, help="minimum length of one run, in s"
    )
    args = parser.parse_args()

    print(machine_line())
    rows = measure(args.members, args.repeats, args.seconds)
    names = ["population", "Trainer x P", "torch x P", "torch bmm"]
    print(f"\n{args.members} members of 2-8-8-1 tanh; µs per network per step,")
    print("best (median) of the runs; the last columns divide by 'population'")
    header = f"{'batch':>5} {'dtype':<8}" + "".join(f" {name:>15}" for name in names)
    print(header + f" {'x P / pop':>10} {'bmm / pop':>10}")
    for n, dtype, times in rows:
        cells = "".join(
            f" {times[name][0]:>7.2f} ({times[name][1]:>5.1f})"
            for name in ("population", "Trainer x P", "torch x P", "torch bmm")
        )
        best = times["population"][0]
        sequential = times["torch x P"][0] / best
        batched = times["torch bmm"][0] / best
        print(f"{n:>5} {dtype:<8}{cells} {sequential:>10.1f} {batched:>10.1f}")
    print(f"\n{machine_line()}")


if __name__ == "__main__":
    main()
