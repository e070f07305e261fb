"""The activation registry.

>>> from actlab import activations
>>> relu = activations.get("relu")
>>> float(relu(-2.0)), float(relu(3.0))
(0.0, 3.0)
"""

from . import _entries  # noqa: F401  (registers every entry)
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
