"""``actlab progress``: show, export and import the learner's progress."""

from __future__ import annotations

import json
from typing import IO, Any

import click
from rich import box
from rich.console import Console
from rich.table import Table

from ._store import database_url_option, describe_when, open_store, plural, utc_now


@click.group("progress", invoke_without_command=True)
@database_url_option()
@click.pass_context
def progress_command(context: click.Context, database_url: str | None) -> None:
    """Show the progress saved by the web lab and the terminal commands.

    Without a subcommand this runs 'show'. 'export' and 'import' move the whole
    progress between databases as JSON.
    """
    context.obj = {"database_url": database_url}
    if context.invoked_subcommand is None:
        _show(database_url, as_json=False)


def _url(context: click.Context, database_url: str | None) -> str | None:
    """Return the subcommand's ``--database-url``, else the group's or the variable."""
    if database_url is not None:
        return database_url
    return (context.obj or {}).get("database_url")


@progress_command.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print the progress as JSON.")
@database_url_option(envvar=None)
@click.pass_context
def show_command(context: click.Context, as_json: bool, database_url) -> None:
    """Show sections read, attempts, accuracy per concept and the card queue."""
    _show(_url(context, database_url), as_json)


@progress_command.command("export")
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8", lazy=True),
    default="-",
    help="File to write the JSON to. Default: standard output.",
)
@database_url_option(envvar=None)
@click.pass_context
def export_command(context: click.Context, output: IO[str], database_url) -> None:
    """Write the whole progress as JSON, for 'actlab progress import'."""
    with open_store(_url(context, database_url), must_exist=True) as store:
        data = store.export_progress()
    try:
        output.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        output.flush()
    except OSError as error:
        raise click.ClickException(
            f"cannot write {click.format_filename(output.name)}: "
            f"{error.strerror or error}. Choose another file with -o."
        ) from None
    if output.name != "-":
        click.echo(f"Wrote the progress to {click.format_filename(output.name)}.")


@progress_command.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@database_url_option(envvar=None)
@click.pass_context
def import_command(context: click.Context, file: IO[str], database_url) -> None:
    """Merge a progress JSON file written by 'export' into the database.

    Records already present (the same action id) are skipped, so importing a
    file twice adds nothing the second time, and so are records of cards and
    sections that the installed lessons lack. A malformed file, or one with
    an invalid record, changes nothing.
    """
    name = _file_name(file)
    data = _read_json(file, name)
    with open_store(_url(context, database_url)) as store:
        try:
            summary = store.import_progress(data)
        except ValueError as error:
            problem = str(error).removeprefix("invalid progress data: ").rstrip(".")
            end = "" if problem.endswith("?") else "."
            raise click.ClickException(
                f"invalid progress file {name}: {problem}{end} Nothing was imported."
            ) from None

    added = [_added_text(kind, count) for kind, count in summary.added.items() if count]
    click.echo(f"Imported {name}: added {', '.join(added) or 'nothing'}.")
    click.echo(_skipped_text(summary.skipped_by_reason))


def _file_name(file: IO[str]) -> str:
    if file.name in ("-", "<stdin>"):
        return "standard input"
    return click.format_filename(file.name)


# A progress file of 100,000 reviews is about 30 MB; the limit keeps a
# mistaken path such as /dev/zero from filling the memory.
MAX_IMPORT_CHARS = 200_000_000

# The singular noun of each key of ``ImportSummary.added``.
_ADDED_NOUNS = {
    "attempts": "attempt",
    "reviews": "review",
    "cards": "card schedule",
    "sections": "finished section",
}


def _added_text(key: str, count: int) -> str:
    if key not in _ADDED_NOUNS:
        return f"{count} {key}"
    return plural(count, _ADDED_NOUNS[key])


def _skipped_text(by_reason: dict[str, int]) -> str:
    """Return a line such as "Skipped 3 records: 2 already present, 1 of ..."."""
    from ..store import SKIP_REASONS

    total = sum(by_reason.values())
    if total == 0:
        return "Skipped no records."
    reasons = [
        f"{count} {SKIP_REASONS.get(reason, reason)}"
        for reason, count in by_reason.items()
        if count
    ]
    return f"Skipped {plural(total, 'record')}: {', '.join(reasons)}."


def _read_json(file: IO[str], name: str) -> dict[str, Any]:
    """Parse ``file`` as a JSON object, or raise a ``ClickException`` naming it."""
    try:
        text = file.read(MAX_IMPORT_CHARS + 1)
        if len(text) > MAX_IMPORT_CHARS:
            raise click.ClickException(
                f"invalid progress file {name}: longer than {MAX_IMPORT_CHARS:,} "
                "characters. Pass a file written by 'actlab progress export'."
            )
        # Editors on Windows often start a UTF-8 file with a byte-order mark.
        data = json.loads(text.removeprefix("\ufeff"))
    except RecursionError:
        raise click.ClickException(
            f"invalid progress file {name}: its JSON is nested too deeply. Pass a "
            "file written by 'actlab progress export'."
        ) from None
    except UnicodeDecodeError as error:
        raise click.ClickException(
            f"invalid progress file {name}: not UTF-8 text ({error.reason} at byte "
            f"{error.start}). Pass a file written by 'actlab progress export'."
        ) from None
    except json.JSONDecodeError as error:
        raise click.ClickException(
            f"invalid progress file {name}: not JSON ({error.msg} at line "
            f"{error.lineno}, column {error.colno}). Pass a file written by "
            "'actlab progress export'."
        ) from None
    except ValueError:
        # json raises this for an integer of more digits than Python converts.
        raise click.ClickException(
            f"invalid progress file {name}: a number in it has more than 4300 "
            "digits. Pass a file written by 'actlab progress export'."
        ) from None
    if not isinstance(data, dict):
        raise click.ClickException(
            f"invalid progress file {name}: expected a JSON object at the top level, "
            f"got {type(data).__name__}. Pass a file written by 'actlab progress "
            "export'."
        )
    return data


def _show(database_url: str | None, as_json: bool) -> None:
    with open_store(database_url, must_exist=True) as store:
        now = utc_now()
        progress = store.progress(now=now)
        if as_json:
            click.echo(json.dumps(progress.to_dict(), indent=2))
            return
        _print_progress(Console(highlight=False), progress, now)


def _print_progress(console: Console, progress, now) -> None:
    done = len(progress.sections_done)
    console.print(f"Lesson sections done: {done} of {progress.sections_total}")
    console.print(
        f"Cards: {progress.cards_due} due for review and "
        f"{progress.cards_new_today} new for today; {progress.cards_new} of "
        f"{progress.cards_total} never reviewed"
    )
    practice = ""
    if progress.practice_today:
        practice = f", and {progress.practice_today} in practice mode"
    console.print(f"Reviews today (UTC): {progress.reviews_today}{practice}")
    streak = plural(progress.streak_days, "day")
    if progress.last_active is None:
        console.print("No activity yet.")
    else:
        last = describe_when(progress.last_active, now)
        console.print(f"Streak: {streak}. Last active {last}")

    if progress.by_kind:
        console.print(_kind_table(progress.by_kind))
    if progress.concepts:
        console.print(_concept_table(progress.concepts))


def _table(title: str, first: str) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column(first)
    for column in ("attempts", "correct", "accuracy"):
        table.add_column(column, justify="right")
    return table


def _kind_table(by_kind) -> Table:
    table = _table("Attempts by kind", "kind")
    for kind, count in by_kind.items():
        accuracy = f"{count.correct / count.attempts:.0%}" if count.attempts else "-"
        table.add_row(kind, str(count.attempts), str(count.correct), accuracy)
    return table


def _concept_table(concepts) -> Table:
    table = _table("Accuracy by concept (attempts and reviews)", "concept")
    for concept in concepts:
        table.add_row(
            concept.title,
            str(concept.attempts),
            str(concept.correct),
            f"{concept.accuracy:.0%}",
        )
    return table
