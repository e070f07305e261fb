"""``actlab sweep``: train a grid of networks, resumable, with results in the store."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from .. import data, nn
from ..experiments import sweep
from ._store import database_url_option, open_store, plural

# Settings fields as the options that set them, for error messages. A list
# option has two names: the field (``depths``) and its items (``depth``).
OPTION_NAMES = {
    "activations": "--activations",
    "depths": "--depths",
    "depth": "--depths",
    "widths": "--widths",
    "width": "--widths",
    "learning_rates": "--learning-rates",
    "learning_rate": "--learning-rates",
    "seeds": "--seeds",
    "seed": "--seeds",
    "epochs": "--epochs",
    "batch_size": "--batch-size",
    "momentum": "--momentum",
    "threshold": "--threshold",
    "name": "--name",
}


def _list_parser(kind: type, example: str) -> Callable[..., tuple]:
    """Return a click callback that splits a comma-separated value into ``kind``s."""
    noun = {int: "integers", float: "numbers", str: "names"}[kind]

    def parse(context, parameter, value: str) -> tuple:
        parts = [part.strip() for part in value.split(",")]
        try:
            if "" in parts:
                raise ValueError(value)
            return tuple(kind(part) for part in parts)
        except ValueError:
            raise click.BadParameter(
                f"{value!r} is not a comma-separated list of {noun}, e.g. {example}"
            ) from None

    return parse


def _scheduler(context, parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return sweep.check_scheduler_address(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.command("sweep")
@click.option(
    "--dataset",
    type=click.Choice(list(data.names())),
    default="digits",
    show_default=True,
    help="The built-in dataset to train on.",
)
@click.option(
    "--activations",
    default=",".join(sweep.DEFAULT_ACTIVATIONS),
    show_default=True,
    callback=_list_parser(str, "relu,tanh"),
    help="Hidden activations, comma-separated.",
)
@click.option(
    "--depths",
    default=",".join(map(str, sweep.DEFAULT_DEPTHS)),
    show_default=True,
    callback=_list_parser(int, "1,2,3"),
    help="Numbers of hidden layers, comma-separated.",
)
@click.option(
    "--widths",
    default="32",
    show_default=True,
    callback=_list_parser(int, "16,64"),
    help="Units per hidden layer, comma-separated.",
)
@click.option(
    "--learning-rates",
    "--lrs",
    default=",".join(map(str, sweep.DEFAULT_LEARNING_RATES)),
    show_default=True,
    callback=_list_parser(float, "0.001,0.01,0.1"),
    help="Learning rates, comma-separated.",
)
@click.option(
    "--seeds",
    default="0,1,2",
    show_default=True,
    callback=_list_parser(int, "0,1,2"),
    help="Seeds of the weights and the batch order, comma-separated.",
)
@click.option("--epochs", type=int, default=20, show_default=True,
              help="Passes over the training set per cell.")  # fmt: skip
@click.option("--batch-size", type=int, default=32, show_default=True,
              help="Examples per gradient step.")  # fmt: skip
@click.option(
    "--optimiser",
    type=click.Choice(nn.optimiser_names()),
    default="sgd",
    show_default=True,
)
@click.option("--momentum", type=float, default=0.9, show_default=True,
              help="SGD momentum.")  # fmt: skip
@click.option(
    "--threshold",
    type=float,
    help="Training error (classification) or 1 - R² (regression) that counts "
    "as reached. Default: 0.05 for classification, 0.5 for regression.",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 1024),
    help="Local worker processes. Default: one per CPU core.",
)
@click.option(
    "--scheduler",
    metavar="tcp://HOST:PORT",
    callback=_scheduler,
    help="Run the cells on the Dask cluster of this scheduler instead of local "
    "processes. Needs actlab[cluster].",
)
@click.option(
    "--limit",
    type=click.IntRange(0),
    help="Run at most this many of the cells not stored yet, then stop.",
)
@click.option(
    "--name",
    help="Name of the sweep in the store. Default: a hash of the training settings.",
)
@database_url_option()
@click.option(
    "--json",
    "json_file",
    type=click.File("w", encoding="utf-8", lazy=True),
    metavar="FILE",
    help="Write the full results as JSON to FILE ('-' for standard output, "
    "which replaces the table).",
)
def sweep_command(jobs, scheduler, limit, database_url, json_file, **options) -> None:
    """Train a grid of networks: activation x depth x width x rate x seed.

    Each cell is one training run. Cells finished before, in a run with the
    same training settings, are reused from the store, so an interrupted sweep
    resumes where it stopped. The table shows, per activation, depth and
    width, the learning rate with the best mean validation metric and the
    means over the seeds at that rate.
    """
    if jobs is not None and scheduler is not None:
        raise click.UsageError(
            f"--jobs {jobs} applies to local processes only: leave it out with "
            "--scheduler, whose workers set the parallelism"
        )
    try:
        settings = sweep.SweepSettings(**options)
    except ValueError as error:
        raise click.UsageError(_option_names(str(error))) from None

    with open_store(database_url) as store:
        result = _run(settings, store, scheduler, jobs, limit)

    if json_file is not None:
        _write_json(result, json_file)
    if json_file is None or json_file.name != "-":
        print_table(result, Console())
    _report_counts(result, limit)


def _option_names(message: str) -> str:
    """Return ``message`` with settings fields written as the CLI options."""
    for field, option in OPTION_NAMES.items():
        message = message.replace(f"invalid {field}=", f"invalid {option} value ")
        if message.startswith((f"{field} is empty", f"{field} contains")):
            message = option + message.removeprefix(field)
    if message.startswith(("unknown activation", "invalid hidden activation")):
        message = f"--activations: {message}"
    return message


def _run(settings, store, scheduler, jobs, limit) -> sweep.SweepResult:
    """Run the sweep under a progress bar; explain an interruption or a stop."""
    done = [0]
    try:
        return _run_with_progress(settings, store, scheduler, jobs, limit, done)
    except KeyboardInterrupt:
        click.echo(
            f"Interrupted: {done[0]} of {len(sweep.cells(settings))} cells of sweep "
            f"{sweep.sweep_id(settings)!r} are stored. Run the same command again "
            "to resume.",
            err=True,
        )
        sys.exit(130)
    except sweep.SweepError as error:
        message = str(error).replace("run without a scheduler", "leave out --scheduler")
        raise click.ClickException(message) from None
    except ValueError as error:
        raise click.UsageError(_option_names(str(error))) from None


def _run_with_progress(settings, store, scheduler, jobs, limit, done: list[int]):
    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("sweep", total=None)

        def report(finished: int, total: int, key: str) -> None:
            done[0] = finished
            bar.update(
                task, completed=finished, total=total, description=key or "sweep"
            )

        return sweep.run_sweep(
            settings, store, scheduler=scheduler, jobs=jobs, progress=report,
            limit=limit,
        )  # fmt: skip


def print_table(result: sweep.SweepResult, console: Console) -> None:
    """Print one row per activation, depth and width, at its best learning rate."""
    settings = result.settings
    rows = result.summary()
    metric = "R²" if rows and rows[0].metric_name == "r2" else "acc"
    title = (
        f"{settings.dataset}: sweep {result.sweep}, {settings.optimiser}, "
        f"{plural(settings.epochs, 'epoch')}, "
        f"{plural(len(settings.seeds), 'seed')} per rate"
    )
    table = Table(
        box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True
    )
    for column in (
        "activation", "hidden", "best\nlr", f"val\n{metric}", f"test\n{metric}",
        "epochs", "dead", "diverged",
    ):  # fmt: skip
        justify = "left" if column == "activation" else "right"
        table.add_column(column, justify=justify, no_wrap=True)
    for row in rows:
        table.add_row(*_cells_of(row, settings.epochs))

    console.print(title, style="bold", soft_wrap=True)
    console.print(table)
    console.print(_legend(rows, result), style="dim")


def _cells_of(row: sweep.SummaryRow, epochs: int) -> list[str]:
    if row.median_epochs is None:
        reached = f">{epochs} ({row.reached}/{row.runs})"
    else:
        reached = f"{row.median_epochs:g} ({row.reached}/{row.runs})"
    dead = "-" if row.dead_fraction is None else f"{row.dead_fraction:.1%}"
    test = f"{row.test_metric:.3f}"
    if row.runs > 1:
        test += f"±{row.test_metric_std:.3f}"
    return [
        row.activation, f"{row.depth}x{row.width}", f"{row.learning_rate:g}",
        f"{row.validation_metric:.3f}", test, reached, dead,
        f"{row.diverged}/{row.runs}",
    ]  # fmt: skip


def _legend(rows: list[sweep.SummaryRow], result: sweep.SweepResult) -> str:
    error = "1 - R²" if rows and rows[0].metric_name == "r2" else "train error"
    threshold = sweep.training_settings(result.settings)["threshold"]
    return (
        "hidden: layers x units. best lr: the rate with the fewest diverged runs "
        "and the best mean validation metric, and the other columns are over "
        "the seeds at that rate. "
        f"epochs: first epoch with {error} <= {threshold:g} (median over the "
        "seeds that reached it). dead: share of hidden units dead after training."
    )


def _report_counts(result: sweep.SweepResult, limit: int | None) -> None:
    click.echo(
        f"{plural(result.total, 'cell')}: {result.computed} computed now, "
        f"{result.reused} reused from the store, in {result.seconds:.1f} s.",
        err=True,
    )
    if result.remaining:
        click.echo(
            f"{plural(result.remaining, 'cell')} left by --limit {limit}: run the "
            "same command again to continue.",
            err=True,
        )
    for key, error in result.failed.items():
        click.echo(f"cell {key} failed: {error}", err=True)
    if result.failed:
        raise click.ClickException(
            f"{plural(len(result.failed), 'cell')} failed and were not stored: "
            "run the same command again to retry them."
        )


def _write_json(result: sweep.SweepResult, file) -> None:
    text = json.dumps(result.to_dict(), indent=2, default=_json_default)
    try:
        file.write(text + "\n")
        file.flush()
    except OSError as error:
        raise click.ClickException(
            f"cannot write {click.format_filename(file.name)}: "
            f"{error.strerror or error}. Choose another file with --json."
        ) from None
    if file.name != "-":
        click.echo(
            f"Wrote the results to {click.format_filename(file.name)}.", err=True
        )


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")
