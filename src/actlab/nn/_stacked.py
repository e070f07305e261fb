"""Losses and optimiser steps on stacked arrays, one row or block per member.

Every function here repeats the arithmetic of the single-network version in
``_losses`` and ``_optim``, in the same order. Member i of a population
therefore gets the same gradient and the same update, bit for bit, as a
network trained alone. Only the loss values of ``mse`` may differ in the last
bits, because the single-network loss sums with ``np.vdot``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import special

from ._losses import Loss
from ._optim import SGD, Adam, Optimiser, _check_rate

StackedLoss = Callable[[np.ndarray, np.ndarray, bool], tuple[np.ndarray, np.ndarray]]


def _bce(
    output: np.ndarray, target: np.ndarray, shared: bool
) -> tuple[np.ndarray, np.ndarray]:
    size = output[0].size
    sign = 1.0 - 2.0 * target
    signed = output * sign
    losses = np.logaddexp(0.0, signed)
    # The single-network loss divides a Python float, so in float64.
    values = losses.reshape(len(output), -1).sum(axis=1).astype(np.float64) / size
    gradient = special.expit(signed)
    gradient *= sign
    gradient *= 1.0 / size
    return values, gradient


def _softmax_ce(
    output: np.ndarray, target: np.ndarray, shared: bool
) -> tuple[np.ndarray, np.ndarray]:
    n = output.shape[1]
    labels = np.broadcast_to(target, output.shape[:2])[..., None]
    shifted = output - output.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    sums = exp.sum(axis=-1, keepdims=True)
    picked = np.take_along_axis(shifted, labels, axis=-1)[..., 0]
    losses = np.log(sums[..., 0]) - picked
    values = losses.sum(axis=-1).astype(np.float64) / n
    gradient = exp / sums
    at_label = np.take_along_axis(gradient, labels, axis=-1)
    np.put_along_axis(gradient, labels, at_label - 1.0, axis=-1)
    gradient *= 1.0 / n
    return values, gradient


def _mse(
    output: np.ndarray, target: np.ndarray, shared: bool
) -> tuple[np.ndarray, np.ndarray]:
    size = output[0].size
    error = output - target
    squares = error * error
    values = squares.reshape(len(output), -1).sum(axis=1) / size
    error *= 2.0 / size
    return values, error


_STACKED_LOSSES: dict[str, StackedLoss] = {
    "bce": _bce,
    "softmax_ce": _softmax_ce,
    "mse": _mse,
}


def stacked_loss(loss: Loss) -> StackedLoss:
    """Return ``loss`` as a function of stacked outputs ``(P, n, n_out)``.

    The function takes the outputs, the targets and whether the targets are
    shared by all members (shaped as ``loss.prepare`` returns them) or
    stacked with a leading axis of P. It returns the members' mean losses,
    shape ``(P,)``, and the gradient with respect to the outputs. A loss
    outside the three built-in ones is applied member by member.
    """
    if type(loss).__module__ == Loss.__module__ and loss.name in _STACKED_LOSSES:
        return _STACKED_LOSSES[loss.name]
    return lambda output, target, shared: _loss_per_member(loss, output, target, shared)


def _loss_per_member(
    loss: Loss, output: np.ndarray, target: np.ndarray, shared: bool
) -> tuple[np.ndarray, np.ndarray]:
    values = np.empty(len(output))
    gradient = np.empty_like(output)
    for i, member_output in enumerate(output):
        member_target = target if shared else target[i]
        values[i], gradient[i] = loss.value_and_gradient(member_output, member_target)
    return values, gradient


def check_rates(template: Optimiser, learning_rates: Any, n_members: int) -> np.ndarray:
    """Return one learning rate per member, in float64, or raise ``ValueError``."""
    _check_template(template)
    if learning_rates is None:
        return np.full(n_members, template.learning_rate)
    if isinstance(learning_rates, int | float | np.number):
        return np.full(n_members, _check_rate(learning_rates))
    rates = [_check_rate(rate) for rate in learning_rates]
    if len(rates) != n_members:
        raise ValueError(
            f"got {len(rates)} learning rates for a population of {n_members}: "
            "give one rate, or one per member"
        )
    return np.array(rates, dtype=np.float64)


class StackedOptimiser:
    """The step of an SGD or Adam ``template``, with one learning rate per member.

    ``apply`` updates stacked parameters ``(P, n_parameters)`` in place with
    the template's formula. Its momentum, betas and epsilon are shared by all
    members, and its own learning rate is replaced by ``rates``.
    """

    def __init__(self, template: Optimiser, rates: Sequence[float], dtype: Any):
        _check_template(template)
        self.template = template
        self.rates = np.array(rates, dtype=np.float64)
        # A Python float meets a float32 array as a float32, so the rates are
        # rounded to the parameters' dtype the same way.
        self._rates = self.rates.astype(dtype)[:, None]
        self.steps = 0
        self._state: list[np.ndarray] = []

    def apply(self, parameters: np.ndarray, gradient: np.ndarray) -> None:
        """Update ``parameters`` in place, one step against ``gradient``."""
        if not self._state:
            count = 2 if isinstance(self.template, Adam) else 1
            self._state = [np.zeros_like(parameters) for _ in range(count)]
        self.steps += 1
        if isinstance(self.template, Adam):
            self._adam(parameters, gradient)
        else:
            self._sgd(parameters, gradient)

    def _sgd(self, parameters: np.ndarray, gradient: np.ndarray) -> None:
        sgd = self.template
        rate = self._rates
        if sgd.momentum == 0:
            parameters -= rate * gradient
            return
        velocity = self._state[0]
        velocity *= sgd.momentum
        velocity -= rate * gradient
        if sgd.nesterov:
            parameters += sgd.momentum * velocity - rate * gradient
        else:
            parameters += velocity

    def _adam(self, parameters: np.ndarray, gradient: np.ndarray) -> None:
        adam = self.template
        first, second = self._state
        first += (1.0 - adam.beta1) * (gradient - first)
        second += (1.0 - adam.beta2) * (gradient * gradient - second)

        # The same folded bias correction as Adam.apply, with the factor
        # lr * correction2 / correction1 computed in float64 per member.
        correction1 = 1.0 - adam.beta1**self.steps
        correction2 = math.sqrt(1.0 - adam.beta2**self.steps)
        factor = self.rates * correction2 / correction1
        denominator = np.sqrt(second)
        denominator += adam.epsilon * correction2
        np.divide(first, denominator, out=denominator)
        denominator *= factor.astype(parameters.dtype)[:, None]
        parameters -= denominator


def _check_template(template: Any) -> None:
    if type(template) not in (SGD, Adam):
        raise ValueError(
            f"a population trains with nn.SGD or nn.Adam, got {template!r}: "
            "pass one of them as the template"
        )
