"""Shared fixtures: the web app in-process, a live server and a browser."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, sync_playwright

from actlab.web import Settings, create_app

# The lab serves only loopback host names, so test clients use one.
LAB = "http://127.0.0.1"

CHROMIUM = os.environ.get("ACTLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
LOOPBACK = "127.0.0.1"


# --- store -------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def session_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Point ``ACTLAB_DATABASE_URL`` at a SQLite file of this test session.

    No test writes to the learner's own progress in the user data directory.
    """
    path = tmp_path_factory.mktemp("store") / "session.db"
    url = f"sqlite:///{path}"
    previous = os.environ.get("ACTLAB_DATABASE_URL")
    os.environ["ACTLAB_DATABASE_URL"] = url
    try:
        yield url
    finally:
        if previous is None:
            os.environ.pop("ACTLAB_DATABASE_URL", None)
        else:
            os.environ["ACTLAB_DATABASE_URL"] = previous


@pytest.fixture
def database_url(tmp_path) -> str:
    """The URL of an empty SQLite file of this test alone."""
    return f"sqlite:///{tmp_path / 'progress.db'}"


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a real PostgreSQL server on loopback.

    ``ACTLAB_TEST_POSTGRES_URL`` names a running one (``.ci/run`` starts one
    with ``.ci/postgres``). Without it, a server of this test session is
    started with the same script and stopped at the end.
    """
    url = os.environ.get("ACTLAB_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    script = os.path.join(os.path.dirname(__file__), os.pardir, ".ci", "postgres")
    # Not under pytest's own temporary folder: that one is private to this
    # user, and as root the server runs as user postgres.
    folder = Path(tempfile.mkdtemp(prefix="actlab-postgres-"))
    os.chmod(folder, 0o755)
    port = _free_port()
    started = subprocess.run(
        [script, str(folder / "server"), str(port)],
        capture_output=True,
        text=True,
        check=False,
    )
    if started.returncode != 0:
        pytest.fail(f"could not start PostgreSQL with .ci/postgres:\n{started.stderr}")
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        _stop_postgres(folder / "server" / "data")
        shutil.rmtree(folder, ignore_errors=True)


def _stop_postgres(data_dir) -> None:
    pg_ctl = shutil.which("pg_ctl") or _postgres_bin("pg_ctl")
    command = [pg_ctl, "-D", str(data_dir), "-m", "fast", "-w", "stop"]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, capture_output=True, check=False)


def _postgres_bin(name: str) -> str:
    import glob

    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else name


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database of this test alone, dropped after it."""
    from sqlalchemy import create_engine, make_url, text

    server = make_url(postgres_server)
    name = f"actlab_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def any_database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """An empty database on SQLite, then on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'progress.db'}"
    return request.getfixturevalue("postgres_url")


# --- web app -----------------------------------------------------------------


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    """A ``TestClient`` over a fresh app with default settings and an empty store."""
    with TestClient(
        create_app(Settings(database_url=database_url)), base_url=LAB
    ) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serve the app with uvicorn on a free loopback port; yield its base URL.

    Its store is a SQLite file of its own, shared by every browser test.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((LOOPBACK, 0))
    port = sock.getsockname()[1]
    path = tmp_path_factory.mktemp("live") / "live.db"
    settings = Settings(host=LOOPBACK, port=port, database_url=f"sqlite:///{path}")
    config = uvicorn.Config(
        create_app(settings),
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    try:
        _wait_until_started(server, thread)
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    for _ in range(200):
        if server.started:
            return
        if not thread.is_alive():
            raise RuntimeError("uvicorn stopped before it started serving")
        time.sleep(0.05)
    raise RuntimeError("uvicorn did not start serving within 10 seconds")


# --- browser -----------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless, driven by Playwright; never a downloaded build."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"chromium not found at {CHROMIUM}: install Debian's chromium package "
            "or set ACTLAB_CHROMIUM to its executable"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@dataclass
class OfflinePage:
    """A browser page that may reach only loopback, with what went wrong in it."""

    page: Page
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


@pytest.fixture
def offline_page(browser: Browser) -> Iterator[OfflinePage]:
    """A fresh page whose requests to any host but 127.0.0.1 are aborted.

    ``blocked`` lists the aborted URLs, ``errors`` the uncaught script errors
    and ``console_errors`` the console's error lines, which include every
    failed request (a 422, for example).
    """
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    offline = OfflinePage(page=page)

    def route(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname == LOOPBACK:
            route.continue_()
        else:
            offline.blocked.append(url)
            route.abort()

    context.route("**/*", route)
    page.on("pageerror", lambda error: offline.errors.append(str(error)))
    page.on("console", lambda message: _keep_error(offline, message))
    try:
        yield offline
    finally:
        context.close()


def _keep_error(offline: OfflinePage, message: ConsoleMessage) -> None:
    if message.type == "error":
        offline.console_errors.append(message.text)
