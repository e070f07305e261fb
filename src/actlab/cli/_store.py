"""The ``--database-url`` option and opening the progress store for a command."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

if TYPE_CHECKING:
    from ..store import Store, StoreError

URL_HELP = (
    "SQLAlchemy URL of the progress database, e.g. sqlite:///progress.db. "
    "Default: a SQLite file in the user data directory."
)

SUBCOMMAND_URL_HELP = (
    "SQLAlchemy URL of the progress database. Default: the group's --database-url, "
    "else ACTLAB_DATABASE_URL, else a SQLite file in the user data directory."
)


def database_url_option(
    *, envvar: str | None = "ACTLAB_DATABASE_URL"
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Return the decorator that adds ``--database-url``, read from ``envvar`` too.

    A subcommand passes ``envvar=None`` when its group reads the variable, so
    that the group's explicit option is not overridden by the environment.
    """
    return click.option(
        "--database-url",
        envvar=envvar,
        metavar="URL",
        default=None,
        show_envvar=envvar is not None,
        help=URL_HELP if envvar else SUBCOMMAND_URL_HELP,
    )


@contextmanager
def open_store(
    url: str | None, must_exist: bool = False, **options: Any
) -> Iterator[Store]:
    """Open the store at ``url`` for one command and close it afterwards.

    ``options`` go to ``Store.open``, e.g. ``new_per_day``.

    A ``StoreError`` on opening or while the command runs becomes a
    ``click.ClickException`` (exit code 1) that names the database and what to do,
    and so does a ``StoredRecordError``, a stored record that an import left
    invalid.
    """
    # Alembic logs its plugins and every migration step at INFO, which buries
    # the prompts of a terminal session. With -v (DEBUG) they are shown.
    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        logging.getLogger("alembic").setLevel(logging.WARNING)

    # Imported here so that ``actlab --help`` and the other commands do not
    # load SQLAlchemy and the migrations.
    from ..store import Store, StoredRecordError, StoreError

    if must_exist:
        _check_exists(url)
    try:
        store = Store.open(url, **options)
    except StoreError as error:
        raise click.ClickException(_describe(error, url)) from None

    try:
        yield store
    except StoreError as error:
        raise click.ClickException(_describe(error, store.url)) from None
    except StoredRecordError as error:
        raise click.ClickException(f"database {store.url}: {error}.") from None
    finally:
        store.close()


def _check_exists(url: str | None) -> None:
    """Raise a ``ClickException`` if ``url`` names a SQLite file that is not there.

    A command that only reads progress would otherwise create an empty
    database at a mistyped path and report that nothing was done.
    """
    if url is None:
        return
    try:
        parsed = make_url(url)
    except ArgumentError:
        return
    if parsed.get_backend_name() != "sqlite" or parsed.database in (
        None,
        "",
        ":memory:",
    ):
        return
    if not Path(parsed.database).expanduser().exists():
        raise click.ClickException(
            f"no progress database at {parsed.database}: check the path given by "
            "--database-url or ACTLAB_DATABASE_URL"
        )


def _describe(error: StoreError, url: str | None) -> str:
    message = str(error)
    safe_url = _hide_password(url)
    if safe_url and safe_url not in message:
        message = f"database {safe_url}: {message}"
    if not message.endswith((".", "!", "?")):
        message += "."
    if "--database-url" not in message:
        message += " Choose another database with --database-url."
    return message


def _hide_password(url: str | None) -> str | None:
    if url is None:
        return None
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def utc_now() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


def describe_when(moment: datetime, now: datetime) -> str:
    """Return ``moment`` as a time relative to ``now`` and as a UTC timestamp."""
    stamp = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    seconds = (moment - now).total_seconds()
    if seconds > 0:
        return f"in {_duration(seconds)} ({stamp})"
    return f"{_duration(-seconds)} ago ({stamp})"


def _duration(seconds: float) -> str:
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            return plural(round(seconds / size), unit)
    return "less than a minute"


def lab_url(target: str) -> str:
    """Return a lab path such as ``/explorer?show=relu`` as a full address.

    The address is that of ``actlab serve`` with ``ACTLAB_HOST`` and
    ``ACTLAB_PORT`` as it reads them, 127.0.0.1:8000 by default.
    """
    if not target.startswith("/"):
        return target
    host = os.environ.get("ACTLAB_HOST", "127.0.0.1")
    port = os.environ.get("ACTLAB_PORT", "8000")
    return f"http://{host}:{port}{target}"


def plural(count: int, noun: str) -> str:
    """Return ``"1 card"`` or ``"3 cards"``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
