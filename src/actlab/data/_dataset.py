"""The dataset record, the train/test split and the standardiser."""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike


class Task(enum.StrEnum):
    """The kind of target a dataset has."""

    BINARY = "binary"
    MULTICLASS = "multiclass"
    REGRESSION = "regression"

    @property
    def is_classification(self) -> bool:
        return self is not Task.REGRESSION


def parse_task(task: str) -> Task:
    """Return ``task`` as a ``Task``, or raise ``ValueError`` listing the choices."""
    try:
        return Task(task)
    except ValueError:
        choices = ", ".join(repr(t.value) for t in Task)
        raise ValueError(f"invalid task {task!r}: choose one of {choices}") from None


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, copy=True)
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """A table of features with one target, ready for training.

    The arrays are read-only copies. ``X`` has shape ``(n, d)`` and dtype
    float64. ``y`` has shape ``(n,)``: int64 class indices in
    ``[0, len(class_names))`` for classification, float64 for regression.
    ``hidden`` maps names to arrays whose first axis has length ``n``; the
    demand set stores the quantities its label was generated from there.

    Raises ``ValueError`` when the parts do not fit together.
    """

    X: np.ndarray
    y: np.ndarray
    task: Task
    feature_names: tuple[str, ...]
    target_name: str
    class_names: tuple[str, ...] = ()
    name: str = ""
    description: str = ""
    hidden: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        task = parse_task(self.task)
        X = np.asarray(self.X, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (n, d), got shape {X.shape}")
        if not np.all(np.isfinite(X)):
            raise ValueError("X contains NaN or infinite values; remove those rows")

        object.__setattr__(self, "task", task)
        object.__setattr__(self, "X", _frozen(X))
        object.__setattr__(self, "y", _frozen(self._checked_y(task, X.shape[0])))
        object.__setattr__(self, "feature_names", self._checked_names(X.shape[1]))
        object.__setattr__(self, "class_names", tuple(map(str, self.class_names)))
        object.__setattr__(self, "hidden", self._checked_hidden(X.shape[0]))
        self._check_classes()

    def _checked_y(self, task: Task, n: int) -> np.ndarray:
        y = np.asarray(self.y)
        if y.shape != (n,):
            raise ValueError(f"y must have shape ({n},) to match X, got {y.shape}")
        if task is Task.REGRESSION:
            y = y.astype(np.float64)
            if not np.all(np.isfinite(y)):
                raise ValueError("y contains NaN or infinite values; remove those rows")
            return y
        if y.dtype.kind not in "iub":
            raise ValueError(
                f"y must contain integer class indices for a {task} task, "
                f"got dtype {y.dtype}"
            )
        return y.astype(np.int64)

    def _checked_names(self, d: int) -> tuple[str, ...]:
        names = tuple(map(str, self.feature_names))
        if len(names) != d:
            raise ValueError(
                f"expected {d} feature names to match X, got {len(names)}: {names}"
            )
        return names

    def _checked_hidden(self, n: int) -> Mapping[str, np.ndarray]:
        hidden = {}
        for key, values in self.hidden.items():
            array = np.asarray(values)
            if array.ndim == 0 or array.shape[0] != n:
                raise ValueError(
                    f"hidden[{key!r}] must have {n} rows to match X, "
                    f"got shape {array.shape}"
                )
            hidden[str(key)] = _frozen(array)
        return MappingProxyType(hidden)

    def _check_classes(self) -> None:
        k = len(self.class_names)
        if self.task is Task.REGRESSION:
            if k:
                raise ValueError("a regression dataset takes no class_names")
            return
        if self.task is Task.BINARY and k != 2:
            raise ValueError(f"a binary dataset needs 2 class_names, got {k}")
        if k < 2:
            raise ValueError(
                f"a multiclass dataset needs 2 or more class_names, got {k}"
            )
        if self.y.size and (self.y.min() < 0 or self.y.max() >= k):
            raise ValueError(
                f"class indices in y must lie in [0, {k - 1}], "
                f"got values from {self.y.min()} to {self.y.max()}"
            )

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    @property
    def n_classes(self) -> int:
        """Number of classes; 0 for regression."""
        return len(self.class_names)

    def subset(self, indices: ArrayLike) -> Dataset:
        """Return the rows at ``indices`` (integer positions) as a new dataset."""
        rows = np.asarray(indices, dtype=np.intp)
        hidden = {key: values[rows] for key, values in self.hidden.items()}
        return dataclasses.replace(self, X=self.X[rows], y=self.y[rows], hidden=hidden)

    def __repr__(self) -> str:
        classes = f", n_classes={self.n_classes}" if self.n_classes else ""
        return (
            f"Dataset(name={self.name!r}, task={self.task.value!r}, "
            f"n_samples={self.n_samples}, n_features={self.n_features}{classes})"
        )


def _test_counts(stratum_sizes: np.ndarray, n_test: int) -> np.ndarray:
    # Largest remainder: each stratum gets its share of n_test rounded down,
    # and the rows left over go to the strata with the largest remainders.
    ideal = stratum_sizes * (n_test / stratum_sizes.sum())
    counts = np.floor(ideal).astype(np.intp)
    left_over = n_test - counts.sum()
    order = np.argsort(-(ideal - counts), kind="stable")
    counts[order[:left_over]] += 1
    return counts


def split(
    dataset: Dataset,
    test_fraction: float = 0.25,
    seed: int = 0,
    stratify: bool = True,
) -> tuple[Dataset, Dataset]:
    """Split ``dataset`` into a train and a test set, at random from ``seed``.

    The test set has ``round(test_fraction * n)`` rows, at least one, and the
    train set keeps at least one. With ``stratify`` (classification only), each
    class is split on its own, so every class count in the test set is within
    one row of its share. Rows of both sets come in a random order. The same
    arguments always return the same split.
    """
    if not (0.0 < test_fraction < 1.0 and math.isfinite(test_fraction)):
        raise ValueError(f"invalid test_fraction={test_fraction!r}: expected (0, 1)")
    n = dataset.n_samples
    if n < 2:
        raise ValueError(f"cannot split a dataset of {n} rows; it needs at least 2")
    rng = np.random.default_rng(seed)
    n_test = min(max(round(test_fraction * n), 1), n - 1)

    if stratify and dataset.task.is_classification:
        strata = [np.flatnonzero(dataset.y == c) for c in range(dataset.n_classes)]
    else:
        strata = [np.arange(n)]
    sizes = np.array([len(s) for s in strata])
    counts = _test_counts(sizes, n_test)
    test_parts, train_parts = [], []
    for members, count in zip(strata, counts, strict=True):
        shuffled = rng.permutation(members)
        test_parts.append(shuffled[:count])
        train_parts.append(shuffled[count:])

    test_rows = rng.permutation(np.concatenate(test_parts))
    train_rows = rng.permutation(np.concatenate(train_parts))
    return dataset.subset(train_rows), dataset.subset(test_rows)


@dataclass(frozen=True, eq=False)
class Standardiser:
    """Per-column shift and scale that maps a training set to mean 0, variance 1.

    Build one with ``Standardiser.fit(train)`` and apply it to the train and
    the test set alike. A column that is constant on the training set (its
    standard deviation at or below ten float64 epsilons of its mean) gets
    scale 1, so it becomes all zeros instead of a division by zero.
    """

    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, data: Dataset | ArrayLike) -> Standardiser:
        """Compute the column means and standard deviations of ``data``."""
        X = _features(data)
        if X.shape[0] == 0:
            raise ValueError("cannot fit a standardiser on 0 rows")
        mean = X.mean(axis=0)
        std = X.std(axis=0)
        constant = std <= 10 * np.finfo(np.float64).eps * np.abs(mean)
        scale = np.where(constant | (std == 0.0), 1.0, std)
        return cls(mean=_frozen(mean), scale=_frozen(scale))

    def transform(self, data: Dataset | ArrayLike) -> Dataset | np.ndarray:
        """Return ``data`` standardised: a new dataset, or an array for an array."""
        X = _features(data)
        if X.shape[1] != self.mean.shape[0]:
            raise ValueError(
                f"expected {self.mean.shape[0]} columns as in the fitted data, "
                f"got {X.shape[1]}"
            )
        standard = (X - self.mean) / self.scale
        if isinstance(data, Dataset):
            return dataclasses.replace(data, X=standard)
        return standard

    def inverse_transform(self, X: ArrayLike) -> np.ndarray:
        """Map standardised values back to the original units."""
        return np.asarray(X, dtype=np.float64) * self.scale + self.mean


def _features(data: Dataset | ArrayLike) -> np.ndarray:
    X = data.X if isinstance(data, Dataset) else np.asarray(data, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"expected a 2-D array (n, d), got shape {X.shape}")
    return X


def standardise(train: Dataset, test: Dataset) -> tuple[Dataset, Dataset]:
    """Standardise both sets with the means and scales of ``train``."""
    standardiser = Standardiser.fit(train)
    return standardiser.transform(train), standardiser.transform(test)
