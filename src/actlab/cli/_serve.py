"""``actlab serve``: run the web lab."""

from __future__ import annotations

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
    from ..web import serve

    serve(host=host, port=port)
