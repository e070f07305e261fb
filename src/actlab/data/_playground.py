"""Two-dimensional toy datasets in the style of TensorFlow Playground.

Every generator takes ``n`` (number of points, 1 to 100,000), ``noise`` (a
fraction in [0, 0.5], the playground's 0 to 50 %) and ``seed``. Points lie in
the square [-6, 6]². The clean points and their targets are drawn first. Then
noise moves each coordinate by a uniform amount of at most ``noise * spread``,
where ``spread`` is a length given per dataset, and the target stays that of
the clean point, so noise blurs the boundary. The moved points are clipped back
into the square. The same seed gives the same clean points at every noise
level, and the rows come in a random order.
"""

from __future__ import annotations

import numpy as np

from ._dataset import Dataset, Task
from ._params import check_int, check_noise, check_seed, check_size

HALF_WIDTH = 6.0
FEATURE_NAMES = ("x1", "x2")


def _class_sizes(n: int, k: int) -> list[int]:
    return [n // k + (1 if c < n % k else 0) for c in range(k)]


def _jitter(
    points: np.ndarray, noise: float, spread: float, rng: np.random.Generator
) -> np.ndarray:
    # The offsets are drawn at every noise level so that the seed alone fixes
    # the clean points, and noise only scales how far they move.
    offsets = rng.uniform(-spread, spread, size=points.shape)
    return np.clip(points + noise * offsets, -HALF_WIDTH, HALF_WIDTH)


def _classification(
    name: str,
    description: str,
    points: np.ndarray,
    labels: np.ndarray,
    n_classes: int,
    rng: np.random.Generator,
) -> Dataset:
    order = rng.permutation(len(labels))
    return Dataset(
        X=points[order],
        y=labels[order],
        task=Task.BINARY if n_classes == 2 else Task.MULTICLASS,
        feature_names=FEATURE_NAMES,
        target_name="label",
        class_names=tuple(str(c) for c in range(n_classes)),
        name=name,
        description=description,
    )


def _regression(
    name: str,
    description: str,
    points: np.ndarray,
    values: np.ndarray,
    rng: np.random.Generator,
) -> Dataset:
    order = rng.permutation(len(values))
    return Dataset(
        X=points[order],
        y=values[order],
        task=Task.REGRESSION,
        feature_names=FEATURE_NAMES,
        target_name="value",
        name=name,
        description=description,
    )


def _polar(radius: np.ndarray, angle: np.ndarray) -> np.ndarray:
    return np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])


def circle(n: int = 500, noise: float = 0.0, seed: int = 0) -> Dataset:
    """Generate a disc of class 1 inside a ring of class 0.

    Class 1 has radius in [0, 2.5] and class 0 radius in [3.5, 5], each drawn
    uniformly (so class 1 is densest at the centre). Noise spread: 5.
    """
    n, noise, seed = check_size(n), check_noise(noise), check_seed(seed)
    rng = np.random.default_rng(seed)
    outer, inner = _class_sizes(n, 2)
    radius = np.concatenate([rng.uniform(3.5, 5.0, outer), rng.uniform(0, 2.5, inner)])
    angle = rng.uniform(0, 2 * np.pi, n)
    labels = np.repeat([0, 1], [outer, inner])

    points = _jitter(_polar(radius, angle), noise, 5.0, rng)
    description = "Class 1 in a central disc, class 0 in a ring around it."
    return _classification("circle", description, points, labels, 2, rng)


def xor(n: int = 500, noise: float = 0.0, seed: int = 0) -> Dataset:
    """Generate the four quadrants of [-5, 5]², class 1 where x1 and x2 share a sign.

    Each coordinate is drawn uniformly and then pushed 0.3 away from the axes,
    so that a gap separates the quadrants. Noise spread: 5.
    """
    n, noise, seed = check_size(n), check_noise(noise), check_seed(seed)
    rng = np.random.default_rng(seed)
    clean = rng.uniform(-5.0, 5.0, size=(n, 2))
    clean += np.where(clean >= 0, 0.3, -0.3)
    labels = (clean[:, 0] * clean[:, 1] > 0).astype(np.int64)

    points = _jitter(clean, noise, 5.0, rng)
    description = "Class 1 in the quadrants where x1 and x2 have the same sign."
    return _classification("xor", description, points, labels, 2, rng)


def gauss(n: int = 500, noise: float = 0.0, seed: int = 0) -> Dataset:
    """Generate two round Gaussians: class 1 around (2, 2), class 0 around (-2, -2).

    Both have standard deviation 1 in each coordinate. Noise spread: 4.
    """
    n, noise, seed = check_size(n), check_noise(noise), check_seed(seed)
    rng = np.random.default_rng(seed)
    sizes = _class_sizes(n, 2)
    centres = np.repeat([[-2.0, -2.0], [2.0, 2.0]], sizes, axis=0)
    clean = np.clip(centres + rng.normal(size=(n, 2)), -HALF_WIDTH, HALF_WIDTH)
    labels = np.repeat([0, 1], sizes)

    points = _jitter(clean, noise, 4.0, rng)
    description = "Two Gaussian clusters, class 1 at (2, 2) and class 0 at (-2, -2)."
    return _classification("gauss", description, points, labels, 2, rng)


def _spiral_arm(m: int, phase: float) -> np.ndarray:
    # An arm turns 1.75 times while its radius grows from 0 to 5.
    t = np.arange(m) / max(m, 1)
    return _polar(5.0 * t, 1.75 * 2 * np.pi * t + phase)


def spiral(n: int = 500, noise: float = 0.0, seed: int = 0) -> Dataset:
    """Generate two interleaved spiral arms, half a turn apart, one per class.

    Each arm turns 1.75 times from the centre out to radius 5. Noise spread: 2.
    """
    n, noise, seed = check_size(n), check_noise(noise), check_seed(seed)
    rng = np.random.default_rng(seed)
    sizes = _class_sizes(n, 2)
    clean = np.concatenate([_spiral_arm(sizes[0], np.pi), _spiral_arm(sizes[1], 0)])
    labels = np.repeat([0, 1], sizes)

    points = _jitter(clean, noise, 2.0, rng)
    description = "Two spiral arms that wind around each other, one per class."
    return _classification("spiral", description, points, labels, 2, rng)


def blobs(n: int = 500, noise: float = 0.0, seed: int = 0, classes: int = 3) -> Dataset:
    """Generate ``classes`` round Gaussians (3 to 8) evenly spaced on a circle.

    The centres lie on the circle of radius 3.5 and class 0 sits at the top.
    Each has standard deviation 1. Noise spread: 4.
    """
    n, noise, seed = check_size(n), check_noise(noise), check_seed(seed)
    classes = check_int("classes", classes, 3, 8)
    rng = np.random.default_rng(seed)
    sizes = _class_sizes(n, classes)
    angles = np.pi / 2 + 2 * np.pi * np.arange(classes) / classes
    centres = np.repeat(_polar(np.full(classes, 3.5), angles), sizes, axis=0)
    clean = np.clip(centres + rng.normal(size=(n, 2)), -HALF_WIDTH, HALF_WIDTH)
    labels = np.repeat(np.arange(classes), sizes)

    points = _jitter(clean, noise, 4.0, rng)
    description = f"{classes} Gaussian clusters on a circle, one per class."
    return _classification("blobs", description, points, labels, classes, rng)


def plane(n: int = 500, noise: float = 0.0, seed: int = 0) -> Dataset:
    """Generate a tilted plane: the value is (x1 + x2) / 12, which lies in [-1, 1].

    Points are uniform in [-6, 6]². Noise spread: 6.
    """
    n, noise, seed = check_size(n), check_noise(noise), check_seed(seed)
    rng = np.random.default_rng(seed)
    clean = rng.uniform(-HALF_WIDTH, HALF_WIDTH, size=(n, 2))
    values = clean.sum(axis=1) / (2 * HALF_WIDTH)

    points = _jitter(clean, noise, 6.0, rng)
    description = "A tilted plane: the value grows along the diagonal x1 = x2."
    return _regression("plane", description, points, values, rng)


# (x1, x2, sign) of each bump. Centres are 4 apart and each bump has standard
# deviation 1, so neighbours overlap by less than 0.001.
BUMPS = (
    (-4.0, 2.5, 1.0),
    (0.0, 2.5, -1.0),
    (4.0, 2.5, 1.0),
    (-4.0, -2.5, -1.0),
    (0.0, -2.5, 1.0),
    (4.0, -2.5, -1.0),
)


def multigauss(n: int = 500, noise: float = 0.0, seed: int = 0) -> Dataset:
    """Generate six signed Gaussian bumps in a checkerboard, values in [-1, 1].

    The value at a point is the sum over ``BUMPS`` of
    ``sign * exp(-d**2 / 2)``, with ``d`` the distance to the bump's centre.
    Points are uniform in [-6, 6]². Noise spread: 6.
    """
    n, noise, seed = check_size(n), check_noise(noise), check_seed(seed)
    rng = np.random.default_rng(seed)
    clean = rng.uniform(-HALF_WIDTH, HALF_WIDTH, size=(n, 2))
    bumps = np.array(BUMPS)
    squared = ((clean[:, None, :] - bumps[None, :, :2]) ** 2).sum(axis=2)
    values = np.clip((bumps[:, 2] * np.exp(-squared / 2)).sum(axis=1), -1.0, 1.0)

    points = _jitter(clean, noise, 6.0, rng)
    description = "Six Gaussian bumps, alternately positive and negative."
    return _regression("multigauss", description, points, values, rng)
