"""The ReLU family with a negative side: leaky ReLU, ELU, SELU and CELU."""

from __future__ import annotations

import numpy as np

from . import _numerics as nx
from ._registry import Parameter, Role, Spec

INF = float("inf")

# The records of this module, in the order the registry lists them.
SPECS: list[Spec] = []

# The standard SELU constants: with them a standard normal input gives an
# output of mean 0 and variance 1 (the tests check the mean).
SELU_SCALE = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE_ALPHA = 1.7580993408473768599  # SELU_SCALE * SELU_ALPHA


def _leaky_relu(z, negative_slope):
    r"""Leaky ReLU: slope 1 for z > 0 and ``negative_slope`` below.

    .. math::

        g(z) = \begin{cases} z & z > 0 \\ a z & z \le 0 \end{cases}, \qquad
        g'(z) = \begin{cases} 1 & z > 0 \\ a & z \le 0 \end{cases}

    with a = ``negative_slope``. Any finite slope is valid: a = 0 is ReLU,
    a = 1 the identity, and a < 0 makes g non-monotonic with range [0, inf).
    The kink at 0 takes the left slope, g'(0) = a, so a = 0 agrees with ReLU.
    The output range is (-inf, inf) for a > 0 and [0, inf) for a <= 0.

    Examples
    --------
    >>> from actlab import activations
    >>> leaky = activations.get("leaky_relu", negative_slope=0.1)
    >>> leaky([-2.0, 3.0]).tolist(), leaky.derivative([-2.0, 0.0, 3.0]).tolist()
    ([-0.2, 3.0], [0.1, 0.1, 1.0])
    """
    a = negative_slope
    if a == 0:
        return np.maximum(z, 0.0)  # a * z would turn z = inf into 0 * inf = nan
    if a <= 1:
        return np.maximum(z, a * z)
    return np.minimum(z, a * z)


def _leaky_relu_derivative(z, negative_slope):
    # A table lookup, exact for any slope. np.where on a condition that flips
    # at random took about three times as long per element (4.6 against
    # 1.6 ns on 10^6 float32 values, on the benchmark machine).
    slopes = np.array([negative_slope, 1], dtype=z.dtype)
    positive = np.asarray(z > 0).view(np.uint8)
    return nx.keep_nan(np.asarray(slopes.take(positive)), z)


def _leaky_relu_properties(negative_slope):
    a = negative_slope
    linear = a == 1
    return {
        "output_range": (-INF, INF) if a > 0 else (0.0, INF),
        "range_text": "(-inf, inf)" if a > 0 else "[0, inf)",
        "monotonic": a >= 0,
        "smooth": linear,
        "zero_centred": linear,
        "kinks": () if linear else (0.0,),
        "kink_derivative_values": () if linear else (a,),
        "flat_regions": "z < 0" if abs(a) < 0.001 else "",
        "dead_region": "z < 0" if a == 0 else "",
        "can_die": a == 0,
        "max_derivative": max(1.0, abs(a)),
    }


SPECS.append(
    Spec(
        name="leaky_relu",
        aliases=("leakyrelu",),
        formula=r"g(z) = \max(z, 0) + a \min(z, 0)",
        derivative_formula=r"g'(z) = 1 \text{ if } z > 0 \text{ else } a",
        value=_leaky_relu,
        derivative=_leaky_relu_derivative,
        parameters=(
            Parameter(
                "negative_slope",
                0.01,
                "Slope a for z <= 0; any finite value, negative included.",
                slider=(0.0, 0.3),
            ),
        ),
        output_range=(-INF, INF),
        range_text="(-inf, inf)",
        description=(
            "ReLU with a small slope instead of zero for negative inputs. The "
            "slope keeps a gradient flowing through units that would be dead "
            "under plain ReLU, so they can recover, while positive inputs pass "
            "through unchanged as before."
        ),
        roles=frozenset({Role.HIDDEN}),
        smooth=False,
        kinks=(0.0,),
        kink_derivatives="g'(0) = negative_slope, the slope of the left side",
        kink_derivative_values=(0.01,),
        initialiser="he",
        depends_on_params=_leaky_relu_properties,
    )
)


# The values below are max(z, 0) plus the negative branch evaluated at
# min(z, 0), which is 0 for z > 0: no np.where, and no exp of a large z.


def _negative_expm1(z, alpha, inner_scale=1.0):
    """Return alpha * expm1(min(z, 0) / inner_scale), the negative branch."""
    out = np.minimum(z, 0.0)
    if inner_scale != 1:
        out /= inner_scale
    np.expm1(out, out=out)
    if alpha != 1:
        out *= alpha
    return out


def _negative_exp(z, alpha, inner_scale=1.0):
    """Return alpha * exp(min(z, 0) / inner_scale), the negative slope."""
    out = np.minimum(z, 0.0)
    if inner_scale != 1:
        out /= inner_scale
    np.exp(out, out=out)
    if alpha != 1:
        out *= alpha
    return out


def _elu(z, alpha):
    r"""Exponential linear unit.

    .. math::

        g(z) = \begin{cases} z & z > 0 \\ \alpha (e^{z} - 1) & z \le 0 \end{cases},
        \qquad
        g'(z) = \begin{cases} 1 & z > 0 \\ \alpha e^{z} & z \le 0 \end{cases}

    The output lies in (-alpha, inf). With alpha = 1 both sides have slope 1 at
    0, so g' is continuous; otherwise 0 is a kink and g'(0) = alpha, the slope
    of the left side. The derivative uses ``alpha * exp(z)`` from z, not
    ``g(z) + alpha``, which cancels to 0 for z below about -37 in float64.

    Examples
    --------
    >>> from actlab import activations
    >>> elu = activations.get("elu")
    >>> float(elu(-40.0)), float(elu.derivative(-40.0)) == float(np.exp(-40.0))
    (-1.0, True)
    """
    out = _negative_expm1(z, alpha)
    out += np.maximum(z, 0.0)
    return out


def _elu_derivative(z, alpha):
    if alpha == 1:
        return _negative_exp(z, 1.0)  # exp(min(z, 0)) is already 1 for z > 0
    return np.where(z > 0, z.dtype.type(1), _negative_exp(z, alpha))


def _elu_properties(alpha):
    smooth = alpha == 1
    return {
        "output_range": (-alpha, INF),
        "range_text": f"({-alpha:g}, inf)",
        "smooth": smooth,
        "kinks": () if smooth else (0.0,),
        "kink_derivative_values": () if smooth else (alpha,),
        "max_derivative": max(1.0, alpha),
    }


_ALPHA = Parameter(
    "alpha",
    1.0,
    "Depth of the negative side: g approaches -alpha as z -> -inf.",
    low=0.0,
    low_open=True,
    slider=(0.1, 3.0),
)

SPECS.append(
    Spec(
        name="elu",
        formula=r"g(z) = z \text{ if } z > 0 \text{ else } \alpha\,(e^{z} - 1)",
        derivative_formula=r"g'(z) = 1 \text{ if } z > 0 \text{ else } \alpha e^{z}",
        value=_elu,
        derivative=_elu_derivative,
        parameters=(_ALPHA,),
        output_range=(-1.0, INF),
        range_text="(-1, inf)",
        description=(
            "Identity for positive inputs and an exponential curve that levels "
            "off at -alpha for negative ones. The negative outputs pull the mean "
            "activation towards zero and every input keeps a nonzero gradient, "
            "though the gradient fades for very negative z."
        ),
        roles=frozenset({Role.HIDDEN}),
        flat_regions="z << 0 (z < -7 gives a slope below 0.001 alpha)",
        kink_derivatives="with alpha != 1, g'(0) = alpha, the slope of the left side",
        initialiser="he",
        depends_on_params=_elu_properties,
    )
)


def _selu(z):
    r"""Scaled exponential linear unit with the self-normalising constants.

    .. math::

        g(z) = \lambda \begin{cases} z & z > 0 \\ \alpha (e^{z} - 1) & z \le 0
        \end{cases}, \qquad
        g'(z) = \lambda \begin{cases} 1 & z > 0 \\ \alpha e^{z} & z \le 0
        \end{cases}

    with lambda = 1.0507009873554805 and alpha = 1.6732632423543772. The output
    lies in (-lambda alpha, inf) = (-1.7581, inf). 0 is a kink, and
    g'(0) = lambda alpha = 1.7581, the slope of the left side. For a standard
    normal input the output has mean 0 and variance 1, the fixed point that
    lets deep stacks keep their scale. Values above float16's largest number
    divided by lambda overflow to inf, as the true values do.

    Examples
    --------
    >>> from actlab import activations
    >>> selu = activations.get("selu")
    >>> float(selu(1.0)) == SELU_SCALE, float(selu.derivative(0.0))
    (True, 1.7580993408473768)
    """
    out = _negative_expm1(z, _SELU_SCALE_ALPHA)
    out += SELU_SCALE * np.maximum(z, 0.0)
    return out


def _selu_derivative(z):
    return np.where(
        z > 0, z.dtype.type(SELU_SCALE), _negative_exp(z, _SELU_SCALE_ALPHA)
    )


SPECS.append(
    Spec(
        name="selu",
        formula=(
            r"g(z) = \lambda \begin{cases} z & z > 0 \\ "
            r"\alpha (e^{z} - 1) & z \le 0 \end{cases}"
        ),
        derivative_formula=(
            r"g'(z) = \lambda \begin{cases} 1 & z > 0 \\ "
            r"\alpha e^{z} & z \le 0 \end{cases}"
        ),
        value=_selu,
        derivative=_selu_derivative,
        output_range=(-_SELU_SCALE_ALPHA, INF),
        range_text="(-1.7581, inf)",
        description=(
            "ELU scaled by fixed constants chosen so that a layer fed inputs "
            "with mean 0 and variance 1 hands on outputs with mean 0 and "
            "variance 1. With LeCun-normal weights a deep plain stack keeps its "
            "scale without batch normalisation. The self-normalising property "
            "holds only for that initialiser and for plain dense layers."
        ),
        roles=frozenset({Role.HIDDEN}),
        zero_centred=True,
        smooth=False,
        flat_regions="z << 0 (z < -7.5 gives a slope below 0.001)",
        kinks=(0.0,),
        kink_derivatives="g'(0) = lambda alpha = 1.7581, the slope of the left side",
        kink_derivative_values=(_SELU_SCALE_ALPHA,),
        max_derivative=_SELU_SCALE_ALPHA,
        initialiser="lecun",
        extra={"scale": SELU_SCALE, "alpha": SELU_ALPHA},
    )
)


def _celu(z, alpha):
    r"""Continuously differentiable exponential linear unit.

    .. math::

        g(z) = \begin{cases} z & z > 0 \\ \alpha (e^{z / \alpha} - 1) & z \le 0
        \end{cases}, \qquad
        g'(z) = \begin{cases} 1 & z > 0 \\ e^{z / \alpha} & z \le 0 \end{cases}

    The output lies in (-alpha, inf). Dividing the exponent by alpha makes the
    left slope 1 at 0 for every alpha, so g' is continuous and there is no
    kink, unlike ELU with alpha != 1.

    Examples
    --------
    >>> from actlab import activations
    >>> celu = activations.get("celu", alpha=2.0)
    >>> float(celu.derivative(0.0)), float(celu(-1000.0))
    (1.0, -2.0)
    """
    out = _negative_expm1(z, alpha, inner_scale=alpha)
    out += np.maximum(z, 0.0)
    return out


def _celu_derivative(z, alpha):
    return _negative_exp(z, 1.0, inner_scale=alpha)  # 1 for z > 0


def _celu_properties(alpha):
    return {"output_range": (-alpha, INF), "range_text": f"({-alpha:g}, inf)"}


SPECS.append(
    Spec(
        name="celu",
        formula=r"g(z) = z \text{ if } z > 0 \text{ else } \alpha\,(e^{z/\alpha} - 1)",
        derivative_formula=r"g'(z) = 1 \text{ if } z > 0 \text{ else } e^{z/\alpha}",
        value=_celu,
        derivative=_celu_derivative,
        parameters=(_ALPHA,),
        output_range=(-1.0, INF),
        range_text="(-1, inf)",
        description=(
            "ELU with the exponent divided by alpha, so the slope is 1 on both "
            "sides of zero whatever alpha is. Alpha then sets only how deep the "
            "negative side reaches and how quickly it flattens, without adding "
            "a kink at the origin."
        ),
        roles=frozenset({Role.HIDDEN}),
        flat_regions="z << 0 (z < -7 alpha gives a slope below 0.001)",
        initialiser="he",
        depends_on_params=_celu_properties,
    )
)
