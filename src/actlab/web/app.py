"""The web lab's FastAPI app, and ``serve`` to run it with uvicorn."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import signal
import threading
from pathlib import Path
from types import FrameType

import uvicorn
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from actlab import __version__, measurements
from actlab.store import Store

from .errors import add_error_handlers
from .guard import HostGuard, guard_writes
from .routers import ROUTERS
from .settings import Settings

logger = logging.getLogger("actlab.web")
STATIC_DIR = Path(__file__).parent / "static"
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the web lab app from ``settings`` (``Settings.from_env()`` if None).

    Opens the store, upgrading its schema, and raises ``StoreError`` if it
    cannot be opened.
    """
    settings = Settings.from_env() if settings is None else settings
    store = Store.open(settings.database_url, new_per_day=settings.new_cards_per_day)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        try:
            yield
        finally:
            store.close()

    app = FastAPI(
        lifespan=lifespan,
        title="actlab web lab",
        version=__version__,
        description="An offline lab for neural-network activation functions.",
        # The interactive docs pages load their scripts from a CDN, so they are
        # off. The schema stays at /openapi.json.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.store = store
    logger.info("progress is kept in %s", store.url)
    add_error_handlers(app)
    app.middleware("http")(guard_writes)
    app.add_middleware(HostGuard, allowed=settings.trusted_hosts())
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def serve(
    host: str = "127.0.0.1", port: int = 8000, settings: Settings | None = None
) -> None:
    """Run the web lab with uvicorn until SIGINT or SIGTERM, logging start and stop.

    ``host`` and ``port`` override those of ``settings``. Either signal shuts
    the server down gracefully and ``serve`` returns.
    """
    base = Settings.from_env() if settings is None else settings
    settings = dataclasses.replace(base, host=host, port=port)
    configure_logging(settings.log_level)
    config = uvicorn.Config(
        create_app(settings), host=host, port=port, log_level=settings.log_level
    )
    logger.info("starting the web lab on http://%s:%d", host, port)
    threading.Thread(target=_measure_all, name="measurements", daemon=True).start()
    try:
        with _return_on_stop_signal():
            uvicorn.Server(config).run()
    finally:
        logger.info("stopped the web lab on http://%s:%d", host, port)


def _measure_all() -> None:
    """Take the lesson's measurements in the background, so its first view is quick.

    Each measurement runs once per process, and a page that asks for one
    while it runs waits for it.
    """
    for measurement_id in measurements.measurement_ids():
        measurements.measure(measurement_id)
    for table_id in measurements.table_ids():
        measurements.measure_table(table_id)
    logger.debug("took the lesson's measurements")


class _StopSignal(Exception):
    pass


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _StopSignal


@contextlib.contextmanager
def _return_on_stop_signal():
    """Turn the signal that uvicorn raises again after its shutdown into a return.

    uvicorn handles SIGINT and SIGTERM itself, then restores the previous
    handlers and raises the signal again. The handler installed here ends
    ``serve`` quietly instead of with a traceback or a kill.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _raise_stop) for sig in _STOP_SIGNALS}
    try:
        yield
    except _StopSignal:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def configure_logging(level: str) -> None:
    """Send ``actlab.web`` records at ``level`` and above to standard error."""
    web_logger = logging.getLogger("actlab.web")
    web_logger.setLevel(level.upper())
    # Alembic logs each of its plugins at INFO whenever the store opens.
    if level != "debug":
        logging.getLogger("alembic").setLevel(logging.WARNING)
    # The records go to this handler only, so that a root handler set up by the
    # CLI does not print each line a second time.
    web_logger.propagate = False
    if not web_logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        web_logger.addHandler(handler)
