"""Time one training step of actlab, PyTorch and scikit-learn side by side.

Run by hand, not in the tests:

    .venv/bin/python benchmarks/training.py [--repeats 7] [--seconds 0.2]

Every library trains the same network with plain SGD (learning rate 0.01, no
momentum, no penalty) on the same random batch, in float32 and in float64:

- 2-8-8-1 with tanh and binary cross-entropy, batches of 10 and of 500;
- 784-128-64-10 with ReLU and softmax cross-entropy, batches of 128.

The columns are ``nn.step``, ``nn.Trainer.step``, a PyTorch step (forward,
loss, ``backward``, ``optimizer.step`` and ``loss.item()``) and scikit-learn's
``MLPClassifier.partial_fit`` on one batch. BLAS (NumPy's, and PyTorch's
intra-op threads) runs on one thread when every width is below
``nn.SINGLE_THREAD_MAX_WIDTH``, as ``nn.train`` does. The medium network is
timed both on one thread and on every core, because ``nn.train`` would use
every core for it. Each figure is the fastest of ``--repeats`` runs of at least
``--seconds`` each, with the median of the runs beside it.

The last tables give the medium network's GEMM throughput. Each of the
eight matrix products of a step (forward and weight gradient of every layer,
input gradient of every layer but the first) is timed alone with
``np.matmul`` into a preallocated array. Their summed time is then divided
by the time of a whole ``nn.Trainer`` step.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable

import numpy as np
import sklearn
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_info, threadpool_limits

from actlab import nn

MEDIUM = [784, 128, 64, 10]
SHAPES = [
    ("2-8-8-1", [2, 8, 8, 1], "tanh", 10),
    ("2-8-8-1", [2, 8, 8, 1], "tanh", 500),
    ("784-128-64-10", MEDIUM, "relu", 128),
]
RATE = 0.01


def machine_line() -> str:
    """Return the CPU, the core count, the load and the library versions."""
    model = platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            names = [
                line.split(":", 1)[1].strip()
                for line in cpuinfo
                if "model name" in line
            ]
        model = names[0] if names else model
    except OSError:
        pass
    blas = [
        f"{info['internal_api']} {info['version']}"
        for info in threadpool_info()
        if info["user_api"] == "blas" and "numpy" in info["filepath"]
    ]
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{model}, {os.cpu_count()} cpus, load average {load}; "
        f"python {platform.python_version()}, numpy {np.__version__} "
        f"({', '.join(blas) or 'BLAS not found'}), torch {torch.__version__}, "
        f"scikit-learn {sklearn.__version__}"
    )


def time_per_call(function: Callable[[], object], repeats: int, seconds: float):
    """Return the fastest and the median time of one call, in seconds.

    Each of ``repeats`` runs calls ``function`` in a loop for at least
    ``seconds``, after a warm-up run of the same length.
    """
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            function()
        if time.perf_counter() - start >= seconds:
            break
        calls *= 2
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            function()
        runs.append((time.perf_counter() - start) / calls)
    return min(runs), statistics.median(runs)


def make_batch(sizes, n, dtype):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, sizes[0])).astype(dtype)
    classes = 2 if sizes[-1] == 1 else sizes[-1]
    return X, rng.integers(0, classes, size=n)


def actlab_steps(sizes, hidden, X, y):
    """Return callables that run one nn.step and one Trainer step."""
    loss = "bce" if sizes[-1] == 1 else "softmax_ce"
    net = nn.Network.build(sizes, hidden=hidden, seed=0, dtype=X.dtype)
    optimiser = nn.SGD(RATE)
    fast = net.copy()
    trainer = nn.Trainer(fast, loss, nn.SGD(RATE), batch_size=len(X))
    target = nn.prepare_targets(fast, y, nn.get_loss(loss), len(X))
    return (
        lambda: nn.step(net, X, y, loss, optimiser),
        lambda: trainer.step_prepared(X, target),
    )


def torch_step(sizes, hidden, X, y):
    """Return a callable that runs one PyTorch training step."""
    torch.manual_seed(0)
    dtype = torch.float32 if X.dtype == np.float32 else torch.float64
    layers: list[torch.nn.Module] = []
    for n_in, n_out in itertools.pairwise(sizes[:-1]):
        layers += [torch.nn.Linear(n_in, n_out), _torch_activation(hidden)]
    layers.append(torch.nn.Linear(sizes[-2], sizes[-1]))
    model = torch.nn.Sequential(*layers).to(dtype)
    optimiser = torch.optim.SGD(model.parameters(), lr=RATE)
    inputs = torch.from_numpy(X)
    if sizes[-1] == 1:
        loss_function = torch.nn.BCEWithLogitsLoss()
        target = torch.from_numpy(y.astype(X.dtype)[:, None])
    else:
        loss_function = torch.nn.CrossEntropyLoss()
        target = torch.from_numpy(y)

    def step() -> float:
        optimiser.zero_grad()
        loss = loss_function(model(inputs), target)
        loss.backward()
        optimiser.step()
        return loss.item()

    return step


def _torch_activation(name: str) -> torch.nn.Module:
    return {"tanh": torch.nn.Tanh(), "relu": torch.nn.ReLU()}[name]


def sklearn_step(sizes, hidden, X, y):
    """Return a callable that runs one MLPClassifier.partial_fit on the batch."""
    model = MLPClassifier(
        hidden_layer_sizes=tuple(sizes[1:-1]),
        activation=hidden,
        solver="sgd",
        learning_rate_init=RATE,
        momentum=0.0,
        alpha=0.0,
        batch_size=len(X),
        random_state=0,
    )
    classes = np.unique(y)
    model.partial_fit(X, y, classes=classes)
    return lambda: model.partial_fit(X, y)


def thread_counts(sizes) -> list[int]:
    """Return the BLAS thread counts to time: nn.train's choice, and 1."""
    if max(sizes) < nn.SINGLE_THREAD_MAX_WIDTH:
        return [1]
    return sorted({1, os.cpu_count() or 1})


def measure_steps(repeats: int, seconds: float) -> list[tuple]:
    """Return one row per shape and dtype: the best and median step times."""
    rows = []
    cases = [
        (label, sizes, hidden, n, threads, dtype)
        for label, sizes, hidden, n in SHAPES
        for threads in thread_counts(sizes)
        for dtype in (np.float32, np.float64)
    ]
    for label, sizes, hidden, n, threads, dtype in cases:
        torch.set_num_threads(threads)
        X, y = make_batch(sizes, n, dtype)
        step, fast = actlab_steps(sizes, hidden, X, y)
        steps = {
            "nn.step": step,
            "Trainer": fast,
            "PyTorch": torch_step(sizes, hidden, X, y),
            "sklearn": sklearn_step(sizes, hidden, X, y),
        }
        with threadpool_limits(threads, "blas"), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            times = {
                name: time_per_call(function, repeats, seconds)
                for name, function in steps.items()
            }
        rows.append((label, n, np.dtype(dtype).name, threads, times))
    return rows


def gemm_shapes(sizes, n) -> list[tuple[str, tuple[int, int], tuple[int, int]]]:
    """Return the (name, left shape, right shape) of every product in a step."""
    shapes = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        shapes.append((f"forward {i}", (n, n_in), (n_in, n_out)))
        shapes.append((f"weight grad {i}", (n_in, n), (n, n_out)))
        if i:
            shapes.append((f"input grad {i}", (n, n_out), (n_out, n_in)))
    return shapes


def measure_gemm_fraction(repeats: int, seconds: float, dtype, threads: int) -> dict:
    """Return the matmul times of the medium network's step and the step time."""
    _, sizes, hidden, n = SHAPES[-1]
    rng = np.random.default_rng(0)
    products = []
    with threadpool_limits(threads, "blas"):
        for name, left, right in gemm_shapes(sizes, n):
            a = rng.normal(size=left).astype(dtype)
            b = rng.normal(size=right).astype(dtype)
            if name.startswith("weight"):
                a = np.ascontiguousarray(a.T).T  # the transpose of a stored batch
            if name.startswith("input"):
                b = np.ascontiguousarray(b.T).T  # W.T of a stored W
            out = np.empty((left[0], right[1]), dtype)
            product = functools.partial(np.matmul, a, b, out=out)
            best, _ = time_per_call(product, repeats, seconds)
            flops = 2 * left[0] * left[1] * right[1]
            products.append((name, left, right, flops, best))
        X, y = make_batch(sizes, n, dtype)
        _, fast = actlab_steps(sizes, hidden, X, y)
        step_best, step_median = time_per_call(fast, repeats, seconds)
        square = rng.normal(size=(1024, 1024)).astype(dtype)
        square_out = np.empty_like(square)
        peak, _ = time_per_call(
            lambda: np.matmul(square, square, out=square_out), repeats, seconds
        )
    return {
        "threads": threads,
        "products": products,
        "step": (step_best, step_median),
        "peak": 2 * 1024**3 / peak,
    }


def print_steps(rows) -> None:
    names = ["nn.step", "Trainer", "PyTorch", "sklearn"]
    print("\nstep time in µs, best (median) of the runs")
    header = f"{'network':<14} {'batch':>5} {'dtype':<8} {'thr':>3}"
    print(header + "".join(f" {name:>16}" for name in names) + "  torch/Trainer")
    for label, n, dtype, threads, times in rows:
        cells = "".join(
            f" {times[name][0] * 1e6:>8.1f} ({times[name][1] * 1e6:>5.0f})"
            for name in names
        )
        ratio = times["PyTorch"][0] / times["Trainer"][0]
        print(f"{label:<14} {n:>5} {dtype:<8} {threads:>3}{cells}  {ratio:>12.2f}")


def print_gemm(result: dict, dtype) -> None:
    print(
        f"\n784-128-64-10, batch 128, {np.dtype(dtype).name}, "
        f"{result['threads']} BLAS thread(s): GEMM time per step"
    )
    print(f"{'product':<14} {'left':>11} {'right':>11} {'µs':>8} {'GFLOP/s':>8}")
    total_flops = total_time = 0.0
    for name, left, right, flops, seconds in result["products"]:
        total_flops += flops
        total_time += seconds
        print(
            f"{name:<14} {left!s:>11} {right!s:>11} "
            f"{seconds * 1e6:>8.1f} {flops / seconds / 1e9:>8.1f}"
        )
    step_best, step_median = result["step"]
    rate = total_flops / total_time / 1e9
    print(f"{'all products':<38} {total_time * 1e6:>8.1f} {rate:>8.1f}")
    print(
        f"{'Trainer step':<38} {step_best * 1e6:>8.1f} "
        f"{total_flops / step_best / 1e9:>8.1f}  (median {step_median * 1e6:.0f} µs)"
    )
    fraction = total_time / step_best
    print(f"step throughput as a fraction of the products' best rate: {fraction:.2f}")
    print(f"np.matmul 1024 x 1024 x 1024: {result['peak'] / 1e9:.1f} GFLOP/s")
    machine = total_flops / step_best / result["peak"]
    print(f"step throughput as a fraction of that machine rate: {machine:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per case")
    parser.add_argument(
        "--seconds", type=float, default=0.2, help="minimum length of one run, in s"
    )
    args = parser.parse_args()

    print(machine_line())
    with np.errstate(all="ignore"):
        print_steps(measure_steps(args.repeats, args.seconds))
        for threads in thread_counts(MEDIUM):
            for dtype in (np.float32, np.float64):
                result = measure_gemm_fraction(
                    args.repeats, args.seconds, dtype, threads
                )
                print_gemm(result, dtype)
    print(f"\n{machine_line()}")


if __name__ == "__main__":
    main()
