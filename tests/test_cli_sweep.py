"""``actlab sweep``, driven through click's test runner on a tiny grid."""

from __future__ import annotations

import json
import socket

import pytest
from click.testing import CliRunner

from actlab.cli._sweep import sweep_command
from actlab.experiments import sweep
from actlab.store import Store

TINY = [
    "--dataset", "iris", "--activations", "relu,tanh", "--depths", "1",
    "--widths", "8", "--learning-rates", "0.01,0.1", "--seeds", "0", "--epochs", "4",
]  # fmt: skip
TINY_CELLS = 4


@pytest.fixture
def runner():
    return CliRunner()


def _sweep(runner, database_url, *arguments, **options):
    command = [*TINY, "--database-url", database_url, *arguments]
    return runner.invoke(sweep_command, command, **options)


def test_sweep_json_then_reuse(runner, database_url, tmp_path):
    first_file, second_file = tmp_path / "first.json", tmp_path / "second.json"
    first = _sweep(runner, database_url, "--json", str(first_file))
    assert first.exit_code == 0, first.output
    second = _sweep(runner, database_url, "--jobs", "1", "--json", str(second_file))
    assert second.exit_code == 0, second.output

    before = json.loads(first_file.read_text())
    after = json.loads(second_file.read_text())
    assert (before["computed"], before["reused"]) == (TINY_CELLS, 0)
    assert (after["computed"], after["reused"]) == (0, TINY_CELLS)
    assert after["cells"] == before["cells"]
    assert [row["activation"] for row in after["summary"]] == ["relu", "tanh"]
    assert "4 cells: 0 computed now, 4 reused from the store" in second.stderr
    assert "relu" in second.stdout
    assert "1x8" in second.stdout


def test_sweep_json_to_standard_output(runner, database_url):
    result = _sweep(runner, database_url, "--jobs", "1", "--json", "-")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["total"] == TINY_CELLS
    assert set(report["cells"]) == {cell.key for cell in _cells()}


def test_sweep_limit_then_resume(runner, database_url):
    first = _sweep(runner, database_url, "--jobs", "1", "--limit", "1")
    assert first.exit_code == 0, first.output
    assert "3 cells left by --limit 1" in first.stderr
    second = _sweep(runner, database_url, "--jobs", "1")
    assert second.exit_code == 0, second.output
    assert "3 computed now, 1 reused from the store" in second.stderr


def test_sweep_reads_database_url_from_environment(runner, tmp_path):
    url = f"sqlite:///{tmp_path / 'from-env.db'}"
    arguments = [*TINY, "--jobs", "1", "--name", "env-test"]
    result = runner.invoke(sweep_command, arguments, env={"ACTLAB_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    with Store.open(url) as store:
        assert len(store.sweep_cells("env-test")) == TINY_CELLS


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--depths", "1,x"], "'1,x' is not a comma-separated list of integers"),
        (["--depths", "0"], "invalid --depths value 0"),
        (["--widths", "5000"], "invalid --widths value 5000"),
        (["--activations", "nope"], "--activations: unknown activation 'nope'"),
        (["--activations", "relu,"], "'relu,' is not a comma-separated list"),
        (["--learning-rates", "-1"], "invalid --learning-rates value -1.0"),
        (["--seeds", "1,1"], "--seeds contains 1 more than once"),
        (["--epochs", "0"], "invalid --epochs value 0"),
        (["--name", "a/b"], "invalid --name value 'a/b'"),
        (["--dataset", "nope"], "'nope' is not one of"),
        (["--scheduler", "localhost"], "invalid scheduler address 'localhost'"),
        (["--scheduler", "tcp://127.0.0.1:1", "--jobs", "2"], "--jobs 2 applies"),
        (["--limit", "-1"], "--limit"),
    ],
)
def test_sweep_rejects_bad_options(runner, database_url, arguments, message):
    result = _sweep(runner, database_url, *arguments)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_sweep_unreachable_scheduler(runner, database_url, monkeypatch):
    pytest.importorskip("distributed")
    # A shorter wait than the shipped one keeps the test quick.
    monkeypatch.setattr(sweep, "SCHEDULER_TIMEOUT", 1.0)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{sock.getsockname()[1]}"
    result = _sweep(runner, database_url, "--scheduler", address)
    assert result.exit_code == 1
    assert f"cannot reach the Dask scheduler at {address}" in result.output
    assert "leave out --scheduler" in result.output


def _cells() -> list[sweep.Cell]:
    settings = sweep.SweepSettings(
        dataset="iris",
        activations=("relu", "tanh"),
        depths=(1,),
        widths=8,
        learning_rates=(0.01, 0.1),
        seeds=(0,),
        epochs=4,
    )
    return sweep.cells(settings)
