"""``actlab serve``: run the web lab."""

from __future__ import annotations

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
def serve_command(host: str, port: int) -> None:
    """Serve the lab's pages and JSON API until interrupted."""
    from ..web import Settings, serve

    try:
        settings = Settings.from_env()
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    _check_free(host, port)
    serve(host=host, port=port, settings=settings)


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
