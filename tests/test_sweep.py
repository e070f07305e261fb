"""The sweep experiment: a grid of real training runs, resumable, in a real store."""

from __future__ import annotations

import dataclasses
import socket
import statistics
import sys
import threading

import pytest
from sqlalchemy import text

from actlab.experiments import sweep
from actlab.experiments.sweep import (
    SweepError,
    SweepSettings,
    cells,
    run_cell,
    run_sweep,
    sweep_id,
)
from actlab.store import Store

TINY = SweepSettings(
    dataset="iris",
    activations=("relu", "tanh"),
    depths=(1, 2),
    widths=8,
    learning_rates=(0.01, 0.1),
    seeds=(0,),
    epochs=5,
    batch_size=16,
)
TINY_CELLS = 8


@pytest.fixture
def store(tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 'sweep.db'}") as opened:
        yield opened


@pytest.fixture(scope="module")
def scheduler_address():
    """The address of a real Dask cluster of two worker processes on loopback."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        # Without the dashboard the scheduler still serves HTTP, by default on
        # port 8787. A free port avoids a clash with other clusters.
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    )
    client = distributed.Client(cluster, set_as_default=False)
    try:
        client.wait_for_workers(2, timeout=60)
        yield cluster.scheduler_address
    finally:
        client.close()
        cluster.close()


def _without_seconds(results: dict) -> dict:
    return {
        key: {name: value for name, value in result.items() if name != "seconds"}
        for key, result in results.items()
    }


def _stored_rows(store: Store, sweep: str) -> dict:
    query = text("SELECT cell, finished_at, result FROM sweep_cells WHERE sweep = :s")
    with store.engine.connect() as connection:
        rows = connection.execute(query, {"s": sweep}).all()
    return {cell: (finished_at, result) for cell, finished_at, result in rows}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the grid ----------------------------------------------------------------


def test_cells_cover_grid_with_stable_keys():
    keys = [cell.key for cell in cells(TINY)]
    assert len(keys) == TINY_CELLS
    assert len(set(keys)) == TINY_CELLS
    assert keys[0] == "relu-d1-w8-lr0.01-s0"
    assert keys[-1] == "tanh-d2-w8-lr0.1-s0"
    assert keys == [cell.key for cell in cells(TINY)]


def test_sweep_id_follows_training_settings():
    assert sweep_id(TINY) == sweep_id(dataclasses.replace(TINY))
    assert sweep_id(TINY).startswith("sweep-")
    assert sweep_id(TINY) != sweep_id(dataclasses.replace(TINY, epochs=6))
    assert sweep_id(TINY) != sweep_id(dataclasses.replace(TINY, dataset="wine"))
    # The grid is not part of the id, so a larger grid reuses the common cells.
    assert sweep_id(TINY) == sweep_id(dataclasses.replace(TINY, seeds=(0, 1)))
    assert sweep_id(dataclasses.replace(TINY, name="mine")) == "mine"


def test_single_width_becomes_tuple():
    assert TINY.widths == (8,)
    assert SweepSettings(widths=[16, 32]).widths == (16, 32)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"dataset": "nope"}, "unknown dataset 'nope'"),
        ({"activations": ("softmax",)}, "only an output layer"),
        ({"activations": ("nope",)}, "unknown activation 'nope'"),
        ({"activations": ()}, "activations is empty"),
        ({"activations": ("relu", "relu")}, "contains 'relu' more than once"),
        ({"depths": (0,)}, "invalid depth=0"),
        ({"depths": (1.5,)}, "invalid depth=1.5"),
        ({"depths": ()}, "depths is empty"),
        ({"widths": 0}, "invalid width=0"),
        ({"learning_rates": (float("nan"),)}, "invalid learning_rate=nan"),
        ({"learning_rates": (-0.1,)}, r"invalid learning_rate=-0\.1"),
        ({"seeds": (-1,)}, "invalid seed=-1"),
        ({"seeds": (True,)}, "invalid seed=True"),
        ({"epochs": 0}, "invalid epochs=0"),
        ({"batch_size": 0}, "invalid batch_size=0"),
        ({"optimiser": "lbfgs"}, "lbfgs"),
        ({"threshold": 2.0}, "invalid threshold=2.0"),
        ({"name": "a b"}, "invalid name='a b'"),
    ],
)
def test_settings_reject_bad_values(options, message):
    with pytest.raises(ValueError, match=message):
        SweepSettings(**options)


# --- one cell ----------------------------------------------------------------


def test_run_cell_reports_final_measurements():
    relu, tanh = cells(TINY)[2], cells(TINY)[6]  # depth 2, learning rate 0.01
    result = run_cell(TINY, relu)
    assert result["cell"] == relu.key
    assert result["metric_name"] == "accuracy"
    for part in ("train", "validation", "test"):
        assert 0.0 <= result[f"{part}_metric"] <= 1.0
        assert result[f"{part}_loss"] > 0.0
    assert len(result["dead_fractions"]) == 2
    assert all(0.0 <= share <= 1.0 for share in result["dead_fractions"])
    assert result["epochs_run"] == TINY.epochs
    assert result["diverged"] is False
    assert result["seconds"] > 0
    assert run_cell(TINY, tanh)["dead_fractions"] == [None, None]


def test_run_cell_is_deterministic():
    cell = cells(TINY)[3]
    first = _without_seconds({"cell": run_cell(TINY, cell)})
    second = _without_seconds({"cell": run_cell(TINY, cell)})
    assert first == second


def test_run_cell_records_divergence():
    settings = SweepSettings(
        dataset="diabetes",
        activations=("relu",),
        depths=(1,),
        widths=8,
        learning_rates=(50.0,),
        seeds=(0,),
        epochs=5,
    )
    result = run_cell(settings, cells(settings)[0])
    assert result["diverged"] is True
    assert "diverged" in result["divergence"]
    assert result["metric_name"] == "r2"
    assert result["epochs_to_threshold"] is None


# --- running and resuming -------------------------------------------------------


@pytest.fixture(scope="module")
def joblib_run(tmp_path_factory):
    """TINY run on two loky processes, with its progress calls and stored cells."""
    path = tmp_path_factory.mktemp("joblib") / "sweep.db"
    seen = []
    with Store.open(f"sqlite:///{path}") as store:
        result = run_sweep(TINY, store, jobs=2, progress=lambda *a: seen.append(a))
        stored = store.sweep_cells(result.sweep)
    return result, seen, stored


def test_joblib_sweep_stores_every_cell(joblib_run):
    result, seen, stored = joblib_run
    assert result.computed == TINY_CELLS
    assert result.reused == 0
    assert result.failed == {}
    assert result.complete
    assert list(result.results) == [cell.key for cell in cells(TINY)]
    assert stored == result.results
    assert seen[0] == (0, TINY_CELLS, "")
    assert [done for done, _, _ in seen] == list(range(TINY_CELLS + 1))
    assert {key for _, _, key in seen[1:]} == set(result.results)


def test_processes_match_this_process(joblib_run, store):
    in_process = run_sweep(TINY, store, jobs=1)
    expected = _without_seconds(joblib_run[0].results)
    assert _without_seconds(in_process.results) == expected


@pytest.mark.slow
def test_dask_matches_joblib(store, scheduler_address, joblib_run):
    seen = []
    remote = run_sweep(
        TINY,
        store,
        scheduler=scheduler_address,
        progress=lambda done, total, key: seen.append(done),
    )
    assert remote.computed == TINY_CELLS
    assert remote.failed == {}
    assert seen == list(range(TINY_CELLS + 1))
    assert store.sweep_cells(remote.sweep) == remote.results
    assert _without_seconds(remote.results) == _without_seconds(joblib_run[0].results)


@pytest.mark.slow
def test_dask_sweep_resumes_from_store(store, scheduler_address):
    first = run_sweep(TINY, store, scheduler=scheduler_address, limit=3)
    second = run_sweep(TINY, store, scheduler=scheduler_address)
    assert (first.computed, first.remaining) == (3, TINY_CELLS - 3)
    assert (second.computed, second.reused) == (TINY_CELLS - 3, 3)


def test_limit_then_resume_runs_only_the_rest(store):
    first = run_sweep(TINY, store, jobs=1, limit=3)
    assert (first.computed, first.reused, first.remaining) == (3, 0, TINY_CELLS - 3)
    assert not first.complete
    before = _stored_rows(store, first.sweep)
    assert list(before) == list(first.results)
    assert list(before) == [cell.key for cell in cells(TINY)[:3]]

    second = run_sweep(TINY, store, jobs=1)
    assert second.computed == TINY_CELLS - 3
    assert second.reused == 3
    assert second.remaining == 0
    assert second.complete
    after = _stored_rows(store, first.sweep)
    assert len(after) == TINY_CELLS
    for key, row in before.items():
        assert after[key] == row


def test_interrupt_keeps_finished_cells(store):
    def interrupt_after_two(done: int, total: int, key: str) -> None:
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(TINY, store, jobs=2, progress=interrupt_after_two)
    assert len(store.sweep_cells(sweep_id(TINY))) == 2

    resumed = run_sweep(TINY, store, jobs=1)
    assert resumed.reused == 2
    assert resumed.computed == TINY_CELLS - 2
    assert len(store.sweep_cells(resumed.sweep)) == TINY_CELLS


def test_larger_grid_reuses_common_cells(store):
    run_sweep(TINY, store, jobs=1)
    larger = dataclasses.replace(TINY, seeds=(0, 1))
    result = run_sweep(larger, store, jobs=1)
    assert result.reused == TINY_CELLS
    assert result.computed == TINY_CELLS


def test_failed_cell_reported_by_key(store):
    settings = dataclasses.replace(TINY, activations=("relu",), depths=(1,))
    # Bypass the validation to get a cell whose training raises in the worker.
    object.__setattr__(settings, "widths", (8, -1))
    result = run_sweep(settings, store, jobs=2)
    bad = [cell.key for cell in cells(settings) if cell.width == -1]
    assert sorted(result.failed) == sorted(bad)
    assert all("ValueError" in error for error in result.failed.values())
    assert result.computed == 2
    assert set(store.sweep_cells(result.sweep)) == set(result.results)
    assert not result.complete


def test_named_sweep_rejects_other_settings(store):
    named = dataclasses.replace(TINY, name="mine")
    run_sweep(named, store, jobs=1, limit=1)
    changed = dataclasses.replace(named, epochs=6)
    with pytest.raises(ValueError, match="other training settings"):
        run_sweep(changed, store, jobs=1)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"jobs": 0}, "invalid jobs=0"),
        ({"limit": -1}, "invalid limit=-1"),
        ({"scheduler": "127.0.0.1:8786"}, "invalid scheduler address '127.0.0.1"),
        ({"scheduler": "tcp://127.0.0.1:99999"}, "port from 1 to 65535"),
        ({"scheduler": "tcp://127.0.0.1:8786", "jobs": 2}, "local processes only"),
    ],
)
def test_run_sweep_rejects_bad_options(store, options, message):
    with pytest.raises(ValueError, match=message):
        run_sweep(TINY, store, **options)
    assert store.sweep_cells(sweep_id(TINY)) == {}


@pytest.mark.timeout(60)
def test_unreachable_scheduler_fails_clearly(store, monkeypatch):
    pytest.importorskip("distributed")
    # A shorter wait than the shipped one keeps the test quick.
    monkeypatch.setattr(sweep, "SCHEDULER_TIMEOUT", 1.0)
    address = f"tcp://127.0.0.1:{_free_port()}"
    with pytest.raises(SweepError, match="cannot reach the Dask scheduler") as error:
        run_sweep(TINY, store, scheduler=address)
    assert address in str(error.value)
    assert "timed out after 1 s" in str(error.value)
    assert "dask scheduler" in str(error.value)


@pytest.mark.timeout(60)
def test_non_dask_listener_fails_clearly(store, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(sweep, "SCHEDULER_TIMEOUT", 1.0)
    # A listener that accepts the connection and never answers in Dask's
    # protocol, as a web server on the wrong port does.
    listener = socket.create_server(("127.0.0.1", 0))
    connections = []
    accept = threading.Thread(
        target=lambda: connections.append(listener.accept()), daemon=True
    )
    accept.start()
    address = f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    try:
        with pytest.raises(SweepError, match="no Dask scheduler responded") as error:
            run_sweep(TINY, store, scheduler=address)
    finally:
        for connection, _ in connections:
            connection.close()
        listener.close()

    assert address in str(error.value)
    assert "within 2 s" in str(error.value)
    assert store.sweep_cells(sweep_id(TINY)) == {}


def test_missing_distributed_names_extra(store, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(SweepError, match=r"install actlab\[cluster\]"):
        run_sweep(TINY, store, scheduler="tcp://127.0.0.1:8786")


# --- the summary ---------------------------------------------------------------


def test_summary_picks_rate_on_validation(store):
    settings = dataclasses.replace(TINY, seeds=(0, 1))
    result = run_sweep(settings, store, jobs=1)
    rows = result.summary()
    assert [(row.activation, row.depth) for row in rows] == [
        ("relu", 1),
        ("relu", 2),
        ("tanh", 1),
        ("tanh", 2),
    ]
    for row in rows:
        runs = [
            cell
            for cell in result.results.values()
            if (cell["activation"], cell["depth"]) == (row.activation, row.depth)
        ]

        def rank(rate, runs=runs):
            mine = [cell for cell in runs if cell["learning_rate"] == rate]
            mean = statistics.fmean(cell["validation_metric"] for cell in mine)
            return sum(cell["diverged"] for cell in mine), -mean

        assert row.learning_rate == min(settings.learning_rates, key=rank)
        at_best = [cell for cell in runs if cell["learning_rate"] == row.learning_rate]
        assert row.runs == 2
        assert row.test_metric == statistics.fmean(c["test_metric"] for c in at_best)
        assert row.diverged == sum(cell["diverged"] for cell in at_best)


def test_result_to_dict_has_summary_and_cells(store):
    result = run_sweep(TINY, store, jobs=1, limit=2)
    values = result.to_dict()
    assert values["sweep"] == result.sweep
    assert (values["computed"], values["remaining"]) == (2, TINY_CELLS - 2)
    assert list(values["cells"]) == list(result.results)
    assert len(values["summary"]) == 1
    assert values["settings"]["activations"] == ("relu", "tanh")
