"""Entry point of the ``actlab`` command and its subcommands."""

from __future__ import annotations

import logging

import click

from .. import __version__
from ._activations import activations_command
from ._cards import cards_command
from ._compare import compare_command
from ._drill import drill_command
from ._progress import progress_command
from ._run import report_command, run_command
from ._serve import serve_command
from ._sweep import sweep_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="actlab")
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages to stderr.")
def cli(verbose: bool) -> None:
    """actlab: an offline lab for neural-network activation functions."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Alembic logs each of its plugins at INFO when it is imported.
    if not verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)


cli.add_command(serve_command)
cli.add_command(compare_command)
cli.add_command(activations_command)
cli.add_command(cards_command)
cli.add_command(drill_command)
cli.add_command(progress_command)
cli.add_command(run_command)
cli.add_command(report_command)
cli.add_command(sweep_command)


def main() -> None:
    cli()
