"""Opening a database: the default location, SQLite settings, migrations, errors."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, exc, make_url
from sqlalchemy.engine import URL

from actlab.errors import ActlabError

logger = logging.getLogger("actlab.store")

MIGRATIONS = Path(__file__).parent / "migrations"
ENV_VAR = "ACTLAB_DATABASE_URL"
# Seconds that SQLite waits for another writer before giving up.
BUSY_TIMEOUT = 10.0


# The execution option that marks the engine of write transactions.
WRITE_OPTION = "actlab_write"


class StoreError(ActlabError):
    """The database cannot be opened, read or written; the message gives the cause.

    ``transient`` is True when the same request may succeed later unchanged:
    the database was locked by another program or its server was down.
    """

    def __init__(self, message: str, *, transient: bool = False):
        super().__init__(message)
        self.transient = transient


def default_url() -> str:
    """Return ``ACTLAB_DATABASE_URL``, or a SQLite file in the user's data directory."""
    url = os.environ.get(ENV_VAR)
    if url:
        return url
    folder = Path(platformdirs.user_data_dir("actlab", appauthor=False))
    return f"sqlite:///{folder / 'progress.db'}"


def shown(url: URL) -> str:
    """Return ``url`` as text with its password hidden."""
    return url.render_as_string(hide_password=True)


def parse_url(text: str) -> URL:
    try:
        url = make_url(text)
    except exc.ArgumentError:
        raise StoreError(
            f"invalid database URL {text!r}: give an SQLAlchemy URL such as "
            "sqlite:///progress.db or postgresql+psycopg://user@host/dbname"
        ) from None
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url


@dataclass(frozen=True)
class SqliteFile:
    """The file of a SQLite database, with the identity it had when opened."""

    path: Path
    device: int
    inode: int

    def unchanged(self) -> bool:
        try:
            status = self.path.stat()
        except OSError:
            return False
        return (status.st_dev, status.st_ino) == (self.device, self.inode)


def sqlite_file(url: URL) -> SqliteFile | None:
    """Return the file of a SQLite URL as it is now, or None for other databases."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.query.get("mode") == "memory":
        return None
    path = Path(url.database).expanduser().resolve()
    try:
        status = path.stat()
    except OSError:
        return None
    return SqliteFile(path, status.st_dev, status.st_ino)


def create(url: URL, busy_timeout: float = BUSY_TIMEOUT) -> Engine:
    """Create the engine for ``url``; a SQLite file gets WAL and a busy timeout."""
    if url.get_backend_name() != "sqlite":
        try:
            return create_engine(url, pool_pre_ping=True)
        except (ImportError, exc.NoSuchModuleError) as error:
            raise StoreError(
                f"cannot open {shown(url)}: its driver is not installed ({error}). "
                "For PostgreSQL, install actlab[postgres]"
            ) from None
    _make_folder(url)
    engine = create_engine(url, connect_args={"timeout": busy_timeout})
    event.listen(engine, "connect", _configure_sqlite)
    event.listen(engine, "begin", _begin)
    return engine


def for_writing(engine: Engine) -> Engine:
    """Return ``engine`` marked so that each transaction takes the write lock first.

    The returned engine shares the pool and the event handlers of ``engine``.
    """
    return engine.execution_options(**{WRITE_OPTION: True})


def _make_folder(url: URL) -> None:
    if url.database and url.database != ":memory:":
        folder = Path(url.database).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(
                f"cannot create the folder {folder} for {shown(url)}: "
                f"{error.strerror or error}. Choose another --database-url"
            ) from None


def _configure_sqlite(connection, record) -> None:
    # The driver's own transaction handling is off, so that "begin" below
    # chooses how each transaction starts.
    connection.isolation_level = None
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin(connection) -> None:
    # A write transaction starts with BEGIN IMMEDIATE: it takes the write lock
    # at the start and waits for it, rather than failing halfway through. A
    # read starts with a deferred BEGIN, which in WAL mode reads the last
    # committed state without waiting for another program's writer.
    if connection.get_execution_options().get(WRITE_OPTION, False):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


def _migrations() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the database's schema up to the newest migration.

    The revision is read without the write lock, so opening a database whose
    schema is up to date does not wait for another program that is writing.
    """
    config = _migrations()
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()
    with engine.connect() as connection, connection.begin():
        current = _current_revision(connection, script, engine.url)
    if current == head:
        return
    with for_writing(engine).begin() as connection:
        # Another process may have upgraded it since the read above.
        current = _current_revision(connection, script, engine.url)
        if current == head:
            return
        config.attributes["connection"] = connection
        if current is None:
            logger.debug("creating the schema of %s", shown(engine.url))
        else:
            logger.info("upgrading %s from schema %s", shown(engine.url), current)
        command.upgrade(config, "head")


def _current_revision(connection, script: ScriptDirectory, url: URL) -> str | None:
    current = MigrationContext.configure(connection).get_current_revision()
    known = {revision.revision for revision in script.walk_revisions()}
    if current is not None and current not in known:
        raise StoreError(
            f"the database {shown(url)} has schema {current!r}, made by a "
            "newer actlab than this one: upgrade actlab, or choose another "
            "--database-url"
        )
    return current


def revisions() -> list[str]:
    """Return the schema revisions, oldest first."""
    script = ScriptDirectory.from_config(_migrations())
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def upgrade_to(engine: Engine, revision: str) -> None:
    """Upgrade the database to ``revision`` exactly (tests build old schemas so)."""
    config = _migrations()
    with for_writing(engine).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def missing_table(error: exc.SQLAlchemyError) -> bool:
    """Return True if ``error`` reports a table that does not exist."""
    cause = getattr(error, "orig", error)
    # 42P01 is PostgreSQL's undefined_table.
    return getattr(cause, "sqlstate", None) == "42P01" or "no such table" in str(cause)


def explain(error: exc.SQLAlchemyError, url: URL) -> StoreError:
    """Turn a database error into a ``StoreError`` that says what to do."""
    text = str(getattr(error, "orig", error)).strip().splitlines()[0]
    where = shown(url)
    if "locked" in text or "busy" in text:
        return StoreError(
            f"the database {where} is locked by another program ({text}): "
            "close the other program or try again",
            transient=True,
        )
    if "readonly" in text or "read-only" in text:
        message = (
            f"cannot write to the database {where} ({text}): it is read-only; "
            "allow writing to the file and its folder, or choose another "
            "--database-url"
        )
    elif "malformed" in text or "not a database" in text:
        message = (
            f"the file {url.database} is not a valid actlab database ({text}): "
            "move it aside so that actlab creates a new one there, or choose "
            "another --database-url"
        )
    elif "unable to open" in text:
        message = (
            f"cannot open the database {where} ({text}): the path must be a "
            "SQLite file or a new file in a folder you can write to; choose "
            "another --database-url"
        )
    elif missing_table(error):
        message = (
            f"the database {where} lacks an actlab table ({text}) although its "
            "schema version says it has it, so another program changed it: "
            "restore it from a backup, or choose another --database-url"
        )
    elif isinstance(error, exc.OperationalError):
        return StoreError(
            f"cannot use the database {where} ({text}): check that it exists and "
            "its server is running, or choose another --database-url",
            transient=True,
        )
    else:
        message = f"the database {where} failed ({text})"
    return StoreError(message)
