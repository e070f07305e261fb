"""The activation registry.

>>> from actlab import activations
>>> relu = activations.get("relu")
>>> float(relu(-2.0)), float(relu(3.0))
(0.0, 3.0)
"""

# Importing the entry modules registers their activations, in this order.
from . import (  # noqa: F401
    _entries,
    _entries_relu,
    _entries_gated,
    _entries_hard,
    _entries_softmax,
)
from ._registry import (
    FLOAT_DTYPES,
    Activation,
    Parameter,
    Role,
    Spec,
    get,
    names,
    spec,
    specs,
)

__all__ = [
    "FLOAT_DTYPES",
    "Activation",
    "Parameter",
    "Role",
    "Spec",
    "get",
    "names",
    "spec",
    "specs",
]
