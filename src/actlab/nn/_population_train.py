"""The training loop of a population, with one history per member."""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from actlab.errors import ActlabWarning

from ._losses import Loss, get_loss
from ._optim import Optimiser, Penalty
from ._phases import prepare_targets
from ._population import Population, PopulationTrainer
from ._train import (
    SINGLE_THREAD_MAX_WIDTH,
    EpochRecord,
    History,
    _check_count,
    _check_finite,
)


@dataclass
class MemberHistory(History):
    """The records of one population member, and whether it diverged.

    A diverged member's ``epochs`` end with the last epoch it completed, and
    ``divergence`` is the message that states where its loss stopped being
    finite.
    """

    diverged: bool = False
    divergence: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the history as plain Python values."""
        return {
            **super().to_dict(),
            "diverged": self.diverged,
            "divergence": self.divergence,
        }


def train_population(
    population: Population,
    X: Any,
    y: Any,
    loss: str | Loss,
    optimiser: Optimiser,
    epochs: int,
    batch_size: int,
    seed: int | Sequence[int] | None = 0,
    learning_rates: float | Sequence[float] | None = None,
    penalty: Penalty | None = None,
    X_eval: Any = None,
    y_eval: Any = None,
    callback: Callable[[list[EpochRecord | None]], bool | None] | None = None,
    slopes_from_output: bool = False,
) -> list[MemberHistory]:
    """Train every member of ``population`` in place and return their histories.

    Member i ends with the weights and records, bit for bit, that
    ``nn.train`` gives its network with the same batches and learning rate.
    With ``slopes_from_output=True``, tanh' and the ReLU slope come from the
    layer output, as in ``nn.Trainer``'s default, which is faster, and the
    weights then differ from ``nn.train``'s by rounding.

    Parameters
    ----------
    population : Population
    X, y : array-like
        Training inputs ``(n, n_inputs)`` and their targets for ``loss``.
    loss : str or Loss
    optimiser : SGD or Adam
        A template for every member, left unchanged.
    epochs, batch_size : int
        As for ``nn.train``.
    seed : int, sequence of int, or None
        One seed gives every member the minibatch order of
        ``nn.train(..., seed=seed)``. A sequence gives member i the order of
        ``nn.train(..., seed=seed[i])``.
    learning_rates : float or sequence of float, optional
        One rate for all members or one per member, in place of the
        template's rate.
    penalty : Penalty, optional
    X_eval, y_eval : array-like, optional
        Held-out data, evaluated at the end of every epoch.
    callback : callable, optional
        Called after every epoch with one record per member (``None`` for a
        diverged member). Returning ``False`` stops training.
    slopes_from_output : bool

    A member whose loss becomes NaN or infinite is restored to its weights
    of the last step with a finite loss, marked in ``population.diverged``
    and frozen, and its history records where. The others train on. A member
    frozen by an earlier run stays frozen. The records carry no per-layer
    statistics (``stats`` is ``None``).
    """
    run = _PopulationRun(population, get_loss(loss), seed)
    run.set_data(X, y, batch_size, X_eval, y_eval)
    epochs = _check_count("epochs", epochs, minimum=0)
    run.trainer = PopulationTrainer(
        population,
        run.loss,
        optimiser,
        learning_rates,
        penalty,
        batch_size=run.batch_size,
        slopes_from_output=slopes_from_output,
    )
    limit_threads = max(population.sizes) < SINGLE_THREAD_MAX_WIDTH
    blas = threadpool_limits(1, "blas") if limit_threads else contextlib.nullcontext()
    with blas, np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return run.run(epochs, callback)


class _PopulationRun:
    """The state of one ``train_population`` call."""

    trainer: PopulationTrainer

    def __init__(self, population: Population, loss: Loss, seed: Any):
        self.population = population
        self.member = population.member(0)
        self.loss = loss
        self.rngs = self._shuffle_generators(seed, len(population))
        self.steps = 0
        self.histories: list[MemberHistory] = []

    @staticmethod
    def _shuffle_generators(seed: Any, n_members: int) -> list[np.random.Generator]:
        # nn.train draws its minibatch order from the first child of its seed,
        # so the same child here gives the same order.
        if seed is None or isinstance(seed, int | np.integer):
            seeds = [seed]
        else:
            seeds = list(seed)
            if len(seeds) != n_members:
                raise ValueError(
                    f"got {len(seeds)} shuffle seeds for a population of "
                    f"{n_members}: give one seed, or one per member"
                )
        return [
            np.random.default_rng(np.random.SeedSequence(s).spawn(2)[0]) for s in seeds
        ]

    def set_data(self, X, y, batch_size, X_eval, y_eval) -> None:
        self.x = self.member.check_inputs(X)
        _check_finite(self.x, "X")
        self.target = prepare_targets(self.member, y, self.loss, len(self.x))
        self.batch_size = self._batch_size(batch_size)
        self.evaluation = None
        if (X_eval is None) != (y_eval is None):
            raise ValueError("pass both X_eval and y_eval, or neither")
        if X_eval is not None:
            x_eval = self.member.check_inputs(X_eval)
            _check_finite(x_eval, "X_eval")
            target = prepare_targets(self.member, y_eval, self.loss, len(x_eval))
            self.evaluation = (x_eval, target)

    def _batch_size(self, batch_size: Any) -> int:
        batch_size = _check_count("batch_size", batch_size, minimum=1)
        n = len(self.x)
        if n == 0:
            raise ValueError("X has no rows: training needs at least one example")
        if batch_size > n:
            warnings.warn(
                f"batch_size {batch_size} is larger than the {n} training "
                f"examples, so each epoch is one batch of {n}",
                ActlabWarning,
                stacklevel=4,
            )
            batch_size = n
        return batch_size

    def run(self, epochs: int, callback) -> list[MemberHistory]:
        initial = self._records(0, None)
        self.histories = [
            MemberHistory(self.loss.name, self.loss.metric_name, record)
            for record in initial
        ]
        for index in np.flatnonzero(self.population.diverged):
            self.histories[index].diverged = True
            self.histories[index].divergence = (
                f"member {index} was frozen before this run, by an earlier "
                "divergence, so it did not train"
            )
        self._divergences(initial, 0, 0)
        for epoch in range(1, epochs + 1):
            if self.population.diverged.all():
                break
            batch_losses = self._run_epoch(epoch)
            records = self._records(epoch, batch_losses)
            self._divergences(records, epoch, len(batch_losses))
            for history, record in zip(self.histories, records, strict=True):
                if not history.diverged:
                    history.epochs.append(record)
            if callback is not None and callback(self._live(records)) is False:
                for history in self.histories:
                    history.stopped_early = True
                break
        return self.histories

    def _live(self, records: list[EpochRecord]) -> list[EpochRecord | None]:
        return [
            None if history.diverged else record
            for history, record in zip(self.histories, records, strict=True)
        ]

    def _run_epoch(self, epoch: int) -> np.ndarray:
        # One shared order gives (n, ...) batches that every member reads;
        # one order per member gives (P, n, ...) batches.
        orders = [rng.permutation(len(self.x)) for rng in self.rngs]
        stacked = len(orders) > 1
        rows = np.stack(orders) if stacked else orders[0]
        x, target = self.x[rows], self.target[rows]
        size = self.batch_size
        losses = []
        for batch, start in enumerate(range(0, len(self.x), size), start=1):
            frozen_before = self.population.diverged.copy()
            self.steps += 1
            values = self.trainer.step(
                _rows(x, start, start + size, stacked),
                _rows(target, start, start + size, stacked),
            )
            newly = self.population.diverged & ~frozen_before
            for index in np.flatnonzero(newly):
                value = float(values[index])
                self._mark(index, f"at epoch {epoch}, batch {batch}", value, False)
            losses.append(values)
        return np.array(losses)

    def _records(
        self, epoch: int, batch_losses: np.ndarray | None
    ) -> list[EpochRecord]:
        outputs = self.population(self.x)
        if self.evaluation is not None:
            eval_outputs = self.population(self.evaluation[0])
        rates = self.trainer.learning_rates
        records = []
        for i, output in enumerate(outputs):
            record = EpochRecord(
                epoch=epoch,
                steps=self.steps,
                loss=self.loss.value(output, self.target),
                metric_name=self.loss.metric_name,
                metric=self.loss.metric(output, self.target),
                learning_rate=float(rates[i]),
                batch_loss=None,
                penalty=self._penalty_value(i),
            )
            if batch_losses is not None and len(batch_losses):
                record.batch_loss = float(np.mean(batch_losses[:, i]))
            if self.evaluation is not None:
                target = self.evaluation[1]
                record.eval_loss = self.loss.value(eval_outputs[i], target)
                record.eval_metric = self.loss.metric(eval_outputs[i], target)
            records.append(record)
        return records

    def _penalty_value(self, index: int) -> float:
        penalty = self.trainer.penalty
        if penalty is None:
            return 0.0
        weights = self.population.parameters[index, : self.population.n_weights]
        return penalty.value(weights)

    def _divergences(self, records: list[EpochRecord], epoch: int, batch: int) -> None:
        failed = np.array([not math.isfinite(r.loss) for r in records])
        newly = self.trainer.freeze(failed)
        for index in np.flatnonzero(newly):
            value = records[index].loss
            if epoch == 0:
                self._mark(index, "", value, True)
            else:
                where = f"after the update of epoch {epoch}, batch {batch}"
                self._mark(index, where, value, True)

    def _mark(self, index: int, where: str, value: float, after_update: bool) -> None:
        rate = float(self.trainer.learning_rates[index])
        if not where:
            message = (
                f"member {index} cannot start training: the loss of its initial "
                f"weights is {value}. Standardise the inputs and scale the "
                "targets, or use an initialiser with a smaller variance."
            )
        else:
            last_finite = self.steps if after_update else self.steps - 1
            restored = f"its weights at step {last_finite}"
            if last_finite <= 1:
                restored = "its initial weights"
            message = (
                f"member {index} diverged {where} (step {self.steps}): its "
                f"training loss became {value}. Its learning rate {rate:g} is "
                f"probably too high, so try {rate / 10:g} or lower. It was "
                f"restored to {restored}, the last with a finite loss, and frozen."
            )
        history = self.histories[index]
        history.diverged = True
        history.divergence = message


def _rows(array: np.ndarray, start: int, stop: int, stacked: bool) -> np.ndarray:
    return array[:, start:stop] if stacked else array[start:stop]
