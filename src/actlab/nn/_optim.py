"""Optimisers and weight penalties, acting on a network's flat parameter vector.

A ``Network`` keeps all its weights and biases in one vector (``parameters``),
so an optimiser step is a handful of array operations whatever the depth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


def _check_rate(value: Any) -> float:
    try:
        rate = float(value)
    except (TypeError, ValueError):
        rate = math.nan
    if not (math.isfinite(rate) and rate > 0):
        raise ValueError(
            f"invalid learning rate {value!r}: expected a finite number above 0"
        )
    return rate


def _check_fraction(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not 0.0 <= number < 1.0:
        raise ValueError(f"invalid {name} {value!r}: expected a number in [0, 1)")
    return number


class Optimiser:
    """Base class: updates a parameter vector in place from its gradient.

    ``learning_rate`` may be changed between steps. The optimiser's state (a
    velocity, moment estimates) is created on the first step for one parameter
    vector, so use one optimiser per network, or call ``reset`` in between.
    """

    def __init__(self, learning_rate: float):
        self.learning_rate = learning_rate
        self.steps = 0

    @property
    def learning_rate(self) -> float:
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self._learning_rate = _check_rate(value)

    def apply(self, parameters: np.ndarray, gradient: np.ndarray) -> None:
        """Update ``parameters`` in place, one step against ``gradient``."""
        raise NotImplementedError

    def reset(self) -> None:
        """Forget the state and the step count, as if no step had been taken."""
        self.steps = 0

    def _zeros_like(self, state: np.ndarray | None, parameters: np.ndarray):
        if state is None:
            return np.zeros_like(parameters)
        if state.shape != parameters.shape or state.dtype != parameters.dtype:
            raise ValueError(
                f"this optimiser's state is for {state.size} {state.dtype} "
                f"parameters, but got {parameters.size} {parameters.dtype} ones: "
                "use a new optimiser for each network, or call reset() first"
            )
        return state


class SGD(Optimiser):
    """Stochastic gradient descent, with optional (Nesterov) momentum.

    With momentum m the step keeps a velocity v:
    ``v = m v - lr g`` and then ``w += v``, or ``w += m v - lr g`` for Nesterov.
    """

    def __init__(
        self,
        learning_rate: float = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
    ):
        super().__init__(learning_rate)
        self.momentum = _check_fraction("momentum", momentum)
        if nesterov and self.momentum == 0:
            raise ValueError(
                "nesterov=True needs a momentum above 0, for example momentum=0.9"
            )
        self.nesterov = bool(nesterov)
        self._velocity: np.ndarray | None = None

    def apply(self, parameters: np.ndarray, gradient: np.ndarray) -> None:
        rate = self._learning_rate
        self.steps += 1
        if self.momentum == 0:
            parameters -= rate * gradient
            return

        velocity = self._zeros_like(self._velocity, parameters)
        self._velocity = velocity
        velocity *= self.momentum
        velocity -= rate * gradient
        if self.nesterov:
            parameters += self.momentum * velocity - rate * gradient
        else:
            parameters += velocity

    def reset(self) -> None:
        super().reset()
        self._velocity = None

    def __repr__(self) -> str:
        extra = f", momentum={self.momentum:g}" if self.momentum else ""
        extra += ", nesterov=True" if self.nesterov else ""
        return f"SGD(learning_rate={self.learning_rate:g}{extra})"


class Adam(Optimiser):
    """Adam: steps scaled by running estimates of the gradient's first two moments.

    The update is ``w -= lr * m_hat / (sqrt(v_hat) + epsilon)`` with the moment
    estimates m and v corrected for their start at zero.
    """

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
    ):
        super().__init__(learning_rate)
        self.beta1 = _check_fraction("beta1", beta1)
        self.beta2 = _check_fraction("beta2", beta2)
        self.epsilon = float(epsilon)
        if not self.epsilon > 0:
            raise ValueError(f"invalid epsilon {epsilon!r}: expected a number above 0")
        self._first: np.ndarray | None = None
        self._second: np.ndarray | None = None

    def apply(self, parameters: np.ndarray, gradient: np.ndarray) -> None:
        first = self._zeros_like(self._first, parameters)
        second = self._zeros_like(self._second, parameters)
        self._first, self._second = first, second
        self.steps += 1

        first += (1.0 - self.beta1) * (gradient - first)
        second += (1.0 - self.beta2) * (gradient * gradient - second)

        # The bias corrections folded into the step size and epsilon, which is
        # algebraically the textbook m_hat / (sqrt(v_hat) + epsilon).
        correction1 = 1.0 - self.beta1**self.steps
        correction2 = math.sqrt(1.0 - self.beta2**self.steps)
        denominator = np.sqrt(second)
        denominator += self.epsilon * correction2
        np.divide(first, denominator, out=denominator)
        denominator *= self._learning_rate * correction2 / correction1
        parameters -= denominator

    def reset(self) -> None:
        super().reset()
        self._first = None
        self._second = None

    def __repr__(self) -> str:
        return (
            f"Adam(learning_rate={self.learning_rate:g}, beta1={self.beta1:g}, "
            f"beta2={self.beta2:g}, epsilon={self.epsilon:g})"
        )


_OPTIMISERS: dict[str, type[Optimiser]] = {"sgd": SGD, "adam": Adam}


def optimiser_names() -> list[str]:
    """Return the optimiser names that ``get_optimiser`` takes."""
    return list(_OPTIMISERS)


def get_optimiser(name: str, **options: Any) -> Optimiser:
    """Create the optimiser ``name`` (``"sgd"`` or ``"adam"``) with ``options``.

    >>> get_optimiser("sgd", learning_rate=0.1, momentum=0.9)
    SGD(learning_rate=0.1, momentum=0.9)
    """
    key = name.strip().lower() if isinstance(name, str) else name
    if key not in _OPTIMISERS:
        choices = ", ".join(_OPTIMISERS)
        raise ValueError(f"unknown optimiser {name!r}: choose one of {choices}")
    return _OPTIMISERS[key](**options)


@dataclass(frozen=True)
class Penalty:
    """L1 and L2 penalties on the weights (never the biases).

    The penalty added to the loss is ``l1 * sum(|w|) + l2 / 2 * sum(w**2)``, so
    its gradient is ``l1 * sign(w) + l2 * w``: ``l2`` is the weight-decay rate.
    """

    l1: float = 0.0
    l2: float = 0.0

    def __post_init__(self) -> None:
        for name in ("l1", "l2"):
            value = getattr(self, name)
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = math.nan
            if not (math.isfinite(number) and number >= 0):
                raise ValueError(
                    f"invalid {name}={value!r}: expected a finite number >= 0"
                )
            object.__setattr__(self, name, number)

    def value(self, weights: np.ndarray) -> float:
        """Return the penalty of the weight vector ``weights``."""
        total = 0.0
        if self.l1:
            total += self.l1 * float(np.abs(weights).sum())
        if self.l2:
            total += 0.5 * self.l2 * float(np.vdot(weights, weights))
        return total

    def add_gradient(self, weights: np.ndarray, gradient: np.ndarray) -> None:
        """Add the penalty's gradient at ``weights`` to ``gradient`` in place."""
        if self.l1:
            gradient += self.l1 * np.sign(weights)
        if self.l2:
            gradient += self.l2 * weights
