"""The ``actlab`` command, driven through click's test runner."""

from __future__ import annotations

import json
import socket

import pytest
from click.testing import CliRunner

from actlab import __version__, activations, experiments
from actlab.cli._main import cli

SMALL = ["--hidden", "16,16", "--epochs", "8", "--seeds", "1"]


@pytest.fixture
def runner():
    return CliRunner()


def test_version(runner):
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_activations_lists_registry(runner):
    result = runner.invoke(cli, ["activations", "--json"])
    assert result.exit_code == 0
    listed = [entry["name"] for entry in json.loads(result.output)]
    assert listed == activations.names()


def test_activations_table_shows_ranges(runner):
    result = runner.invoke(cli, ["activations"])
    assert result.exit_code == 0
    assert "relu" in result.output
    assert "[0, inf)" in result.output


def test_compare_json_is_complete(runner):
    arguments = ["compare", "-a", "relu", "-a", "tanh", "--json", *SMALL]
    result = runner.invoke(cli, arguments)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [s["activation"] for s in report["summaries"]] == ["relu", "tanh"]
    assert len(report["runs"]) == 2
    assert len(report["runs"][0]["losses"]) == 8


def test_compare_table_and_out(runner, tmp_path):
    arguments = ["compare", "-a", "relu", "-a", "sigmoid", "--out", str(tmp_path)]
    result = runner.invoke(cli, [*arguments, *SMALL])
    assert result.exit_code == 0, result.output
    assert "relu" in result.stdout
    assert "grad" in result.stdout
    assert "relu reached" in result.stdout
    assert json.loads((tmp_path / "results.json").read_text())["loss"] == "softmax_ce"
    assert (tmp_path / "curves.png").stat().st_size > 1000
    assert (tmp_path / "curves.svg").stat().st_size > 1000


def test_compare_alias_resolves(runner):
    result = runner.invoke(cli, ["compare", "-a", "swish", "--json", *SMALL])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["settings"]["activations"] == ["silu"]


def test_compare_csv_dataset(runner, tmp_path):
    rows = ["x1,x2,label"] + [f"{i % 7},{(i * 3) % 5},{i % 2}" for i in range(60)]
    path = tmp_path / "mine.csv"
    path.write_text("\n".join(rows) + "\n")
    arguments = ["compare", "--dataset", str(path), "--target", "label", "--json"]
    result = runner.invoke(cli, [*arguments, "-a", "relu", *SMALL])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["dataset"]["task"] == "binary"


def test_compare_bad_csv_names_row(runner, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("x1,x2,label\n1,2,0\n3,oops,1\n")
    arguments = ["compare", "--dataset", str(path), "--target", "label"]
    result = runner.invoke(cli, arguments)
    assert result.exit_code == 2
    assert "oops" in result.output
    assert "row 3" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--activation", "softmax"], "Invalid value for '-a'"),
        (["--hidden", "8,x"], "comma-separated"),
        (["--epochs", "0"], "invalid --epochs 0"),
        (["--learning-rate", "-1"], "invalid --learning-rate -1"),
        (["--learning-rate", "inf"], "expected a finite number"),
        (["--hidden", "0"], "invalid --hidden [0]"),
        (["--dataset", "missing/points.csv"], "CSV file not found"),
        (["--dataset", "nope"], "unknown dataset 'nope'"),
        (["--target", "y"], "applies to a CSV file"),
        (["--seeds", "0"], "--seeds"),
    ],
)
def test_compare_rejects_bad_options(runner, arguments, message):
    result = runner.invoke(cli, ["compare", *arguments])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_compare_directory_as_dataset(runner, tmp_path):
    result = runner.invoke(cli, ["compare", "--dataset", str(tmp_path)])
    assert result.exit_code == 2
    assert "is a directory" in result.output


def test_compare_semicolon_csv(runner, tmp_path):
    rows = ["x1;x2;label"] + [f"{i % 7};{(i * 3) % 5};{i % 2}" for i in range(60)]
    path = tmp_path / "semicolons.csv"
    path.write_text("\n".join(rows) + "\n")
    arguments = ["compare", "--dataset", str(path), "--target", "label"]
    result = runner.invoke(cli, [*arguments, "--delimiter", ";", "-a", "relu", *SMALL])
    assert result.exit_code == 0, result.output
    assert "lr=0.01, 1 seed\n" in result.stdout
    assert "1 run in" in result.stdout


def test_compare_out_not_writable(runner, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    arguments = ["compare", "-a", "relu", "--out", str(blocker / "sub"), *SMALL]
    result = runner.invoke(cli, arguments)
    assert result.exit_code == 1
    assert "cannot write results" in result.output


def test_serve_reports_busy_port(runner):
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = runner.invoke(cli, ["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "--port" in result.output


def test_serve_rejects_bad_port(runner):
    result = runner.invoke(cli, ["serve", "--port", "70000"])
    assert result.exit_code == 2
    assert "70000" in result.output


@pytest.mark.parametrize("command", ["run", "report"])
def test_help_lists_experiments(command):
    result = CliRunner().invoke(cli, [command, "--help"])

    assert result.exit_code == 0, result.output
    assert "Experiments:" in result.output
    for name in experiments.names():
        assert f"  {name} " in result.output
