"""Epochs per second of the playground's training loop, with and without maps.

Run by hand, not in the tests:

    .venv/bin/python benchmarks/playground.py [--seconds 3] [--repeats 3]

The network is 2-8-8-1 with tanh, on the circle set of 500 points with half
for training (250 points), batch size 10 (25 steps an epoch), plain SGD. It
prints the best of ``--repeats`` runs for:

- ``no maps``: epochs only (each epoch still records the train and test loss,
  the metric and the full-batch gradient norms, as the session always does);
- ``server at 25 fps``: the server's play loop for one session, a training
  slice of ``Budget().slice(1)`` seconds, then a frame with the output map
  (50 x 50), every unit's map (20 x 20) and the statistics, encoded as JSON,
  then a sleep until the next 1/25 s;
- ``a frame per epoch``: one frame after every epoch, as TensorFlow
  Playground's page redraws every map after every epoch.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np

from actlab.playground import Budget, Grid, PlaygroundState, Session

STATE = {"dataset": "circle", "points": "500", "hidden": "8,8", "batch": "10"}


def fresh_session() -> Session:
    return Session(PlaygroundState.from_query(STATE))


def no_maps(seconds: float) -> tuple[float, float]:
    session = fresh_session()
    start = time.perf_counter()
    epochs, _ = session.train_for(seconds, max_epochs=10**9)
    elapsed = time.perf_counter() - start
    return epochs / elapsed, 0.0


def served(seconds: float, grid: Grid) -> tuple[float, float]:
    session = fresh_session()
    budget = Budget()
    interval = budget.frame_interval
    epochs = frames = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        began = time.perf_counter()
        done, _ = session.train_for(budget.slice(1))
        json.dumps(session.frame(grid), allow_nan=False)
        epochs += done
        frames += 1
        time.sleep(max(0.0, interval - (time.perf_counter() - began)))
    elapsed = time.perf_counter() - start
    return epochs / elapsed, frames / elapsed


def frame_per_epoch(seconds: float, grid: Grid) -> tuple[float, float]:
    session = fresh_session()
    epochs = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        session.run_epoch()
        json.dumps(session.frame(grid), allow_nan=False)
        epochs += 1
    elapsed = time.perf_counter() - start
    return epochs / elapsed, epochs / elapsed


def frame_cost(grid: Grid, repeats: int = 200) -> float:
    session = fresh_session()
    session.train_for(0.2)
    session.frame(grid)
    start = time.perf_counter()
    for _ in range(repeats):
        session.run_epoch()
        json.dumps(session.frame(grid), allow_nan=False)
    with_frames = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(repeats):
        session.run_epoch()
    return (with_frames - (time.perf_counter() - start)) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per case")
    args = parser.parse_args()
    grid = Grid.build(50, 20)

    print(f"python {platform.python_version()}, numpy {np.__version__}")
    print(f"cpus {os.cpu_count()}, {platform.processor() or platform.machine()}")
    print(f"{STATE}, slice {Budget().slice(1) * 1000:.0f} ms at 25 fps")
    print(f"frame cost (maps + stats + JSON): {frame_cost(grid) * 1000:.2f} ms")
    cases = {
        "no maps": lambda: no_maps(args.seconds),
        "server at 25 fps": lambda: served(args.seconds, grid),
        "a frame per epoch": lambda: frame_per_epoch(args.seconds, grid),
    }
    for name, run in cases.items():
        results = [run() for _ in range(args.repeats)]
        rate, fps = max(results)
        print(f"{name:>18}: {rate:7.0f} epochs/s  {fps:5.1f} frames/s")


if __name__ == "__main__":
    main()
