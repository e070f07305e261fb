"""The ``Monitor``: hooks on a PyTorch model, one record per training step."""

from __future__ import annotations

import time
import warnings
from datetime import datetime
from typing import Any

import torch
from torch import nn

from actlab.errors import ActlabWarning
from actlab.store import Store, StoreError

from . import _functions, _layers, _summary

FLUSH_SECONDS = 2.0
"""A buffered record waits at most about this long before it is logged."""

RECOVERY_SHARE = 0.5
"""A warned layer has recovered once its fraction falls to this share of the
threshold. The gap keeps a fraction that hovers at the threshold from warning
at every step."""

STORE_BUSY_TIMEOUT = 0.5
"""Seconds a flush waits for a SQLite database that another program locks.

The records stay buffered when it gives up, so a short wait keeps a locked
database from stalling the training loop.
"""


class Monitor:
    """Record per-layer dead and saturated fractions and gradient norms.

    ``Monitor(model)`` hooks every activation module of ``model`` (see
    ``RECOGNISED_ACTIVATIONS`` and ``MEAN_STD_ACTIVATIONS``) and every Linear
    and Conv module (``WEIGHT_MODULES``). During the forward passes of
    ``model`` it also records the functional activations that its modules
    call, such as ``F.relu(x)``, ``torch.tanh(x)`` or ``x.sigmoid()`` (see
    ``RECOGNISED_FUNCTIONS`` and ``MEAN_STD_FUNCTIONS``). Use it as a
    context manager, or call ``attach()`` and ``detach()``. Call ``step()``
    once per training step, after ``loss.backward()`` and before the next
    ``optimizer.zero_grad()``, so the gradients are still there. Calling it
    right after ``optimizer.step()`` is the same.

    Each record covers the forward passes in training mode since the previous
    step. Passes in eval mode (``model.eval()``) are left out, so a validation
    pass between steps does not mix into the training statistics.

    Parameters
    ----------
    model : torch.nn.Module
        The model to watch.
    run : str, optional
        The run's name in the store. Defaults to the model's class name and
        the local time, such as ``sequential-20250301-142530``.
    store : str or Store, optional
        A database URL (``sqlite:///runs.db``) or an open ``Store`` to log the
        records to, in batches. Without it the records stay in ``history``.
        ``actlab.store.default_url()`` is the database that ``actlab serve``
        reads by default.
    every : int
        Record every ``every``-th step: steps 1, 1 + every, 1 + 2 * every, ...
        The hooks do no work before the steps that are not recorded.
    dead_threshold, saturated_threshold : float
        Warn when a layer's dead or saturated fraction rises above this share.
    flush_every : int
        Log to the store once this many records are buffered, or when the
        oldest buffered record is ``FLUSH_SECONDS`` old at a step.

    Notes
    -----
    An activation module gets a layer named after the module, such as
    ``encoder.1``. A functional call gets a layer named after the module whose
    method makes the call and the function, such as ``layers.0:relu`` for the
    ``F.relu`` in the feed-forward block of a ``TransformerEncoderLayer``. A
    module or call site used several times in one forward pass gets one layer
    per use, named ``act``, ``act#2``, ... The call that an activation module
    makes inside its own ``forward`` counts once, as the module's layer.

    Functional calls are seen only inside a call of ``model`` itself, not when
    a script calls its submodules one by one. Activations computed inside a
    C++ kernel stay unseen, such as the gates of ``nn.LSTM`` and ``nn.GRU``
    and the nonlinearity of ``nn.RNN``. The fused fast paths of
    ``nn.TransformerEncoderLayer`` and ``nn.MultiheadAttention`` would hide
    theirs too, but PyTorch 2.13 takes them only outside training mode. A
    recorded step whose training-mode forward passes showed no activation at
    all warns once per monitor.

    The units of a layer lie along dim 1 of its input, as for Linear and Conv
    outputs, or along the last dim when the input comes straight from a
    Linear layer, ``F.layer_norm`` or a matmul, as in a (batch, sequence,
    features) transformer block.

    Seeing the functional calls costs an extra Python call per torch
    operation in the recorded forward passes only. The monitor enters its
    ``torch.overrides.TorchFunctionMode`` from a forward pre-hook of ``model``
    and leaves it in a forward hook that also runs when ``forward`` raises.

    The monitor keeps no tensor: each batch is reduced to per-unit counts
    in the hooks, and every recorded value is a Python float.
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        run: str | None = None,
        store: str | Store | None = None,
        every: int = 1,
        dead_threshold: float = 0.1,
        saturated_threshold: float = 0.5,
        flush_every: int = 50,
    ):
        if not isinstance(model, nn.Module):
            raise TypeError(
                f"invalid model {type(model).__name__}: expected a torch.nn.Module"
            )
        self.model = model
        self.every = _positive_int(every, "every")
        self.flush_every = _positive_int(flush_every, "flush_every")
        self.dead_threshold = _share(dead_threshold, "dead_threshold")
        self.saturated_threshold = _share(saturated_threshold, "saturated_threshold")
        self._named_run = run is not None
        self.run = _run_name(model) if run is None else _check_run(run)
        if store is not None and not isinstance(store, str | Store):
            raise TypeError(
                f"invalid store {type(store).__name__}: expected a database URL "
                "such as 'sqlite:///runs.db', a Store, or None"
            )
        self._store_source = store
        self._store: Store | None = None
        self._handles: list[torch.utils.hooks.RemovableHandle] = []
        self._history: list[dict[str, Any]] = []
        self._buffer: list[tuple[int, dict[str, Any]]] = []
        self._buffered_since = 0.0
        self._logged = 0
        self._steps = 0
        self._tallies: dict[str, _layers.LayerTally] = {}
        self._calls: dict[str, int] = {}
        self._warned: set[tuple[str, str]] = set()
        self._weights: list[tuple[str, nn.Module]] = []
        # id(module) -> (qualified name, module) for naming functional calls,
        # and the ids of hooked activation modules, whose own hooks count the
        # function calls inside them.
        self._modules: dict[int, tuple[str, nn.Module]] = {}
        self._activation_ids: set[int] = set()
        self._mode = _functions.ActivationCallMode(self._record_call)
        self._mode_active = False
        self._depth = 0
        self._forwards = 0
        self._warned_unseen = False

    # --- attach and detach ------------------------------------------------------

    @property
    def attached(self) -> bool:
        return bool(self._handles)

    def attach(self) -> Monitor:
        """Install the hooks, and open the store if a URL was given."""
        if self.attached:
            raise RuntimeError(f"monitor of run {self.run!r} is attached already")
        self._open_store()
        model = self.model
        self._handles.append(model.register_forward_pre_hook(self._start_forward))
        self._handles.append(
            model.register_forward_hook(self._end_forward, always_call=True)
        )
        named = [
            (name or type(module).__name__, module)
            for name, module in model.named_modules()
        ]
        self._modules = {id(module): (name, module) for name, module in named}
        for name, module in named:
            if _layers.is_activation(module):
                self._hook_activation(name, module)
                self._activation_ids.add(id(module))
        self._weights = [
            (name, module)
            for name, module in named
            if isinstance(module, _layers.WEIGHT_MODULES)
        ]
        return self

    def detach(self) -> None:
        """Remove the hooks, log the buffered records and close an opened store."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        self._leave_mode()
        self._depth = 0
        self._forwards = 0
        self._modules = {}
        self._activation_ids.clear()
        self._tallies.clear()
        try:
            self.flush()
        finally:
            if isinstance(self._store_source, str) and self._store is not None:
                self._store.close()
                self._store = None

    def __enter__(self) -> Monitor:
        """Attach the monitor unless ``attach()`` has done so already."""
        return self if self.attached else self.attach()

    def __exit__(self, *exc_info: object) -> None:
        self.detach()

    # --- steps ------------------------------------------------------------------

    @property
    def steps(self) -> int:
        """The number of ``step()`` calls so far, recorded or not."""
        return self._steps

    @property
    def history(self) -> list[dict[str, Any]]:
        """The recorded steps, oldest first: ``{"step", "activations", ...}``."""
        return list(self._history)

    def step(self, loss: float | torch.Tensor | None = None) -> dict[str, Any] | None:
        """Close one training step; return its record, or None if not recorded.

        ``loss``, a number or a one-element tensor, is stored with the record.
        A layer whose dead or saturated fraction rises above its threshold
        gets one ``ActlabWarning``, and another only after the fraction has
        fallen to ``RECOVERY_SHARE`` of the threshold and risen above it again.
        """
        if not self.attached:
            raise RuntimeError(
                f"monitor of run {self.run!r} is not attached: call attach() "
                "or use it in a with block before step()"
            )
        recorded = self._steps % self.every == 0
        self._steps += 1
        if not recorded:
            return None
        forwards = self._forwards
        record = self._collect(loss)
        self._history.append(record)
        self._warn(record)
        if forwards and not record["activations"]:
            self._warn_unseen(record)
        self._buffer_record(record)
        return record

    def flush(self) -> int:
        """Log the buffered records to the store now; return how many.

        A store error is turned into an ``ActlabWarning`` and the records stay
        buffered for the next flush, so a locked database does not stop the
        training.
        """
        if self._store is None or not self._buffer:
            return 0
        try:
            count = self._store.log_monitor(self.run, self._buffer)
        except StoreError as error:
            warnings.warn(
                f"could not log {len(self._buffer)} records of run {self.run!r}: "
                f"{error}. They stay buffered and are retried at the next flush",
                ActlabWarning,
                stacklevel=2,
            )
            return 0
        self._buffer = []
        self._logged += count
        return count

    def summary(self) -> str:
        """Return the latest record and the worst fractions as a text table."""
        return _summary.render(self)

    # --- hooks ------------------------------------------------------------------

    def _start_forward(self, module: nn.Module, args: Any) -> None:
        self._depth += 1
        if self._depth > 1:
            # The model calls itself, and the outer call's mode covers it.
            return
        self._calls.clear()
        if self._counting(module):
            self._forwards += 1
            self._mode.__enter__()
            self._mode_active = True

    def _end_forward(self, module: nn.Module, args: Any, output: Any) -> None:
        # Runs even when forward raises (always_call), so no mode stays active.
        self._depth = max(self._depth - 1, 0)
        if self._depth == 0:
            self._leave_mode()

    def _leave_mode(self) -> None:
        if self._mode_active:
            self._mode_active = False
            self._mode.__exit__(None, None, None)

    def _record_call(
        self, entry: _functions.FunctionEntry, args: tuple, kwargs: dict
    ) -> _layers.LayerTally | None:
        z = args[0] if args else kwargs.get("input")
        if not isinstance(z, torch.Tensor) or not z.is_floating_point():
            return None
        caller = _functions.calling_module(self._modules)
        if caller is None:
            return None
        name, module = caller
        if id(module) in self._activation_ids or not module.training:
            return None
        activation = entry.activation(args, kwargs)
        layer = f"{name}:{entry.name}"
        tally = self._tally(layer, type(module).__name__, activation)
        tally.add_input(z, self._mode.unit_dim(z))
        return tally

    def _hook_activation(self, name: str, module: nn.Module) -> None:
        activation = _layers.registry_activation(module)
        # The pre-hook reads z before an in-place module (ReLU(inplace=True))
        # overwrites it, so both hooks share the layer that the call opens.
        current: list[_layers.LayerTally | None] = [None]

        def before(module: nn.Module, args: Any) -> None:
            current[0] = None
            if not self._counting(module) or not args:
                return
            z = args[0]
            if not isinstance(z, torch.Tensor) or not z.is_floating_point():
                return
            tally = self._tally(name, type(module).__name__, activation)
            dim = self._mode.unit_dim(z) if self._mode_active else 1
            tally.add_input(z, dim)
            current[0] = tally

        def after(module: nn.Module, args: Any, output: Any) -> None:
            tally, current[0] = current[0], None
            if tally is not None and isinstance(output, torch.Tensor):
                tally.add_output(output)

        self._handles.append(module.register_forward_pre_hook(before))
        self._handles.append(module.register_forward_hook(after))

    def _counting(self, module: nn.Module) -> bool:
        return module.training and self._steps % self.every == 0

    def _tally(self, name: str, module: str, activation: Any) -> _layers.LayerTally:
        use = self._calls.get(name, 0) + 1
        self._calls[name] = use
        layer = name if use == 1 else f"{name}#{use}"
        tally = self._tallies.get(layer)
        if tally is None:
            tally = _layers.LayerTally(layer, module, activation)
            self._tallies[layer] = tally
        return tally

    # --- records ----------------------------------------------------------------

    def _collect(self, loss: Any) -> dict[str, Any]:
        layers = [tally.record() for tally in self._tallies.values()]
        self._tallies = {}
        self._forwards = 0
        weights = [
            _layers.weight_record(name, module) for name, module in self._weights
        ]
        return {
            "step": self._steps,
            "loss": _loss_value(loss),
            "activations": layers,
            "weights": weights,
            "thresholds": {
                "dead": self.dead_threshold,
                "saturated": self.saturated_threshold,
            },
        }

    def _warn(self, record: dict[str, Any]) -> None:
        for layer in record["activations"]:
            for kind, threshold in (
                ("dead", self.dead_threshold),
                ("saturated", self.saturated_threshold),
            ):
                share = layer[f"{kind}_fraction"]
                key = (layer["layer"], kind)
                if share is None or share <= threshold * RECOVERY_SHARE:
                    self._warned.discard(key)
                elif share > threshold and key not in self._warned:
                    self._warned.add(key)
                    message = _warning_text(layer, kind, share, threshold, record)
                    warnings.warn(message, ActlabWarning, stacklevel=3)

    def _warn_unseen(self, record: dict[str, Any]) -> None:
        if self._warned_unseen:
            return
        self._warned_unseen = True
        warnings.warn(
            f"no activation seen in the training-mode forward passes of "
            f"{type(self.model).__name__} at step {record['step']}, so run "
            f"{self.run!r} records gradient norms only. The monitor sees "
            "activation modules such as nn.ReLU and functional calls such as "
            "F.relu(x) made inside model(x), but not activations inside C++ "
            "kernels such as those of nn.LSTM, nn.GRU and nn.RNN",
            ActlabWarning,
            stacklevel=3,
        )

    def _buffer_record(self, record: dict[str, Any]) -> None:
        if self._store is None:
            return
        if not self._buffer:
            self._buffered_since = time.monotonic()
        stats = {key: value for key, value in record.items() if key != "step"}
        self._buffer.append((record["step"], stats))
        waited = time.monotonic() - self._buffered_since
        if len(self._buffer) >= self.flush_every or waited >= FLUSH_SECONDS:
            self.flush()

    def _open_store(self) -> None:
        source = self._store_source
        if source is None or self._store is not None:
            return
        if isinstance(source, str):
            self._store = Store.open(source, busy_timeout=STORE_BUSY_TIMEOUT)
        else:
            self._store = source
        if self._logged:
            return
        taken_runs = {summary.run for summary in self._store.monitor_runs()}
        if self._named_run and self.run in taken_runs:
            self._close_opened_store()
            raise ValueError(
                f"run {self.run!r} exists in the store already: choose another "
                "run name, or leave run out for a name with the current time"
            )
        base, number = self.run, 2
        while self.run in taken_runs:
            self.run = f"{base}-{number}"
            number += 1

    def _close_opened_store(self) -> None:
        if isinstance(self._store_source, str) and self._store is not None:
            self._store.close()
        self._store = None


ADVICE = {
    "dead": "lower the learning rate, start biases at 0 or use LeakyReLU",
    "saturated": "use smaller initial weights, normalise the inputs or use ReLU",
}


def _warning_text(
    layer: dict[str, Any],
    kind: str,
    share: float,
    threshold: float,
    record: dict[str, Any],
) -> str:
    return (
        f"layer {layer['layer']!r} ({layer['module']}): {share:.0%} of its "
        f"{layer['units']} units are {kind} at step {record['step']}, above the "
        f"{kind}_threshold of {threshold:.0%}. To fix it, {ADVICE[kind]}"
    )


def _loss_value(loss: Any) -> float | None:
    if loss is None:
        return None
    if isinstance(loss, torch.Tensor):
        if loss.numel() != 1:
            raise ValueError(
                f"invalid loss: a tensor of shape {tuple(loss.shape)}, "
                "expected one element, such as the mean loss of the batch"
            )
        return loss.detach().item()
    if isinstance(loss, bool) or not isinstance(loss, int | float):
        raise ValueError(f"invalid loss {loss!r}: expected a number or a tensor")
    return float(loss)


def _run_name(model: nn.Module) -> str:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return f"{type(model).__name__.lower()}-{stamp}"


def _check_run(run: Any) -> str:
    if not isinstance(run, str) or not 1 <= len(run) <= 200 or run != run.strip():
        raise ValueError(
            f"invalid run {run!r}: expected 1 to 200 characters without "
            "leading or trailing spaces"
        )
    # The run's page is /monitor/NAME, which a browser rewrites for these two
    # names, so the page could never be opened.
    if run in (".", ".."):
        raise ValueError(
            f"invalid run {run!r}: the name is part of the run's page address in "
            "the lab, where '.' and '..' cannot stand alone; choose another name"
        )
    return run


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"invalid {name}={value!r}: expected an integer >= 1")
    return value


def _share(value: Any, name: str) -> float:
    valid = isinstance(value, int | float) and not isinstance(value, bool)
    if not valid or not 0.0 <= value <= 1.0:
        raise ValueError(
            f"invalid {name}={value!r}: expected a share from 0 to 1, such as 0.1"
        )
    return float(value)
