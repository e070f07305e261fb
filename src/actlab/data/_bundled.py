"""Real datasets read from the files that ship inside the scikit-learn wheel.

Only ``sklearn.datasets.load_*`` functions are used here. They read local
files and never reach the network, unlike the ``fetch_*`` functions.
scikit-learn is imported on first use, because importing it takes a while.
"""

from __future__ import annotations

import numpy as np

from ._dataset import Dataset, Task


def _from_bunch(
    bunch,
    task: Task,
    name: str,
    target_name: str,
    description: str,
    X: np.ndarray | None = None,
) -> Dataset:
    """Return a ``Dataset`` from a scikit-learn ``Bunch`` and our own labels."""
    classes = () if task is Task.REGRESSION else tuple(map(str, bunch.target_names))
    return Dataset(
        X=bunch.data if X is None else X,
        y=bunch.target,
        task=task,
        feature_names=tuple(bunch.feature_names),
        target_name=target_name,
        class_names=classes,
        name=name,
        description=description,
    )


def breast_cancer() -> Dataset:
    """Load the Wisconsin breast cancer set: 569 tumours, 30 features, 2 classes.

    The features describe cell nuclei in a digitised image of a fine-needle
    aspirate. Class 0 is malignant (212 cases), class 1 benign (357 cases).
    """
    from sklearn.datasets import load_breast_cancer

    return _from_bunch(
        load_breast_cancer(),
        Task.BINARY,
        name="breast_cancer",
        target_name="diagnosis",
        description=(
            "Wisconsin diagnostic breast cancer: 30 measurements of cell nuclei "
            "per tumour, labelled malignant (0) or benign (1)."
        ),
    )


def digits() -> Dataset:
    """Load the handwritten digits: 1,797 images of 8x8 pixels, 10 classes.

    Each row contains the 64 pixels of one image in row-major order, so
    ``X[i].reshape(8, 8)`` is the image. The source stores grey levels from 0
    to 16, which are divided by 16 to lie in [0, 1].
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return _from_bunch(
        bunch,
        Task.MULTICLASS,
        name="digits",
        target_name="digit",
        X=bunch.data / 16.0,
        description=(
            "Handwritten digits 0 to 9 as 8x8 grey images (64 pixels in "
            "row-major order, scaled to [0, 1])."
        ),
    )


def iris() -> Dataset:
    """Load Fisher's iris flowers: 150 flowers, 4 measurements in cm, 3 species."""
    from sklearn.datasets import load_iris

    return _from_bunch(
        load_iris(),
        Task.MULTICLASS,
        name="iris",
        target_name="species",
        description=(
            "Iris flowers: sepal and petal length and width in cm, labelled "
            "with one of 3 species (50 flowers each)."
        ),
    )


def wine() -> Dataset:
    """Load the wine recognition set: 178 wines, 13 chemical measurements, 3 classes.

    The classes are three cultivars from one region of Italy.
    """
    from sklearn.datasets import load_wine

    return _from_bunch(
        load_wine(),
        Task.MULTICLASS,
        name="wine",
        target_name="cultivar",
        description=(
            "Wines from three cultivars: 13 results of chemical analysis, "
            "labelled with the cultivar."
        ),
    )


def diabetes() -> Dataset:
    """Load the diabetes set: 442 patients, 10 baseline variables, a real target.

    The features keep their original units, unlike the centred and scaled
    version that scikit-learn returns by default. They are age in years, sex
    (1 or 2), body mass index, average blood pressure, and six blood serum
    measurements ``s1`` to ``s6``. The serum columns are total cholesterol, LDL,
    HDL, total cholesterol / HDL, possibly the log of triglycerides, and blood
    sugar, as scikit-learn's description of the set lists them. The target
    measures disease progression one year after baseline, from 25 to 346.
    """
    from sklearn.datasets import load_diabetes

    return _from_bunch(
        load_diabetes(scaled=False),
        Task.REGRESSION,
        name="diabetes",
        target_name="progression",
        description=(
            "Diabetes patients: age, sex, body mass index, blood pressure and "
            "six blood serum measurements, with a measure of disease "
            "progression one year later as the target."
        ),
    )
