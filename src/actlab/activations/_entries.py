"""The registered activations: value and derivative in z, with their metadata."""

from __future__ import annotations

import numpy as np
from scipy import special

from ._registry import Role, Spec, register

INF = float("inf")


def _sigmoid(z):
    return special.expit(z)


def _sigmoid_derivative(z):
    # Computed from z as s(z) * s(-z): recovering it from s(z) as s * (1 - s)
    # rounds to zero once s(z) rounds to 1 (z >= 17 in float32).
    return special.expit(z) * special.expit(-z)


register(
    Spec(
        name="sigmoid",
        formula=r"\sigma(z) = \frac{1}{1 + e^{-z}}",
        derivative_formula=r"\sigma'(z) = \sigma(z)\,\sigma(-z)",
        value=_sigmoid,
        derivative=_sigmoid_derivative,
        output_range=(0.0, 1.0),
        range_text="(0, 1)",
        description=(
            "Squashes any real number into (0, 1), so its output reads as a "
            "probability. That makes it the natural output for a yes/no target, "
            "but in hidden layers it is flat for large |z| on both sides and its "
            "slope never exceeds 0.25, so gradients shrink layer after layer."
        ),
        roles=frozenset({Role.BINARY_OUTPUT}),
        flat_regions="z << 0 and z >> 0 (|z| > 5 gives a slope below 0.007)",
        saturates=True,
        max_derivative=0.25,
        initialiser="xavier",
    )
)


def _relu(z):
    return np.maximum(z, 0, dtype=z.dtype)


def _relu_derivative(z):
    return (z > 0).astype(z.dtype)


register(
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
        kink_derivatives="g'(0) = 0",
        smooth=False,
        can_die=True,
        initialiser="he",
    )
)


def _linear(z):
    return z.copy()


def _linear_derivative(z):
    return np.ones_like(z)


register(
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
    return np.tanh(z)


def _tanh_derivative(z):
    # 4 t / (1 + t)^2 with t = exp(-2|z|) equals 1 - tanh(z)^2 but keeps full
    # relative precision where that difference rounds to 0, and cannot overflow.
    t = np.exp(-2.0 * np.abs(z))
    return 4.0 * t / ((1.0 + t) * (1.0 + t))


register(
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
        flat_regions="z << 0 and z >> 0 (|z| > 3 gives a slope below 0.01)",
        saturates=True,
        initialiser="xavier",
    )
)
