"""``actlab serve``: run the web lab."""

from __future__ import annotations

import dataclasses
import socket

import click


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8000,
    show_default=True,
    help="TCP port to listen on.",
)
@click.option(
    "--database-url",
    metavar="URL",
    help="Where progress is kept: an SQLAlchemy URL such as sqlite:///progress.db "
    "or postgresql+psycopg://user@host/db. Default: ACTLAB_DATABASE_URL, else a "
    "SQLite file in your data directory.",
)
@click.option(
    "--allow-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="Another host name that browsers may use to reach the lab, such as the "
    "server's name on a class network (repeat for several; '*' for any). "
    "Loopback names and --host are always allowed, and with --host 0.0.0.0 "
    "any name is.",
)
def serve_command(
    host: str, port: int, database_url: str | None, allowed_hosts: tuple[str, ...]
) -> None:
    """Serve the lab's pages and JSON API until interrupted."""
    from ..store import StoreError
    from ..web import Settings, serve

    try:
        settings = Settings.from_env()
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    if database_url:
        settings = dataclasses.replace(settings, database_url=database_url)
    if allowed_hosts:
        settings = dataclasses.replace(settings, extra_hosts=allowed_hosts)
    _check_free(host, port)
    try:
        serve(host=host, port=port, settings=settings)
    except StoreError as error:
        raise click.ClickException(str(error)) from None


def _check_free(host: str, port: int) -> None:
    """Raise a usage error when ``host:port`` cannot be bound, before starting."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {error.strerror or error}. "
            "Stop the program using that port or choose another with --port."
        ) from None
