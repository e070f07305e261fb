"""Imports every experiment module, each of which registers its experiment.

The order here is the order of ``experiments.names()`` and of the report.
"""

from . import (  # noqa: F401
    cost,
    speed,
    saturation,
    dying,
    variants,
    heads,
)
