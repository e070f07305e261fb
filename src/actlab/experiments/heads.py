"""Heads: what the output activation allows a network to predict.

The output layer's activation fixes the range of every prediction, so it
should match the range of the target. The run trains the same small network
with each head on four targets and measures what each range implies:

- ``binary``: the breast cancer labels 0 and 1. A linear head trained on them
  with the squared error predicts values outside [0, 1], which are not
  probabilities. The sigmoid cannot.
- ``regression``: the diabetes target, standardised, so about half the
  targets are negative. A sigmoid, ReLU or softplus head cannot predict them,
  which caps R² below what a linear head reaches.
- ``positive``: the diabetes target in its own units, divided by its
  standard deviation but not centred, so every target is positive.
- ``count``: a Poisson count drawn for each diabetes patient, with the log
  of its mean equal to the standardised target minus 0.5. In draws with
  seeds 0 to 4 the mean count was 1.0 to 1.1 and about half the counts were
  0. This target is synthetic, built on the real features and target.

On the two non-negative targets a linear head can predict negative values,
which ReLU and softplus heads cannot.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from actlab import activations, data, nn
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

REFERENCE = "linear"

COUNT_LOG_MEAN_SHIFT = -0.5
"""The count's log mean is the standardised diabetes target plus this shift."""


@dataclass(frozen=True)
class Task:
    """A target: its dataset, how it is derived, and the range it lies in."""

    name: str
    dataset: str
    description: str
    valid_range: tuple[float, float]


TASKS = (
    Task("binary", "breast_cancer", "breast cancer labels 0 or 1", (0.0, 1.0)),
    Task(
        "regression",
        "diabetes",
        "diabetes progression, standardised",
        (-math.inf, math.inf),
    ),
    Task(
        "positive",
        "diabetes",
        "diabetes progression over its standard deviation",
        (0.0, math.inf),
    ),
    Task(
        "count",
        "diabetes",
        "a Poisson count with log mean set by diabetes progression",
        (0.0, math.inf),
    ),
)

CROSS_ENTROPY_HEAD = "sigmoid, cross-entropy"
"""The usual binary head: a linear output whose sigmoid the cross-entropy applies."""


@dataclass(frozen=True)
class HeadsSettings:
    """The heads, the network, the Adam optimiser's training and the seeds.

    Every head is trained with the mean squared error. On the binary task a
    sigmoid head trained with the cross-entropy runs as well, as the usual
    choice.
    """

    heads: tuple[str, ...] = ("linear", "sigmoid", "relu", "softplus")
    hidden: tuple[int, ...] = (16,)
    epochs: int = 40
    batch_size: int = 32
    learning_rate: float = 0.003
    test_fraction: float = 0.25
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)

    def __post_init__(self) -> None:
        names = tuple(activations.spec(name).name for name in self.heads)
        object.__setattr__(self, "heads", names)
        if REFERENCE not in self.heads:
            raise ValueError(
                f"invalid heads {list(self.heads)!r}: include {REFERENCE!r}, "
                "because the other heads are compared with it"
            )
        for name in self.heads:
            if self.heads.count(name) > 1:
                raise ValueError(f"invalid heads: {name!r} is listed twice")
            if activations.spec(name).vector:
                raise ValueError(
                    f"invalid head {name!r}: it acts on a whole vector, and "
                    "every target here has one column"
                )
        if not self.hidden:
            raise ValueError("invalid hidden (): give at least one hidden width")
        for width in self.hidden:
            _check_integer("hidden width", width, 1, 1_024)
        _check_integer("epochs", self.epochs, 1, 2_000)
        _check_integer("batch_size", self.batch_size, 1, 1_000)
        _check_number("learning_rate", self.learning_rate, 1e-6, 1.0)
        _check_number("test_fraction", self.test_fraction, 0.1, 0.5)
        if not self.seeds:
            raise ValueError("invalid seeds (): give at least one seed")
        for seed in self.seeds:
            _check_integer("seed", seed, 0, 2**32 - 1)

    @classmethod
    def quick(cls) -> HeadsSettings:
        return cls(epochs=30, seeds=(0, 1))


def _check_integer(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"invalid {name} {value!r}: expected an integer")
    if not low <= value <= high:
        raise ValueError(f"invalid {name} {value}: expected {low} to {high}")


def _check_number(name: str, value: Any, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"invalid {name} {value!r}: expected a number")
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"invalid {name} {value!r}: expected {low:g} to {high:g}")


@dataclass(frozen=True)
class Head:
    """One output layer: its label, its activation, its loss and its range."""

    label: str
    activation: str
    loss: str
    output_range: tuple[float, float]


def _heads(settings: HeadsSettings, task: Task) -> list[Head]:
    heads = [
        Head(name, name, "mse", activations.spec(name).output_range)
        for name in settings.heads
    ]
    if task.name == "binary":
        heads.append(Head(CROSS_ENTROPY_HEAD, "linear", "bce", (0.0, 1.0)))
    return heads


def run(settings: HeadsSettings, progress: Progress | None = None) -> ExperimentResult:
    cells = [(task, seed) for task in TASKS for seed in settings.seeds]
    runs = []
    examples: dict[str, dict[str, Any]] = {}
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for index, (task, seed) in enumerate(cells):
            if progress is not None:
                progress(f"{task.name}, seed {seed}", index / len(cells))
            train_set, test_set = _prepare(task, settings, seed)
            example = {"target": test_set.y.tolist(), "predictions": {}}
            for head in _heads(settings, task):
                record, predictions = _train_one(
                    settings, task, head, train_set, test_set, seed
                )
                runs.append(record)
                example["predictions"][head.label] = predictions.tolist()
            if seed == settings.seeds[0]:
                examples[task.name] = example
    if progress is not None:
        progress("done", 1.0)

    summary = _summarise(settings, runs)
    return ExperimentResult(
        name="heads",
        title=HEADS.title,
        settings=settings_dict(settings),
        seeds=list(settings.seeds),
        claims=_claims(settings, summary),
        tables=[_table(settings, task, summary[task.name]) for task in TASKS],
        data={
            "tasks": {
                task.name: {
                    "dataset": task.dataset,
                    "description": task.description,
                    "valid_range": _plain_range(task.valid_range),
                }
                for task in TASKS
            },
            "summary": summary,
            "runs": runs,
            "examples": examples,
        },
    )


def _plain_range(bounds: tuple[float, float]) -> list[float | None]:
    # JSON has no infinity, so an open end is stored as None.
    return [None if math.isinf(bound) else bound for bound in bounds]


def _prepare(
    task: Task, settings: HeadsSettings, seed: int
) -> tuple[data.Dataset, data.Dataset]:
    """Split, standardise the features, and derive the task's target."""
    dataset = data.load(task.dataset)
    if task.name == "count":
        dataset = _with_count_target(dataset, seed)
    train_set, test_set = data.split(dataset, settings.test_fraction, seed=seed)
    train_set, test_set = data.standardise(train_set, test_set)
    if task.name in ("regression", "positive"):
        shift = float(train_set.y.mean()) if task.name == "regression" else 0.0
        scale = float(train_set.y.std())
        train_set, test_set = (
            dataclasses.replace(part, y=(part.y - shift) / scale)
            for part in (train_set, test_set)
        )
    return train_set, test_set


def _with_count_target(dataset: data.Dataset, seed: int) -> data.Dataset:
    standard = (dataset.y - dataset.y.mean()) / dataset.y.std()
    rng = np.random.default_rng(seed)
    counts = rng.poisson(np.exp(standard + COUNT_LOG_MEAN_SHIFT)).astype(np.float64)
    return dataclasses.replace(dataset, y=counts, target_name="count")


def _train_one(
    settings: HeadsSettings,
    task: Task,
    head: Head,
    train_set: data.Dataset,
    test_set: data.Dataset,
    seed: int,
) -> tuple[dict[str, Any], np.ndarray]:
    sizes = [train_set.n_features, *settings.hidden, 1]
    net = nn.Network.build(sizes, hidden="relu", output=head.activation, seed=seed)
    target = train_set.y.astype(np.int64 if head.loss == "bce" else np.float64)
    diverged = False
    try:
        nn.train(
            net,
            train_set.X,
            target,
            head.loss,
            nn.Adam(settings.learning_rate),
            settings.epochs,
            settings.batch_size,
            seed=seed,
            stats_every=0,
        )
    except TrainingDivergedError:
        # nn.train has restored the last weights with a finite loss: measure those.
        diverged = True
    predictions = _predict(net, test_set.X, head)
    record = {
        "task": task.name,
        "head": head.label,
        "seed": seed,
        "diverged": diverged,
        **_measure(predictions, test_set.y, task, head),
    }
    return record, predictions


def _predict(net: nn.Network, x: np.ndarray, head: Head) -> np.ndarray:
    if head.loss == "bce":
        return net.predict_proba(x, "bce").reshape(-1)
    return net(x)[:, 0]


def _measure(
    predictions: np.ndarray, target: np.ndarray, task: Task, head: Head
) -> dict[str, Any]:
    """Measure predictions against the task's valid range and the target."""
    low, high = task.valid_range
    outside = (predictions < low) | (predictions > high)
    ceiling = np.clip(target, *head.output_range)
    measures = {
        "outside_share": float(np.mean(outside)),
        "min_prediction": float(predictions.min()),
        "max_prediction": float(predictions.max()),
        "r2": _r2(predictions, target),
        "r2_ceiling": _r2(ceiling, target),
        "constant": bool(np.ptp(predictions) == 0.0),
    }
    if task.name == "binary":
        measures["accuracy"] = float(np.mean((predictions >= 0.5) == (target == 1)))
    return measures


def _r2(predictions: np.ndarray, target: np.ndarray) -> float:
    residual = float(np.sum((target - predictions) ** 2))
    total = float(np.sum((target - target.mean()) ** 2))
    return 1.0 - residual / total


def _summarise(
    settings: HeadsSettings, runs: list[dict]
) -> dict[str, dict[str, dict[str, Any]]]:
    """Average every measure over the seeds, per task and head."""
    summary: dict[str, dict[str, dict[str, Any]]] = {}
    for task in TASKS:
        per_head = {}
        for head in _heads(settings, task):
            mine = [
                r for r in runs if r["task"] == task.name and r["head"] == head.label
            ]
            per_head[head.label] = _average(mine)
        summary[task.name] = per_head
    return summary


def _average(runs: list[dict]) -> dict[str, Any]:
    shares = [run["outside_share"] for run in runs]
    averaged = {
        "runs": len(runs),
        "outside_share": statistics.fmean(shares),
        "outside_share_max": max(shares),
        "min_prediction": min(run["min_prediction"] for run in runs),
        "max_prediction": max(run["max_prediction"] for run in runs),
        "r2": statistics.fmean(run["r2"] for run in runs),
        "r2_ceiling": statistics.fmean(run["r2_ceiling"] for run in runs),
        "constant_runs": sum(run["constant"] for run in runs),
        "diverged_runs": sum(run["diverged"] for run in runs),
    }
    if "accuracy" in runs[0]:
        averaged["accuracy"] = statistics.fmean(run["accuracy"] for run in runs)
    return averaged


def _table(settings: HeadsSettings, task: Task, summary: dict[str, dict]) -> Table:
    binary = task.name == "binary"
    columns = [
        "head",
        f"share outside {_range_text(task.valid_range)}",
        "lowest",
        "highest",
        "R²",
    ]
    columns += ["accuracy"] if binary else ["R² ceiling"]
    columns += ["constant runs", "diverged runs"]
    rows = []
    for label, row in summary.items():
        values = [
            label,
            f"{row['outside_share']:.1%}",
            round(row["min_prediction"], 3),
            round(row["max_prediction"], 3),
            round(row["r2"], 3),
        ]
        values += [round(row["accuracy" if binary else "r2_ceiling"], 3)]
        values += [f"{row['constant_runs']} of {row['runs']}"]
        values += [f"{row['diverged_runs']} of {row['runs']}"]
        rows.append(tuple(values))
    return Table(
        f"{task.name}: {task.description} (test set, mean over "
        f"{len(settings.seeds)} seeds)",
        tuple(columns),
        tuple(rows),
    )


def _range_text(bounds: tuple[float, float]) -> str:
    low, high = bounds
    left = "(-∞" if math.isinf(low) else f"[{low:g}"
    right = "∞)" if math.isinf(high) else f"{high:g}]"
    return f"{left}, {right}"


def _claims(settings: HeadsSettings, summary: dict) -> list[Claim]:
    claims = []
    if "sigmoid" in settings.heads:
        claims.append(_binary_claim(summary["binary"]))
        claims.append(_regression_claim(summary["regression"]))
    bounded_below = [name for name in ("relu", "softplus") if name in settings.heads]
    for task in ("positive", "count"):
        claims.append(_non_negative_claim(task, summary[task], bounded_below))
    return claims


def _binary_claim(summary: dict) -> Claim:
    linear, sigmoid = summary["linear"], summary["sigmoid"]
    measured = (
        f"on the test set, {linear['outside_share']:.1%} of the linear head's "
        f"predictions fell outside [0, 1] (from {linear['min_prediction']:.2f} "
        f"to {linear['max_prediction']:.2f} over all seeds) and "
        f"{sigmoid['outside_share']:.1%} of the sigmoid head's; accuracy "
        f"{linear['accuracy']:.3f} against {sigmoid['accuracy']:.3f}"
    )
    return Claim(
        "A linear head trained on 0/1 labels predicts values outside [0, 1], "
        "and a sigmoid head does not",
        measured,
        linear["outside_share"] > 0 and sigmoid["outside_share"] == 0,
    )


def _regression_claim(summary: dict) -> Claim:
    linear, sigmoid = summary["linear"], summary["sigmoid"]
    measured = (
        f"test R² {sigmoid['r2']:.3f} with a sigmoid head against "
        f"{linear['r2']:.3f} with a linear head. No prediction in [0, 1] can "
        f"score above {sigmoid['r2_ceiling']:.3f} on these targets"
    )
    return Claim(
        "A sigmoid head caps R² on a standardised target, because it cannot "
        "predict values outside (0, 1)",
        measured,
        sigmoid["r2"] < linear["r2"] and sigmoid["r2"] <= sigmoid["r2_ceiling"],
    )


def _non_negative_claim(task: str, summary: dict, bounded_below: list[str]) -> Claim:
    linear = summary["linear"]
    parts = [
        f"{linear['outside_share']:.1%} of the linear head's test predictions "
        f"were negative (the lowest {linear['min_prediction']:.2f})"
    ]
    for name in bounded_below:
        parts.append(f"{summary[name]['outside_share']:.1%} of the {name} head's")
    held = linear["outside_share"] > 0 and all(
        summary[name]["outside_share"] == 0 for name in bounded_below
    )
    names = " and ".join(bounded_below) or "bounded"
    return Claim(
        f"A linear head makes negative predictions on a non-negative target "
        f"({task}), and {names} heads do not",
        ", ".join(parts),
        held,
    )


def plot(result: ExperimentResult, directory: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, grid = plt.subplots(2, 2, figsize=(11, 8.5))
    panels = dict(zip(result.data["examples"], grid.flat, strict=False))
    for name, axes in panels.items():
        example = result.data["examples"][name]
        if name == "binary":
            _plot_binary(axes, example)
        else:
            _plot_scatter(axes, example)
        title = f"{name}: {result.data['tasks'][name]['description']}"
        axes.set_title(textwrap.fill(title, 48), fontsize="medium")
    figure.suptitle(f"{result.title} (test set, seed {result.seeds[0]})")
    figure.tight_layout()
    path = Path(directory) / "heads.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return [path]


def _plot_binary(axes, example: dict) -> None:
    values = np.concatenate(list(example["predictions"].values()))
    bins = np.linspace(min(values.min(), 0.0), max(values.max(), 1.0), 40)
    for label, predictions in example["predictions"].items():
        axes.hist(predictions, bins=bins, histtype="step", linewidth=1.4, label=label)
    axes.axvspan(0.0, 1.0, color="grey", alpha=0.12)
    axes.set(xlabel="prediction (shaded: [0, 1])", ylabel="test examples")
    axes.legend(fontsize="small")


def _plot_scatter(axes, example: dict) -> None:
    target = np.asarray(example["target"])
    for label, predictions in example["predictions"].items():
        axes.scatter(target, predictions, s=9, alpha=0.7, label=label)
    low, high = target.min(), target.max()
    axes.plot([low, high], [low, high], color="black", linewidth=0.8)
    axes.axhline(0.0, color="grey", linestyle="--", linewidth=0.8)
    axes.set(xlabel="target (line: prediction = target)", ylabel="prediction")
    axes.legend(fontsize="small")


HEADS = register(
    Experiment(
        name="heads",
        title="Output heads: what each output activation can predict",
        summary="Trains one small network with linear, sigmoid, ReLU and "
        "softplus heads on a binary, a real-valued and two non-negative "
        "targets, and measures the predictions that fall outside each "
        "target's range and the R² that a bounded head loses.",
        source="",
        settings=HeadsSettings,
        run=run,
        plot=plot,
    )
)
