"""MNIST from files already on this machine. Nothing here downloads anything.

``find_mnist`` looks in two places, in this order:

1. The path in the environment variable ``ACTLAB_MNIST``. It is either a
   NumPy ``.npz`` archive with the arrays ``x_train``, ``y_train``,
   ``x_test`` and ``y_test``, the layout of the widely shared ``mnist.npz``,
   or a folder with the four IDX files of LeCun's distribution. Those are
   ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
   ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each gzipped
   (``.gz``) or not.
2. scikit-learn's OpenML cache of ``mnist_784``, which scikit-learn writes
   under ``openml/openml.org`` in its data home (``$SCIKIT_LEARN_DATA``, or
   ``~/scikit_learn_data``) when it fetches the set. The cached files are
   read here directly, because scikit-learn's own reader goes to the network
   for any file missing from the cache.
"""

from __future__ import annotations

import gzip
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from ._csv import DataError
from ._dataset import Dataset, Task

ENVIRONMENT_VARIABLE = "ACTLAB_MNIST"
OPENML_NAME = "mnist_784"
TRAIN_SIZE = 60_000
"""OpenML's mnist_784 lists the 60,000 training images first, then the 10,000 test."""

PIXELS = 28 * 28
CLASSES = tuple(str(digit) for digit in range(10))

IDX_FILES = {
    "x_train": ("train-images", "idx3"),
    "y_train": ("train-labels", "idx1"),
    "x_test": ("t10k-images", "idx3"),
    "y_test": ("t10k-labels", "idx1"),
}
"""The IDX file of each array, as (name, kind); the file is NAME-KIND-ubyte."""


class MnistNotFoundError(FileNotFoundError):
    """MNIST is not on this machine in any of the places actlab looks."""


class MnistFormatError(DataError):
    """An MNIST file whose content does not match its format."""


@dataclass(frozen=True)
class MnistSource:
    """A location of MNIST, whose ``kind`` is ``"npz"``, ``"idx"`` or ``"openml"``."""

    kind: str
    path: Path

    def describe(self) -> str:
        """Return the location for people, e.g. ``"IDX files in /data/mnist"``."""
        labels = {
            "npz": "the archive",
            "idx": "IDX files in",
            "openml": "scikit-learn's OpenML cache,",
        }
        return f"{labels[self.kind]} {self.path}"


def sklearn_data_home() -> Path:
    """Return scikit-learn's data home, as ``sklearn.datasets.get_data_home`` does.

    Unlike that function, this one creates no folder.
    """
    home = os.environ.get("SCIKIT_LEARN_DATA", os.path.join("~", "scikit_learn_data"))
    return Path(home).expanduser()


def find_mnist() -> MnistSource | None:
    """Return where MNIST is on this machine, or None when it is nowhere.

    Raises ``MnistNotFoundError`` when ``ACTLAB_MNIST`` is set to a path that
    does not exist or contains neither layout, because then the user named a
    file that is not there.
    """
    named = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if named:
        return _named_source(Path(named).expanduser())
    archive = _openml_archive(sklearn_data_home())
    return None if archive is None else MnistSource("openml", archive)


def searched_places() -> str:
    """Return, for error messages, the places ``find_mnist`` looks in."""
    named = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    variable = f"{ENVIRONMENT_VARIABLE}={named}" if named else "not set"
    cache = sklearn_data_home() / "openml" / "openml.org"
    return (
        f"the environment variable {ENVIRONMENT_VARIABLE} ({variable}) and "
        f"scikit-learn's OpenML cache of {OPENML_NAME} in {cache}"
    )


def how_to_provide() -> str:
    """Return, for error messages, the ways to make MNIST available."""
    return (
        f"Set {ENVIRONMENT_VARIABLE} to an mnist.npz file (arrays x_train, "
        "y_train, x_test, y_test) or to a folder with the four IDX files "
        "(gzipped or not), or cache it once with scikit-learn's fetch_openml "
        f"and the name {OPENML_NAME!r} on a machine with network access. "
        "actlab never downloads it."
    )


def mnist(source: MnistSource | None = None) -> tuple[Dataset, Dataset]:
    """Load MNIST's 60,000 training and 10,000 test images from local files.

    Each row of ``X`` is one 28x28 image in row-major order with grey levels
    scaled from 0-255 to [0, 1], and ``y`` is the digit. ``source`` defaults
    to what ``find_mnist`` returns. Raises ``MnistNotFoundError`` naming the
    places searched when MNIST is on none of them, and ``MnistFormatError``
    for a file that does not parse.
    """
    source = source or find_mnist()
    if source is None:
        raise MnistNotFoundError(
            f"MNIST not found: looked at {searched_places()}. {how_to_provide()}"
        )
    readers = {"npz": read_npz, "idx": read_idx_folder, "openml": read_openml}
    arrays = readers[source.kind](source.path)
    description = (
        "MNIST handwritten digits 0 to 9 as 28x28 grey images (784 pixels in "
        f"row-major order, scaled to [0, 1]), read from {source.describe()}."
    )
    return (
        _dataset(arrays["x_train"], arrays["y_train"], description),
        _dataset(arrays["x_test"], arrays["y_test"], description),
    )


def _named_source(path: Path) -> MnistSource:
    if path.is_file():
        return MnistSource("npz", path)
    if path.is_dir():
        if all(_idx_path(path, *IDX_FILES[key]) for key in IDX_FILES):
            return MnistSource("idx", path)
        names = ", ".join(f"{name}-{kind}-ubyte" for name, kind in IDX_FILES.values())
        raise MnistNotFoundError(
            f"{ENVIRONMENT_VARIABLE} names the folder {path}, which lacks some of "
            f"the IDX files {names} (each may end in .gz). {how_to_provide()}"
        )
    raise MnistNotFoundError(
        f"{ENVIRONMENT_VARIABLE} names {path}, which does not exist. {how_to_provide()}"
    )


# --- the npz archive ------------------------------------------------------------


def read_npz(path: Path) -> dict[str, np.ndarray]:
    """Read ``x_train``, ``y_train``, ``x_test`` and ``y_test`` from an npz file."""
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise MnistFormatError(
            f"invalid MNIST archive {path}: not a NumPy .npz file ({error})"
        ) from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise MnistFormatError(
            f"invalid MNIST archive {path}: one array, expected an .npz archive "
            f"with {', '.join(IDX_FILES)}"
        )
    with archive:
        missing = [key for key in IDX_FILES if key not in archive.files]
        if missing:
            raise MnistFormatError(
                f"invalid MNIST archive {path}: missing {', '.join(missing)}; "
                f"it contains {', '.join(archive.files) or 'no arrays'}"
            )
        arrays = {key: archive[key] for key in IDX_FILES}
    return _checked(arrays, str(path))


# --- the IDX files --------------------------------------------------------------


def _idx_path(folder: Path, name: str, kind: str) -> Path | None:
    # LeCun's files are NAME-KIND-ubyte; some copies use a dot before KIND.
    for separator in ("-", "."):
        for suffix in (".gz", ""):
            path = folder / f"{name}{separator}{kind}-ubyte{suffix}"
            if path.is_file():
                return path
    return None


def read_idx_folder(folder: Path) -> dict[str, np.ndarray]:
    """Read the four MNIST IDX files in ``folder``, gzipped or not."""
    arrays = {}
    for key, (name, kind) in IDX_FILES.items():
        path = _idx_path(folder, name, kind)
        if path is None:
            raise MnistNotFoundError(
                f"MNIST IDX file {name}-{kind}-ubyte not found in {folder}"
            )
        arrays[key] = read_idx(path)
    return _checked(arrays, str(folder))


def read_idx(path: Path) -> np.ndarray:
    """Read one IDX file of unsigned bytes (type code 0x08), gzipped or not.

    The header is two zero bytes, the type code, the number of dimensions,
    and then each dimension as a big-endian 32-bit integer.
    """
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as file:
            content = file.read()
    except (OSError, EOFError) as error:
        raise MnistFormatError(f"invalid IDX file {path}: {error}") from None
    if len(content) < 4 or content[:2] != b"\x00\x00":
        raise MnistFormatError(f"invalid IDX file {path}: no IDX header")
    code, ndim = content[2], content[3]
    if code != 0x08:
        raise MnistFormatError(
            f"invalid IDX file {path}: type code {code:#04x}, expected 0x08 "
            "(unsigned bytes)"
        )
    offset = 4 + 4 * ndim
    if ndim == 0 or len(content) < offset:
        raise MnistFormatError(f"invalid IDX file {path}: truncated header")
    shape = struct.unpack(f">{ndim}I", content[4:offset])
    values = np.frombuffer(content, dtype=np.uint8, offset=offset)
    if values.size != int(np.prod(shape)):
        raise MnistFormatError(
            f"invalid IDX file {path}: the header gives shape {shape}, "
            f"but {values.size} values follow it"
        )
    return values.reshape(shape)


# --- scikit-learn's OpenML cache -------------------------------------------------


def _openml_archive(data_home: Path) -> Path | None:
    """Return the cached ARFF file of ``mnist_784`` under ``data_home``, or None."""
    root = data_home / "openml" / "openml.org"
    descriptions = root / "api" / "v1" / "json" / "data"
    if not descriptions.is_dir():
        return None
    for path in sorted(descriptions.glob("*.gz")):
        try:
            with gzip.open(path, "rt", encoding="utf-8") as file:
                about = json.load(file)["data_set_description"]
        except (OSError, EOFError, ValueError, KeyError, TypeError):
            continue
        if about.get("name") != OPENML_NAME:
            continue
        # scikit-learn mirrors each download URL's path under the root.
        candidates = [
            urlparse(str(about.get("url", ""))).path.lstrip("/"),
            f"data/v1/download/{about.get('file_id')}",
        ]
        for relative in candidates:
            archive = root / f"{relative}.gz"
            if relative and archive.is_file():
                return archive
    return None


def read_openml(path: Path, train_size: int = TRAIN_SIZE) -> dict[str, np.ndarray]:
    """Read scikit-learn's cached, gzipped ARFF file of ``mnist_784``.

    The first ``train_size`` rows are the training images and the rest the
    test images, as OpenML's description of the set states for 60,000.
    """
    try:
        with gzip.open(path, "rt", encoding="utf-8") as file:
            attributes = _arff_attributes(file, path)
            values = np.loadtxt(
                file, delimiter=",", dtype=np.uint8, comments="%", quotechar="'"
            )
    except (OSError, EOFError, ValueError) as error:
        if isinstance(error, MnistFormatError):
            raise
        raise MnistFormatError(f"invalid ARFF file {path}: {error}") from None
    values = values.reshape(-1, len(attributes))
    target = _target_column(attributes)
    labels = values[:, target]
    images = np.delete(values, target, axis=1)
    arrays = {
        "x_train": images[:train_size],
        "y_train": labels[:train_size],
        "x_test": images[train_size:],
        "y_test": labels[train_size:],
    }
    return _checked(arrays, str(path))


def _arff_attributes(file, path: Path) -> list[str]:
    """Read an ARFF header up to ``@data``; return the attribute names."""
    attributes = []
    for line in file:
        text = line.strip()
        lowered = text.lower()
        if lowered.startswith("@attribute"):
            attributes.append(text.split()[1].strip("'\""))
        elif lowered.startswith("@data"):
            return attributes
    raise MnistFormatError(f"invalid ARFF file {path}: no @data line")


def _target_column(attributes: list[str]) -> int:
    lowered = [name.lower() for name in attributes]
    return lowered.index("class") if "class" in lowered else len(attributes) - 1


# --- checks and the datasets ------------------------------------------------------


def _checked(arrays: dict[str, np.ndarray], where: str) -> dict[str, np.ndarray]:
    """Return the arrays with images as (n, 784) rows; raise on a mismatch."""
    checked = {}
    for part in ("train", "test"):
        images, labels = arrays[f"x_{part}"], np.asarray(arrays[f"y_{part}"])
        images = np.asarray(images).reshape(len(images), -1)
        if images.shape[1] != PIXELS:
            raise MnistFormatError(
                f"invalid MNIST {part} images in {where}: {images.shape[1]} "
                f"pixels per image, expected {PIXELS} (28x28)"
            )
        if labels.shape != (len(images),):
            raise MnistFormatError(
                f"invalid MNIST {part} labels in {where}: shape {labels.shape}, "
                f"expected ({len(images)},) to match the images"
            )
        if labels.dtype.kind not in "iu" or np.any((labels < 0) | (labels > 9)):
            raise MnistFormatError(
                f"invalid MNIST {part} labels in {where}: expected integers 0 to 9"
            )
        checked[f"x_{part}"], checked[f"y_{part}"] = images, labels
    return checked


def _dataset(images: np.ndarray, labels: np.ndarray, description: str) -> Dataset:
    # Integer grey levels run from 0 to 255; floats may be scaled already.
    scale = 1.0
    if images.dtype.kind in "iu" or (images.size and images.max() > 1.0):
        scale = 255.0
    return Dataset(
        X=images.astype(np.float64) / scale,
        y=labels.astype(np.int64),
        task=Task.MULTICLASS,
        feature_names=tuple(f"pixel{index}" for index in range(1, PIXELS + 1)),
        target_name="digit",
        class_names=CLASSES,
        name="mnist",
        description=description,
    )
