"""The classic activations: sigmoid, ReLU, linear, tanh and their smooth kin.

Each value function's docstring states g and g', the output range and the
derivative chosen at each kink. The record beside it contains the same facts
as data. The other families live in ``_entries_relu`` (leaky ReLU, ELU, SELU,
CELU), ``_entries_gated`` (SiLU, GELU, Mish), ``_entries_hard`` (ReLU6 and the
hard variants) and ``_entries_softmax``. Importing this module registers every
record, this module's first, so ``names()`` lists the classic functions first.
"""

from __future__ import annotations

import numpy as np

from . import (
    _entries_gated,
    _entries_hard,
    _entries_relu,
    _entries_softmax,
)
from . import _numerics as nx
from ._registry import Parameter, Role, Spec, register

INF = float("inf")

# The records of this module, in the order the registry lists them.
SPECS: list[Spec] = []


def _sigmoid(z):
    r"""Logistic sigmoid.

    .. math::

        g(z) = \frac{1}{1 + e^{-z}}, \qquad g'(z) = g(z)\,g(-z)

    The output lies in (0, 1), the slope peaks at g'(0) = 1/4 and g is smooth
    everywhere. The derivative is computed from z as ``s(-|z|) * (1 - s(-|z|))``,
    never as ``s * (1 - s)`` from the output, which rounds to zero once s rounds
    to 1 (z >= 17 in float32, z >= 37 in float64).

    Examples
    --------
    >>> from actlab import activations
    >>> sigmoid = activations.get("sigmoid")
    >>> float(sigmoid(0.0)), float(sigmoid.derivative(0.0))
    (0.5, 0.25)
    """
    return nx.sigmoid(z)


SPECS.append(
    Spec(
        name="sigmoid",
        aliases=("logistic",),
        formula=r"\sigma(z) = \frac{1}{1 + e^{-z}}",
        derivative_formula=r"\sigma'(z) = \sigma(z)\,\sigma(-z)",
        value=_sigmoid,
        derivative=nx.sigmoid_slope,
        output_range=(0.0, 1.0),
        range_text="(0, 1)",
        description=(
            "Squashes any real number into (0, 1), so its output reads as a "
            "probability. That makes it the natural output for a yes/no target, "
            "but in hidden layers it is flat for large |z| on both sides and its "
            "slope never exceeds 0.25, so gradients shrink layer after layer."
        ),
        roles=frozenset({Role.BINARY_OUTPUT}),
        flat_regions="z << 0 and z >> 0 (|z| > 7 gives a slope below 0.001)",
        saturates=True,
        max_derivative=0.25,
        initialiser="xavier",
    )
)


def _relu(z):
    r"""Rectified linear unit.

    .. math::

        g(z) = \max(0, z), \qquad
        g'(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}

    The output lies in [0, inf). At the kink z = 0 the derivative is taken as
    0, the slope of the flat side; -0.0 counts as 0. A NaN input gives NaN for
    both the value and the derivative.

    Examples
    --------
    >>> from actlab import activations
    >>> relu = activations.get("relu")
    >>> relu([-2.0, 0.0, 3.0]).tolist(), relu.derivative([-2.0, 0.0, 3.0]).tolist()
    ([0.0, 0.0, 3.0], [0.0, 0.0, 1.0])
    """
    return np.maximum(z, 0.0)


def _relu_derivative(z):
    return nx.keep_nan((z > 0).astype(z.dtype), z)


SPECS.append(
    Spec(
        name="relu",
        formula=r"\mathrm{ReLU}(z) = \max(0, z)",
        derivative_formula=r"\mathrm{ReLU}'(z) = 1 \text{ if } z > 0 \text{ else } 0",
        value=_relu,
        derivative=_relu_derivative,
        output_range=(0.0, INF),
        range_text="[0, inf)",
        description=(
            "Passes positive inputs through unchanged and sets negative ones to "
            "zero. It costs one comparison, its slope is exactly 1 wherever the "
            "unit is active, and it is flat only on one side, which is why it is "
            "the default for hidden layers. A unit whose z stays negative for "
            "every example gets no gradient and can stay dead."
        ),
        roles=frozenset({Role.HIDDEN, Role.NONNEGATIVE_OUTPUT}),
        flat_regions="z < 0",
        dead_region="z < 0",
        kinks=(0.0,),
        kink_derivatives="g'(0) = 0, the slope of the flat side",
        kink_derivative_values=(0.0,),
        smooth=False,
        can_die=True,
        initialiser="he",
    )
)


def _linear(z):
    r"""Identity: the output is the pre-activation.

    .. math::

        g(z) = z, \qquad g'(z) = 1

    The output range is (-inf, inf). The value is a copy, so writing into it
    leaves the input alone.

    Examples
    --------
    >>> from actlab import activations
    >>> activations.get("identity")([-1.5, 2.0]).tolist()
    [-1.5, 2.0]
    """
    return z.copy()


def _linear_derivative(z):
    return nx.keep_nan(np.ones_like(z), z)


SPECS.append(
    Spec(
        name="linear",
        aliases=("identity",),
        formula=r"g(z) = z",
        derivative_formula=r"g'(z) = 1",
        value=_linear,
        derivative=_linear_derivative,
        output_range=(-INF, INF),
        range_text="(-inf, inf)",
        description=(
            "Leaves z as it is. It is the output for a real-valued target that "
            "can be any number. In hidden layers it adds nothing: a stack of "
            "linear layers is one linear layer, whatever its depth."
        ),
        roles=frozenset({Role.REAL_OUTPUT}),
        zero_centred=True,
        initialiser="lecun",
    )
)


def _tanh(z):
    r"""Hyperbolic tangent.

    .. math::

        g(z) = \tanh z = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}, \qquad
        g'(z) = 1 - \tanh^2 z = \frac{1}{\cosh^2 z}

    The output lies in (-1, 1), g is odd and smooth, and g'(0) = 1 is the
    largest slope. The derivative is computed as ``2 / (cosh(2z) + 1)``, which
    keeps full relative precision where ``1 - tanh(z)**2`` rounds to 0, and in
    float64 for float32 input.

    Examples
    --------
    >>> from actlab import activations
    >>> tanh = activations.get("tanh")
    >>> float(tanh(0.0)), float(tanh.derivative(0.0))
    (0.0, 1.0)
    """
    return np.tanh(z)


@nx.in_float64
def _tanh_derivative(z):
    # 2 / (cosh(2z) + 1) = 1 / cosh(z)^2 without squaring a rounded value. The
    # clip keeps cosh finite, and the tail beyond it is patched below.
    out = np.clip(z, -_TANH_TAIL, _TANH_TAIL)
    out *= 2
    np.cosh(out, out=out)
    out += 1
    np.divide(2.0, out, out=out)
    magnitude = np.abs(z)
    return nx.patch(out, magnitude > _TANH_TAIL, _tanh_derivative_tail, magnitude)


# Past |z| = 350, cosh(2z) overflows before sech(z)^2 leaves the subnormals.
_TANH_TAIL = 350.0


def _tanh_derivative_tail(magnitude):
    return nx.exp_times(-2 * magnitude, 4.0)


SPECS.append(
    Spec(
        name="tanh",
        formula=r"\tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}",
        derivative_formula=r"\tanh'(z) = 1 - \tanh^2(z)",
        value=_tanh,
        derivative=_tanh_derivative,
        output_range=(-1.0, 1.0),
        range_text="(-1, 1)",
        description=(
            "A sigmoid stretched to (-1, 1) and centred on zero, with a slope of 1 "
            "at the origin. Zero-centred outputs help the next layer learn, but "
            "it still saturates at both ends, so deep tanh stacks also lose "
            "their gradient."
        ),
        roles=frozenset({Role.HIDDEN}),
        zero_centred=True,
        flat_regions="z << 0 and z >> 0 (|z| > 4.2 gives a slope below 0.001)",
        saturates=True,
        initialiser="xavier",
    )
)


def _softplus(z, beta):
    r"""Softplus, a smooth ReLU with sharpness ``beta``.

    .. math::

        g(z) = \frac{1}{\beta} \log\left(1 + e^{\beta z}\right), \qquad
        g'(z) = \sigma(\beta z)

    The output lies in (0, inf) and g is smooth. There is no linear cut-off at
    large z: ``max(z, 0) + log1p(exp(-beta |z|)) / beta`` cannot overflow, and
    at beta = 1 it is within 4 ulp over the whole float range (the accuracy
    tests sweep it). With beta != 1 the product beta * z is rounded, so the
    relative error grows like |beta z| ulp in the far left tail.

    Examples
    --------
    >>> from actlab import activations
    >>> softplus = activations.get("softplus")
    >>> float(softplus(0.0)) == float(np.log(2.0)), float(softplus.derivative(0.0))
    (True, 0.5)
    """
    return nx.softplus(z, beta)


def _softplus_derivative(z, beta):
    return nx.sigmoid(z if beta == 1 else beta * z)


SPECS.append(
    Spec(
        name="softplus",
        formula=r"g(z) = \frac{1}{\beta}\log\left(1 + e^{\beta z}\right)",
        derivative_formula=r"g'(z) = \sigma(\beta z)",
        value=_softplus,
        derivative=_softplus_derivative,
        parameters=(
            Parameter(
                "beta",
                1.0,
                "Sharpness: larger beta bends closer to ReLU at the origin.",
                low=0.0,
                low_open=True,
                slider=(0.1, 10.0),
            ),
        ),
        output_range=(0.0, INF),
        range_text="(0, inf)",
        description=(
            "A smooth version of ReLU: close to zero for negative z, close to z "
            "for positive z, with the logistic sigmoid as its slope. Its output "
            "is always positive, which suits a target such as a rate or a "
            "variance. In hidden layers it trains like ReLU without a hard kink, "
            "but its slope still fades for very negative z."
        ),
        roles=frozenset({Role.HIDDEN, Role.NONNEGATIVE_OUTPUT}),
        flat_regions="z << 0 (beta z < -7 gives a slope below 0.001)",
        initialiser="he",
    )
)


def _softsign(z):
    r"""Softsign, a rational sigmoid-shaped function.

    .. math::

        g(z) = \frac{z}{1 + |z|}, \qquad g'(z) = \frac{1}{(1 + |z|)^2}

    The output lies in (-1, 1) and g is odd. g' is continuous (the kink of |z|
    cancels at 0, where g'(0) = 1), and it decays like 1/z^2, much more slowly
    than tanh's exponential tail. The input is clipped to +-2**60 first, where
    g already rounds to +-1, so +-inf gives +-1 instead of inf / inf.

    Examples
    --------
    >>> from actlab import activations
    >>> activations.get("softsign")([-3.0, 1.0]).tolist()
    [-0.75, 0.5]
    """
    bounded = np.clip(z, -(2.0**60), 2.0**60)
    out = np.abs(bounded)
    out += 1
    np.divide(bounded, out, out=out)
    return out


def _softsign_derivative(z):
    # (1 / (1 + |z|))^2 rather than 1 / (1 + |z|)^2: the square of a huge
    # denominator would overflow before the result reaches the subnormals.
    out = np.abs(z)
    out += 1
    np.reciprocal(out, out=out)
    out *= out
    return out


SPECS.append(
    Spec(
        name="softsign",
        formula=r"g(z) = \frac{z}{1 + |z|}",
        derivative_formula=r"g'(z) = \frac{1}{(1 + |z|)^2}",
        value=_softsign,
        derivative=_softsign_derivative,
        output_range=(-1.0, 1.0),
        range_text="(-1, 1)",
        description=(
            "Shaped like tanh and centred on zero, but it approaches its "
            "limits of -1 and 1 polynomially rather than exponentially. Its "
            "slope therefore fades more gently for large |z|, so a saturated "
            "unit recovers sooner than a tanh unit would, at the cost of a "
            "softer transition near zero."
        ),
        roles=frozenset({Role.HIDDEN}),
        zero_centred=True,
        flat_regions="|z| >> 1 (|z| > 31 gives a slope below 0.001)",
        saturates=True,
        initialiser="xavier",
    )
)


def _log_sigmoid(z):
    r"""Logarithm of the logistic sigmoid.

    .. math::

        g(z) = \log \sigma(z) = -\log\left(1 + e^{-z}\right), \qquad
        g'(z) = \sigma(-z)

    The output lies in (-inf, 0), g is smooth and increasing, and
    g(-inf) = -inf, g(+inf) = 0. It is the log-probability of the positive
    class, computed without forming sigma(z), so it stays exact where sigma
    underflows (log_sigmoid(-1000) = -1000), as ``min(z, 0) - log1p(exp(-|z|))``.

    Examples
    --------
    >>> from actlab import activations
    >>> float(activations.get("log_sigmoid")(-1000.0))
    -1000.0
    """
    return nx.log_sigmoid(z)


def _log_sigmoid_derivative(z):
    return nx.sigmoid(np.negative(z))


SPECS.append(
    Spec(
        name="log_sigmoid",
        aliases=("logsigmoid",),
        formula=r"g(z) = \log\sigma(z) = -\log\left(1 + e^{-z}\right)",
        derivative_formula=r"g'(z) = \sigma(-z)",
        value=_log_sigmoid,
        derivative=_log_sigmoid_derivative,
        output_range=(-INF, 0.0),
        range_text="(-inf, 0)",
        description=(
            "The logarithm of the sigmoid, which is the log-probability a "
            "binary classifier assigns to the positive class. Computing it "
            "directly keeps losses on logits exact where the sigmoid itself "
            "would round to 0 or 1. It is a building block of losses, such as "
            "binary cross-entropy on logits, and is rarely used as a hidden "
            "activation or as a network's output, so it suits no particular "
            "role. Its curve is a mirrored softplus: linear for very negative z "
            "and flat near zero for large z."
        ),
        roles=frozenset(),
        flat_regions="z >> 0 (z > 7 gives a slope below 0.001)",
        initialiser="he",
    )
)


def _register_all() -> None:
    families = (
        _entries_relu.SPECS,
        _entries_gated.SPECS,
        _entries_hard.SPECS,
        _entries_softmax.SPECS,
    )
    for spec in [*SPECS, *(s for family in families for s in family)]:
        register(spec)


_register_all()
