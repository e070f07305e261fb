"""Throughput of every registry entry's value and derivative beside a plain copy.

Run by hand, not in the tests:

    .venv/bin/python benchmarks/activations.py [--sizes 1000000 10000000]

For each size it prints, per activation, elements per second of ``act(z)`` and
of ``act.derivative(z)`` on float32 input, and their ratio to ``np.copyto``
into a preallocated array of the same size (1.0 would be as fast as copying).
Vector-valued entries (softmax) run on rows of 10 values.
"""

from __future__ import annotations

import argparse
import functools
import platform
import time

import numpy as np
import threadpoolctl

from actlab import activations


def best_seconds(function, repeats: int) -> float:
    """Return the fastest of ``repeats`` timed calls of ``function``."""
    function()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def measure(size: int, repeats: int) -> list[tuple[str, float, float, float]]:
    """Return (name, copy rate, value rate, derivative rate) in elements/s."""
    rng = np.random.default_rng(0)
    z = rng.uniform(-6.0, 6.0, size).astype(np.float32)
    target = np.empty_like(z)
    copy_rate = size / best_seconds(lambda: np.copyto(target, z), repeats)

    rows = []
    for name in activations.names():
        act = activations.get(name)
        inputs = z.reshape(-1, 10) if act.spec.vector else z
        value = size / best_seconds(functools.partial(act, inputs), repeats)
        slope = size / best_seconds(functools.partial(act.derivative, inputs), repeats)
        rows.append((name, copy_rate, value, slope))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10**6, 10**7])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    print(f"python {platform.python_version()}, numpy {np.__version__}, ", end="")
    print(f"{platform.machine()}, float32 input, best of {args.repeats}")
    for size in args.sizes:
        with threadpoolctl.threadpool_limits(1):
            rows = measure(size, args.repeats)
        print(f"\n{size:,} elements; copy: {rows[0][1]:.3g} elements/s")
        header = ("activation", "g(z) el/s", "ratio", "g'(z) el/s", "ratio")
        print("{:<14} {:>11} {:>6} {:>11} {:>6}".format(*header))
        for name, copy_rate, value, slope in rows:
            print(
                f"{name:<14} {value:>11.3g} {value / copy_rate:>6.3f} "
                f"{slope:>11.3g} {slope / copy_rate:>6.3f}"
            )


if __name__ == "__main__":
    main()
