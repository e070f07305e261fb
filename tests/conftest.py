"""Shared fixtures: the web app in-process, a live server and a browser."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, sync_playwright

from actlab.web import Settings, create_app

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


# --- web app -----------------------------------------------------------------


@pytest.fixture
def client() -> Iterator[TestClient]:
    """A ``TestClient`` over a fresh app with default settings."""
    with TestClient(create_app(Settings())) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """Serve the app with uvicorn on a free loopback port; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((LOOPBACK, 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(Settings(host=LOOPBACK, port=port)),
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
