"""Imports every experiment module, each of which registers its experiment.

``ORDER`` is the order of ``experiments.names()`` and of the report: the
cheapest measurement first, then the lesson's story from hidden layers to the
output.
"""

from . import cost, dying, heads, saturation, speed, variants  # noqa: F401

ORDER = ("cost", "speed", "saturation", "dying", "variants", "heads")
