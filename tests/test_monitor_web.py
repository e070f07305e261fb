"""The monitor pages and their JSON API, over runs logged by a real Monitor."""

from __future__ import annotations

import warnings
from urllib.parse import quote

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from actlab.errors import ActlabWarning
from actlab.monitor import Monitor

STEPS = 6


class FunctionalNet(nn.Module):
    """A net that calls F.relu and torch.tanh in forward, as many models do."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(4, 16)
        self.middle = nn.Linear(16, 8)
        self.out = nn.Linear(8, 1)

    def forward(self, x):
        return self.out(torch.tanh(self.middle(F.relu(self.hidden(x)))))


def log_run(
    database_url: str, run: str, steps: int = STEPS, functional: bool = False
) -> list[dict]:
    """Train a small ReLU net whose first layer dies; return the monitor's history.

    With ``functional`` the net is a ``FunctionalNet``, else an nn.Sequential
    with an nn.ReLU module.
    """
    torch.manual_seed(0)
    if functional:
        model = FunctionalNet()
        first = model.hidden
    else:
        model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
        first = model[0]
    with torch.no_grad():
        first.bias.fill_(-30.0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ActlabWarning)
        with Monitor(model, run=run, store=database_url) as monitor:
            for _ in range(steps):
                optimizer.zero_grad()
                loss = model(torch.randn(8, 4)).pow(2).mean()
                loss.backward()
                optimizer.step()
                monitor.step(loss)
    return monitor.history


@pytest.fixture
def logged(client, database_url) -> list[dict]:
    return log_run(database_url, "digits-dead")


# --- API ---------------------------------------------------------------------


def test_runs_lists_logged_run(client, logged):
    body = client.get("/api/monitor/runs").json()

    assert [run["run"] for run in body] == ["digits-dead"]
    assert body[0]["records"] == STEPS
    assert body[0]["last_step"] == STEPS
    assert body[0]["url"] == "/monitor/digits-dead"


def test_runs_empty_store(client):
    response = client.get("/api/monitor/runs")
    assert response.status_code == 200
    assert response.json() == []


def test_run_returns_every_record(client, logged):
    body = client.get("/api/monitor/runs/digits-dead").json()

    assert body["run"] == "digits-dead"
    assert body["after"] is None
    assert body["last_step"] == STEPS
    assert [record["step"] for record in body["records"]] == list(range(1, STEPS + 1))
    stats = body["records"][0]["stats"]
    assert stats["activations"] == logged[0]["activations"]
    assert stats["weights"] == logged[0]["weights"]
    assert stats["activations"][0]["dead_fraction"] == 1.0
    assert stats["thresholds"] == {"dead": 0.1, "saturated": 0.5}


def test_run_returns_functional_layers(client, database_url):
    history = log_run(database_url, "functional", steps=3, functional=True)
    body = client.get("/api/monitor/runs/functional").json()

    stats = body["records"][-1]["stats"]
    layers = [layer["layer"] for layer in stats["activations"]]
    assert layers == ["FunctionalNet:relu", "FunctionalNet:tanh"]
    assert stats["activations"] == history[-1]["activations"]
    assert stats["activations"][0]["dead_fraction"] == 1.0
    assert stats["activations"][1]["module"] == "FunctionalNet"
    assert client.get("/monitor/functional").status_code == 200


def test_run_after_returns_later_steps(client, logged):
    body = client.get("/api/monitor/runs/digits-dead", params={"after": 4}).json()
    assert [record["step"] for record in body["records"]] == [5, 6]
    assert body["after"] == 4

    last = client.get("/api/monitor/runs/digits-dead", params={"after": STEPS}).json()
    assert last["records"] == []
    assert last["last_step"] == STEPS


def test_unknown_run_is_404_naming_it(client, logged):
    response = client.get("/api/monitor/runs/no-such-run")

    assert response.status_code == 404
    body = response.json()
    assert "'no-such-run'" in body["detail"]
    assert "not found" in body["detail"]
    assert body["field"] == "run"


@pytest.mark.parametrize("after", ["-1", "abc", "1.5", "", str(2**64)])
def test_bad_after_is_422(client, logged, after):
    response = client.get("/api/monitor/runs/digits-dead", params={"after": after})

    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "after"
    assert "after" in body["detail"]


def test_run_name_with_slash_and_space(client, database_url):
    log_run(database_url, "team a/run 1", steps=2)
    listed = client.get("/api/monitor/runs").json()[0]
    assert listed["url"] == "/monitor/" + quote("team a/run 1", safe="")

    body = client.get("/api/monitor/runs/" + quote("team a/run 1", safe="")).json()
    assert body["run"] == "team a/run 1"
    assert len(body["records"]) == 2
    page = client.get(listed["url"])
    assert page.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/monitor/runs/%00",
        "/api/monitor/runs/" + "x" * 5000,
        "/api/monitor/runs/digits-dead?after=99999999999999999999",
        "/api/monitor/runs/digits-dead?after=1&after=2",
        "/monitor/%2e%2e",
        "/monitor/" + "y" * 5000,
        "/monitor/<script>",
    ],
)
def test_odd_requests_never_500(client, logged, path):
    response = client.get(path)
    assert response.status_code < 500


# --- pages -------------------------------------------------------------------


def test_index_lists_runs_with_links(client, logged):
    response = client.get("/monitor")

    assert response.status_code == 200
    assert 'href="/monitor/digits-dead"' in response.text
    assert "No run logged yet" not in response.text


def test_index_without_runs_explains_logging(client):
    response = client.get("/monitor")

    assert response.status_code == 200
    assert "No run logged yet" in response.text
    assert "Monitor(model, store=default_url())" in response.text


def test_run_page_points_at_api(client, logged):
    response = client.get("/monitor/digits-dead")

    assert response.status_code == 200
    assert 'data-api="/api/monitor/runs/digits-dead"' in response.text
    assert "/vendor/plotly.min.js" in response.text
    assert "monitor.js" in response.text


def test_unknown_run_page_is_404_naming_it(client, logged):
    response = client.get("/monitor/gone")

    assert response.status_code == 404
    assert "monitored run &#39;gone&#39; not found" in response.text
    assert 'href="/monitor/digits-dead"' in response.text


def test_run_name_is_escaped_in_page(client, database_url):
    log_run(database_url, "<b>bold</b>", steps=1)
    response = client.get("/monitor/" + quote("<b>bold</b>", safe=""))

    assert response.status_code == 200
    assert "<b>bold</b>" not in response.text
    assert "&lt;b&gt;bold&lt;/b&gt;" in response.text


@pytest.mark.parametrize(
    "run", ["9223372036854775808", "99999999999999999999", "-1", "0"]
)
def test_numeric_run_names_are_looked_up_as_names(client, logged, run):
    response = client.get(f"/api/monitor/runs/{run}")
    page = client.get(f"/monitor/{run}")

    assert response.status_code == 404
    assert f"'{run}'" in response.json()["detail"]
    assert page.status_code == 404


def test_after_beyond_the_step_column_is_422(client, logged):
    response = client.get("/api/monitor/runs/digits-dead", params={"after": str(2**31)})

    assert response.status_code == 422
    assert "2147483648" in response.json()["detail"]
