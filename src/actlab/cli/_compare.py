"""``actlab compare``: train one architecture per hidden activation."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import click
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from .. import activations, data, nn
from ..experiments import compare

HIDDEN_CHOICES = sorted(
    {
        key
        for spec in activations.specs()
        if not spec.vector
        for key in (spec.name, *spec.aliases)
    }
)


def _parse_widths(context, parameter, value: str) -> tuple[int, ...]:
    try:
        widths = tuple(int(part) for part in value.split(","))
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a comma-separated list of widths, e.g. 64,64,64"
        ) from None
    return widths


@click.command("compare")
@click.option(
    "--dataset",
    default="digits",
    show_default=True,
    help="A built-in dataset or the path of a CSV file. Built-in: "
    f"{', '.join(data.names())}.",
)
@click.option("--target", help="Name of the target column of a CSV dataset.")
@click.option(
    "--delimiter",
    default=",",
    show_default=True,
    help="Field separator of a CSV dataset, e.g. ';'.",
)
@click.option(
    "-a",
    "--activation",
    "names",
    multiple=True,
    type=click.Choice(HIDDEN_CHOICES),
    help="Hidden activation to train (repeat the option for several). "
    f"Default: {', '.join(compare.DEFAULT_ACTIVATIONS)}.",
)
@click.option(
    "--hidden",
    default="64,64,64",
    show_default=True,
    callback=_parse_widths,
    help="Widths of the hidden layers, comma-separated.",
)
@click.option(
    "--epochs",
    type=int,
    default=40,
    show_default=True,
    help="Passes over the training set per run.",
)
@click.option(
    "--batch-size",
    type=int,
    default=32,
    show_default=True,
    help="Examples per gradient step.",
)
@click.option(
    "--optimiser",
    type=click.Choice(nn.optimiser_names()),
    default="sgd",
    show_default=True,
    help="Optimiser of every run: SGD (with --momentum) or Adam.",
)
@click.option(
    "--learning-rate",
    "--lr",
    type=float,
    default=0.01,
    show_default=True,
    help="Step size of the optimiser, the same for every activation.",
)
@click.option(
    "--momentum", type=float, default=0.9, show_default=True, help="SGD momentum."
)
@click.option(
    "--threshold",
    type=float,
    help="Training error (classification) or 1 - R² (regression) that counts "
    "as reached. Default: 0.05 for classification, 0.5 for regression.",
)
@click.option(
    "--seeds", type=click.IntRange(1, 100), default=3, show_default=True,
    help="Number of seeds per activation (seeds 0, 1, ...).",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the full results as JSON.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for results.json and the curves as PNG and SVG.",
)
def compare_command(names, hidden, seeds, as_json, out, **options) -> None:
    """Train one network per hidden activation and compare how each learns.

    Each activation uses the initialiser that suits it and the same data split,
    optimiser and seeds. The table shows the epochs each needed to reach the
    training-error threshold and the final accuracy (or R²). It also shows the
    ratio of the first layer's gradient norm to the last layer's at
    initialisation, and the dead and saturated shares of hidden units after
    training.
    """
    try:
        settings = compare.CompareSettings(
            activations=names or compare.DEFAULT_ACTIVATIONS,
            hidden=hidden,
            seeds=tuple(range(seeds)),
            **options,
        )
        result = _run_with_progress(settings)
    except ValueError as error:
        raise click.UsageError(_option_names(str(error))) from None

    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, default=_json_default))
    else:
        print_table(result, Console())
    if out is not None:
        _write(result, out)


# Settings fields as the options that set them, for error messages.
OPTION_NAMES = {
    "learning_rate": "--learning-rate",
    "batch_size": "--batch-size",
    "epochs": "--epochs",
    "momentum": "--momentum",
    "threshold": "--threshold",
}


def _option_names(message: str) -> str:
    """Return ``message`` with settings fields written as the CLI options."""
    for field, option in OPTION_NAMES.items():
        message = message.replace(f"invalid {field}=", f"invalid {option} ")
    return message.replace("hidden layer sizes", "--hidden")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _run_with_progress(settings: compare.CompareSettings) -> compare.CompareResult:
    console = Console(stderr=True)
    columns = (
        "{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("training", total=None)

        def report(done: int, total: int, description: str) -> None:
            bar.update(task, completed=done, total=total, description=description)

        return compare.run_compare(settings, progress=report)


def print_table(result: compare.CompareResult, console: Console) -> None:
    """Print one row per activation, summarised over the seeds."""
    settings = result.settings
    metric = "R²" if result.metric_name == "r2" else "acc"
    error_name = "1 - R²" if result.metric_name == "r2" else "train error"
    title = (
        f"{result.dataset['name']}: {result.dataset['train_examples']} train / "
        f"{result.dataset['test_examples']} test, hidden {list(settings.hidden)}, "
        f"{settings.optimiser} lr={settings.learning_rate:g}, "
        f"{_plural(len(settings.seeds), 'seed')}"
    )
    legend = (
        f"epochs: first epoch with {error_name} <= {result.threshold:g} "
        f"(median over the seeds that reached it, of {settings.epochs}); "
        "grad ratio: first layer's gradient norm / last layer's, at initialisation; "
        "dead and saturated: share of hidden units after training"
    )
    table = Table(
        box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True
    )

    for column in (
        "activation", "init", "epochs", f"train\n{metric}", f"test\n{metric}",
        "grad\nratio", "dead", "saturated",
    ):  # fmt: skip
        justify = "left" if column == "activation" else "right"
        table.add_column(column, justify=justify, no_wrap=True)
    for row in result.summaries:
        table.add_row(
            row.activation,
            row.initialiser,
            _epochs_text(row, settings.epochs),
            f"{row.train_metric:.3f}",
            _spread(row),
            _number(row.grad_norm_ratio, "{:.3g}"),
            _number(row.dead_fraction, "{:.1%}"),
            _number(row.saturated_fraction, "{:.1%}"),
        )

    console.print(title, style="bold", soft_wrap=True)
    console.print(table)
    console.print(legend, style="dim")
    verdict = compare.verdict(result)
    if verdict:
        console.print(verdict)
    console.print(f"{_plural(len(result.runs), 'run')} in {result.seconds:.1f} s")
    for run in result.runs:
        if run.diverged:
            console.print(
                f"[red]{run.activation}, seed {run.seed}:[/red] {run.diverged}"
            )


def _spread(row: compare.ActivationSummary) -> str:
    if row.runs == 1:
        return f"{row.test_metric:.3f}"
    return f"{row.test_metric:.3f}±{row.test_metric_std:.3f}"


def _epochs_text(row: compare.ActivationSummary, settings_epochs: int) -> str:
    reached = f"({row.reached}/{row.runs})"
    if row.median_epochs is None:
        return f">{settings_epochs} {reached}"
    return f"{row.median_epochs:g} {reached}"


def _number(value: float | None, form: str) -> str:
    return "-" if value is None else form.format(value)


def _json_default(value):
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def _write(result: compare.CompareResult, directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "results.json"
        path.write_text(json.dumps(result.to_dict(), indent=2, default=_json_default))
        figures = compare.plot_curves(result, directory)
    except OSError as error:
        message = f"cannot write results to {directory}: {error}"
        raise click.ClickException(message) from None
    for written in (path, *figures):
        click.echo(f"wrote {written}", err=True)
    sys.stderr.flush()
