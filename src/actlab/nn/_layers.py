"""Dense layers and the network that stacks them.

A layer computes ``z = x @ W + b`` and ``a = g(z)`` for a batch ``x`` of shape
``(n_examples, n_in)``, so ``W`` has shape ``(n_in, n_out)``. A network keeps
every layer's ``W`` and ``b`` as views into one flat parameter vector: the
weights of all layers first, then all the biases.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from actlab import activations

from ._init import initialise, resolve_initialiser
from ._losses import Loss, get_loss

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

ActivationLike = str | activations.Activation


def check_dtype(dtype: Any) -> np.dtype:
    """Return ``dtype`` as a NumPy dtype, or raise unless float32 or float64."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved not in FLOAT_DTYPES:
        raise ValueError(
            f"invalid dtype {dtype!r}: networks compute in float32 or float64"
        )
    return resolved


def resolve_activation(activation: ActivationLike) -> activations.Activation:
    """Return the ``Activation`` for a name or an ``Activation``.

    Raises ``ValueError`` for an unknown name and for a vector activation such
    as softmax, which is not elementwise and so cannot be a layer's activation.
    """
    resolved = activations.get(activation)
    if resolved.spec.vector:
        raise ValueError(
            f"activation {resolved.name!r} acts on a whole vector, so it cannot be "
            "a layer's activation: for class probabilities use output='linear' "
            "with the loss 'softmax_ce'"
        )
    return resolved


def _elementwise_functions(
    activation: activations.Activation, dtype: np.dtype
) -> tuple[Callable, Callable]:
    # The record's own value and derivative functions skip the dtype handling
    # of Activation.__call__, which took about 2 µs a call on a 10 x 8 array
    # (NumPy 2.4, timeit), a large share of a small network's step. They are
    # used only when a probe shows that they keep the dtype and shape, as the
    # Spec contract states.
    spec = activation.spec
    value = spec.value
    derivative = spec.derivative
    if activation.params:
        value = functools.partial(value, **activation.params)
        derivative = functools.partial(derivative, **activation.params)
    probe = np.array([[-3.0, -0.5, 0.25, 2.0]], dtype=dtype)
    for function in (value, derivative):
        result = function(probe)
        if not (isinstance(result, np.ndarray) and result.dtype == dtype):
            return activation, activation.derivative
        if result.shape != probe.shape:
            return activation, activation.derivative
    return value, derivative


class Dense:
    """A fully connected layer with an elementwise activation.

    Parameters
    ----------
    W : array of shape (n_in, n_out)
        The weights. Its dtype (float32 or float64) is the layer's dtype.
    b : array of shape (n_out,)
        The biases.
    activation : str or Activation
        A name from ``actlab.activations.names()`` or an ``Activation`` with
        its parameters bound.
    initialiser : str, optional
        The name of the initialiser that drew ``W``, kept for messages.
    """

    def __init__(
        self,
        W: Any,
        b: Any,
        activation: ActivationLike = "relu",
        *,
        initialiser: str | None = None,
    ):
        W = np.asarray(W)
        dtype = check_dtype(W.dtype if W.dtype.kind == "f" else np.float64)
        W = np.array(W, dtype=dtype)
        b = np.array(b, dtype=dtype)
        if W.ndim != 2:
            raise ValueError(f"W must be 2-D (n_in, n_out), got shape {W.shape}")
        if b.shape != (W.shape[1],):
            raise ValueError(
                f"b must have shape ({W.shape[1]},) to match W of shape "
                f"{W.shape}, got {b.shape}"
            )
        self._W = W
        self._b = b
        self.activation = resolve_activation(activation)
        self.initialiser = initialiser
        self._value, self._derivative = _elementwise_functions(self.activation, dtype)
        self._identity = self.activation.name == "linear"
        self._network: Network | None = None

    @classmethod
    def build(
        cls,
        n_in: int,
        n_out: int,
        activation: ActivationLike = "relu",
        *,
        initialiser: str | None = None,
        bias: float = 0.0,
        rng: np.random.Generator | int | None = 0,
        dtype: Any = np.float64,
    ) -> Dense:
        """Create a layer with freshly drawn weights and constant biases.

        ``initialiser=None`` picks the one that suits the activation
        (``spec.initialiser``). ``rng`` is a generator or a seed.
        """
        activation = resolve_activation(activation)
        name = resolve_initialiser(initialiser or activation.spec.initialiser)
        dtype = check_dtype(dtype)
        W = initialise(name, n_in, n_out, np.random.default_rng(rng), dtype)
        b = np.full(n_out, bias, dtype=dtype)
        return cls(W, b, activation, initialiser=name)

    @property
    def W(self) -> np.ndarray:
        """The weights, shape ``(n_in, n_out)``. Assignment copies into place."""
        return self._W

    @W.setter
    def W(self, value: Any) -> None:
        self._W[...] = self._checked(value, self._W.shape, "W")

    @property
    def b(self) -> np.ndarray:
        """The biases, shape ``(n_out,)``. Assignment copies into place."""
        return self._b

    @b.setter
    def b(self, value: Any) -> None:
        self._b[...] = self._checked(value, self._b.shape, "b")

    @staticmethod
    def _checked(value: Any, shape: tuple[int, ...], name: str) -> np.ndarray:
        array = np.asarray(value)
        if array.shape != shape and array.ndim != 0:
            raise ValueError(f"{name} must have shape {shape}, got {array.shape}")
        return array

    @property
    def n_in(self) -> int:
        return self._W.shape[0]

    @property
    def n_out(self) -> int:
        return self._W.shape[1]

    @property
    def dtype(self) -> np.dtype:
        return self._W.dtype

    def copy(self) -> Dense:
        """Return an independent copy that belongs to no network."""
        return Dense(
            self._W.copy(),
            self._b.copy(),
            self.activation,
            initialiser=self.initialiser,
        )

    def __repr__(self) -> str:
        activation = self.activation.name
        if self.activation.params:
            args = ", ".join(f"{k}={v!r}" for k, v in self.activation.params.items())
            activation = f"{activation}({args})"
        return f"Dense({self.n_in} -> {self.n_out}, {activation})"


class Network:
    """A stack of dense layers, each feeding the next.

    Build one with ``Network.build``, or pass layers whose sizes chain. The
    network takes the layers over: their ``W`` and ``b`` become views into the
    flat vector ``parameters``, so a layer belongs to one network only (pass
    ``layer.copy()`` to reuse one).
    """

    def __init__(self, layers: Sequence[Dense]):
        layers = tuple(layers)
        self._check_layers(layers)
        self.layers = layers
        self.dtype = layers[0].dtype
        self._shapes = [layer.W.shape for layer in layers] + [
            layer.b.shape for layer in layers
        ]
        self._offsets = np.cumsum([0] + [int(np.prod(s)) for s in self._shapes])
        self.n_weights = int(sum(layer.W.size for layer in layers))
        self._parameters = np.empty(int(self._offsets[-1]), dtype=self.dtype)

        views = self.split(self._parameters)
        for layer, W, b in zip(
            layers, views[: len(layers)], views[len(layers) :], strict=True
        ):
            W[...] = layer.W
            b[...] = layer.b
            layer._W, layer._b, layer._network = W, b, self

    @staticmethod
    def _check_layers(layers: tuple[Dense, ...]) -> None:
        if not layers:
            raise ValueError("a network needs at least one layer")
        for index, layer in enumerate(layers):
            if not isinstance(layer, Dense):
                raise ValueError(f"layer {index} is {layer!r}, not a Dense layer")
            if layer._network is not None:
                raise ValueError(
                    f"layer {index} ({layer!r}) already belongs to a network: "
                    "pass layer.copy() instead"
                )
            if layer.dtype != layers[0].dtype:
                raise ValueError(
                    f"layer {index} is {layer.dtype} but layer 0 is "
                    f"{layers[0].dtype}: all layers must share one dtype"
                )
        for index, (before, after) in enumerate(itertools.pairwise(layers)):
            if before.n_out != after.n_in:
                raise ValueError(
                    f"layer {index} has {before.n_out} units but layer {index + 1} "
                    f"takes {after.n_in} inputs"
                )

    @classmethod
    def build(
        cls,
        sizes: Sequence[int],
        hidden: ActivationLike | Sequence[ActivationLike] = "relu",
        output: ActivationLike = "linear",
        initialiser: str | None = None,
        seed: int | np.random.Generator | None = 0,
        dtype: Any = np.float64,
        bias: float | Sequence[float] = 0.0,
    ) -> Network:
        """Build a network with layer widths ``sizes``, inputs first.

        Parameters
        ----------
        sizes : sequence of int
            ``[n_inputs, hidden widths..., n_outputs]``, at least two numbers.
        hidden : str, Activation, or a sequence of them
            The hidden layers' activation, or one per hidden layer.
        output : str or Activation
            The output layer's activation. Keep ``"linear"`` for the
            cross-entropy losses, which take logits.
        initialiser : str, optional
            One initialiser for every layer. ``None`` gives each layer the one
            that suits its activation (``spec.initialiser``).
        seed : int, Generator or None
            Seeds the weights. The same seed gives the same weights.
        dtype : float32 or float64
        bias : float or sequence of float
            A float sets every hidden layer's biases (the output layer's stay
            0), for example 0.1 to start ReLU units active. A sequence gives
            one value per layer, output layer included.

        >>> Network.build([2, 8, 1], hidden="tanh")
        Network([Dense(2 -> 8, tanh), Dense(8 -> 1, linear)])
        """
        sizes = _check_sizes(sizes)
        n_layers = len(sizes) - 1
        hidden_list = _per_hidden_layer(hidden, n_layers - 1)
        biases = _per_layer_bias(bias, n_layers)
        rng = np.random.default_rng(seed)
        dtype = check_dtype(dtype)

        layers = [
            Dense.build(
                n_in,
                n_out,
                activation,
                initialiser=initialiser,
                bias=layer_bias,
                rng=rng,
                dtype=dtype,
            )
            for n_in, n_out, activation, layer_bias in zip(
                sizes[:-1], sizes[1:], [*hidden_list, output], biases, strict=True
            )
        ]
        return cls(layers)

    @property
    def parameters(self) -> np.ndarray:
        """All weights then all biases, as one vector. Assignment copies."""
        return self._parameters

    @parameters.setter
    def parameters(self, value: Any) -> None:
        array = np.asarray(value)
        if array.shape != self._parameters.shape:
            raise ValueError(
                f"parameters must have shape {self._parameters.shape}, got "
                f"{array.shape}"
            )
        self._parameters[...] = array

    def split(self, flat: np.ndarray) -> list[np.ndarray]:
        """Return views of ``flat``: every layer's W, then every layer's b."""
        offsets = self._offsets
        return [
            flat[offsets[i] : offsets[i + 1]].reshape(shape)
            for i, shape in enumerate(self._shapes)
        ]

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.layers[0].n_in, *(layer.n_out for layer in self.layers))

    @property
    def n_inputs(self) -> int:
        return self.layers[0].n_in

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].n_out

    @property
    def n_parameters(self) -> int:
        return self._parameters.size

    def check_inputs(self, X: Any) -> np.ndarray:
        """Return ``X`` as a 2-D array of the network's dtype, or raise."""
        x = np.asarray(X, dtype=self.dtype)
        if x.ndim != 2 or x.shape[1] != self.n_inputs:
            raise ValueError(
                f"X has shape {x.shape}, but the network takes "
                f"{self.n_inputs} input(s): pass shape (n_examples, {self.n_inputs})"
            )
        return x

    def __call__(self, X: Any) -> np.ndarray:
        """Return the network output for ``X`` (the logits for cross-entropy)."""
        a = self.check_inputs(X)
        for layer in self.layers:
            z = a @ layer._W
            z += layer._b
            a = z if layer._identity else layer._value(z)
        return a

    def predict(self, X: Any, loss: str | Loss | None = None) -> np.ndarray:
        """Predict for ``X``, as targets for ``loss`` look.

        Without a loss this is the raw network output, shape ``(n, n_outputs)``.
        With ``"bce"`` it is the labels 0 or 1, with ``"softmax_ce"`` the class
        indices, with ``"mse"`` the output values: 1-D for a single output.
        """
        output = self(X)
        if loss is None:
            return output
        return get_loss(loss).predict(output)

    def predict_proba(self, X: Any, loss: str | Loss) -> np.ndarray:
        """Return class probabilities: the sigmoid or softmax of the logits."""
        return get_loss(loss).predict_proba(self(X))

    def copy(self) -> Network:
        """Return an independent copy with the same weights."""
        return Network([layer.copy() for layer in self.layers])

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        return f"Network([{', '.join(map(repr, self.layers))}])"


def _check_sizes(sizes: Sequence[int]) -> list[int]:
    checked = []
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, int | np.integer):
            raise ValueError(f"invalid layer size {size!r}: expected an integer")
        if size < 1:
            raise ValueError(f"invalid layer size {size}: expected at least 1")
        checked.append(int(size))
    if len(checked) < 2:
        raise ValueError(
            f"invalid sizes {list(sizes)!r}: give at least the number of inputs "
            "and of outputs, for example [2, 8, 1]"
        )
    return checked


def _per_hidden_layer(
    hidden: ActivationLike | Sequence[ActivationLike], n_hidden: int
) -> list[ActivationLike]:
    if isinstance(hidden, str | activations.Activation):
        return [hidden] * n_hidden
    hidden = list(hidden)
    if len(hidden) != n_hidden:
        raise ValueError(
            f"got {len(hidden)} hidden activations for {n_hidden} hidden "
            "layer(s): give one name, or one per hidden layer"
        )
    return hidden


def _finite_bias(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    if not math.isfinite(number) or isinstance(value, bool):
        raise ValueError(f"invalid bias={value!r}: expected a finite number")
    return number


def _per_layer_bias(bias: float | Sequence[float], n_layers: int) -> list[float]:
    if isinstance(bias, int | float | np.number) and not isinstance(bias, bool):
        biases = [_finite_bias(bias)] * (n_layers - 1) + [0.0]
        return biases
    if isinstance(bias, str | bytes | bool):
        raise ValueError(f"invalid bias={bias!r}: give a number or one per layer")
    biases = [_finite_bias(value) for value in bias]
    if len(biases) != n_layers:
        raise ValueError(
            f"got {len(biases)} biases for {n_layers} layer(s): give one number "
            "for the hidden layers, or one per layer"
        )
    return biases
