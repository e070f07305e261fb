"""Failure-mode scenarios, each produced for real in the engine.

A scenario runs in four steps:

1. ``trigger(seed)`` builds and trains a small network that shows the
   failure, on a real dataset from ``actlab.data``;
2. the result carries the live statistics (``actlab.diagnostics`` before and
   after training, and the training history);
3. the learner picks a diagnosis and a remedy from options, and
   ``score_choice`` gives the reason each wrong option is wrong;
4. ``apply(remedy_id, seed)`` reruns the same setup and seed with the remedy.

``failed`` and ``recovered`` come from measured statistics by the criterion
that each scenario states in ``criterion``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from actlab import data, diagnostics, nn
from actlab.errors import TrainingDivergedError

STATS_EXAMPLES = 300
"""Number of training examples that the before and after statistics use."""


@dataclass(frozen=True)
class Setup:
    """A small, fixed training setup: data, network, initialisation, optimiser.

    ``standardise`` scales the inputs to mean 0 and standard deviation 1. A
    regression target is always standardised. ``weight_scale`` multiplies
    every initial weight after the initialiser has drawn it.
    """

    dataset: str
    sizes: tuple[int, ...]
    loss: str
    hidden: str = "relu"
    output: str = "linear"
    initialiser: str | None = None
    weight_scale: float = 1.0
    bias: float = 0.0
    standardise: bool = True
    learning_rate: float = 0.001
    epochs: int = 10
    batch_size: int = 32


@dataclass(frozen=True)
class Option:
    """A diagnosis or a remedy to choose, with why it is right or wrong.

    A remedy's ``changes`` are the setup fields it sets when applied.
    """

    id: str
    text: str
    correct: bool
    reason: str
    changes: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class ScenarioResult:
    """One run of a scenario: its setup, statistics and the criterion's verdict.

    ``measures`` has the numbers that the criterion reads. ``recovered`` is
    ``None`` for the trigger run, and ``failed`` is the criterion applied to
    this run, remedied or not.
    """

    scenario: str
    remedy: str | None
    seed: int
    setup: Setup
    criterion: str
    measures: dict[str, float | bool]
    failed: bool
    recovered: bool | None
    before: diagnostics.Diagnosis
    after: diagnostics.Diagnosis
    history: nn.History | None


@dataclass(frozen=True)
class ChoiceScore:
    """The score of a learner's diagnosis and remedy, with the reasons."""

    diagnosis_correct: bool
    remedy_correct: bool
    score: float
    feedback: tuple[str, ...]
    error: str | None = None


@functools.cache
def _arrays(name: str, standardise: bool) -> tuple[np.ndarray, np.ndarray]:
    dataset = data.load(name)
    X = np.asarray(dataset.X, dtype=float)
    y = np.asarray(dataset.y)
    if standardise:
        scale = X.std(axis=0)
        X = (X - X.mean(axis=0)) / np.where(scale > 0, scale, 1.0)
    if dataset.task.value == "regression":
        y = (y - y.mean()) / y.std()
    # The cache shares these arrays between runs, so they are made read-only.
    X, y = X.copy(), y.copy()
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


def _hidden(values: list[float | None]) -> list[float]:
    return [0.0 if value is None else value for value in values[:-1]]


def _measure(
    net: nn.Network,
    setup: Setup,
    before: diagnostics.Diagnosis,
    after: diagnostics.Diagnosis,
    diverged: bool,
) -> dict[str, float | bool]:
    X, y = _arrays(setup.dataset, setup.standardise)
    _, metric = nn.evaluate(net, X, y, setup.loss)
    output = net.predict_proba(X, setup.loss) if setup.loss == "bce" else net(X)
    stds = before.activation_stds[:-1]
    return {
        "dead_before": max(_hidden(before.dead_fractions)),
        "dead_after": max(_hidden(after.dead_fractions)),
        "saturated_after": max(_hidden(after.saturated_fractions)),
        "grad_ratio_before": before.grad_norm_ratio or 0.0,
        "activation_growth": stds[-1] / stds[0] if stds[0] > 0 else float("inf"),
        "metric": metric,
        "outside_unit_interval": float(np.mean((output < 0) | (output > 1))),
        "diverged": diverged,
    }


def run_setup(
    setup: Setup, seed: int
) -> tuple[
    dict[str, float | bool],
    diagnostics.Diagnosis,
    diagnostics.Diagnosis,
    nn.History | None,
]:
    """Build and train ``setup`` with ``seed``.

    Returns the measures, the statistics before and after training, and the
    history. A diverged run keeps the epochs completed before the loss became
    non-finite, and its history is ``None`` when the initial loss already was.
    """
    X, y = _arrays(setup.dataset, setup.standardise)
    net = nn.Network.build(
        list(setup.sizes),
        hidden=setup.hidden,
        output=setup.output,
        initialiser=setup.initialiser,
        seed=seed,
        bias=setup.bias,
    )
    if setup.weight_scale != 1.0:
        for layer in net.layers:
            layer.W[...] *= setup.weight_scale
    subset = slice(0, STATS_EXAMPLES)
    before = diagnostics.diagnose(net, X[subset], y[subset], setup.loss, bins=0)

    optimiser = nn.Adam(learning_rate=setup.learning_rate)
    try:
        history = nn.train(
            net,
            X,
            y,
            setup.loss,
            optimiser,
            setup.epochs,
            setup.batch_size,
            seed=seed,
            stats_every=0,
        )
        diverged = False
    except TrainingDivergedError as error:
        history, diverged = error.history, True
    after = diagnostics.diagnose(net, X[subset], y[subset], setup.loss, bins=0)
    return _measure(net, setup, before, after, diverged), before, after, history


@dataclass(frozen=True)
class Scenario:
    """A failure mode: its setup, its criterion, and the options to choose from.

    ``title`` and ``summary`` describe the setup without naming the failure,
    so that the learner diagnoses it; ``failure`` names it and
    ``explanation`` says how it arises, for after the choice. ``concept`` is
    the lesson concept that the choice is counted under. ``reads`` lists the
    measures that the criterion reads. ``fails`` reads a run's measures and
    returns whether the failure shows.
    ``recovers`` decides whether a remedied run has recovered; by default it
    is the failure's absence.
    """

    id: str
    title: str
    summary: str
    failure: str
    explanation: str
    concept: str
    reads: tuple[str, ...]
    setup: Setup
    criterion: str
    fails: Callable[[Mapping[str, Any]], bool]
    diagnoses: tuple[Option, ...]
    remedies: tuple[Option, ...]
    recovers: Callable[[Mapping[str, Any]], bool] | None = None

    def remedy(self, remedy_id: str) -> Option:
        """Return the remedy ``remedy_id``, or raise ``KeyError`` listing them."""
        for option in self.remedies:
            if option.id == remedy_id:
                return option
        choices = ", ".join(option.id for option in self.remedies)
        raise KeyError(f"unknown remedy {remedy_id!r}: choose one of {choices}")

    def trigger(self, seed: int = 0) -> ScenarioResult:
        """Run the failing setup with ``seed``."""
        return self._run(self.setup, None, seed)

    def apply(self, remedy_id: str, seed: int = 0) -> ScenarioResult:
        """Rerun the setup with remedy ``remedy_id`` applied, with the same seed."""
        option = self.remedy(remedy_id)
        setup = dataclasses.replace(self.setup, **option.changes)
        return self._run(setup, remedy_id, seed)

    def _run(self, setup: Setup, remedy: str | None, seed: int) -> ScenarioResult:
        measures, before, after, history = run_setup(setup, seed)
        failed = bool(self.fails(measures))
        recovered = None
        if remedy is not None:
            check = self.recovers or (lambda values: not self.fails(values))
            recovered = bool(check(measures))
        return ScenarioResult(
            self.id,
            remedy,
            seed,
            setup,
            self.criterion,
            measures,
            failed,
            recovered,
            before,
            after,
            history,
        )

    def score_choice(self, diagnosis_id: Any, remedy_id: Any) -> ChoiceScore:
        """Score a learner's diagnosis and remedy, giving each wrong one's reason.

        Unknown ids give a result with ``error`` set, never an exception.
        """
        diagnoses = {option.id: option for option in self.diagnoses}
        remedies = {option.id: option for option in self.remedies}
        known = (
            isinstance(diagnosis_id, str)
            and isinstance(remedy_id, str)
            and diagnosis_id in diagnoses
            and remedy_id in remedies
        )
        if not known:
            return ChoiceScore(
                False,
                False,
                0.0,
                (),
                error=f"unknown choice ({diagnosis_id!r}, {remedy_id!r}): pick a "
                f"diagnosis from {', '.join(diagnoses)} and a remedy from "
                f"{', '.join(remedies)}",
            )
        diagnosis, remedy = diagnoses[diagnosis_id], remedies[remedy_id]
        feedback = tuple(
            f"{option.text}: {option.reason}" for option in (diagnosis, remedy)
        )
        score = (diagnosis.correct + remedy.correct) / 2
        return ChoiceScore(diagnosis.correct, remedy.correct, score, feedback)
