"""Run the variants experiment and save its figures.

The full run took 10 to 30 seconds on a 2-core machine, and ``--quick`` a few.

    python examples/plot_variants.py --quick figures/
"""

import argparse
from pathlib import Path

from actlab import experiments
from actlab.experiments.report import VERDICTS

NAME = "variants"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "directory", nargs="?", default=".", type=Path, help="where to write the PNGs"
    )
    parser.add_argument("--quick", action="store_true", help="run the small settings")
    args = parser.parse_args()

    result = experiments.run_experiment(NAME, quick=args.quick)
    for claim in result.claims:
        print(f"{VERDICTS[claim.held]}: {claim.claim}\n    {claim.measured}")
    args.directory.mkdir(parents=True, exist_ok=True)
    for path in experiments.get(NAME).plot(result, args.directory):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
