"""Variants: LeakyReLU, ELU, SELU, swish and GELU beside ReLU on digits.

Each activation starts from the variance-preserving initialiser that its
registry record names: He for ReLU and its smooth relatives, LeCun normal for
SELU. The run has three parts.

**Mean activation per unit.** ReLU's outputs are never negative, so every
unit's mean output over the examples is positive. ELU's negative part, down
to -1, pulls that mean towards 0, which Clevert et al. (2015) argue speeds up
learning. The run measures |mean over examples| for every hidden unit, at
initialisation and after training, averaged over units, layers and seeds.

**Self-normalisation.** Klambauer et al. (2017) chose SELU's two constants so
that mean 0 and variance 1 is a stable fixed point of a layer with LeCun
normal weights. The run passes standardised digits through 64 hidden layers
and records the mean and variance of each layer's activations for SELU
(LeCun), ReLU (He) and tanh (Xavier).

**Test accuracy.** Every activation trains the same network with Adam for a
small budget from the same seeds. Each published gain over ReLU is checked
against the seed-to-seed spread. It holds when the mean test accuracy beats
ReLU's by more than twice the standard error of the difference and by more
than half a percentage point. It fails when it trails by as much, and is not
decided in between. Digits is small and easy, so most differences fall inside
that band.

NOTE: the papers' findings are summarised from secondary descriptions of them,
not checked against the papers' own text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from actlab import data, nn
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

SOURCES = {
    "leaky_relu": "A. L. Maas, A. Y. Hannun and A. Y. Ng, Rectifier nonlinearities "
    "improve neural network acoustic models, ICML 2013",
    "elu": "D.-A. Clevert, T. Unterthiner and S. Hochreiter, Fast and accurate "
    "deep network learning by exponential linear units (ELUs), arXiv:1511.07289",
    "selu": "G. Klambauer, T. Unterthiner, A. Mayr and S. Hochreiter, "
    "Self-normalizing neural networks, NeurIPS 2017",
    "silu": "P. Ramachandran, B. Zoph and Q. V. Le, Searching for activation "
    "functions, arXiv:1710.05941",
    "gelu": "D. Hendrycks and K. Gimpel, Gaussian error linear units (GELUs), "
    "arXiv:1606.08415",
}

PUBLISHED_GAINS = {
    "leaky_relu": "LeakyReLU reaches a higher test accuracy than ReLU",
    "elu": "ELU, which its authors found to learn faster and generalise better, "
    "reaches a higher test accuracy than ReLU for the same budget",
    "selu": "A self-normalising SELU network reaches a higher test accuracy than "
    "a ReLU network",
    "silu": "Swish (SiLU) reaches a higher test accuracy than ReLU",
    "gelu": "GELU reaches a higher test accuracy than ReLU",
}
"""The gain over ReLU that each activation's authors report, as checked here."""

SPREAD = 2.0
"""A difference counts when it exceeds this many standard errors and MIN_DIFFERENCE."""

MIN_DIFFERENCE = 0.005
"""The smallest test accuracy difference that counts, 2 of the 449 test images."""

SELU_MEAN_TOLERANCE = 0.2
"""The largest |mean| per layer that counts as "near 0" (ReLU's stays near 0.4)."""

SELU_VARIANCE_RANGE = (0.5, 2.0)
"""The per-layer variances that count as "near 1"."""


@dataclass(frozen=True)
class VariantsSettings:
    """The activations, the networks and the training budget.

    ``activations`` must include ``"relu"``, the baseline. The accuracy runs
    train hidden layers ``hidden`` with Adam at ``learning_rate``, batches of
    32, for ``epochs`` epochs from each of ``seeds``. The deep pass uses
    ``deep_depth`` hidden layers of ``deep_width`` units on ``deep_examples``
    standardised digits, once per seed in ``deep_seeds``. ``seed`` sets the
    data split.
    """

    activations: tuple[str, ...] = ("relu", "leaky_relu", "elu", "selu", "silu", "gelu")
    hidden: tuple[int, ...] = (64, 64, 64)
    learning_rate: float = 0.001
    epochs: int = 10
    seeds: tuple[int, ...] = (0, 1, 2)
    deep_activations: tuple[str, ...] = ("selu", "relu", "tanh")
    deep_depth: int = 64
    deep_width: int = 128
    deep_examples: int = 500
    deep_seeds: tuple[int, ...] = (0, 1)
    seed: int = 0

    def __post_init__(self) -> None:
        for name in (*self.activations, *self.deep_activations):
            nn.resolve_activation(name)
        if "relu" not in self.activations:
            raise ValueError(
                f"invalid activations {list(self.activations)}: include 'relu', "
                "the baseline every variant is compared with"
            )
        _check_not_empty("hidden", self.hidden)
        for width in self.hidden:
            _check_int("hidden entry", width, 1, 1024)
        if not (
            isinstance(self.learning_rate, int | float)
            and math.isfinite(self.learning_rate)
            and 1e-6 <= self.learning_rate <= 10.0
        ):
            raise ValueError(
                f"invalid learning_rate {self.learning_rate!r}: expected a number "
                "from 1e-06 to 10"
            )
        _check_int("epochs", self.epochs, 1, 1000)
        _check_not_empty("seeds", self.seeds)
        _check_not_empty("deep_activations", self.deep_activations)
        _check_int("deep_depth", self.deep_depth, 1, 256)
        _check_int("deep_width", self.deep_width, 2, 1024)
        _check_int("deep_examples", self.deep_examples, 2, 1347)
        _check_not_empty("deep_seeds", self.deep_seeds)

    @classmethod
    def quick(cls) -> VariantsSettings:
        return cls(
            hidden=(32, 32),
            epochs=4,
            seeds=(0,),
            deep_examples=200,
            deep_seeds=(0,),
        )


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"invalid {name} {value!r}: expected an integer")
    if not low <= value <= high:
        raise ValueError(f"invalid {name} {value}: expected {low} to {high}")


def _check_not_empty(name: str, values: tuple) -> None:
    if not values:
        raise ValueError(f"{name} is empty: give at least one value")


def _report(progress: Progress | None, step: str, done: float) -> None:
    if progress is not None:
        progress(step, done)


def run(
    settings: VariantsSettings, progress: Progress | None = None
) -> ExperimentResult:
    # BLAS runs on one thread because these matrices are small. On a busy 2-core
    # machine (NumPy with OpenBLAS), a second thread made a 500 x 128 by
    # 128 x 128 product about 15 times slower.
    with threadpool_limits(1, "blas"):
        return _run(settings, progress)


def _run(settings: VariantsSettings, progress: Progress | None) -> ExperimentResult:
    train, test = data.standardise(
        *data.split(data.load("digits"), test_fraction=0.25, seed=settings.seed)
    )
    _report(progress, "mean and variance through deep networks", 0.0)
    deep = _deep_pass(settings, train)
    runs = _train_all(settings, train, test, progress)

    claims = [_mean_claim(runs), _selu_claim(deep), _drift_claim(deep)]
    claims += [
        _gain_claim(name, runs) for name in settings.activations if name != "relu"
    ]
    seeds = sorted({settings.seed, *settings.seeds, *settings.deep_seeds})
    return ExperimentResult(
        name="variants",
        title=VARIANTS.title,
        settings=settings_dict(settings),
        seeds=seeds,
        claims=claims,
        tables=[_accuracy_table(runs), _deep_table(deep)],
        data={"runs": runs, "deep": deep},
    )


# --- mean activation and test accuracy ----------------------------------------------


def unit_mean_magnitude(net: nn.Network, X: np.ndarray) -> float:
    """Return |mean over examples| of each hidden unit's output, averaged over units."""
    hidden = nn.forward(net, X).a[:-1]
    return float(np.mean(np.concatenate([np.abs(a.mean(axis=0)) for a in hidden])))


def _train_one(
    settings: VariantsSettings,
    train: data.Dataset,
    test: data.Dataset,
    activation: str,
    seed: int,
) -> dict[str, Any]:
    sizes = [train.n_features, *settings.hidden, train.n_classes]
    net = nn.Network.build(sizes, activation, seed=seed)
    initial_mean = unit_mean_magnitude(net, train.X)
    try:
        history = nn.train(
            net,
            train.X,
            train.y,
            "softmax_ce",
            nn.Adam(settings.learning_rate),
            epochs=settings.epochs,
            batch_size=32,
            seed=seed,
            stats_every=0,
        )
    except TrainingDivergedError as error:
        return {"seed": seed, "diverged": str(error), "initial_mean": initial_mean}
    _, accuracy = nn.evaluate(net, test.X, test.y, "softmax_ce")
    return {
        "seed": seed,
        "diverged": None,
        "initial_mean": initial_mean,
        "trained_mean": unit_mean_magnitude(net, train.X),
        "train_loss": history.last.loss,
        "test_accuracy": accuracy,
    }


def _summary(name: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    finished = [run for run in runs if run["diverged"] is None]
    accuracies = [run["test_accuracy"] for run in finished]
    return {
        "activation": name,
        "initialiser": nn.resolve_activation(name).spec.initialiser,
        "runs": runs,
        "diverged": len(runs) - len(finished),
        "initial_mean": float(np.mean([run["initial_mean"] for run in runs])),
        "trained_mean": _mean([run["trained_mean"] for run in finished]),
        "train_loss": _mean([run["train_loss"] for run in finished]),
        "test_accuracy": _mean(accuracies),
        "test_accuracy_std": float(np.std(accuracies, ddof=1))
        if len(accuracies) > 1
        else None,
        "test_accuracies": accuracies,
    }


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def _train_all(
    settings: VariantsSettings,
    train: data.Dataset,
    test: data.Dataset,
    progress: Progress | None,
) -> dict[str, dict[str, Any]]:
    summaries = {}
    for index, name in enumerate(settings.activations):
        _report(
            progress, f"training {name}", 0.3 + 0.7 * index / len(settings.activations)
        )
        runs = [
            _train_one(settings, train, test, name, seed) for seed in settings.seeds
        ]
        summaries[name] = _summary(name, runs)
    return summaries


def _mean_claim(runs: dict[str, dict[str, Any]]) -> Claim:
    claim = (
        "ELU's mean activation per unit is closer to 0 than ReLU's, because "
        "ELU's outputs can be negative"
    )
    if "elu" not in runs:
        return Claim(
            claim, "ELU was not among the activations run", None, SOURCES["elu"]
        )
    elu, relu = runs["elu"], runs["relu"]
    held = elu["initial_mean"] < relu["initial_mean"]
    measured = (
        f"|mean| per unit at initialisation: ELU {elu['initial_mean']:.3f}, "
        f"ReLU {relu['initial_mean']:.3f}"
    )
    if elu["trained_mean"] is not None and relu["trained_mean"] is not None:
        held = held and elu["trained_mean"] < relu["trained_mean"]
        measured += (
            f". After training: ELU {elu['trained_mean']:.3f}, "
            f"ReLU {relu['trained_mean']:.3f}"
        )
    return Claim(claim, measured, held, SOURCES["elu"])


def _difference(variant: dict[str, Any], relu: dict[str, Any]) -> tuple[float, float]:
    # The mean difference in test accuracy and its standard error, from the
    # spread of each activation's runs over the seeds.
    a, b = variant["test_accuracies"], relu["test_accuracies"]
    error = 0.0
    if len(a) > 1 and len(b) > 1:
        error = math.sqrt(np.var(a, ddof=1) / len(a) + np.var(b, ddof=1) / len(b))
    return float(np.mean(a) - np.mean(b)), error


def _gain_claim(name: str, runs: dict[str, dict[str, Any]]) -> Claim:
    variant, relu = runs[name], runs["relu"]
    claim = PUBLISHED_GAINS.get(
        name, f"{name} reaches a higher test accuracy than ReLU"
    )
    source = SOURCES.get(name, "")
    if variant["test_accuracy"] is None or relu["test_accuracy"] is None:
        return Claim(claim, "every run of one of the two diverged", None, source)
    difference, error = _difference(variant, relu)
    measured = (
        f"test accuracy {variant['test_accuracy']:.3f} against ReLU's "
        f"{relu['test_accuracy']:.3f} over {len(variant['test_accuracies'])} "
        f"seed(s): a difference of {difference:+.3f}"
    )
    if error == 0.0:
        measured += ". With one seed there is no spread to judge it by"
        return Claim(claim, measured + ".", None, source)
    measured += f", standard error {error:.3f}"
    held = None
    if abs(difference) > max(SPREAD * error, MIN_DIFFERENCE):
        held = difference > 0
    else:
        measured += (
            ", which is too small to count, because a difference must exceed "
            f"{SPREAD:g} standard errors and {MIN_DIFFERENCE}"
        )
    return Claim(claim, measured + ".", held, source)


def _accuracy_table(runs: dict[str, dict[str, Any]]) -> Table:
    rows = tuple(
        (
            name,
            summary["initialiser"],
            _rounded(summary["test_accuracy"]),
            _rounded(summary["test_accuracy_std"]),
            _rounded(summary["train_loss"]),
            _rounded(summary["initial_mean"]),
            _rounded(summary["trained_mean"]),
            summary["diverged"],
        )
        for name, summary in runs.items()
    )
    return Table(
        "Test accuracy on digits after a small budget, and |mean| activation per unit",
        (
            "activation",
            "initialiser",
            "test accuracy",
            "std over seeds",
            "training loss",
            "|mean| per unit at start",
            "|mean| per unit after",
            "diverged runs",
        ),
        rows,
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


# --- self-normalisation through depth ----------------------------------------------


def _deep_pass(settings: VariantsSettings, train: data.Dataset) -> dict[str, Any]:
    X = train.X[: settings.deep_examples]
    sizes = [train.n_features, *[settings.deep_width] * settings.deep_depth, 1]
    deep: dict[str, Any] = {}
    for name in settings.deep_activations:
        means, variances = [], []
        for seed in settings.deep_seeds:
            net = nn.Network.build(sizes, name, seed=seed)
            hidden = nn.forward(net, X).a[:-1]
            means.append([float(a.mean()) for a in hidden])
            variances.append([float(a.var()) for a in hidden])
        deep[name] = {
            "initialiser": nn.resolve_activation(name).spec.initialiser,
            "means": means,
            "variances": variances,
        }
    return deep


def _selu_claim(deep: dict[str, Any]) -> Claim:
    claim = (
        "With LeCun normal weights and standardised inputs, SELU keeps every "
        "layer's activations near mean 0 and variance 1"
    )
    source = SOURCES["selu"]
    if "selu" not in deep:
        return Claim(claim, "SELU was not among the deep activations", None, source)
    means = np.array(deep["selu"]["means"])
    variances = np.array(deep["selu"]["variances"])
    depth = means.shape[1]
    low, high = SELU_VARIANCE_RANGE
    held = bool(np.abs(means).max() <= SELU_MEAN_TOLERANCE)
    held = held and bool(low <= variances.min() and variances.max() <= high)
    measured = (
        f"over {depth} layers and {len(means)} seed(s), the mean stayed within "
        f"{np.abs(means).max():.3f} of 0 and the variance between "
        f"{variances.min():.2f} and {variances.max():.2f}. At layer {depth}: mean "
        f"{means[:, -1].mean():+.3f}, variance {variances[:, -1].mean():.2f}."
    )
    return Claim(claim, measured, held, source)


def _drift_claim(deep: dict[str, Any]) -> Claim:
    claim = "Through the same depth, ReLU and tanh do not hold mean 0 and variance 1"
    others = [name for name in ("relu", "tanh") if name in deep]
    if not others:
        return Claim(claim, "neither ReLU nor tanh was run", None, SOURCES["selu"])
    parts, drifted = [], []
    for name in others:
        means = np.array(deep[name]["means"])[:, -1]
        variances = np.array(deep[name]["variances"])[:, -1]
        parts.append(
            f"{name} ({deep[name]['initialiser']}) at the last layer: mean "
            f"{means.mean():+.3f}, variance {variances.mean():.3f}"
        )
        low, high = SELU_VARIANCE_RANGE
        outside = np.abs(means) > SELU_MEAN_TOLERANCE
        outside |= (variances < low) | (variances > high)
        drifted.append(bool(outside.all()))
    return Claim(claim, "; ".join(parts) + ".", all(drifted), SOURCES["selu"])


def _deep_table(deep: dict[str, Any]) -> Table:
    names = list(deep)
    depth = len(deep[names[0]]["means"][0])
    layers = sorted({1, 2, 4, 8, 16, 32, 64, depth} & set(range(1, depth + 1)))
    columns = ["layer"]
    for name in names:
        columns += [f"{name} mean", f"{name} variance"]
    rows = []
    for layer in layers:
        row: list[Any] = [layer]
        for name in names:
            row.append(
                round(float(np.mean(np.array(deep[name]["means"])[:, layer - 1])), 3)
            )
            row.append(
                round(
                    float(np.mean(np.array(deep[name]["variances"])[:, layer - 1])), 3
                )
            )
        rows.append(tuple(row))
    return Table(
        "Mean and variance of the activations through a deep network at "
        "initialisation (standardised digits)",
        tuple(columns),
        tuple(rows),
    )


# --- figures -----------------------------------------------------------------------


def plot(result: ExperimentResult, directory: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory = Path(directory)
    figure, (mean_axes, variance_axes) = plt.subplots(1, 2, figsize=(10, 4.2))
    _plot_deep(mean_axes, variance_axes, result.data["deep"])
    figure.tight_layout()
    deep_path = directory / "variants-deep.png"
    figure.savefig(deep_path, dpi=110)
    plt.close(figure)

    figure, axes = plt.subplots(figsize=(7, 4.2))
    _plot_accuracy(axes, result.data["runs"])
    figure.tight_layout()
    accuracy_path = directory / "variants-accuracy.png"
    figure.savefig(accuracy_path, dpi=110)
    plt.close(figure)
    return [deep_path, accuracy_path]


def _plot_deep(mean_axes, variance_axes, deep: dict[str, Any]) -> None:
    for name, entry in deep.items():
        label = f"{name} ({entry['initialiser']})"
        layers = np.arange(1, len(entry["means"][0]) + 1)
        mean_axes.plot(layers, np.mean(entry["means"], axis=0), label=label)
        variance_axes.plot(layers, np.mean(entry["variances"], axis=0), label=label)
    mean_axes.axhline(0.0, color="grey", linestyle=":")
    variance_axes.axhline(1.0, color="grey", linestyle=":")
    variance_axes.set_yscale("log")
    mean_axes.set_title("Mean activation per layer")
    variance_axes.set_title("Activation variance per layer (log scale)")
    for axes in (mean_axes, variance_axes):
        axes.set_xlabel("hidden layer")
        axes.legend()


def _plot_accuracy(axes, runs: dict[str, dict[str, Any]]) -> None:
    names = [name for name, summary in runs.items() if summary["test_accuracy"]]
    positions = np.arange(len(names))
    for position, name in zip(positions, names, strict=True):
        accuracies = runs[name]["test_accuracies"]
        axes.plot([position] * len(accuracies), accuracies, "o", color="#9ab")
    axes.errorbar(
        positions,
        [runs[name]["test_accuracy"] for name in names],
        yerr=[runs[name]["test_accuracy_std"] or 0.0 for name in names],
        fmt="D",
        color="#1f4e79",
        capsize=5,
    )
    axes.set_xticks(positions, names)
    axes.set_xlim(-0.5, len(names) - 0.5)
    axes.set_ylabel("test accuracy")
    axes.set_title(
        "Digits after a small budget: each seed (dots), mean and std (diamonds)",
        fontsize=10,
    )


VARIANTS = register(
    Experiment(
        name="variants",
        title="ReLU variants: LeakyReLU, ELU, SELU, swish and GELU",
        summary="Measures each variant's mean activation per unit, SELU's mean and "
        "variance through 64 layers beside ReLU and tanh, and every variant's "
        "test accuracy on digits against ReLU's, within the seed-to-seed spread.",
        source="; ".join(SOURCES.values()),
        settings=VariantsSettings,
        run=run,
        plot=plot,
    )
)
