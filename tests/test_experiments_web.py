"""The experiments pages: runs started from the lab, claims, tables and figures."""

from __future__ import annotations

import html
import time

import pytest

from actlab import experiments
from actlab.experiments.cost import CostSettings
from actlab.store import Store


def _finish(client, job: dict) -> dict:
    deadline = time.monotonic() + 60
    while job["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.1)
        job = client.get(f"/api/experiments/jobs/{job['id']}").json()
    return job


def _run_cost(client) -> dict:
    started = client.post("/api/experiments/cost/runs", json={"quick": True})
    assert started.status_code == 202
    return _finish(client, started.json())


def test_list_names_every_experiment(client):
    listed = client.get("/api/experiments").json()

    assert [entry["name"] for entry in listed] == experiments.names()
    assert all(entry["latest"] is None for entry in listed)


def test_run_started_from_the_lab_is_stored(client):
    job = _run_cost(client)
    (run,) = client.get("/api/experiments/cost/runs").json()

    assert job["state"] == "done"
    assert job["run_id"] == run["id"]
    assert run["quick"] is True
    assert run["claims"][0]["verdict"] in ("held", "did not hold", "not decided")
    stored = client.get(f"/api/experiments/runs/{run['id']}").json()
    assert stored["result"]["settings"]["size"] == 200_000


def test_page_shows_claims_tables_and_figures(client):
    job = _run_cost(client)
    page = client.get("/experiments/cost").text
    figure = client.get(f"/experiments/runs/{job['run_id']}/figures/0.png")

    assert "ReLU is cheaper to compute than the sigmoid" in page
    assert "Nanoseconds per float32 element" in page
    assert figure.headers["content-type"] == "image/png"
    assert figure.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_second_run_while_one_goes_is_refused(client):
    first = client.post("/api/experiments/cost/runs", json={"quick": True})
    second = client.post("/api/experiments/cost/runs", json={"quick": True})

    assert second.status_code in (202, 409)
    if second.status_code == 409:
        assert "going already" in second.json()["detail"]
    _finish(client, first.json())


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("get", "/experiments/nope", None, 404),
        ("get", "/api/experiments/nope/runs", None, 404),
        ("post", "/api/experiments/nope/runs", {}, 404),
        ("post", "/api/experiments/cost/runs", {"quick": "maybe"}, 422),
        ("post", "/api/experiments/cost/runs", [1], 422),
        ("get", "/api/experiments/runs/999", None, 404),
        ("get", "/api/experiments/runs/abc", None, 422),
        ("get", "/api/experiments/jobs/nope", None, 404),
        ("get", "/experiments/runs/999/figures/0.png", None, 404),
        ("get", "/experiments/runs/1/figures/x.png", None, 422),
        ("get", "/experiments/cost?run=abc", None, 422),
    ],
)
def test_bad_requests_are_named(client, method, path, body, status):
    response = getattr(client, method)(
        path, **({"json": body} if body is not None else {})
    )

    assert response.status_code == status
    assert response.status_code != 500


def test_figure_index_out_of_range(client):
    job = _run_cost(client)
    response = client.get(f"/experiments/runs/{job['run_id']}/figures/7.png")

    assert response.status_code == 404
    assert "has figures 0 to 0" in response.json()["detail"]


def test_missing_run_falls_back_to_the_latest(client):
    _run_cost(client)
    page = client.get("/experiments/cost?run=12345")

    assert page.status_code == 200
    assert "run 12345 of 'cost' not found" in html.unescape(page.text)


def test_lab_figure_equals_cli_figure(client, tmp_path):
    # The quick cost run times sigmoid, relu and tanh in that order, which
    # sorting the keys would change, and with it the bars of the figure.
    job = _run_cost(client)
    stored = client.get(f"/api/experiments/runs/{job['run_id']}").json()["result"]
    result = experiments.ExperimentResult.from_dict(stored)
    (path,) = experiments.get("cost").plot(result, tmp_path)
    figure = client.get(f"/experiments/runs/{job['run_id']}/figures/0.png")

    assert list(stored["data"]["per_element"]) == ["sigmoid", "relu", "tanh"]
    assert figure.content == path.read_bytes()


def _store_cost(database_url: str, quick: bool, settings: CostSettings) -> int:
    result = experiments.run_experiment("cost", settings, quick=quick)
    with Store.open(database_url) as store:
        return store.save_experiment(
            "cost", result.to_dict(), result.started_at, result.seconds
        )


def test_quick_label_follows_stored_flag(client, database_url):
    changed = CostSettings(size=5_000, repeats=1, activations=("relu", "sigmoid"))
    quick_id = _store_cost(database_url, True, changed)
    full_id = _store_cost(database_url, False, changed)
    runs = {run["id"]: run for run in client.get("/api/experiments/cost/runs").json()}

    assert runs[quick_id]["quick"] is True
    assert runs[full_id]["quick"] is False
    assert runs[full_id]["duration"].endswith(" ms")
    quick_page = client.get(f"/experiments/cost?run={quick_id}").text
    full_page = client.get(f"/experiments/cost?run={full_id}").text
    assert "quick preview settings" in quick_page
    assert "full settings" in full_page
    assert f"Run {quick_id}</a>, " in full_page
    assert "(quick preview)" in full_page


def test_legacy_record_quick_from_settings(client, database_url):
    result = experiments.run_experiment("cost", quick=True).to_dict()
    del result["quick"]
    with Store.open(database_url) as store:
        store.save_experiment(
            "cost", result, experiments.ExperimentResult.from_dict(result).started_at, 1
        )
    (run,) = client.get("/api/experiments/cost/runs").json()

    assert run["quick"] is True


@pytest.mark.browser
def test_run_button_shows_the_result(live_server, offline_page):
    page = offline_page.page
    page.goto(f"{live_server}/experiments/cost")
    page.get_by_role("button", name="Run quick preview").click()
    page.wait_for_url("**/experiments/cost?run=*", timeout=60_000)

    assert page.get_by_role(
        "cell", name="ReLU is cheaper to compute than the sigmoid"
    ).is_visible()
    image = page.get_by_role("img", name="figure 1")
    image.wait_for()
    assert page.evaluate("document.querySelector('.figures img').naturalWidth") > 100
    assert offline_page.errors == []
    assert offline_page.blocked == []


def test_figures_wait_for_drawing_lock(client):
    import threading

    from actlab.web.formulas import DRAWING_LOCK
    from actlab.web.routers.experiments import draw_figures

    job = _run_cost(client)
    run = client.app.state.store.experiment_run(job["run_id"])
    drawn = []
    worker = threading.Thread(target=lambda: drawn.append(draw_figures(run)))

    with DRAWING_LOCK:
        worker.start()
        worker.join(timeout=0.5)
        # matplotlib's mathtext is not thread-safe, so drawing waits here.
        assert worker.is_alive()
        assert drawn == []
    worker.join(timeout=60)

    assert not worker.is_alive()
    assert drawn[0][0][:8] == b"\x89PNG\r\n\x1a\n"


def test_figures_and_formulas_drawn_concurrently(client):
    from concurrent.futures import ThreadPoolExecutor

    from actlab.web.formulas import render_svg

    job = _run_cost(client)
    urls = [f"/experiments/runs/{job['run_id']}/figures/0.png"] * 4
    # Distinct formulas, so that the image cache does not answer them.
    formulas = [rf"\frac{{{n}}}{{1 + e^{{-z}}}}" for n in range(2, 10)]
    with ThreadPoolExecutor(4) as pool:
        figures = list(pool.map(client.get, urls))
        images = list(pool.map(render_svg, formulas))

    assert [figure.status_code for figure in figures] == [200] * 4
    assert all(image is not None for image in images)


@pytest.mark.parametrize(
    "path",
    [
        "/api/experiments/runs/9223372036854775808",
        "/api/experiments/runs/2147483648",
        "/api/experiments/runs/0",
        "/api/experiments/runs/-1",
        "/experiments/runs/99999999999999999999/figures/0.png",
        "/experiments/runs/2147483648/figures/0.png",
    ],
)
def test_run_id_beyond_the_column_is_422(client, path):
    response = client.get(path)

    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "run_id"
    assert path.split("/")[4 if path.startswith("/api") else 3] in body["detail"]


def test_largest_run_id_is_not_found(client):
    response = client.get(f"/api/experiments/runs/{2**31 - 1}")

    assert response.status_code == 404
    assert "2147483647 not found" in response.json()["detail"]
