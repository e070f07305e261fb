"""Piecewise-linear activations with two knees: ReLU6 and the hard variants.

At every knee the derivative is taken from the outer piece, the one that
continues to infinity: g'(knee) = 0 where the outer piece is flat, and 1 at the
upper knee of hard_swish, whose outer piece is the identity.
"""

from __future__ import annotations

import numpy as np

from . import _numerics as nx
from ._registry import Role, Spec

INF = float("inf")

# The records of this module, in the order the registry lists them.
SPECS: list[Spec] = []


def _relu6(z):
    r"""ReLU capped at 6.

    .. math::

        g(z) = \min(\max(0, z), 6), \qquad
        g'(z) = \begin{cases} 1 & 0 < z < 6 \\ 0 & \text{otherwise} \end{cases}

    The output lies in [0, 6]. Both knees take the slope of the flat outer
    piece: g'(0) = 0 and g'(6) = 0.

    Examples
    --------
    >>> from actlab import activations
    >>> relu6 = activations.get("relu6")
    >>> relu6([-1.0, 3.0, 9.0]).tolist(), relu6.derivative([0.0, 3.0, 6.0]).tolist()
    ([0.0, 3.0, 6.0], [0.0, 1.0, 0.0])
    """
    return np.clip(z, 0.0, 6.0)


def _relu6_derivative(z):
    inside = (z > 0) & (z < 6)
    return nx.keep_nan(inside.astype(z.dtype), z)


SPECS.append(
    Spec(
        name="relu6",
        formula=r"g(z) = \min(\max(0, z), 6)",
        derivative_formula=r"g'(z) = 1 \text{ if } 0 < z < 6 \text{ else } 0",
        value=_relu6,
        derivative=_relu6_derivative,
        output_range=(0.0, 6.0),
        range_text="[0, 6]",
        description=(
            "ReLU with its output capped at 6. The cap keeps activations in a "
            "small fixed range, which suits low-precision arithmetic on mobile "
            "hardware, but it adds a second flat side: a unit pushed above 6 "
            "gets no gradient, just like one stuck below 0."
        ),
        roles=frozenset({Role.HIDDEN}),
        smooth=False,
        flat_regions="z < 0 and z > 6",
        dead_region="z < 0 and z > 6",
        kinks=(0.0, 6.0),
        kink_derivatives="g'(0) = 0 and g'(6) = 0, the slopes of the flat sides",
        kink_derivative_values=(0.0, 0.0),
        can_die=True,
        saturates=True,
        initialiser="he",
    )
)


def _hard_sigmoid(z):
    r"""Hard sigmoid: a linear ramp from 0 to 1 between -3 and 3.

    .. math::

        g(z) = \frac{\mathrm{ReLU6}(z + 3)}{6}, \qquad
        g'(z) = \begin{cases} 1/6 & -3 < z < 3 \\ 0 & \text{otherwise}
        \end{cases}

    The output lies in [0, 1] and g(0) = 1/2, as for the sigmoid. Both knees
    take the slope of the flat outer piece: g'(-3) = 0 and g'(3) = 0. The
    shift z + 3 is exact near the lower knee, so small outputs keep full
    relative precision.

    Examples
    --------
    >>> from actlab import activations
    >>> activations.get("hard_sigmoid")([-4.0, 0.0, 1.5, 4.0]).tolist()
    [0.0, 0.5, 0.75, 1.0]
    """
    out = z + 3.0
    np.clip(out, 0.0, 6.0, out=out)
    out /= 6
    return out


def _hard_sigmoid_derivative(z):
    inside = np.abs(z) < 3
    return nx.keep_nan(np.multiply(inside, 1 / 6, dtype=z.dtype), z)


SPECS.append(
    Spec(
        name="hard_sigmoid",
        aliases=("hardsigmoid",),
        formula=r"g(z) = \frac{\mathrm{ReLU6}(z + 3)}{6}",
        derivative_formula=(
            r"g'(z) = \frac{1}{6} \text{ if } -3 < z < 3 \text{ else } 0"
        ),
        value=_hard_sigmoid,
        derivative=_hard_sigmoid_derivative,
        output_range=(0.0, 1.0),
        range_text="[0, 1]",
        description=(
            "A piecewise-linear stand-in for the sigmoid: 0 below -3, 1 above 3 "
            "and a straight line between. It needs no exponential, so it is "
            "cheap on small devices and is used for gates inside mobile "
            "networks. Outside [-3, 3] its gradient is exactly zero."
        ),
        roles=frozenset({Role.HIDDEN}),
        smooth=False,
        flat_regions="z < -3 and z > 3",
        dead_region="z < -3 and z > 3",
        kinks=(-3.0, 3.0),
        kink_derivatives="g'(-3) = 0 and g'(3) = 0, the slopes of the flat sides",
        kink_derivative_values=(0.0, 0.0),
        can_die=True,
        saturates=True,
        max_derivative=1 / 6,
        initialiser="xavier",
    )
)


def _hard_swish(z):
    r"""Hard swish: z times the hard sigmoid.

    .. math::

        g(z) = z\,\frac{\mathrm{ReLU6}(z + 3)}{6}, \qquad
        g'(z) = \begin{cases} 0 & z \le -3 \\ (2z + 3) / 6 & -3 < z < 3 \\
        1 & z \ge 3 \end{cases}

    The output lies in [-0.375, inf), with the minimum g(-1.5) = -0.375, so g
    is not monotonic. The knees take the slope of the outer piece:
    g'(-3) = 0 and g'(3) = 1 (the inner piece would give -0.5 and 1.5). The
    product is z * (ReLU6(z + 3) / 6), so it cannot overflow before the result
    does, and z = -inf gives 0.

    Examples
    --------
    >>> from actlab import activations
    >>> hard_swish = activations.get("hard_swish")
    >>> hard_swish.derivative([-3.0, -1.5, 3.0]).tolist()
    [0.0, 0.0, 1.0]
    """
    out = _hard_sigmoid(z)
    out *= np.maximum(z, -3.0)  # equal to z wherever the gate is nonzero
    return out


def _hard_swish_derivative(z):
    inner = np.clip(z, -3.0, 3.0)  # 2z could overflow where inner is not used
    inner *= 2
    inner += 3
    inner /= 6
    outer = (z > 0).astype(z.dtype)
    return nx.keep_nan(np.where(np.abs(z) < 3, inner, outer), z)


SPECS.append(
    Spec(
        name="hard_swish",
        aliases=("hardswish",),
        formula=r"g(z) = z\,\frac{\mathrm{ReLU6}(z + 3)}{6}",
        derivative_formula=(
            r"g'(z) = \begin{cases} 0 & z \le -3 \\ (2z + 3)/6 & -3 < z < 3 \\ "
            r"1 & z \ge 3 \end{cases}"
        ),
        value=_hard_swish,
        derivative=_hard_swish_derivative,
        output_range=(-0.375, INF),
        range_text="[-0.375, inf)",
        description=(
            "A piecewise version of SiLU built from the hard sigmoid: zero "
            "below -3, the identity above 3 and a parabola between. It keeps "
            "SiLU's shape, including the small negative dip, without any "
            "exponential, which is why mobile architectures use it. Inputs "
            "below -3 get no gradient at all."
        ),
        roles=frozenset({Role.HIDDEN}),
        monotonic=False,
        smooth=False,
        flat_regions="z < -3",
        dead_region="z < -3",
        kinks=(-3.0, 3.0),
        kink_derivatives=(
            "g'(-3) = 0 and g'(3) = 1, the slopes of the outer pieces "
            "(the inner piece would give -0.5 and 1.5)"
        ),
        kink_derivative_values=(0.0, 1.0),
        can_die=True,
        max_derivative=1.5,
        initialiser="he",
        extra={"argmin": -1.5},
    )
)


def _hard_tanh(z):
    r"""Hard tanh: the identity clipped to [-1, 1].

    .. math::

        g(z) = \min(\max(-1, z), 1), \qquad
        g'(z) = \begin{cases} 1 & -1 < z < 1 \\ 0 & \text{otherwise} \end{cases}

    The output lies in [-1, 1] and g is odd. Both knees take the slope of the
    flat outer piece: g'(-1) = 0 and g'(1) = 0.

    Examples
    --------
    >>> from actlab import activations
    >>> activations.get("hard_tanh")([-2.0, 0.5, 2.0]).tolist()
    [-1.0, 0.5, 1.0]
    """
    return np.clip(z, -1.0, 1.0)


def _hard_tanh_derivative(z):
    inside = np.abs(z) < 1
    return nx.keep_nan(inside.astype(z.dtype), z)


SPECS.append(
    Spec(
        name="hard_tanh",
        aliases=("hardtanh",),
        formula=r"g(z) = \min(\max(-1, z), 1)",
        derivative_formula=r"g'(z) = 1 \text{ if } -1 < z < 1 \text{ else } 0",
        value=_hard_tanh,
        derivative=_hard_tanh_derivative,
        output_range=(-1.0, 1.0),
        range_text="[-1, 1]",
        description=(
            "The identity between -1 and 1, clipped flat outside. It is the "
            "cheapest zero-centred squashing function, with slope exactly 1 "
            "in the middle, but a unit driven beyond +-1 gets no gradient and "
            "stays there until its input changes sign of its own accord."
        ),
        roles=frozenset({Role.HIDDEN}),
        zero_centred=True,
        smooth=False,
        flat_regions="z < -1 and z > 1",
        dead_region="z < -1 and z > 1",
        kinks=(-1.0, 1.0),
        kink_derivatives="g'(-1) = 0 and g'(1) = 0, the slopes of the flat sides",
        kink_derivative_values=(0.0, 0.0),
        can_die=True,
        saturates=True,
        initialiser="xavier",
    )
)
