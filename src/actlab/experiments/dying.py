"""Dying ReLU: networks dead at initialisation, and units that die in training.

After Lu, Shin, Su and Karniadakis (2019), "Dying ReLU and initialization:
theory and numerical examples". They prove that a ReLU network whose weights
and biases are drawn from symmetric distributions is dead at initialisation
with a probability that tends to 1 as its depth grows. Dead means that the
output is the same for every input, so no gradient can tell inputs apart.

**Dead at initialisation.** For one input, a hidden unit with zero bias and
symmetric weights is off (z <= 0) with probability 1/2, independently of the
other units of its layer. A whole layer of N units is then off with
probability 2^-N, and once one is, every layer above gets zeros and outputs
zeros. So the chance that a network of H hidden layers is dead at that one
input is

    1 - (1 - 2^-N)^H.

For one nonzero input this is exact, so the run checks it against the share
of simulated networks dead at one input. The run draws many networks of width
N and depth H (He initialisation, zero biases) and runs a fixed sample of
inputs through them. It counts the networks whose last hidden layer is all
zeros at the sample's first input, which the formula describes, and beside
them the networks whose last hidden layer, and so the output, is constant
over the whole sample. That second event is the paper's "dead" and is rarer
than dead at one input, so the formula is only an upper bound for it, which
it approaches as the depth grows and the surviving signal collapses.

NOTE: only the paper's abstract was checked, not the bound it states. The
formula is derived above and tested against the simulation only.

**Dying in training.** A ReLU unit whose z is negative for every example gets
no gradient and stays dead. Large steps push units there, so the run trains
ReLU networks on digits with Adam at several learning rates and measures the
share of hidden units dead afterwards. It then trains LeakyReLU networks from
the same seeds at the highest rate: their units keep a small slope for z < 0,
so they still get a gradient.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from actlab import data, diagnostics, nn
from actlab.errors import TrainingDivergedError

from ._framework import (
    Claim,
    Experiment,
    ExperimentResult,
    Progress,
    Table,
    register,
    settings_dict,
)

SOURCE = (
    "L. Lu, Y. Shin, Y. Su and G. E. Karniadakis, Dying ReLU and initialization: "
    "theory and numerical examples, Communications in Computational Physics 28 "
    "(2020), arXiv:1903.06733 (2019)"
)

DIED = 0.2
"""The share of dead hidden units from which a network counts as having died."""

FORMULA_TOLERANCE = 4.0
"""How many standard errors the single-input share may lie from the formula.

With four, the chance that sampling alone puts any of the default grid's 48
depth and width cells that far out is about 0.3% (48 times P(|Z| > 4))."""


@dataclass(frozen=True)
class DyingSettings:
    """The Monte Carlo sizes and the training runs.

    ``networks`` networks are drawn for each width in ``widths``, with hidden
    layers 1 to ``max_depth``, and run on ``inputs`` points drawn from a
    standard normal distribution in ``input_dim`` dimensions. The training
    runs use digits, hidden layers ``hidden``, Adam at each of
    ``learning_rates`` with batches of 32, for ``epochs`` epochs from each of
    ``seeds``. ``seed`` sets the Monte Carlo draws and the data split.
    """

    widths: tuple[int, ...] = (2, 3, 4, 5)
    max_depth: int = 12
    networks: int = 2000
    inputs: int = 200
    input_dim: int = 2
    hidden: tuple[int, ...] = (64, 64, 64)
    learning_rates: tuple[float, ...] = (0.001, 0.003, 0.01, 0.03, 0.1)
    epochs: int = 10
    seeds: tuple[int, ...] = (0, 1, 2)
    seed: int = 0

    def __post_init__(self) -> None:
        _check_not_empty("widths", self.widths)
        for width in self.widths:
            _check_int("widths entry", width, 1, 64)
        _check_int("max_depth", self.max_depth, 1, 100)
        _check_int("networks", self.networks, 10, 100_000)
        _check_int("inputs", self.inputs, 2, 10_000)
        _check_int("input_dim", self.input_dim, 1, 100)
        _check_not_empty("hidden", self.hidden)
        for width in self.hidden:
            _check_int("hidden entry", width, 1, 1024)
        _check_not_empty("learning_rates", self.learning_rates)
        for rate in self.learning_rates:
            _check_rate(rate)
        _check_int("epochs", self.epochs, 1, 1000)
        _check_not_empty("seeds", self.seeds)

    @classmethod
    def quick(cls) -> DyingSettings:
        return cls(
            widths=(2, 3),
            max_depth=8,
            networks=500,
            inputs=100,
            learning_rates=(0.001, 0.1),
            epochs=5,
            seeds=(0,),
        )


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"invalid {name} {value!r}: expected an integer")
    if not low <= value <= high:
        raise ValueError(f"invalid {name} {value}: expected {low} to {high}")


def _check_rate(value: Any) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value)):
        raise ValueError(f"invalid learning rate {value!r}: expected a finite number")
    if not 1e-6 <= value <= 10.0:
        raise ValueError(f"invalid learning rate {value}: expected 1e-06 to 10")


def _check_not_empty(name: str, values: tuple) -> None:
    if not values:
        raise ValueError(f"{name} is empty: give at least one value")


def _report(progress: Progress | None, step: str, done: float) -> None:
    if progress is not None:
        progress(step, done)


def run(settings: DyingSettings, progress: Progress | None = None) -> ExperimentResult:
    # BLAS runs on one thread because these matrices are small. On a busy 2-core
    # machine (NumPy with OpenBLAS), a second thread made a 500 x 128 by
    # 128 x 128 product about 15 times slower.
    with threadpool_limits(1, "blas"):
        return _run(settings, progress)


def _run(settings: DyingSettings, progress: Progress | None = None) -> ExperimentResult:
    _report(progress, "networks dead at initialisation", 0.0)
    born_dead = _simulate_born_dead(settings)
    train, test = data.standardise(
        *data.split(data.load("digits"), test_fraction=0.25, seed=settings.seed)
    )
    sweep = _rate_sweep(settings, train, test, progress)

    seeds = sorted({settings.seed, *settings.seeds})
    return ExperimentResult(
        name="dying",
        title=DYING.title,
        settings=settings_dict(settings),
        seeds=seeds,
        claims=[
            _depth_claim(born_dead),
            _formula_claim(born_dead),
            _rate_claim(sweep),
            _leaky_claim(sweep),
        ],
        tables=[_born_dead_table(born_dead), _sweep_table(sweep)],
        data={"born_dead": born_dead, "sweep": sweep},
    )


# --- dead at initialisation ------------------------------------------------------


def born_dead_formula(width: int, depth: int) -> float:
    """Return 1 - (1 - 2^-width)^depth, the chance of death at one input."""
    return 1.0 - (1.0 - 2.0**-width) ** depth


def _simulate_width(
    settings: DyingSettings, width: int, X: np.ndarray, rng: np.random.Generator
) -> tuple[list[float], list[float]]:
    # The networks run together, so a has shape (networks, inputs, units).
    # He's variance 2 / n_in does not depend on n_out, so one draw of
    # networks * width columns gives every network its own layer.
    count = settings.networks
    a = np.broadcast_to(X, (count, *X.shape))
    over_inputs, at_one_input = [], []
    for _ in range(settings.max_depth):
        n_in = a.shape[2]
        W = nn.initialise("he", n_in, count * width, rng)
        W = W.reshape(n_in, count, width).transpose(1, 0, 2)
        a = np.maximum(a @ W, 0.0)
        constant = np.ptp(a, axis=1).max(axis=1) == 0.0
        over_inputs.append(float(constant.mean()))
        at_one_input.append(float(np.all(a[:, 0, :] == 0.0, axis=1).mean()))
    return over_inputs, at_one_input


def _simulate_born_dead(settings: DyingSettings) -> dict[str, Any]:
    generators = [
        np.random.default_rng(seed)
        for seed in np.random.SeedSequence(settings.seed).spawn(
            len(settings.widths) + 1
        )
    ]
    X = generators[0].normal(size=(settings.inputs, settings.input_dim))
    depths = list(range(1, settings.max_depth + 1))
    widths = {}
    for width, rng in zip(settings.widths, generators[1:], strict=True):
        over_inputs, at_one_input = _simulate_width(settings, width, X, rng)
        widths[str(width)] = {
            "over_inputs": over_inputs,
            "at_one_input": at_one_input,
            "formula": [born_dead_formula(width, depth) for depth in depths],
        }
    return {
        "depths": depths,
        "networks": settings.networks,
        "inputs": settings.inputs,
        "widths": widths,
    }


def _widths(born_dead: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Return the widths' entries from narrow to wide, whatever the stored order."""
    return sorted(born_dead["widths"].items(), key=lambda item: int(item[0]))


def _standard_error(p: float, count: int) -> float:
    return math.sqrt(max(p * (1.0 - p), 0.25 / count) / count)


def _depth_claim(born_dead: dict[str, Any]) -> Claim:
    count = born_dead["networks"]
    deepest = born_dead["depths"][-1]
    last = {int(w): entry["over_inputs"][-1] for w, entry in _widths(born_dead)}
    rising = all(
        later >= earlier - 3 * _standard_error(earlier, count)
        for entry in born_dead["widths"].values()
        for earlier, later in itertools.pairwise(entry["over_inputs"])
    )
    ordered = sorted(last)
    narrowing = all(
        last[narrow] > last[wide] for narrow, wide in itertools.pairwise(ordered)
    )
    summary = ", ".join(f"width {w}: {p:.3f}" for w, p in last.items())
    return Claim(
        "A ReLU network with symmetric initialisation is more likely dead at "
        "initialisation the deeper and the narrower it is",
        f"share of {count} networks with {deepest} hidden layers whose output is "
        f"constant over the inputs: {summary}. It "
        + ("never fell" if rising else "fell")
        + " by more than 3 standard errors from one depth to the next.",
        rising and narrowing,
        SOURCE,
    )


def _formula_claim(born_dead: dict[str, Any]) -> Claim:
    """Compare the formula with the share dead at one input, like for like."""
    count, inputs = born_dead["networks"], born_dead.get("inputs", "all")
    deviations, gaps, parts = [], [], []
    for width, entry in _widths(born_dead):
        for at_one, formula, constant in zip(
            entry["at_one_input"], entry["formula"], entry["over_inputs"], strict=True
        ):
            deviations.append(abs(at_one - formula) / _standard_error(formula, count))
            gaps.append(formula - constant)
        parts.append(
            f"width {width}: {entry['at_one_input'][-1]:.3f} against "
            f"{entry['formula'][-1]:.3f}"
        )
    deepest = born_dead["depths"][-1]
    worst = max(deviations)
    return Claim(
        "The probability that a ReLU network of width N and depth H, with "
        "symmetric weights and zero biases, is dead at a given input (every unit "
        "of some hidden layer off) is 1 - (1 - 2^-N)^H",
        f"share of {count} networks dead at one input, at {deepest} hidden "
        "layers, against the formula: "
        + "; ".join(parts)
        + f". Over all depths and widths the share was within {worst:.1f} "
        f"standard errors of the formula (a match is within "
        f"{FORMULA_TOLERANCE:g}). The share whose output was constant over all "
        f"{inputs} inputs, the stricter event the depth claim counts, lay up to "
        f"{max(gaps):.3f} below the formula, which bounds it from above.",
        worst <= FORMULA_TOLERANCE,
        SOURCE,
    )


def _born_dead_table(born_dead: dict[str, Any]) -> Table:
    widths = _widths(born_dead)
    inputs = born_dead.get("inputs", "all")
    columns = ["hidden layers"]
    for width, _ in widths:
        columns += [
            f"N={width} dead at one input",
            f"N={width} formula",
            f"N={width} constant over {inputs} inputs",
        ]
    rows = []
    for index, depth in enumerate(born_dead["depths"]):
        row: list[Any] = [depth]
        for _, entry in widths:
            row += [
                round(entry["at_one_input"][index], 3),
                round(entry["formula"][index], 3),
                round(entry["over_inputs"][index], 3),
            ]
        rows.append(tuple(row))
    return Table(
        f"Share of {born_dead['networks']} ReLU networks dead at initialisation: "
        "at one input, against 1 - (1 - 2^-N)^H for that event, and with the "
        "output constant over every input, a rarer event the formula bounds "
        "from above",
        tuple(columns),
        tuple(rows),
    )


# --- dying in training -------------------------------------------------------------


def _train_one(
    settings: DyingSettings,
    train: data.Dataset,
    test: data.Dataset,
    activation: str,
    rate: float,
    seed: int,
) -> dict[str, Any]:
    sizes = [train.n_features, *settings.hidden, train.n_classes]
    net = nn.Network.build(sizes, activation, seed=seed)
    try:
        nn.train(
            net,
            train.X,
            train.y,
            "softmax_ce",
            nn.Adam(rate),
            epochs=settings.epochs,
            batch_size=32,
            seed=seed,
            stats_every=0,
        )
    except TrainingDivergedError as error:
        return {"seed": seed, "diverged": str(error), "accuracy": None, "dead": None}
    zs = nn.forward(net, train.X).z[:-1]
    # Both activations use ReLU's rule (z <= 0 on every example), although a
    # LeakyReLU unit there still gets a gradient through its slope for z < 0.
    negative = float(np.mean(np.concatenate([diagnostics.dead_units(z) for z in zs])))
    _, accuracy = nn.evaluate(net, test.X, test.y, "softmax_ce")
    return {"seed": seed, "diverged": None, "accuracy": accuracy, "dead": negative}


def _mean(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [run[key] for run in runs if run[key] is not None]
    return float(np.mean(values)) if values else None


def _rate_sweep(
    settings: DyingSettings,
    train: data.Dataset,
    test: data.Dataset,
    progress: Progress | None,
) -> dict[str, Any]:
    top_rate = max(settings.learning_rates)
    jobs = [("relu", rate) for rate in settings.learning_rates]
    jobs.append(("leaky_relu", top_rate))
    results: dict[str, list[dict[str, Any]]] = {"relu": [], "leaky_relu": []}
    for index, (activation, rate) in enumerate(jobs):
        _report(
            progress, f"{activation}, Adam at {rate:g}", 0.1 + 0.9 * index / len(jobs)
        )
        runs = [
            _train_one(settings, train, test, activation, rate, seed)
            for seed in settings.seeds
        ]
        results[activation].append(
            {
                "learning_rate": rate,
                "runs": runs,
                "dead": _mean(runs, "dead"),
                "accuracy": _mean(runs, "accuracy"),
            }
        )
    return results


def _rate_claim(sweep: dict[str, Any]) -> Claim:
    points = [p for p in sweep["relu"] if p["dead"] is not None]
    summary = ", ".join(f"{p['learning_rate']:g}: {p['dead']:.1%}" for p in points)
    held = None
    if len(points) >= 2:
        deads = [p["dead"] for p in points]
        steady = all(
            later >= earlier - 0.05 for earlier, later in itertools.pairwise(deads)
        )
        held = steady and deads[-1] > deads[0] + 0.1
    return Claim(
        "The higher Adam's learning rate, the more ReLU units die during training",
        f"share of hidden units with z <= 0 on every training example, by "
        f"learning rate: {summary}",
        held,
        SOURCE,
    )


def _leaky_claim(sweep: dict[str, Any]) -> Claim:
    relu, leaky = sweep["relu"][-1], sweep["leaky_relu"][0]
    for point in sweep["relu"]:
        if point["learning_rate"] == leaky["learning_rate"]:
            relu = point
    rate = leaky["learning_rate"]
    if relu["dead"] is None or leaky["accuracy"] is None:
        measured = f"a run at learning rate {rate:g} diverged, so nothing was compared"
        return Claim(_LEAKY_CLAIM, measured, None, SOURCE)
    held = None
    if relu["dead"] >= DIED:
        held = leaky["accuracy"] > (relu["accuracy"] or 0.0) + 0.1
    measured = (
        f"at learning rate {rate:g}, {relu['dead']:.1%} of the ReLU units died and "
        f"ReLU reached test accuracy {relu['accuracy']:.3f}. LeakyReLU from the "
        f"same seeds reached {leaky['accuracy']:.3f}, with {leaky['dead']:.1%} of "
        "its units negative on every example."
    )
    if held is None:
        measured += f" Under {DIED:.0%} of the ReLU units died, so this is no test."
    return Claim(_LEAKY_CLAIM, measured, held, SOURCE)


_LEAKY_CLAIM = (
    "LeakyReLU keeps learning at a learning rate where ReLU networks die, "
    "from the same seeds"
)


def _sweep_table(sweep: dict[str, Any]) -> Table:
    rows = []
    for activation, points in sweep.items():
        for point in points:
            diverged = sum(run["diverged"] is not None for run in point["runs"])
            rows.append(
                (
                    activation,
                    point["learning_rate"],
                    None if point["dead"] is None else round(point["dead"], 3),
                    None if point["accuracy"] is None else round(point["accuracy"], 3),
                    diverged,
                )
            )
    return Table(
        "Adam's learning rate against dead hidden units and test accuracy on digits",
        (
            "activation",
            "learning rate",
            "share of units with z <= 0 on every example",
            "test accuracy",
            "diverged runs",
        ),
        tuple(rows),
    )


# --- figures -----------------------------------------------------------------------


def plot(result: ExperimentResult, directory: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory = Path(directory)
    paths = []
    for filename, draw in (
        ("dying-at-initialisation.png", _plot_born_dead),
        ("dying-learning-rate.png", _plot_sweep),
    ):
        figure, axes = plt.subplots(figsize=(7, 4.5))
        draw(axes, result.data)
        figure.tight_layout()
        path = directory / filename
        figure.savefig(path, dpi=110)
        plt.close(figure)
        paths.append(path)
    return paths


def _plot_born_dead(axes, values: dict[str, Any]) -> None:
    born_dead = values["born_dead"]
    depths = born_dead["depths"]
    for width, entry in _widths(born_dead):
        (line,) = axes.plot(
            depths, entry["at_one_input"], marker="o", label=f"N={width}"
        )
        color = line.get_color()
        axes.plot(depths, entry["formula"], color=color, linestyle="--")
        axes.plot(depths, entry["over_inputs"], color=color, marker="x", ls="none")
    axes.set_ylim(-0.02, 1.02)
    axes.set_xlabel("hidden layers H")
    axes.set_ylabel("share of networks dead at initialisation")
    axes.set_title(
        "Dead at one input (dots) against 1 - (1 - 2^-N)^H (dashed);\n"
        "output constant over all inputs (crosses)",
        fontsize=10,
    )
    axes.legend(title="width")


def _plot_sweep(axes, values: dict[str, Any]) -> None:
    relu = [p for p in values["sweep"]["relu"] if p["dead"] is not None]
    leaky = [p for p in values["sweep"]["leaky_relu"] if p["accuracy"] is not None]
    rates = [p["learning_rate"] for p in relu]
    axes.plot(
        rates, [p["dead"] for p in relu], marker="o", label="ReLU: share of dead units"
    )
    axes.plot(
        rates, [p["accuracy"] for p in relu], marker="s", label="ReLU: test accuracy"
    )
    axes.plot(
        [p["learning_rate"] for p in leaky],
        [p["accuracy"] for p in leaky],
        marker="*",
        markersize=12,
        linestyle="none",
        label="LeakyReLU: test accuracy",
    )
    axes.set_xscale("log")
    axes.set_ylim(-0.02, 1.02)
    axes.set_xlabel("Adam learning rate (log scale)")
    axes.set_title("Dead ReLU units after training on digits")
    axes.legend()


DYING = register(
    Experiment(
        name="dying",
        title="Dying ReLU: dead at initialisation and dead after large steps",
        summary="Simulates how often a narrow deep ReLU network is dead at "
        "initialisation against 1 - (1 - 2^-N)^H, and measures dead units after "
        "training with Adam at growing learning rates, with LeakyReLU beside it.",
        source=SOURCE,
        settings=DyingSettings,
        run=run,
        plot=plot,
    )
)
