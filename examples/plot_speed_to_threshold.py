"""
Epochs to a training error threshold: ReLU, tanh and sigmoid
============================================================

Krizhevsky, Sutskever and Hinton (2012) found that a ReLU network reached
25% training error on CIFAR-10 six times sooner than the same network with
tanh. This script asks the same question of fully connected networks with
three hidden layers: 784-256-256-256-10 on MNIST when MNIST is already on
this machine (a file named by ``ACTLAB_MNIST``, or scikit-learn's OpenML
cache), else 64-128-128-128-10 on scikit-learn's 8x8 digits. It trains each
activation with each learning rate of a small grid and several seeds,
prints the claims and the table, and saves the figure as ``speed.png``.

In a trial on a busy two-core machine the default settings took 20 to 40
seconds on the digits. On MNIST they take several minutes (an estimate).
``--quick`` runs the small settings, and ``--dataset`` picks the data.
"""

import argparse
import dataclasses
from pathlib import Path

from actlab.experiments import get, run_experiment, speed

parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
parser.add_argument("--quick", action="store_true", help="run the small settings")
parser.add_argument(
    "--output", type=Path, default=Path("."), help="directory for speed.png"
)
parser.add_argument(
    "--dataset",
    choices=speed.DATASETS,
    default="auto",
    help="auto: MNIST when it is on this machine, else the 8x8 digits",
)
arguments = parser.parse_args()

settings = speed.SpeedSettings.quick() if arguments.quick else speed.SpeedSettings()
settings = dataclasses.replace(settings, dataset=arguments.dataset)
result = run_experiment("speed", settings, quick=arguments.quick)
print(f"dataset: {result.data['dataset']['label']}")

for claim in result.claims:
    verdict = {True: "held", False: "did not hold", None: "undecided"}[claim.held]
    print(f"{claim.claim}: {verdict}")
    print(f"    {claim.measured}")

table = result.tables[0]
print()
print(table.title)
print(" | ".join(table.columns))
for row in table.rows:
    print(" | ".join(map(str, row)))

arguments.output.mkdir(parents=True, exist_ok=True)
for path in get("speed").plot(result, arguments.output):
    print(f"saved {path}")
