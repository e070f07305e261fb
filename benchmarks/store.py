"""Reviews per second that the store commits, on SQLite and on PostgreSQL.

Run by hand, not in the tests:

    .venv/bin/python benchmarks/store.py [--reviews 2000] [--postgres URL]

Each review is one transaction (read the card's schedule, write the review
and the new schedule, commit), as a learner's click is. SQLite runs in WAL
mode with ``synchronous=FULL``, so every commit is on disk when it returns.
With ``--threads`` above 1 the reviews come from several threads at once.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy

from actlab.store import Store

CARDS = ["sigmoid-formula", "relu-slope", "linear-formula", "relu-formula"]


def measure(url: str, reviews: int, threads: int) -> float:
    """Return reviews per second for ``reviews`` reviews from ``threads`` threads."""
    with Store.open(url) as store:
        start_time = datetime(2026, 1, 1, tzinfo=UTC)

        def work(worker: int) -> None:
            for index in range(worker, reviews, threads):
                moment = start_time + timedelta(minutes=index)
                store.review(CARDS[index % len(CARDS)], 1 + index % 4, now=moment)

        workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
        start = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        seconds = time.perf_counter() - start
        assert len(store.reviews()) == reviews
    return reviews / seconds


def _empty(url: str) -> None:
    """Drop every table of the database at ``url``, so each row starts empty."""
    engine = sqlalchemy.create_engine(url)
    tables = sqlalchemy.MetaData()
    tables.reflect(engine)
    tables.drop_all(engine)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=2000)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--postgres", help="URL of an empty PostgreSQL database")
    args = parser.parse_args()

    print(
        f"python {platform.python_version()}, sqlalchemy {sqlalchemy.__version__}, "
        f"{platform.machine()}, {args.reviews} reviews per row"
    )
    print(f"{'database':<12}{'threads':>8}{'reviews/s':>12}{'ms each':>10}")
    for threads in args.threads:
        with tempfile.TemporaryDirectory() as folder:
            rate = measure(f"sqlite:///{folder}/bench.db", args.reviews, threads)
        print(f"{'sqlite':<12}{threads:>8}{rate:>12.0f}{1000 / rate:>10.2f}")
        if args.postgres:
            _empty(args.postgres)
            rate = measure(args.postgres, args.reviews, threads)
            print(f"{'postgresql':<12}{threads:>8}{rate:>12.0f}{1000 / rate:>10.2f}")


if __name__ == "__main__":
    main()
