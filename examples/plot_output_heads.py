"""
Output heads: what each output activation can predict
=====================================================

The output layer's activation fixes the range of every prediction. This
script trains one small network with linear, sigmoid, ReLU and softplus
heads on the breast cancer labels, the standardised diabetes target, the
diabetes target in its own units, and a Poisson count built on the diabetes
data. It prints the claims and one table per target, and saves the figure
as ``heads.png``: the binary predictions as histograms against [0, 1], and
the other predictions against their targets.

In a trial on a busy two-core machine the default settings took about 10
seconds. ``--quick`` runs the small settings that the tests use.
"""

import argparse
from pathlib import Path

from actlab.experiments import get, run_experiment

parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
parser.add_argument("--quick", action="store_true", help="run the small settings")
parser.add_argument(
    "--output", type=Path, default=Path("."), help="directory for heads.png"
)
arguments = parser.parse_args()

result = run_experiment("heads", quick=arguments.quick)

for claim in result.claims:
    verdict = {True: "held", False: "did not hold", None: "undecided"}[claim.held]
    print(f"{claim.claim}: {verdict}")
    print(f"    {claim.measured}")

for table in result.tables:
    print()
    print(table.title)
    print(" | ".join(table.columns))
    for row in table.rows:
        print(" | ".join(map(str, row)))

arguments.output.mkdir(parents=True, exist_ok=True)
for path in get("heads").plot(result, arguments.output):
    print(f"saved {path}")
