"""The training loop, its per-epoch records, and evaluation."""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from threadpoolctl import threadpool_limits

from actlab.errors import ActlabWarning, TrainingDivergedError

from ._fast import Trainer
from ._layers import Network
from ._losses import Loss, get_loss
from ._optim import Optimiser, Penalty
from ._phases import _backward, _forward, prepare_targets

if TYPE_CHECKING:
    from actlab.diagnostics import Diagnosis

SINGLE_THREAD_MAX_WIDTH = 512
"""``train`` limits BLAS to one thread when every width, inputs included, is below this.

In a trial on a busy 2-core machine (NumPy 2.4 with OpenBLAS, timing one
training step), two threads made a 64-256-256-1 network on batches of 64 many
times slower and helped only from width 512 on. The threshold is an estimate
from that trial. For throughput with small networks, run several processes.
"""

STATS_MAX_EXAMPLES = 1000
"""Maximum number of training examples for per-epoch statistics (a fixed subsample)."""


@dataclass
class EpochRecord:
    """The state of a training run at the end of one epoch.

    ``loss`` and ``metric`` are over the whole training set after the epoch's
    last update (``metric_name`` is ``"accuracy"`` or ``"r2"``), and
    ``batch_loss`` is the mean of the epoch's batch losses, each taken before
    its update. ``stats`` has the per-layer statistics, from at most
    ``STATS_MAX_EXAMPLES`` training examples, on the epochs that compute them.
    Epoch 0 is the state before training.
    """

    epoch: int
    steps: int
    loss: float
    metric_name: str
    metric: float
    learning_rate: float
    batch_loss: float | None = None
    penalty: float = 0.0
    eval_loss: float | None = None
    eval_metric: float | None = None
    stats: Diagnosis | None = field(default=None, repr=False)

    @property
    def grad_norms(self) -> list[float | None] | None:
        return None if self.stats is None else self.stats.grad_norms

    @property
    def dead_fractions(self) -> list[float | None] | None:
        return None if self.stats is None else self.stats.dead_fractions

    @property
    def saturated_fractions(self) -> list[float | None] | None:
        return None if self.stats is None else self.stats.saturated_fractions

    @property
    def activation_means(self) -> list[float] | None:
        return None if self.stats is None else self.stats.activation_means

    @property
    def activation_stds(self) -> list[float] | None:
        return None if self.stats is None else self.stats.activation_stds

    def to_dict(self) -> dict[str, Any]:
        """Return the record as plain Python values."""
        return {
            "epoch": self.epoch,
            "steps": self.steps,
            "loss": self.loss,
            "metric_name": self.metric_name,
            "metric": self.metric,
            "learning_rate": self.learning_rate,
            "batch_loss": self.batch_loss,
            "penalty": self.penalty,
            "eval_loss": self.eval_loss,
            "eval_metric": self.eval_metric,
            "stats": None if self.stats is None else self.stats.to_dict(),
        }


@dataclass
class History:
    """The records of a training run: ``initial`` (epoch 0) and one per epoch."""

    loss_name: str
    metric_name: str
    initial: EpochRecord
    epochs: list[EpochRecord] = field(default_factory=list)
    stopped_early: bool = False

    @property
    def losses(self) -> list[float]:
        return [record.loss for record in self.epochs]

    @property
    def metrics(self) -> list[float]:
        return [record.metric for record in self.epochs]

    @property
    def eval_losses(self) -> list[float | None]:
        return [record.eval_loss for record in self.epochs]

    @property
    def eval_metrics(self) -> list[float | None]:
        return [record.eval_metric for record in self.epochs]

    @property
    def last(self) -> EpochRecord:
        """The latest record: the last epoch's, or ``initial`` before any."""
        return self.epochs[-1] if self.epochs else self.initial

    def to_dict(self) -> dict[str, Any]:
        """Return the history as plain Python values."""
        return {
            "loss_name": self.loss_name,
            "metric_name": self.metric_name,
            "initial": self.initial.to_dict(),
            "epochs": [record.to_dict() for record in self.epochs],
            "stopped_early": self.stopped_early,
        }


def evaluate(net: Network, X: Any, y: Any, loss: str | Loss) -> tuple[float, float]:
    """Return the mean loss and the metric of ``net`` on ``X`` and ``y``.

    The metric is the accuracy for the cross-entropy losses and R² for
    ``mse``.
    """
    loss = get_loss(loss)
    x = net.check_inputs(X)
    return _evaluate(net, x, prepare_targets(net, y, loss, len(x)), loss)


def _evaluate(
    net: Network, x: np.ndarray, target: np.ndarray, loss: Loss
) -> tuple[float, float]:
    output = _forward(net, x).output
    return loss.value(output, target), loss.metric(output, target)


def train(
    net: Network,
    X: Any,
    y: Any,
    loss: str | Loss,
    optimiser: Optimiser,
    epochs: int,
    batch_size: int,
    seed: int | None = 0,
    penalty: Penalty | None = None,
    callback: Callable[[EpochRecord], bool | None] | None = None,
    X_eval: Any = None,
    y_eval: Any = None,
    stats_every: int = 1,
) -> History:
    """Train ``net`` in place with minibatch steps, and return the epoch records.

    Parameters
    ----------
    net : Network
    X, y : array-like
        Training inputs ``(n, n_inputs)`` and their targets for ``loss``.
    loss : str or Loss
        ``"bce"``, ``"softmax_ce"`` or ``"mse"``.
    optimiser : Optimiser
        Its ``learning_rate`` may be changed between epochs, from ``callback``.
    epochs, batch_size : int
        The number of passes over the data and the examples per step. The last
        batch of an epoch is smaller when ``batch_size`` does not divide n.
    seed : int or None
        Seeds the shuffling of each epoch's minibatches and the statistics
        subsample. The same seed, data and initial network give the same
        weights and records, bit for bit.
    penalty : Penalty, optional
        L1 and L2 penalties on the weights.
    callback : callable, optional
        Called with each epoch's record. Returning ``False`` stops training.
    X_eval, y_eval : array-like, optional
        Held-out data, evaluated at the end of every epoch.
    stats_every : int
        Compute per-layer statistics every this many epochs (0 for never).

    Raises
    ------
    TrainingDivergedError
        When a loss becomes NaN or infinite. The network's weights are then
        those of the last step with a finite loss, the optimiser is reset, and
        the error carries the history so far.

    Notes
    -----
    BLAS runs on one thread during training when every layer is narrower than
    ``SINGLE_THREAD_MAX_WIDTH`` units.
    """
    run = _TrainingRun(
        net, get_loss(loss), optimiser, penalty, seed, _check_every(stats_every)
    )
    run.set_data(X, y, batch_size, X_eval, y_eval)
    epochs = _check_count("epochs", epochs, minimum=0)
    limit_threads = max(net.sizes) < SINGLE_THREAD_MAX_WIDTH
    blas = threadpool_limits(1, "blas") if limit_threads else contextlib.nullcontext()
    # NumPy's overflow warnings are silenced because a loss that stops being
    # finite raises TrainingDivergedError, which names the step and the cause.
    with blas, np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return run.run(epochs, callback)


def _check_count(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"invalid {name} {value!r}: expected an integer")
    if value < minimum:
        raise ValueError(f"invalid {name} {value}: expected at least {minimum}")
    return int(value)


def _check_every(stats_every: Any) -> int:
    return _check_count("stats_every", 0 if stats_every is None else stats_every, 0)


def _check_finite(x: np.ndarray, name: str) -> None:
    if not np.isfinite(x).all():
        row = int(np.argwhere(~np.isfinite(x))[0][0])
        raise ValueError(
            f"{name} contains NaN or infinity at row {row}: remove or impute "
            "those values before training"
        )


class _TrainingRun:
    """The state of one ``train`` call: data, generators, history, backup."""

    def __init__(
        self,
        net: Network,
        loss: Loss,
        optimiser: Optimiser,
        penalty: Penalty | None,
        seed: int | None,
        stats_every: int,
    ):
        self.net = net
        self.loss = loss
        self.optimiser = optimiser
        self.penalty = penalty
        self.stats_every = stats_every
        shuffle_seed, stats_seed = np.random.SeedSequence(seed).spawn(2)
        self.shuffle_rng = np.random.default_rng(shuffle_seed)
        self.stats_rng = np.random.default_rng(stats_seed)
        self.steps = 0
        self.backup = net.parameters.copy()
        self.history: History | None = None

    def set_data(self, X, y, batch_size, X_eval, y_eval) -> None:
        self.x = self.net.check_inputs(X)
        _check_finite(self.x, "X")
        self.target = prepare_targets(self.net, y, self.loss, len(self.x))
        self.batch_size = self._batch_size(batch_size)
        self.evaluation = None
        if (X_eval is None) != (y_eval is None):
            raise ValueError("pass both X_eval and y_eval, or neither")
        if X_eval is not None:
            x_eval = self.net.check_inputs(X_eval)
            _check_finite(x_eval, "X_eval")
            target = prepare_targets(self.net, y_eval, self.loss, len(x_eval))
            self.evaluation = (x_eval, target)
        self.stats_x, self.stats_target = self._stats_subsample()
        # The exact slopes make every step equal, bit for bit, to nn.step.
        self.trainer = Trainer(
            self.net,
            self.loss,
            self.optimiser,
            self.penalty,
            batch_size=self.batch_size,
            slopes_from_output=False,
        )

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

    def _stats_subsample(self) -> tuple[np.ndarray, np.ndarray]:
        n = len(self.x)
        if n <= STATS_MAX_EXAMPLES:
            return self.x, self.target
        rows = np.sort(self.stats_rng.choice(n, STATS_MAX_EXAMPLES, replace=False))
        return self.x[rows], self.target[rows]

    def run(self, epochs: int, callback) -> History:
        self.history = History(
            self.loss.name, self.loss.metric_name, self._record(0, [])
        )
        for epoch in range(1, epochs + 1):
            batch_losses = self._run_epoch(epoch)
            record = self._record(epoch, batch_losses)
            self.history.epochs.append(record)
            if callback is not None and callback(record) is False:
                self.history.stopped_early = True
                break
        return self.history

    def _run_epoch(self, epoch: int) -> list[float]:
        order = self.shuffle_rng.permutation(len(self.x))
        x, target = self.x[order], self.target[order]
        losses = []
        size = self.batch_size
        for batch, start in enumerate(range(0, len(x), size), start=1):
            self.steps += 1
            value = self.trainer.step_prepared(
                x[start : start + size], target[start : start + size], self.backup
            )
            if not math.isfinite(value):
                raise self._diverged(epoch, batch, value, after_update=False)
            losses.append(value)
        return losses

    def _record(self, epoch: int, batch_losses: list[float]) -> EpochRecord:
        stats = None
        if self.stats_every and epoch % self.stats_every == 0:
            stats, stats_metric = self._stats()
        if stats is not None and self.stats_x is self.x:
            loss, metric = stats.loss, stats_metric
        else:
            loss, metric = _evaluate(self.net, self.x, self.target, self.loss)
        if not math.isfinite(loss):
            batch = len(batch_losses)
            raise self._diverged(epoch, batch, loss, after_update=True)

        record = EpochRecord(
            epoch=epoch,
            steps=self.steps,
            loss=loss,
            metric_name=self.loss.metric_name,
            metric=metric,
            learning_rate=self.optimiser.learning_rate,
            batch_loss=float(np.mean(batch_losses)) if batch_losses else None,
            penalty=self._penalty_value(),
            stats=stats,
        )
        if self.evaluation is not None:
            record.eval_loss, record.eval_metric = _evaluate(
                self.net, *self.evaluation, self.loss
            )
        return record

    def _stats(self) -> tuple[Diagnosis, float]:
        # NOTE: imported here because actlab.diagnostics builds on this package.
        from actlab.diagnostics import diagnose_pass

        trace = _forward(self.net, self.stats_x)
        grads = _backward(self.net, trace, self.stats_target, self.loss)
        metric = self.loss.metric(trace.output, self.stats_target)
        return diagnose_pass(self.net, trace, grads), metric

    def _penalty_value(self) -> float:
        if self.penalty is None:
            return 0.0
        return self.penalty.value(self.net.parameters[: self.net.n_weights])

    def _diverged(
        self, epoch: int, batch: int, value: float, after_update: bool
    ) -> TrainingDivergedError:
        # The backup contains the weights in use at the last step whose loss
        # was finite, because the update that followed broke the network.
        self.net.parameters = self.backup
        self.optimiser.reset()
        cause = self._likely_cause()
        if self.steps == 0:
            message = (
                f"training cannot start: the loss of the initial network is "
                f"{value}. {cause}"
            )
        else:
            last_finite = self.steps if after_update else self.steps - 1
            if after_update:
                where = f"after the update of epoch {epoch}, batch {batch}"
            else:
                where = f"at epoch {epoch}, batch {batch}"
            restored = f"the weights it had at step {last_finite}"
            if last_finite <= 1:
                restored = "its initial weights"
            message = (
                f"training diverged {where} (step {self.steps}): the training "
                f"loss became {value}. {cause} The network was restored to "
                f"{restored}, the last with a finite loss."
            )
        return TrainingDivergedError(
            message,
            epoch=epoch,
            batch=batch,
            step=self.steps,
            loss=value,
            cause=cause,
            history=self.history,
        )

    def _likely_cause(self) -> str:
        if self.steps == 0:
            return self._initial_cause()
        rate = self.optimiser.learning_rate
        return (
            f"The learning rate {rate:g} is probably too high, so try "
            f"{rate / 10:g} or lower."
        )

    def _initial_cause(self) -> str:
        output = np.abs(_forward(self.net, self.x).output)
        largest_output = float(output.max()) if np.isfinite(output).all() else np.inf
        largest = float(np.abs(self.target).max())
        if largest >= largest_output:
            return (
                "The network output is finite but the loss is not, so the "
                f"targets are too large for the loss (the largest |target| is "
                f"{largest:.3g}). Scale the targets, for example standardise them."
            )
        largest = float(np.abs(self.x).max())
        initialisers = sorted(
            {layer.initialiser or "not recorded" for layer in self.net.layers}
        )
        return (
            "The initial network's activations exploded, so its output is not "
            f"finite (the largest |input| is {largest:.3g}, the initialisers "
            f"are {', '.join(initialisers)}). Standardise the inputs or use an "
            "initialiser with a smaller variance."
        )
