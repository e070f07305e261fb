"""The demand-prediction set: will a product become a top seller?

Four observed features, in these units:

- ``price``: sale price per unit in US dollars, log-normal with median 40,
  clipped to [5, 250].
- ``shipping_cost``: shipping cost per order in US dollars, log-normal with
  median 6, clipped to [1, 40].
- ``marketing_spend``: marketing budget in thousands of US dollars per month,
  log-normal with median 3 and a long right tail, clipped to [0.1, 200].
- ``material_quality``: a quality score of the materials, uniform in [1, 10].

The label comes from three hidden quantities, which a network with three
hidden units could learn to rebuild:

- ``affordability = logistic((60 - price - shipping_cost) / 15)``, in (0, 1):
  it falls as the total cost passes 60 dollars.
- ``awareness = max(0, (marketing_spend - 1) / 4)``, a ReLU: zero below 1,000
  dollars a month, and unbounded above, with the long tail of the spend.
- ``perceived_quality = logistic(0.9 * (material_quality - 5.5)
  + 0.8 * log(price / 40))``, in (0, 1): buyers read a higher price as a sign
  of quality.

A product is a top seller (label 1) with probability
``logistic(bias + sum(weight * quantity))`` over ``TOP_SELLER_WEIGHTS``,
drawn with the seed. About 27 % of products are top sellers (an estimate from
200,000 draws with seed 0).
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from ._dataset import Dataset, Task
from ._params import check_seed, check_size

TOP_SELLER_WEIGHTS = MappingProxyType(
    {
        "bias": -6.0,
        "affordability": 3.0,
        "awareness": 1.0,
        "perceived_quality": 3.5,
    }
)

FEATURE_NAMES = ("price", "shipping_cost", "marketing_spend", "material_quality")
DEMAND_UNITS = MappingProxyType(
    {
        "price": "US dollars per unit",
        "shipping_cost": "US dollars per order",
        "marketing_spend": "thousands of US dollars per month",
        "material_quality": "score from 1 to 10",
    }
)


def _logistic(z: np.ndarray) -> np.ndarray:
    # exp(-log(1 + exp(-z))) does not overflow for large |z|.
    return np.exp(-np.logaddexp(0.0, -z))


def _features(n: int, rng: np.random.Generator) -> np.ndarray:
    price = np.clip(rng.lognormal(np.log(40.0), 0.5, n), 5.0, 250.0)
    shipping = np.clip(rng.lognormal(np.log(6.0), 0.6, n), 1.0, 40.0)
    marketing = np.clip(rng.lognormal(np.log(3.0), 1.0, n), 0.1, 200.0)
    quality = rng.uniform(1.0, 10.0, n)
    return np.column_stack([price, shipping, marketing, quality])


def hidden_quantities(X: np.ndarray) -> dict[str, np.ndarray]:
    """Compute affordability, awareness and perceived quality for rows of ``X``.

    ``X`` has the four demand features as columns: price, shipping_cost,
    marketing_spend and material_quality.
    """
    price, shipping, marketing, quality = np.asarray(X, dtype=np.float64).T
    return {
        "affordability": _logistic((60.0 - price - shipping) / 15.0),
        "awareness": np.maximum(0.0, (marketing - 1.0) / 4.0),
        "perceived_quality": _logistic(
            0.9 * (quality - 5.5) + 0.8 * np.log(price / 40.0)
        ),
    }


def top_seller_probability(hidden: dict[str, np.ndarray]) -> np.ndarray:
    """Return the probability of being a top seller from the hidden quantities."""
    logit = np.full_like(hidden["awareness"], TOP_SELLER_WEIGHTS["bias"])
    for name in ("affordability", "awareness", "perceived_quality"):
        logit = logit + TOP_SELLER_WEIGHTS[name] * hidden[name]
    return _logistic(logit)


def demand(n: int = 1000, seed: int = 0) -> Dataset:
    """Generate ``n`` products (1 to 100,000) and whether each is a top seller.

    The returned dataset's ``hidden`` contains ``affordability``, ``awareness``,
    ``perceived_quality`` and ``probability`` (of being a top seller) per row.
    """
    n, seed = check_size(n), check_seed(seed)
    rng = np.random.default_rng(seed)
    X = _features(n, rng)
    hidden = hidden_quantities(X)
    hidden["probability"] = top_seller_probability(hidden)
    labels = (rng.random(n) < hidden["probability"]).astype(np.int64)

    return Dataset(
        X=X,
        y=labels,
        task=Task.BINARY,
        feature_names=FEATURE_NAMES,
        target_name="top_seller",
        class_names=("no", "yes"),
        name="demand",
        description=(
            "Products described by price and shipping cost (US dollars), "
            "marketing spend (thousands of US dollars per month) and material "
            "quality (1 to 10), labelled 1 for a top seller. The label is drawn "
            "from affordability, awareness and perceived quality, which are "
            "stored in hidden."
        ),
        hidden=hidden,
    )
