"""Datasets for the lab: real tables, 2-D playground sets, demand, and CSV files.

>>> from actlab import data
>>> iris = data.load("iris")
>>> iris.X.shape, iris.task.value, iris.n_classes
((150, 4), 'multiclass', 3)
>>> train, test = data.split(iris, test_fraction=0.2, seed=1)
>>> train.n_samples, test.n_samples
(120, 30)
"""

from ._bundled import breast_cancer, diabetes, digits, iris, wine
from ._catalogue import Kind, default_options, load, names
from ._csv import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_FEATURES,
    DEFAULT_MAX_ROWS,
    MAX_CLASSES,
    MAX_INFERRED_CLASSES,
    DataError,
    load_csv,
)
from ._dataset import Dataset, Standardiser, Task, split, standardise
from ._demand import (
    DEMAND_UNITS,
    TOP_SELLER_WEIGHTS,
    demand,
    hidden_quantities,
    top_seller_probability,
)
from ._mnist import (
    MnistFormatError,
    MnistNotFoundError,
    MnistSource,
    find_mnist,
    mnist,
)
from ._params import MAX_NOISE, MAX_POINTS
from ._playground import blobs, circle, gauss, multigauss, plane, spiral, xor

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_FEATURES",
    "DEFAULT_MAX_ROWS",
    "DEMAND_UNITS",
    "MAX_CLASSES",
    "MAX_INFERRED_CLASSES",
    "MAX_NOISE",
    "MAX_POINTS",
    "TOP_SELLER_WEIGHTS",
    "DataError",
    "Dataset",
    "Kind",
    "MnistFormatError",
    "MnistNotFoundError",
    "MnistSource",
    "Standardiser",
    "Task",
    "blobs",
    "breast_cancer",
    "circle",
    "default_options",
    "demand",
    "diabetes",
    "digits",
    "find_mnist",
    "gauss",
    "hidden_quantities",
    "iris",
    "load",
    "load_csv",
    "mnist",
    "multigauss",
    "names",
    "plane",
    "spiral",
    "split",
    "standardise",
    "top_seller_probability",
    "wine",
    "xor",
]
