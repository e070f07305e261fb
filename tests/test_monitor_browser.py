"""The monitor pages in headless chromium, over runs logged by a real Monitor."""

from __future__ import annotations

import socket
import threading
import time
import warnings
from collections.abc import Iterator

import pytest
import torch
import torch.nn.functional as F
import uvicorn
from torch import nn

from actlab.errors import ActlabWarning
from actlab.monitor import Monitor
from actlab.web import Settings, create_app

pytestmark = pytest.mark.browser

LOOPBACK = "127.0.0.1"
ROOT = "#monitor"


def dying_model() -> nn.Sequential:
    """A ReLU net whose first hidden layer starts dead, and a healthy Tanh layer."""
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 1)
    )
    with torch.no_grad():
        model[0].bias.fill_(-30.0)
    return model


class FunctionalNet(nn.Module):
    """The net of ``dying_model`` with F.relu and torch.tanh in place of modules."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.hidden = nn.Linear(4, 16)
        self.middle = nn.Linear(16, 8)
        self.out = nn.Linear(8, 1)
        with torch.no_grad():
            self.hidden.bias.fill_(-30.0)

    def forward(self, x):
        return self.out(torch.tanh(self.middle(F.relu(self.hidden(x)))))


def train_steps(model: nn.Module, monitor: Monitor, steps: int) -> None:
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ActlabWarning)
        for _ in range(steps):
            optimizer.zero_grad()
            loss = model(torch.randn(8, 4)).pow(2).mean()
            loss.backward()
            optimizer.step()
            monitor.step(loss)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('monitor') / 'runs.db'}"
    model = dying_model()
    with Monitor(model, run="dying", store=url) as monitor:
        train_steps(model, monitor, 8)
    functional = FunctionalNet()
    with Monitor(functional, run="functional", store=url) as monitor:
        train_steps(functional, monitor, 4)
    return url


@pytest.fixture(scope="module")
def server(database: str) -> Iterator[str]:
    """Serve the lab over ``database`` with uvicorn on a free loopback port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((LOOPBACK, 0))
    port = sock.getsockname()[1]
    app = create_app(Settings(host=LOOPBACK, port=port, database_url=database))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    try:
        for _ in range(200):
            if server.started or not thread.is_alive():
                break
            time.sleep(0.05)
        if not server.started:
            raise RuntimeError("uvicorn did not start serving")
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def dataset(page) -> dict[str, str]:
    return page.eval_on_selector(ROOT, "root => ({...root.dataset})")


def assert_clean(offline) -> None:
    assert offline.blocked == []
    assert offline.errors == []
    assert offline.console_errors == []


def test_run_page_shows_panels(offline_page, server):
    page = offline_page.page
    page.goto(f"{server}/monitor")
    page.click("a:text-is('dying')")
    page.wait_for_function(
        "document.querySelector('#monitor')?.dataset.records === '8'"
    )

    data = dataset(page)
    assert data["lastStep"] == "8"
    assert data["deadLayers"] == "1"
    assert data["saturatedLayers"] == "1"
    assert data["weightLayers"] == "3"
    assert int(data["zeroGradients"]) >= 1
    for name in ("dead-plot", "saturated-plot", "grad-plot"):
        assert page.locator(f'[data-out="{name}"] .main-svg').count() > 0
    assert page.is_visible('[data-out="grad-note"]')
    relu_row = page.locator('[data-out="activation-table"] tr[data-layer="1"]')
    assert relu_row.locator("td").nth(3).inner_text() == "100.0%"
    assert relu_row.locator("td.bad").count() == 1
    assert page.locator('[data-out="weight-table"] tr').count() == 3
    assert page.inner_text('[data-out="latest-step"]') == "8"
    assert_clean(offline_page)


def test_run_page_shows_functional_layers(offline_page, server):
    page = offline_page.page
    page.goto(f"{server}/monitor/functional")
    page.wait_for_function(
        "document.querySelector('#monitor')?.dataset.records === '4'"
    )

    table = page.locator('[data-out="activation-table"]')
    relu_row = table.locator('tr[data-layer="FunctionalNet:relu"]')
    assert relu_row.locator("td").nth(1).inner_text() == "FunctionalNet"
    assert relu_row.locator("td").nth(3).inner_text() == "100.0%"
    assert relu_row.locator("td.bad").count() == 1
    assert table.locator('tr[data-layer="FunctionalNet:tanh"]').count() == 1
    assert dataset(page)["deadLayers"] == "1"
    assert page.locator('[data-out="dead-plot"] .main-svg').count() > 0
    assert_clean(offline_page)


def test_run_page_polls_for_new_steps(offline_page, server, database):
    model = dying_model()
    monitor = Monitor(model, run="live", store=database, flush_every=1)
    with monitor:
        train_steps(model, monitor, 2)
        page = offline_page.page
        page.goto(f"{server}/monitor/live")
        page.wait_for_function(
            "document.querySelector('#monitor')?.dataset.lastStep === '2'"
        )

        train_steps(model, monitor, 3)
        page.wait_for_function(
            "document.querySelector('#monitor')?.dataset.lastStep === '5'"
        )

    assert dataset(page)["records"] == "5"
    assert page.inner_text('[data-out="latest-step"]') == "5"
    assert "5 steps recorded" in page.inner_text('[data-out="status"]')
    assert_clean(offline_page)


def test_unknown_run_page_lists_runs(offline_page, server):
    page = offline_page.page
    response = page.goto(f"{server}/monitor/missing")

    assert response.status == 404
    assert "'missing' not found" in page.inner_text(".messages")
    assert page.locator("a:text-is('dying')").count() == 1
    assert offline_page.blocked == []
    assert offline_page.errors == []
