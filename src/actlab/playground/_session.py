"""A training session: the data, the network, its optimiser and its history.

The session trains with its own loop over the engine's parts (the layers'
activation records, ``Loss.value_and_gradient``, ``Optimiser.apply`` and
``Penalty.add_gradient``), because the playground runs epochs in slices
between frames and must keep the last finite weights when a run diverges.
Every public method holds the session's lock, so a worker thread that trains
and a control that changes the learning rate never interleave inside a step.
"""

from __future__ import annotations

import functools
import io
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

from actlab import activations, data, nn

from . import _frames
from ._features import transform
from ._state import InvalidField, PlaygroundState, check_edits, resolve_head

MAX_HISTORY = 4000
MOMENTUM = 0.9
TFP_WEIGHT_LIMIT = 0.5
TFP_BIAS = 0.1
CSV_MARGIN = 0.5  # CSV features are scaled into [-6 + margin, 6 - margin]


@dataclass(frozen=True)
class Head:
    """The output layer and loss of a session, and how targets are coded."""

    output: str  # what the user chose: sigmoid, softmax, tanh, linear...
    loss: nn.Loss
    layer_activation: str  # the network's last layer ("linear" for logits)
    labels: tuple[float, float] | None  # targets of a binary set under mse

    @property
    def metric_name(self) -> str:
        return "accuracy" if self.labels is not None else self.loss.metric_name


def tfp_initialise(network: nn.Network, rng: np.random.Generator) -> None:
    """Set every weight uniform in [-0.5, 0.5] and every bias to 0.1.

    These are TensorFlow Playground's starting values, for every layer.
    """
    for layer in network.layers:
        shape = layer.W.shape
        layer.W = rng.uniform(-TFP_WEIGHT_LIMIT, TFP_WEIGHT_LIMIT, size=shape)
        layer.b = TFP_BIAS


def build_network(state: PlaygroundState, head: Head, n_outputs: int) -> nn.Network:
    """Build the state's network with fresh weights from its seed and edits."""
    rng = np.random.default_rng(state.seed)
    initialiser = None if state.init in ("auto", "tfp") else state.init
    network = nn.Network.build(
        state.sizes(n_outputs),
        hidden=state.hidden_activations(),
        output=head.layer_activation,
        initialiser=initialiser,
        seed=rng,
    )
    if state.init == "tfp":
        tfp_initialise(network, rng)
    for layer, source, target, value in state.edits:
        network.layers[layer].W[source, target] = value
    return network


def make_optimiser(name: str, learning_rate: float) -> nn.Optimiser:
    """Create the optimiser ``sgd``, ``momentum`` (SGD with 0.9) or ``adam``."""
    if name == "adam":
        return nn.Adam(learning_rate=learning_rate)
    momentum = MOMENTUM if name == "momentum" else 0.0
    return nn.SGD(learning_rate=learning_rate, momentum=momentum)


def make_penalty(reg: str, rate: float) -> nn.Penalty | None:
    """Return the L1 or L2 penalty, or ``None`` for ``none`` or a zero rate."""
    if reg == "none" or rate == 0:
        return None
    return nn.Penalty(l1=rate) if reg == "l1" else nn.Penalty(l2=rate)


def load_points(state: PlaygroundState, data_seed: int) -> data.Dataset:
    """Generate the state's built-in 2-D dataset with ``data_seed``."""
    options: dict[str, Any] = {
        "n": state.points,
        "noise": state.noise / 100,
        "seed": data_seed,
    }
    return data.load(state.dataset, **options)


def prepare_csv(dataset: data.Dataset) -> data.Dataset:
    """Scale the two features of an uploaded table into the plane [-6, 6]².

    Raises ``InvalidField`` (field ``text``) unless the table has exactly two
    features and at least 4 rows.
    """
    if dataset.n_features != 2:
        raise InvalidField(
            "text",
            f"the playground draws two features, but this table has "
            f"{dataset.n_features} ({', '.join(dataset.feature_names)}); keep two "
            "numeric columns and the target",
        )
    if dataset.n_samples < 4:
        raise InvalidField(
            "text",
            f"it has {dataset.n_samples} data rows, and the playground "
            "needs at least 4 to split into train and test sets",
        )
    X = dataset.X
    low, high = X.min(axis=0), X.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    half = _frames.EXTENT - CSV_MARGIN
    scaled = (X - low) / span * (2 * half) - half
    return data.Dataset(
        X=scaled,
        y=dataset.y,
        task=dataset.task,
        feature_names=dataset.feature_names,
        target_name=dataset.target_name,
        class_names=dataset.class_names,
        name=dataset.name,
        description=dataset.description,
    )


def resolve_session_head(state: PlaygroundState, dataset: data.Dataset) -> Head:
    """Return the head for ``state`` on ``dataset``, or raise ``InvalidField``."""
    task = dataset.task.value
    output, loss_name = resolve_head(state.output, state.loss, task)
    loss = nn.get_loss(loss_name)
    layer_activation = "linear" if loss.fused_activation else output
    labels = None
    spec = activations.spec(output)
    low, high = spec.output_range
    if task == "binary" and loss_name == "mse":
        labels = (0.0, 1.0) if low >= 0 else (-1.0, 1.0)
        if not (low <= labels[0] and labels[1] <= high):
            raise _range_error(output, spec, "the labels -1 and 1")
    if task == "regression":
        y_low, y_high = float(dataset.y.min()), float(dataset.y.max())
        if y_low < low or y_high > high:
            raise _range_error(
                output, spec, f"targets from {y_low:.3g} to {y_high:.3g}"
            )
    return Head(output, loss, layer_activation, labels)


def _range_error(output: str, spec: activations.Spec, targets: str) -> InvalidField:
    return InvalidField(
        "output",
        f"invalid output={output}: its range {spec.range_text} cannot reach {targets}; "
        "choose linear (or auto) for this dataset",
    )


@functools.cache
def _blas_controller() -> ThreadpoolController:
    return ThreadpoolController()


def single_thread_blas():
    """Return a context that limits BLAS to one thread while it is open.

    With two OpenBLAS threads, the idle one spins after each small matmul and
    takes a core from the server's event loop. In one run of
    benchmarks/load_playground.py (30 sessions, 2 cores shared with other
    work), one thread cut the p99 latency of /healthz from about 300 ms to
    about 50 ms, and the sessions trained twice as many epochs.
    """
    return _blas_controller().limit(limits=1, user_api="blas")


def _tanh_slope(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    slope = a * a
    np.subtract(1.0, slope, out=slope)
    return slope


def _relu_slope(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return (z > 0).astype(z.dtype)


# Derivatives computed from the layer's output a (and z), for the hidden
# activations that TensorFlow Playground offers. tanh' = 1 - a² is what the
# registry's tanh' gives up to rounding, at a tenth of its cost on a 10 x 8
# batch; where a rounds to ±1 it gives 0 instead of a value below 1e-16. The
# ReLU slope at z = 0 is 0, as in the registry record.
_SLOPES_FROM_OUTPUT = {"tanh": _tanh_slope, "relu": _relu_slope}


def _fast_functions(layer: nn.Dense):
    # The record's own functions skip the dtype checks of Activation.__call__,
    # which cost about as much as a small layer's matmul.
    activation = layer.activation
    value, derivative = activation.spec.value, activation.spec.derivative
    if activation.params:
        value = functools.partial(value, **activation.params)
        derivative = functools.partial(derivative, **activation.params)
    slope = _SLOPES_FROM_OUTPUT.get(activation.name)
    if slope is None:
        slope = functools.partial(_slope_from_z, derivative)
    return activation.name == "linear", value, slope


def _slope_from_z(derivative, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return derivative(z)


class Session:
    """One learner's playground: configure, train in slices, and report frames.

    Raises ``InvalidField`` from every method that takes user values, and
    leaves the session unchanged when it does.
    """

    def __init__(self, state: PlaygroundState | None = None, session_id: str = ""):
        self.id = session_id
        self.lock = threading.RLock()
        self.playing = False
        self.visible = True
        self.uploaded: data.Dataset | None = None
        self.configure(state or PlaygroundState())

    # --- configuration ---------------------------------------------------

    def configure(self, state: PlaygroundState) -> None:
        """Replace the data and the network from ``state``, and reset to epoch 0."""
        with self.lock:
            dataset = self._dataset(state, state.seed)
            head = resolve_session_head(state, dataset)
            n_outputs = dataset.n_classes if head.loss.name == "softmax_ce" else 1
            check_edits(state.edits, state.sizes(n_outputs))
            self.state = state
            self.head = head
            self.n_outputs = n_outputs
            self.data_seed = state.seed
            self._use_data(dataset)
            self.reset()

    def _dataset(self, state: PlaygroundState, data_seed: int) -> data.Dataset:
        if state.dataset != "csv":
            return load_points(state, data_seed)
        if self.uploaded is None:
            raise InvalidField(
                "dataset",
                "no CSV file uploaded yet: upload one first, or "
                "choose circle, xor, gauss, spiral, plane, multigauss or blobs",
            )
        return self.uploaded

    def _use_data(self, dataset: data.Dataset) -> None:
        test_fraction = 1.0 - self.state.ratio / 100
        train, test = data.split(dataset, test_fraction, seed=self.data_seed)
        self.train_set, self.test_set = train, test
        features = self.state.features
        self.X_train = transform(np.asarray(train.X), features)
        self.X_test = transform(np.asarray(test.X), features)
        self.T_train = self._targets(train)
        self.T_test = self._targets(test)
        self._order = None  # an epoch in progress restarts on the new sample

    def _targets(self, dataset: data.Dataset) -> np.ndarray:
        y = np.asarray(dataset.y)
        if self.head.labels is not None:
            low, high = self.head.labels
            y = np.where(y == 1, high, low)
        return self.head.loss.prepare(y, self.n_outputs, np.float64)

    def reset(self) -> None:
        """Draw fresh weights from the seed, clear the history, go to epoch 0."""
        with self.lock:
            self.network = build_network(self.state, self.head, self.n_outputs)
            self.optimiser = make_optimiser(self.state.opt, self.state.lr)
            self.penalty = make_penalty(self.state.reg, self.state.rate)
            self.rng = np.random.default_rng([self.state.seed, 1])
            self.epoch = 0
            self.steps = 0
            self.playing = False
            self.history: dict[str, list] = {
                key: []
                for key in (
                    "epoch",
                    "train_loss",
                    "test_loss",
                    "train_metric",
                    "test_metric",
                    "grad_norms",
                )
            }
            self.sent = 0
            self.full_next = True
            self._prepare_loop()
            self._record()

    def regenerate(self) -> None:
        """Draw a new data sample (the next data seed) and keep the network."""
        with self.lock:
            if self.state.dataset == "csv":
                raise InvalidField(
                    "type",
                    "cannot regenerate an uploaded CSV table: its rows are fixed; "
                    "upload another file or choose a generated dataset",
                )
            self.data_seed = (self.data_seed + 1) % (2**31)
            self._use_data(self._dataset(self.state, self.data_seed))
            self._record(replace=True)

    def upload_csv(self, text: str, target: str) -> None:
        """Load the learner's CSV table and switch the session to it.

        Raises ``InvalidField`` (field ``text``) with the loader's message.
        """
        try:
            # A text stream, so that the text is always read as CSV content:
            # a one-line string would otherwise be taken for a file path.
            table = data.load_csv(io.StringIO(text), target, name="upload")
        except (ValueError, TypeError) as error:
            raise InvalidField("text", str(error)) from None
        prepared = prepare_csv(table)
        with self.lock:
            previous, self.uploaded = self.uploaded, prepared
            try:
                self.configure(self.state.replace(dataset="csv", edits=""))
            except InvalidField:
                self.uploaded = previous
                raise

    # --- controls without a reset --------------------------------------

    def set_learning_rate(self, value: Any) -> None:
        """Change the learning rate; the next step uses it."""
        with self.lock:
            state = self.state.replace(lr=value)
            self.optimiser.learning_rate = state.lr
            self.state = state

    def set_regularisation(self, reg: Any = None, rate: Any = None) -> None:
        """Change the penalty kind and/or its rate; the next step uses it."""
        with self.lock:
            changes = {}
            if reg is not None:
                changes["reg"] = reg
            if rate is not None:
                changes["rate"] = rate
            state = self.state.replace(**changes)
            self.penalty = make_penalty(state.reg, state.rate)
            self.state = state

    def set_batch(self, value: Any) -> None:
        """Change the batch size; the next epoch uses it."""
        with self.lock:
            self.state = self.state.replace(batch=value)

    def edit_weight(self, layer: Any, source: Any, target: Any, value: Any) -> None:
        """Set one weight, and record the edit in the state for the URL."""
        with self.lock:
            sizes = self.network.sizes
            layer = _index("layer", layer, len(sizes) - 2)
            source = _index("from", source, sizes[layer] - 1)
            target = _index("to", target, sizes[layer + 1] - 1)
            try:
                number = float(value) if not isinstance(value, bool) else math.nan
            except (TypeError, ValueError):
                number = math.nan
            if not (math.isfinite(number) and abs(number) <= 1e6):
                raise InvalidField(
                    "value",
                    f"invalid new weight ('value') {value!r}: expected a finite number",
                )
            edits = {(e[0], e[1], e[2]): e[3] for e in self.state.edits}
            edits[(layer, source, target)] = number
            text = ";".join(f"{a}.{b}.{c}:{v!r}" for (a, b, c), v in edits.items())
            self.state = self.state.replace(edits=text)
            self.network.layers[layer].W[source, target] = number
            # A divergence restores the weights at the start of the epoch, so
            # the next step starts a new epoch that includes this edit.
            self._order = None
            self._record(replace=True)

    # --- training --------------------------------------------------------

    def _prepare_loop(self) -> None:
        network = self.network
        self._layers = [(layer, *_fast_functions(layer)) for layer in network.layers]
        self._grad = np.empty(network.n_parameters)
        views = network.split(self._grad)
        self._dW = views[: len(network.layers)]
        self._db = views[len(network.layers) :]
        self._backup = np.empty(network.n_parameters)
        self._order: np.ndarray | None = None
        self._position = 0

    def _forward(self, x: np.ndarray) -> tuple[list, list]:
        zs, outputs = [], []
        a = x
        for layer, identity, value, _ in self._layers:
            z = a @ layer.W
            z += layer.b
            a = z if identity else value(z)
            zs.append(z)
            outputs.append(a)
        return zs, outputs

    def _step(self, x: np.ndarray, target: np.ndarray) -> float:
        zs, outputs = self._forward(x)
        loss, da = self.head.loss.value_and_gradient(outputs[-1], target)
        if not math.isfinite(loss):
            return loss
        self._backward(x, zs, outputs, da)
        network = self.network
        if self.penalty is not None:
            n = network.n_weights
            self.penalty.add_gradient(network.parameters[:n], self._grad[:n])
        self.optimiser.apply(network.parameters, self._grad)
        return loss

    def _backward(self, x, zs, outputs, da) -> None:
        for i in range(len(self._layers) - 1, -1, -1):
            layer, identity, _, derivative = self._layers[i]
            dz = da if identity else da * derivative(zs[i], outputs[i])
            np.matmul(outputs[i - 1].T if i else x.T, dz, out=self._dW[i])
            np.add.reduce(dz, axis=0, out=self._db[i])
            if i:
                da = dz @ layer.W.T

    def run_epoch(self) -> str | None:
        """Train to the end of the current epoch; return ``None`` or why it diverged.

        A diverging epoch is undone: the weights go back to their values at
        its start, the optimiser state is cleared, and the session pauses.
        """
        while True:
            finished, reason = self._advance(None)
            if finished or reason is not None:
                return reason

    def _advance(self, deadline: float | None) -> tuple[bool, str | None]:
        # Run steps of the current epoch until it ends or the perf_counter
        # deadline passes. Returns whether the epoch ended, and the reason of
        # a divergence. Overflow is expected in a diverging run, and it is
        # caught from the loss and the weights, so NumPy's warnings are off.
        with self.lock, np.errstate(all="ignore"):
            network = self.network
            if self._order is None:
                np.copyto(self._backup, network.parameters)
                self._order = self.rng.permutation(len(self.X_train))
                self._position = 0
            order = self._order
            while self._position < len(order):
                rows = order[self._position : self._position + self.state.batch]
                loss = self._step(self.X_train[rows], self.T_train[rows])
                self._position += len(rows)
                self.steps += 1
                if not math.isfinite(loss):
                    return False, self._diverged(loss)
                if deadline is not None and time.perf_counter() >= deadline:
                    break
            if self._position < len(order):
                return False, None
            return True, self._end_epoch()

    def _end_epoch(self) -> str | None:
        self._order = None
        if not np.isfinite(self.network.parameters).all():
            return self._diverged(math.nan)
        self.epoch += 1
        self._record()
        loss = self.history["train_loss"][-1]
        if not math.isfinite(loss):
            self.epoch -= 1
            self._drop_last()
            return self._diverged(loss)
        return None

    def _diverged(self, loss: float) -> str:
        np.copyto(self.network.parameters, self._backup)
        self._order = None
        self.optimiser.reset()
        self.playing = False
        return (
            f"training diverged in epoch {self.epoch + 1}: the loss became {loss} "
            f"with learning rate {self.state.lr:g} ({self.state.opt}). The likely "
            "cause is a learning rate too large for this network; lower it and "
            "press play. The weights are those at the end of epoch "
            f"{self.epoch}."
        )

    def _drop_last(self) -> None:
        for values in self.history.values():
            values.pop()
        self.sent = min(self.sent, len(self.history["epoch"]))

    def train_for(
        self, budget: float, max_epochs: int = 10_000
    ) -> tuple[int, str | None]:
        """Train for ``budget`` seconds or ``max_epochs`` epochs, whichever is first.

        A slice may stop inside an epoch, and the next call goes on from
        there, so a slice stays near its budget even when one epoch takes
        longer (batch size 1 on 2,000 points). An infinite budget runs
        ``max_epochs`` whole epochs. Returns the number of epochs completed
        and the reason of a divergence, if one stopped the run.
        """
        deadline = time.perf_counter() + budget if math.isfinite(budget) else None
        done = 0
        with single_thread_blas():
            while done < max_epochs:
                finished, reason = self._advance(deadline)
                if reason is not None:
                    return done, reason
                done += finished
                if deadline is not None and time.perf_counter() >= deadline:
                    break
        return done, None

    # --- evaluation and frames -----------------------------------------

    def _evaluate(self, x: np.ndarray, target: np.ndarray) -> tuple[float, float]:
        _, outputs = self._forward(x)
        output = outputs[-1]
        loss = self.head.loss.value(output.copy(), target)
        return loss, self._metric(output, target)

    def _metric(self, output: np.ndarray, target: np.ndarray) -> float:
        if not np.isfinite(output).all():
            return math.nan
        if self.head.labels is not None:
            middle = sum(self.head.labels) / 2
            return float(np.mean((output > middle) == (target > middle)))
        return float(self.head.loss.metric(output, target))

    def _evaluate_train(self) -> tuple[float, float, list[float]]:
        # One pass gives the training loss, the metric and the full-batch
        # gradient norm of every layer's weights.
        zs, outputs = self._forward(self.X_train)
        output = outputs[-1]
        metric = self._metric(output, self.T_train)
        loss, da = self.head.loss.value_and_gradient(output.copy(), self.T_train)
        if not math.isfinite(loss):
            return loss, metric, [math.nan] * len(self._dW)
        self._backward(self.X_train, zs, outputs, da)
        return loss, metric, [math.sqrt(float(np.vdot(dW, dW))) for dW in self._dW]

    def _record(self, replace: bool = False) -> None:
        with np.errstate(all="ignore"):
            self._append_record(replace)

    def _append_record(self, replace: bool) -> None:
        if replace and self.history["epoch"]:
            self._drop_last()
        train_loss, train_metric, grad_norms = self._evaluate_train()
        test_loss, test_metric = self._evaluate(self.X_test, self.T_test)
        history = self.history
        history["epoch"].append(self.epoch)
        history["train_loss"].append(train_loss)
        history["test_loss"].append(test_loss)
        history["train_metric"].append(train_metric)
        history["test_metric"].append(test_metric)
        history["grad_norms"].append(grad_norms)
        if len(history["epoch"]) > MAX_HISTORY:
            self._thin_history()

    def _thin_history(self) -> None:
        # Keep every other point of the older half, so a long run keeps its
        # whole curve at a coarser step, and send it whole in the next frame.
        half = len(self.history["epoch"]) // 2
        for key, values in self.history.items():
            self.history[key] = values[:half:2] + values[half:]
        self.full_next = True

    def predict_map(self, output: np.ndarray) -> np.ndarray:
        """Turn last-layer outputs into what the output map shows.

        A probability of class 1 for ``bce``, the class index for softmax,
        and the output value otherwise.
        """
        if self.head.loss.name == "bce":
            return 1.0 / (1.0 + np.exp(-np.clip(output[:, 0], -500, 500)))
        if self.head.loss.name == "softmax_ce":
            return output.argmax(axis=1).astype(np.float64)
        return output[:, 0]

    def frame(self, grid: _frames.Grid, full: bool = False) -> dict[str, Any]:
        """Return the frame message: losses, history, maps, weights and stats."""
        with self.lock, np.errstate(all="ignore"), single_thread_blas():
            full = full or self.full_next
            start = 0 if full else self.sent
            history = {
                key: _finite(values[start:]) for key, values in self.history.items()
            }
            self.sent = len(self.history["epoch"])
            self.full_next = False
            zs, _ = self._forward(self.X_train)
            stats = _frames.layer_stats(self.network, zs)
            stats["grad_norms"] = _finite(self.history["grad_norms"][-1])
            last = {key: values[-1] for key, values in self.history.items()}
            return {
                "type": "frame",
                "epoch": self.epoch,
                "playing": self.playing,
                "train_loss": _number(last["train_loss"]),
                "test_loss": _number(last["test_loss"]),
                "train_metric": _number(last["train_metric"]),
                "test_metric": _number(last["test_metric"]),
                "metric_name": self.head.metric_name,
                "full": full,
                "history": history,
                "grid": _frames.grid_maps(
                    self.network, self.state.features, grid, self.predict_map
                ),
                "weights": [_finite(layer.W.tolist()) for layer in self.network.layers],
                "biases": [_finite(layer.b.tolist()) for layer in self.network.layers],
                "stats": stats,
            }

    def data_message(self) -> dict[str, Any]:
        """Return the ``data`` message: the train and test points with targets."""
        with self.lock:
            return {
                "type": "data",
                "task": self.train_set.task.value,
                "classes": list(self.train_set.class_names),
                "train": _points(self.train_set),
                "test": _points(self.test_set),
            }

    def network_message(self) -> dict[str, Any]:
        """Return the network's shape and activations, for the ``ready`` message."""
        with self.lock:
            return {
                "sizes": list(self.network.sizes),
                "features": list(self.state.features),
                "activations": [layer.activation.name for layer in self.network.layers],
                "output": self.head.output,
                "loss": self.head.loss.name,
                "labels": list(self.head.labels) if self.head.labels else None,
                "task": self.train_set.task.value,
            }


def _index(field: str, value: Any, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise InvalidField(
            field,
            f"invalid {_INDEX_NAMES[field]} ('{field}') {value!r}: expected an "
            f"integer from 0 to {high}",
        )
    return value


_INDEX_NAMES = {"layer": "layer", "from": "source unit", "to": "target unit"}


def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _finite(values: Any) -> Any:
    if isinstance(values, list):
        return [_finite(value) for value in values]
    if isinstance(values, float):
        return values if math.isfinite(values) else None
    return values


def _points(dataset: data.Dataset) -> list[list[float]]:
    X = np.round(np.asarray(dataset.X), 4)
    y = np.asarray(dataset.y, dtype=np.float64)
    return np.column_stack([X, np.round(y, 4)]).tolist()
