"""Real datasets read from the files that ship inside the scikit-learn wheel.

Only ``sklearn.datasets.load_*`` functions are used here. They read local
files and never reach the network, unlike the ``fetch_*`` functions.
scikit-learn is imported on first use, because importing it takes a while.
"""

from __future__ import annotations

import numpy as np

from ._dataset import Dataset, Task


def breast_cancer() -> Dataset:
    """Load the Wisconsin breast cancer set: 569 tumours, 30 features, 2 classes.

    The features describe cell nuclei in a digitised image of a fine-needle
    aspirate. Class 0 is malignant (212 cases), class 1 benign (357 cases).
    """
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer()
    return Dataset(
        X=bunch.data,
        y=bunch.target,
        task=Task.BINARY,
        feature_names=tuple(bunch.feature_names),
        target_name="diagnosis",
        class_names=tuple(bunch.target_names),
        name="breast_cancer",
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
    return Dataset(
        X=bunch.data / 16.0,
        y=bunch.target,
        task=Task.MULTICLASS,
        feature_names=tuple(bunch.feature_names),
        target_name="digit",
        class_names=tuple(str(d) for d in bunch.target_names),
        name="digits",
        description=(
            "Handwritten digits 0 to 9 as 8x8 grey images (64 pixels in "
            "row-major order, scaled to [0, 1])."
        ),
    )


def iris() -> Dataset:
    """Load Fisher's iris flowers: 150 flowers, 4 measurements in cm, 3 species."""
    from sklearn.datasets import load_iris

    bunch = load_iris()
    return Dataset(
        X=bunch.data,
        y=bunch.target,
        task=Task.MULTICLASS,
        feature_names=tuple(bunch.feature_names),
        target_name="species",
        class_names=tuple(bunch.target_names),
        name="iris",
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

    bunch = load_wine()
    return Dataset(
        X=bunch.data,
        y=bunch.target,
        task=Task.MULTICLASS,
        feature_names=tuple(bunch.feature_names),
        target_name="cultivar",
        class_names=tuple(bunch.target_names),
        name="wine",
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

    bunch = load_diabetes(scaled=False)
    return Dataset(
        X=bunch.data,
        y=np.asarray(bunch.target, dtype=np.float64),
        task=Task.REGRESSION,
        feature_names=tuple(bunch.feature_names),
        target_name="progression",
        name="diabetes",
        description=(
            "Diabetes patients: age, sex, body mass index, blood pressure and "
            "six blood serum measurements, with a measure of disease "
            "progression one year later as the target."
        ),
    )
