"""Softmax, the vector-valued output for a multi-class target."""

from __future__ import annotations

import numpy as np

from . import _numerics as nx
from ._registry import Parameter, Role, Spec

# The records of this module, in the order the registry lists them.
SPECS: list[Spec] = []

# exp(d) is 0 in float64 for d < -746 (and sooner in float32), so the rounding
# error of d = z - max matters only above that. Error terms below it are
# dropped, including the NaN ones that -inf logits produce.
_EXP_ZERO_BELOW = -746.0


def _check_axis(z, axis):
    if z.ndim == 0:
        raise ValueError(
            "softmax needs an array with at least one axis, got a scalar; "
            "pass the logits as a vector"
        )
    if not -z.ndim <= axis < z.ndim:
        raise ValueError(
            f"invalid axis={axis} for softmax of an array with {z.ndim} "
            f"dimension(s): choose an axis in [{-z.ndim}, {z.ndim - 1}]"
        )
    if z.shape[axis] == 0:
        raise ValueError(
            f"softmax needs at least one logit along axis {axis}, but the input "
            f"has shape {z.shape}; pass one score per class"
        )


def _weights(z, axis):
    """Return (exp(z - max), max) along ``axis``, the unnormalised softmax.

    The rounding error of z - max is carried to first order, because exp
    turns an absolute error of 1e-13 at z - max = -700 into a relative one.
    Slices whose maximum is not finite follow the limits given in _softmax.
    """
    top = np.max(z, axis=axis, keepdims=True)
    finite = np.isfinite(top)
    shift = top if finite.all() else np.where(finite, top, 0.0)
    # A logit of -inf makes a NaN error term, which the next line discards.
    with np.errstate(invalid="ignore"):
        difference, error = nx.two_sum(z, np.negative(shift))
    np.copyto(error, 0.0, where=~(difference >= _EXP_ZERO_BELOW))
    error += 1
    weights = np.exp(difference, out=difference)
    weights *= error
    if not finite.all():
        indicator = (z == np.inf).astype(z.dtype)
        np.copyto(weights, indicator, where=top == np.inf)
        np.copyto(weights, np.nan, where=np.isnan(top) | (top == -np.inf))
    return weights, top


def _softmax(z, axis):
    r"""Softmax along ``axis``: exponentiate and normalise to sum to 1.

    .. math::

        s_i(z) = \frac{e^{z_i}}{\sum_j e^{z_j}}, \qquad
        \frac{\partial s_i}{\partial z_j} = s_i (\delta_{ij} - s_j)

    Every output lies in (0, 1) and each slice along ``axis`` sums to 1.
    Shifting by the maximum logit makes huge logits safe: ``[1, 1, 1e100]``
    gives ``[0, 0, 1]``. For non-finite logits: entries equal to +inf share the
    mass equally, -inf entries get 0, a slice that is all -inf or contains
    NaN gives NaN.

    The derivative of a vector function is a matrix, so
    ``act.derivative(z, v)`` returns the Jacobian-vector product
    :math:`J v = s \odot (v - \langle s, v \rangle)` along ``axis``, and
    ``act.derivative(z)`` without ``v`` returns the diagonal of the Jacobian,
    :math:`s_i (1 - s_i)`. Both compute :math:`1 - s_i` for the largest
    :math:`s_i` as the sum of the other weights, so it does not round to 0
    when one logit dominates. The Jacobian's largest singular value never
    exceeds 1/2 (``max_derivative``), and each diagonal entry
    :math:`s_i (1 - s_i)` never exceeds 1/4 (``extra["max_diagonal_derivative"]``).

    Examples
    --------
    >>> from actlab import activations
    >>> softmax = activations.get("softmax")
    >>> softmax([0.0, 0.0]).tolist(), softmax.derivative([0.0, 0.0]).tolist()
    ([0.5, 0.5], [0.25, 0.25])
    >>> softmax.derivative([0.0, 0.0], [1.0, 0.0]).tolist()
    [0.25, -0.25]
    """
    _check_axis(z, axis)
    weights, _ = _weights(z, axis)
    weights /= np.sum(weights, axis=axis, keepdims=True)
    return weights


def _complements(weights, z, top, axis):
    """Return 1 - s for every entry, exact where s is near 1.

    Only an entry at the row maximum can have s > 1/2. For such an entry,
    1 - s = (the other weights) / total, where the other weights are the other
    maxima (weight 1 each) plus the sum over entries below the maximum.
    """
    total = np.sum(weights, axis=axis, keepdims=True)
    at_top = z == top
    below = np.sum(np.where(at_top, 0.0, weights), axis=axis, keepdims=True)
    ties = (np.sum(at_top, axis=axis, keepdims=True) - 1).astype(z.dtype)
    others = np.where(at_top, below + ties, total - weights)
    return others / total, total


def _softmax_derivative(z, v=None, *, axis):
    """Return J(z) v along ``axis``, or the diagonal of J(z) when v is None."""
    _check_axis(z, axis)
    weights, top = _weights(z, axis)
    complements, total = _complements(weights, z, top, axis)
    s = weights / total
    if v is None:
        return s * complements
    v = np.broadcast_to(v, z.shape)
    # (v - <s, v>)_i = sum_j s_j (v_i - v_j); at the row maximum the j = i term
    # vanishes, so v_i (1 - s_i) - sum_{j != i} s_j v_j avoids rounding 1 - s_i.
    products = s * v
    centred = v - np.sum(products, axis=axis, keepdims=True)
    at_top = z == top
    np.copyto(products, 0.0, where=at_top)
    others = np.sum(products, axis=axis, keepdims=True)
    np.copyto(centred, v * complements - others, where=at_top & (s > 0.5))
    centred *= s
    return centred


SPECS.append(
    Spec(
        name="softmax",
        formula=r"s_i(z) = \frac{e^{z_i}}{\sum_j e^{z_j}}",
        derivative_formula=(
            r"\frac{\partial s_i}{\partial z_j} = s_i\,(\delta_{ij} - s_j),\quad "
            r"J v = s \odot \bigl(v - \langle s, v\rangle\bigr)"
        ),
        value=_softmax,
        derivative=_softmax_derivative,
        parameters=(
            Parameter(
                "axis",
                -1,
                "Axis along which the logits of one example lie.",
                integer=True,
                slider=(-1.0, 1.0),
            ),
        ),
        output_range=(0.0, 1.0),
        range_text="(0, 1), summing to 1 along axis",
        description=(
            "Turns a vector of scores into a probability distribution over "
            "classes: each output is positive and they sum to 1. Only "
            "differences between scores matter, so adding a constant to every "
            "logit changes nothing. It is not monotonic as a map of vectors: "
            "raising one logit raises its own output and lowers every other "
            "one. It is the output for a target with one of several classes, "
            "paired with cross-entropy on the logits."
        ),
        roles=frozenset({Role.MULTICLASS_OUTPUT}),
        flat_regions="one logit far above the others (every s_i near 0 or 1)",
        saturates=True,
        monotonic=False,
        # The Jacobian's largest singular value, which bounds how much softmax
        # can scale a gradient. The plotted diagonal s_i (1 - s_i) peaks lower.
        max_derivative=0.5,
        initialiser="xavier",
        vector=True,
        extra={"max_diagonal_derivative": 0.25},
    )
)
