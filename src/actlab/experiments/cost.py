"""Cost: time per element of each activation's value and derivative on this machine.

ReLU is one comparison and the sigmoid an exponential and a division, so the
sigmoid should cost several times more per element. The run times every
registry entry on the same float32 array, beside a plain copy of it, and
reports the sigmoid-to-ReLU ratio.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from actlab import activations

from ._framework import (
    Claim,
    Experiment,
    ExperimentResult,
    Progress,
    Table,
    register,
    settings_dict,
)


@dataclass(frozen=True)
class CostSettings:
    """Array size, timed repeats (the best is kept) and the entries to time."""

    size: int = 1_000_000
    repeats: int = 5
    activations: tuple[str, ...] = tuple(activations.names())
    seed: int = 0

    def __post_init__(self) -> None:
        if not 1_000 <= self.size <= 50_000_000:
            raise ValueError(f"invalid size {self.size}: expected 1000 to 50000000")
        if not 1 <= self.repeats <= 100:
            raise ValueError(f"invalid repeats {self.repeats}: expected 1 to 100")
        for name in self.activations:
            activations.spec(name)

    @classmethod
    def quick(cls) -> CostSettings:
        return cls(size=200_000, repeats=3, activations=("sigmoid", "relu", "tanh"))


def _best_seconds(function, repeats: int) -> float:
    function()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def run(settings: CostSettings, progress: Progress | None = None) -> ExperimentResult:
    rng = np.random.default_rng(settings.seed)
    z = rng.uniform(-6.0, 6.0, settings.size).astype(np.float32)
    target = np.empty_like(z)
    per_element: dict[str, dict[str, float]] = {}
    with threadpool_limits(1, "blas"):
        copy = _best_seconds(lambda: np.copyto(target, z), settings.repeats)
        for index, name in enumerate(settings.activations):
            if progress is not None:
                progress(name, index / len(settings.activations))
            act = activations.get(name)
            inputs = z.reshape(-1, 10) if act.spec.vector else z
            value = _best_seconds(functools.partial(act, inputs), settings.repeats)
            slope = _best_seconds(
                functools.partial(act.derivative, inputs), settings.repeats
            )
            per_element[name] = {
                "value_ns": value / settings.size * 1e9,
                "derivative_ns": slope / settings.size * 1e9,
            }
    copy_ns = copy / settings.size * 1e9
    return ExperimentResult(
        name="cost",
        title=COST.title,
        settings=settings_dict(settings),
        seeds=[settings.seed],
        claims=_claims(per_element),
        tables=[_table(per_element, copy_ns)],
        data={"copy_ns": copy_ns, "per_element": per_element},
    )


def _claims(per_element: dict[str, dict[str, float]]) -> list[Claim]:
    if "sigmoid" not in per_element or "relu" not in per_element:
        return []
    ratio = per_element["sigmoid"]["value_ns"] / per_element["relu"]["value_ns"]
    slope_ratio = (
        per_element["sigmoid"]["derivative_ns"] / per_element["relu"]["derivative_ns"]
    )
    return [
        Claim(
            "ReLU is cheaper to compute than the sigmoid",
            f"the sigmoid's value took {ratio:.1f} times as long per element as "
            f"ReLU's, and its derivative {slope_ratio:.1f} times as long",
            ratio > 1.0 and slope_ratio > 1.0,
        )
    ]


def _table(per_element: dict[str, dict[str, float]], copy_ns: float) -> Table:
    rows = tuple(
        (
            name,
            round(times["value_ns"], 3),
            round(times["derivative_ns"], 3),
            round(times["value_ns"] / copy_ns, 2),
        )
        for name, times in per_element.items()
    )
    return Table(
        f"Nanoseconds per float32 element (a plain copy takes {copy_ns:.3f})",
        ("activation", "g(z) ns", "g'(z) ns", "g(z) / copy"),
        rows,
    )


def plot(result: ExperimentResult, directory: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    per_element = result.data["per_element"]
    names = list(per_element)
    positions = np.arange(len(names))
    figure, axes = plt.subplots(figsize=(8, 0.35 * len(names) + 1.5))
    axes.barh(positions - 0.2, [per_element[n]["value_ns"] for n in names], 0.4)
    axes.barh(positions + 0.2, [per_element[n]["derivative_ns"] for n in names], 0.4)
    axes.axvline(result.data["copy_ns"], color="black", linestyle="--", linewidth=1)
    axes.set_yticks(positions, names)
    axes.invert_yaxis()
    axes.set_xscale("log")
    axes.set_xlabel("nanoseconds per element (log scale); dashed line: a plain copy")
    axes.legend(["copy", "g(z)", "g'(z)"], loc="lower right")
    axes.set_title(result.title)
    figure.tight_layout()
    path = Path(directory) / "cost.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return [path]


COST = register(
    Experiment(
        name="cost",
        title="What each activation costs per element",
        summary="Times every activation's value and derivative on one float32 "
        "array beside a plain copy of it, and compares the sigmoid with ReLU.",
        source="",
        settings=CostSettings,
        run=run,
        plot=plot,
    )
)
