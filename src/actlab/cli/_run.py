"""``actlab run`` and ``actlab report``: the experiments, in a terminal and as files."""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Any

import click
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TimeElapsedColumn
from rich.table import Table

from ._store import database_url_option, open_store

VERDICT_STYLES = {True: "green", False: "red", None: "yellow"}


def _experiment_names() -> list[str]:
    from ..experiments import names

    return names()


class _ExperimentName(click.ParamType):
    """An experiment name, checked against the registry when the command runs."""

    name = "experiment"

    def convert(self, value: Any, param: Any, ctx: Any) -> str:
        choices = _experiment_names()
        if value not in choices:
            self.fail(
                f"unknown experiment {value!r}: choose one of {', '.join(choices)}",
                param,
                ctx,
            )
        return value


class _ExperimentCommand(click.Command):
    """A command whose help ends with the experiments and their titles.

    The list is read from the registry when the help is shown, so that
    starting the CLI does not import the experiments.
    """

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from ..experiments import get

        rows = [(name, get(name).title) for name in _experiment_names()]
        with formatter.section("Experiments"):
            formatter.write_dl(rows)
        super().format_epilog(ctx, formatter)


def parse_overrides(settings_type: type, pairs: tuple[str, ...]) -> dict[str, Any]:
    """Turn ``NAME=VALUE`` pairs into settings fields, typed like their defaults."""
    defaults = settings_type()
    fields = {
        field.name: getattr(defaults, field.name)
        for field in dataclasses.fields(defaults)
    }
    values: dict[str, Any] = {}
    for pair in pairs:
        name, _, text = pair.partition("=")
        if not _ or name not in fields:
            raise click.BadParameter(
                f"invalid --set {pair!r}: expected NAME=VALUE with NAME one of "
                f"{', '.join(fields)}",
                param_hint="--set",
            )
        values[name] = _typed(name, text, fields[name])
    return values


def _typed(name: str, text: str, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(text)
            return text.lower() in ("true", "1", "yes")
        if isinstance(default, tuple):
            kind = type(default[0]) if default else str
            return tuple(kind(part.strip()) for part in text.split(",") if part.strip())
        if default is None:
            return text
        return type(default)(text)
    except ValueError:
        kind = (
            "a comma-separated list"
            if isinstance(default, tuple)
            else type(default).__name__
        )
        raise click.BadParameter(
            f"invalid --set {name}={text!r}: expected {kind}, like the default "
            f"{default!r}",
            param_hint="--set",
        ) from None


def run_with_progress(name: str, settings: Any, store: Any, quick: bool = False) -> Any:
    """Run experiment ``name`` with a progress bar on a terminal and return it.

    ``settings`` None means the defaults, or the quick settings when ``quick``.
    Data that the settings name but that is missing or unreadable, such as
    MNIST for ``speed``, raises a ``ClickException`` with the loader's message.
    """
    from ..data import MnistFormatError, MnistNotFoundError
    from ..experiments import run_experiment

    console = Console(stderr=True)
    columns = ("{task.description}", BarColumn(), TimeElapsedColumn())
    # Off the terminal, the bar would only leave blank lines in the output.
    bar_options = {"console": console, "transient": True}
    with Progress(*columns, **bar_options, disable=not console.is_terminal) as bar:
        task = bar.add_task(name, total=1.0)

        def report(step: str, done: float) -> None:
            bar.update(task, completed=done, description=f"{name}: {step}")

        try:
            return run_experiment(
                name, settings, progress=report, store=store, quick=quick
            )
        except (MnistNotFoundError, MnistFormatError) as error:
            raise click.ClickException(f"{name}: {error}") from None


def print_result(result: Any, console: Console) -> None:
    """Print an experiment's claims and tables.

    Every text is escaped, because a claim such as ``E[g'(z)^2]`` would
    otherwise be read as rich markup and lose its brackets.
    """
    from ..experiments.report import QUICK_LABEL, VERDICTS, format_seconds

    about = format_seconds(result.seconds)
    if result.quick:
        about += f", {QUICK_LABEL} settings"
    console.print(f"[bold]{escape(result.title)}[/bold] ({escape(about)})")
    claims = Table(
        box=box.SIMPLE_HEAD, show_edge=False, title="claims", title_justify="left"
    )
    for column in ("claim", "what we measured", "held?"):
        claims.add_column(column, overflow="fold")
    for claim in result.claims:
        style = VERDICT_STYLES[claim.held]
        claims.add_row(
            escape(claim.claim),
            escape(claim.measured),
            f"[{style}]{VERDICTS[claim.held]}[/]",
        )
    console.print(claims)
    for table in result.tables:
        shown = Table(
            box=box.SIMPLE_HEAD,
            show_edge=False,
            title=escape(table.title),
            title_justify="left",
        )
        for column in table.columns:
            shown.add_column(escape(str(column)))
        for row in table.rows:
            shown.add_row(*(_cell(value) for value in row))
        console.print(shown)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else escape(str(value))


def _make_folder(folder: Path) -> None:
    """Create ``folder`` before a long run, or raise a ``ClickException`` naming it.

    A file is written and removed in it too, because a folder that exists
    but cannot be written would otherwise fail only after the run.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise click.ClickException(
            f"cannot write to {folder}: {error.strerror or error}. Choose another "
            "folder with --out"
        ) from None


@click.command("run", cls=_ExperimentCommand)
@click.argument("name", type=_ExperimentName())
@click.option(
    "--quick", is_flag=True, help="Run the small settings meant for previews."
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="Change one setting, e.g. --set seeds=0,1,2; repeat for more.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the figures and result.json (default: actlab-results/NAME).",
)
@click.option("--no-figures", is_flag=True, help="Skip drawing the figures.")
@database_url_option()
def run_command(
    name: str,
    quick: bool,
    overrides: tuple[str, ...],
    out: Path | None,
    no_figures: bool,
    database_url: str | None,
) -> None:
    """Run experiment NAME: print its claims, save its figures, keep it in the store."""
    from ..experiments import check_settings, get

    experiment = get(name)
    base = experiment.settings.quick() if quick else experiment.settings()
    try:
        settings = dataclasses.replace(
            base, **parse_overrides(experiment.settings, overrides)
        )
        check_settings(settings)
    except (ValueError, TypeError) as error:
        raise click.BadParameter(str(error), param_hint="--set") from None
    out = out or Path("actlab-results") / name
    _make_folder(out)
    with open_store(database_url) as store:
        result = run_with_progress(name, settings, store, quick=quick)
    console = Console()
    print_result(result, console)
    out.mkdir(parents=True, exist_ok=True)
    (out / "result.json").write_text(json.dumps(result.to_dict(), indent=2) + "\n")
    written = [out / "result.json"]
    if not no_figures:
        written += experiment.plot(result, out)
    console.print("wrote " + ", ".join(str(path) for path in written))


@click.command("report", cls=_ExperimentCommand)
@click.argument("names", nargs=-1, type=_ExperimentName())
@click.option(
    "--quick", is_flag=True, help="Run the small settings meant for previews."
)
@click.option(
    "--from-store",
    is_flag=True,
    help="Report each experiment's latest stored run instead of running it again; "
    "the report marks the runs that used the quick settings.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("actlab-report"),
    show_default=True,
    help="Folder for report.html, report.md and the figures.",
)
@database_url_option()
def report_command(
    names: tuple[str, ...],
    quick: bool,
    from_store: bool,
    out: Path,
    database_url: str | None,
) -> None:
    """Run experiments NAMES (default: all); write an HTML and a Markdown report."""
    from ..experiments import ExperimentResult
    from ..experiments.report import VERDICTS, claim_rows, write_report

    if quick and from_store:
        raise click.UsageError(
            "--quick and --from-store cannot be used together: --from-store "
            "reports the stored runs with the settings they ran with, and marks "
            "quick ones in the report. Leave out --quick, or leave out "
            "--from-store to run the quick settings now."
        )
    chosen = list(dict.fromkeys(names)) or _experiment_names()
    _make_folder(out)
    results = []
    with open_store(database_url) as store:
        for name in chosen:
            if from_store:
                runs = store.experiment_runs(name, limit=1)
                if not runs:
                    raise click.ClickException(
                        f"no stored run of {name!r} in {store.url}: run "
                        f"`actlab run {name}` first, or leave out --from-store"
                    )
                results.append(ExperimentResult.from_dict(runs[0].result))
                continue
            results.append(run_with_progress(name, None, store, quick=quick))
    html_path, markdown_path = write_report(results, out)
    console = Console()
    verdicts = [claim.held for _, claim in claim_rows(results)]
    counts = ", ".join(
        f"{verdicts.count(value)} {VERDICTS[value]}" for value in (True, False, None)
    )
    console.print(f"{len(verdicts)} claims: {counts}")
    quick_runs = [result.name for result in results if result.quick]
    if quick_runs:
        console.print(
            f"{len(quick_runs)} of {len(results)} runs used the quick preview "
            f"settings: {', '.join(quick_runs)}"
        )
    console.print(f"wrote {html_path} and {markdown_path}")
