"""Populations: networks of one shape trained at once on stacked weights.

A population of P networks keeps every member's parameters as one row of a
``(P, n_parameters)`` array, laid out like ``Network.parameters``, so layer
i's weights are a ``(P, n_in, n_out)`` view and one ``np.matmul`` computes a
layer for every member. NumPy runs a stacked matmul as one BLAS call per
member, so each member follows the arithmetic of a network trained alone.

NOTE: the tests check that the weights agree bit for bit with OpenBLAS
0.3.31 under NumPy 2.4. Another BLAS build may round a member's products
differently from a single network's, which changes the weights only within
float rounding.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._fast import _check_rows, _LayerPlan
from ._layers import ActivationLike, Dense, Network
from ._losses import Loss, get_loss
from ._optim import Optimiser, Penalty
from ._stacked import StackedOptimiser, check_rates, stacked_loss


class Population:
    """P networks of the same sizes and activations, with stacked parameters.

    Build one from seeds with ``Population.build``, or from networks whose
    sizes, activations and dtype agree. The networks passed in are copied.
    ``diverged`` marks the members that a trainer has frozen.

    >>> population = Population.build([2, 8, 1], seeds=range(4), hidden="tanh")
    >>> population.layer_weights(0).shape
    (4, 2, 8)
    >>> bool((population.member(2).parameters == population.parameters[2]).all())
    True
    """

    def __init__(self, networks: Sequence[Network]):
        networks = list(networks)
        _check_members(networks)
        self._template = networks[0].copy()
        self.parameters = np.stack([net.parameters for net in networks])
        self.diverged = np.zeros(len(networks), dtype=bool)
        self.seeds: list[Any] | None = None
        self._weights, self._biases = self.split(self.parameters)

    @classmethod
    def build(
        cls,
        sizes: Sequence[int],
        seeds: Sequence[int],
        hidden: ActivationLike | Sequence[ActivationLike] = "relu",
        output: ActivationLike = "linear",
        initialiser: str | None = None,
        dtype: Any = np.float64,
        bias: float | Sequence[float] = 0.0,
    ) -> Population:
        """Build one member per seed, each as ``Network.build(..., seed=s)``."""
        seeds = list(seeds)
        if not seeds:
            raise ValueError("a population needs at least one seed")
        networks = [
            Network.build(sizes, hidden, output, initialiser, seed, dtype, bias)
            for seed in seeds
        ]
        population = cls(networks)
        population.seeds = seeds
        return population

    def split(self, stacked: np.ndarray) -> tuple[list, list]:
        """Return views of ``stacked``: each layer's ``(P, n_in, n_out)`` W and b.

        The biases have shape ``(P, 1, n_out)``, so they broadcast over rows.
        """
        views = [
            stacked[:, start:stop]
            for start, stop in zip(self._offsets[:-1], self._offsets[1:], strict=True)
        ]
        n_layers = len(self._template.layers)
        weights = [
            view.reshape(len(stacked), *layer.W.shape)
            for view, layer in zip(views[:n_layers], self.layers, strict=True)
        ]
        biases = [
            view.reshape(len(stacked), 1, layer.n_out)
            for view, layer in zip(views[n_layers:], self.layers, strict=True)
        ]
        return weights, biases

    @property
    def _offsets(self) -> np.ndarray:
        return self._template._offsets

    @property
    def layers(self) -> tuple[Dense, ...]:
        """The layers of one member, for the sizes and activations."""
        return self._template.layers

    @property
    def sizes(self) -> tuple[int, ...]:
        return self._template.sizes

    @property
    def dtype(self) -> np.dtype:
        return self._template.dtype

    @property
    def n_weights(self) -> int:
        return self._template.n_weights

    def layer_weights(self, index: int) -> np.ndarray:
        """Return layer ``index``'s weights, a ``(P, n_in, n_out)`` view."""
        return self._weights[index]

    def layer_biases(self, index: int) -> np.ndarray:
        """Return layer ``index``'s biases, a ``(P, 1, n_out)`` view."""
        return self._biases[index]

    def member(self, index: int) -> Network:
        """Return member ``index`` as an independent ``Network``."""
        if not -len(self) <= index < len(self):
            raise IndexError(
                f"member {index} is out of range for a population of {len(self)}"
            )
        net = self._template.copy()
        net.parameters = self.parameters[index]
        return net

    def __call__(self, X: Any) -> np.ndarray:
        """Return every member's output for ``X``, shape ``(P, n, n_outputs)``."""
        a = self._template.check_inputs(X)
        for layer, W, b in zip(self.layers, self._weights, self._biases, strict=True):
            z = np.matmul(a, W)
            z += b
            a = z if layer._identity else layer._value(z)
        return a

    def __len__(self) -> int:
        return len(self.parameters)

    def __repr__(self) -> str:
        layers = ", ".join(map(repr, self.layers))
        return f"Population({len(self)} x [{layers}])"


def _check_members(networks: list[Network]) -> None:
    if not networks:
        raise ValueError("a population needs at least one network")
    first = networks[0]
    for index, net in enumerate(networks):
        if not isinstance(net, Network):
            raise ValueError(f"member {index} is {net!r}, not a Network")
        if net.sizes != first.sizes or net.dtype != first.dtype:
            raise ValueError(
                f"member {index} has sizes {net.sizes} in {net.dtype}, but "
                f"member 0 has {first.sizes} in {first.dtype}: all members "
                "need the same sizes and dtype"
            )
        for layer, reference in zip(net.layers, first.layers, strict=True):
            same = layer.activation.name == reference.activation.name
            if not same or layer.activation.params != reference.activation.params:
                raise ValueError(
                    f"member {index} has {layer!r} where member 0 has "
                    f"{reference!r}: all members need the same activations"
                )


class PopulationTrainer:
    """Run training steps on every member of ``population`` at once.

    Member i follows the arithmetic of ``nn.Trainer`` on ``population.member(i)``
    with learning rate ``learning_rates[i]``. Its weights after any number of
    steps therefore equal, bit for bit, those of that network trained alone
    on the same batches. With ``slopes_from_output=False`` they also equal
    those of ``nn.step`` and ``nn.train``.

    A member whose batch loss is not finite goes back to its weights before
    the last update, is marked in ``population.diverged`` and stays frozen,
    and the others train on.

    Parameters
    ----------
    population : Population
    loss : str or Loss
    optimiser : SGD or Adam
        A template: its momentum, betas and epsilon are shared by all
        members. Its learning rate is every member's unless ``learning_rates``
        is given. The template itself is not changed.
    learning_rates : float or sequence of float, optional
        One rate for all members, or one per member.
    penalty : Penalty, optional
        L1 and L2 penalties on the weights, shared by all members.
    batch_size : int
        The number of rows to allocate buffers for.
    slopes_from_output : bool
        Whether tanh' is computed from the layer output, as in ``nn.Trainer``.
    """

    def __init__(
        self,
        population: Population,
        loss: str | Loss,
        optimiser: Optimiser,
        learning_rates: float | Sequence[float] | None = None,
        penalty: Penalty | None = None,
        *,
        batch_size: int = 32,
        slopes_from_output: bool = True,
    ):
        self.population = population
        self.loss = get_loss(loss)
        self.loss.check_output_activation(population.layers[-1].activation.name)
        self._stacked_loss = stacked_loss(self.loss)
        rates = check_rates(optimiser, learning_rates, len(population))
        self.optimiser = StackedOptimiser(optimiser, rates, population.dtype)
        self.penalty = penalty
        self.gradient = np.empty_like(population.parameters)
        self._dW, self._db = population.split(self.gradient)
        self.backup = population.parameters.copy()
        self._plans = [
            _LayerPlan(layer, slopes_from_output) for layer in population.layers
        ]
        self._allocate(_check_rows(batch_size))

    @property
    def learning_rates(self) -> np.ndarray:
        """The members' learning rates, shape ``(P,)``."""
        return self.optimiser.rates

    def _allocate(self, rows: int) -> None:
        widths = [layer.n_out for layer in self.population.layers]
        before_width_one = [*(width == 1 for width in widths[1:]), False]
        self._rows = rows
        self._z = [
            self._buffer(rows, width, width == 1 or next_is_one)
            for width, next_is_one in zip(widths, before_width_one, strict=True)
        ]
        self._a = [np.empty_like(z, order="K") for z in self._z]
        self._dz = [self._buffer(rows, width, width == 1) for width in widths]
        self._da = [np.empty_like(dz, order="K") for dz in self._dz]
        self._outputs: list[np.ndarray] = [z[:, :0] for z in self._z]

    def _buffer(self, rows: int, width: int, member_major: bool) -> np.ndarray:
        # A (P, rows, width) view, by default of memory laid out as
        # (rows, P, width), so that the bias sum and the elementwise steps
        # run over P * width contiguous values. In the (P, rows, width)
        # order NumPy loops over width values at a time. For 32 members,
        # batches of 10 and width 8, the bias gradient took 8.0 µs against
        # 4.7 µs and the bias addition 8.8 µs against 3.4 µs (NumPy 2.4,
        # timeit, on a busy 2-core machine).
        #
        # Some products need each member's block contiguous to round as a
        # single network does. A single network's bias gradient of width 1
        # is a pairwise sum down one column, and a matrix-vector product in
        # float32 (a layer of width 1) rounds differently when the rows of
        # its input are further apart (OpenBLAS 0.3.31).
        P = len(self.population)
        dtype = self.population.dtype
        if member_major:
            return np.empty((P, rows, width), dtype)
        return np.empty((rows, P, width), dtype).transpose(1, 0, 2)

    def step(self, x: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Run one step on checked inputs and targets, and return the losses.

        ``x`` is one batch for every member, shape ``(n, n_inputs)``, or one
        per member, ``(P, n, n_inputs)``, in the population's dtype. ``target``
        is prepared by ``nn.prepare_targets`` for those rows, with the same
        leading axis of P when ``x`` has one. Returns each member's mean loss
        before the update, shape ``(P,)``. Frozen members report theirs too.
        """
        n = x.shape[-2]
        if n > self._rows:
            self._allocate(n)
        output = self._forward(x)
        values, gradient = self._stacked_loss(output, target, x.ndim == 2)
        self._freeze_where(~np.isfinite(values))
        self._backward(x, gradient)
        self._update()
        return values

    def _forward(self, x: np.ndarray) -> np.ndarray:
        n = x.shape[-2]
        population = self.population
        a = x
        for i, plan in enumerate(self._plans):
            z = self._z[i][:, :n]
            np.matmul(a, population._weights[i], out=z)
            z += population._biases[i]
            if plan.identity:
                a = z
            elif plan.in_place is not None:
                a = self._a[i][:, :n]
                plan.in_place(z, a)
            else:
                a = plan.layer._value(z)
            self._outputs[i] = a
        return a

    def _backward(self, x: np.ndarray, da: np.ndarray) -> None:
        n = x.shape[-2]
        inputs_transposed = np.swapaxes(x, -1, -2)
        for i in range(len(self._plans) - 1, -1, -1):
            plan = self._plans[i]
            if plan.identity:
                dz = da
            else:
                dz = self._dz[i][:, :n]
                if plan.slope_from_output is not None:
                    plan.slope_from_output(self._outputs[i], dz)
                else:
                    np.copyto(dz, plan.layer._derivative(self._z[i][:, :n]))
                dz *= da
            previous = self._outputs[i - 1] if i else None
            layer_input = np.swapaxes(previous, 1, 2) if i else inputs_transposed
            np.matmul(layer_input, dz, out=self._dW[i])
            np.add.reduce(dz, axis=1, keepdims=True, out=self._db[i])
            if i:
                da = self._da[i - 1][:, :n]
                weights = np.swapaxes(self.population._weights[i], 1, 2)
                np.matmul(dz, weights, out=da)

    def _update(self) -> None:
        parameters = self.population.parameters
        if self.penalty is not None:
            n = self.population.n_weights
            self.penalty.add_gradient(parameters[:, :n], self.gradient[:, :n])
        np.copyto(self.backup, parameters)
        self.optimiser.apply(parameters, self.gradient)
        frozen = self.population.diverged
        if frozen.any():
            parameters[frozen] = self.backup[frozen]

    def _freeze_where(self, failed: np.ndarray) -> np.ndarray:
        # The backup contains the weights before the last update, which were in
        # use at the member's last step with a finite loss.
        newly = failed & ~self.population.diverged
        if newly.any():
            self.population.parameters[newly] = self.backup[newly]
            self.population.diverged |= newly
        return newly

    def freeze(self, members: np.ndarray) -> np.ndarray:
        """Restore and freeze the members marked in the boolean ``members``.

        Each goes back to its weights before the last update. Returns the
        mask of members that were not frozen before.
        """
        return self._freeze_where(np.asarray(members, dtype=bool))
