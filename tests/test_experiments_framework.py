"""The experiment registry, the cost experiment, reports and ``actlab run``."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from click.testing import CliRunner
from rich.console import Console

from actlab import experiments
from actlab.cli import _main, _run
from actlab.experiments import report
from actlab.experiments.cost import CostSettings
from actlab.store import Store


@pytest.fixture(scope="module")
def cost_result():
    return experiments.run_experiment("cost", quick=True)


def test_registry_lists_cost_first():
    assert experiments.names()[0] == "cost"
    assert experiments.get("cost").settings is CostSettings


def test_unknown_experiment_names_the_choices():
    with pytest.raises(KeyError, match="'nope': choose one of cost, speed, saturation"):
        experiments.get("nope")


def test_registering_a_name_twice_fails():
    with pytest.raises(ValueError, match="registered already"):
        experiments.register(experiments.get("cost"))


def test_cost_finds_sigmoid_dearer_than_relu(cost_result):
    times = cost_result.data["per_element"]
    (claim,) = cost_result.claims

    assert times["sigmoid"]["value_ns"] > 2 * times["relu"]["value_ns"]
    assert claim.held is True
    assert "times as long" in claim.measured
    assert cost_result.data["copy_ns"] > 0


def test_result_records_versions_and_time(cost_result):
    assert cost_result.versions["numpy"]
    assert cost_result.seconds > 0
    assert cost_result.started_at.tzinfo is not None
    assert cost_result.settings["activations"] == ["sigmoid", "relu", "tanh"]


def test_result_round_trips_through_json(cost_result):
    text = json.dumps(cost_result.to_dict())
    again = experiments.ExperimentResult.from_dict(json.loads(text))

    assert again == cost_result


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("size", 10, "invalid size 10"),
        ("repeats", 0, "invalid repeats 0"),
        ("activations", ("relu", "nosuch"), "nosuch"),
    ],
)
def test_bad_cost_settings_are_named(field, value, message):
    with pytest.raises((ValueError, KeyError), match=message):
        CostSettings(**{field: value})


def test_wrong_settings_type_is_rejected():
    with pytest.raises(TypeError, match="expected CostSettings"):
        experiments.run_experiment("cost", settings={"size": 1000})


def test_run_lands_in_the_store(tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 's.db'}") as store:
        result = experiments.run_experiment("cost", quick=True, store=store)
        (run,) = store.experiment_runs("cost")

    assert run.result["claims"][0]["claim"] == result.claims[0].claim
    assert run.seconds == pytest.approx(result.seconds)


def test_report_is_self_contained(cost_result, tmp_path):
    html_path, markdown_path = report.write_report([cost_result], tmp_path)
    page = html_path.read_text()
    markdown = markdown_path.read_text()

    assert "data:image/png;base64," in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert "<script" not in page
    assert page.index("Claims") < page.index(cost_result.title)
    assert "| experiment | claim | what we measured | held? |" in markdown
    (figure,) = re.findall(r"\]\((report-figures/[^)]+)\)", markdown)
    assert (tmp_path / figure).stat().st_size > 1000


def test_report_needs_a_result(tmp_path):
    with pytest.raises(ValueError, match="no results"):
        report.write_report([], tmp_path)


def test_cli_run_prints_claims_and_writes_files(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    out = tmp_path / "out"
    result = CliRunner().invoke(
        _main.cli,
        ["run", "cost", "--quick", "--out", str(out), "--database-url", url],
    )

    assert result.exit_code == 0, result.output
    assert "ReLU is cheaper" in result.output
    assert json.loads((out / "result.json").read_text())["name"] == "cost"
    assert (out / "cost.png").stat().st_size > 1000
    with Store.open(url) as store:
        assert len(store.experiment_runs("cost")) == 1


def test_cli_run_set_changes_a_setting(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        _main.cli,
        [
            "run",
            "cost",
            "--quick",
            "--no-figures",
            "--out",
            str(out),
            "--set",
            "activations=relu,linear",
            "--set",
            "size=5000",
        ],
    )

    assert result.exit_code == 0, result.output
    saved = json.loads((out / "result.json").read_text())
    assert saved["settings"]["activations"] == ["relu", "linear"]
    assert saved["settings"]["size"] == 5000
    assert not (out / "cost.png").exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["run", "nope"], "unknown experiment 'nope'"),
        (["run", "cost", "--set", "size"], "expected NAME=VALUE"),
        (["run", "cost", "--set", "colour=red"], "expected NAME=VALUE"),
        (["run", "cost", "--set", "size=big"], "invalid --set size='big'"),
        (["run", "cost", "--set", "size=5"], "invalid size 5"),
        (["report", "cost", "--from-store"], "no stored run of 'cost'"),
    ],
)
def test_cli_errors_are_named(arguments, message, tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = CliRunner().invoke(_main.cli, [*arguments, "--database-url", url])

    assert result.exit_code != 0
    assert message in result.output


def test_cli_report_from_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    runner = CliRunner()
    first = runner.invoke(
        _main.cli,
        [
            "run",
            "cost",
            "--quick",
            "--no-figures",
            "--out",
            str(tmp_path / "o"),
            "--database-url",
            url,
        ],
    )
    assert first.exit_code == 0, first.output
    result = runner.invoke(
        _main.cli,
        [
            "report",
            "cost",
            "--from-store",
            "--out",
            str(tmp_path / "rep"),
            "--database-url",
            url,
        ],
    )

    assert result.exit_code == 0, result.output
    assert "1 claims: 1 held, 0 did not hold, 0 not decided" in result.output
    assert (tmp_path / "rep" / "report.html").exists()


def test_cli_report_rejects_quick_from_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    result = CliRunner().invoke(
        _main.cli,
        ["report", "cost", "--quick", "--from-store", "--database-url", url],
    )

    assert result.exit_code == 2
    assert "--quick and --from-store cannot be used together" in result.output
    assert not (tmp_path / "actlab-report").exists()


def test_cli_run_stores_quick_flag(tmp_path):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    out = tmp_path / "out"
    result = CliRunner().invoke(
        _main.cli,
        [
            "run",
            "cost",
            "--quick",
            "--no-figures",
            "--set",
            "size=5000",
            "--out",
            str(out),
            "--database-url",
            url,
        ],
    )

    assert result.exit_code == 0, result.output
    assert "quick preview settings)" in result.output
    assert " 0.0 s" not in result.output
    assert json.loads((out / "result.json").read_text())["quick"] is True
    with Store.open(url) as store:
        (run,) = store.experiment_runs("cost")
    assert run.result["quick"] is True


def test_full_run_not_marked_quick(cost_result):
    full = experiments.run_experiment("cost", CostSettings(size=5_000, repeats=1))
    same_as_quick = experiments.run_experiment("cost", CostSettings.quick())

    assert full.quick is False
    assert same_as_quick.quick is True
    assert cost_result.quick is True


def test_report_marks_quick_runs(cost_result, tmp_path):
    full = dataclasses.replace(cost_result, quick=False)
    html_path, markdown_path = report.write_report([cost_result], tmp_path / "q")
    full_html, full_markdown = report.write_report([full], tmp_path / "f")

    page, markdown = html_path.read_text(), markdown_path.read_text()
    assert "1 of them used the quick preview settings" in page
    assert "<td>cost (quick preview)</td>" in page
    assert "with the quick preview settings" in page
    assert "| cost (quick preview) |" in markdown
    assert f"## {cost_result.title} (quick preview)" in markdown
    assert "quick preview" not in full_html.read_text()
    assert "with the full settings" in full_markdown.read_text()


def test_print_result_keeps_brackets(cost_result):
    claim = experiments.Claim("spread times E[g'(z)^2] per layer", "[b]1.0[/b]", True)
    shown = dataclasses.replace(cost_result, claims=[claim])
    console = Console(record=True, width=200)

    _run.print_result(shown, console)

    text = console.export_text()
    assert "E[g'(z)^2]" in text
    assert "[b]1.0[/b]" in text


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "unknown time"),
        (0.00042, "0.42 ms"),
        (0.0421, "42 ms"),
        (0.9999, "1.0 s"),
        (12.34, "12.3 s"),
        (125.0, "2 min 5 s"),
    ],
)
def test_format_seconds(seconds, shown):
    assert report.format_seconds(seconds) == shown


def test_cli_run_names_missing_mnist(tmp_path, monkeypatch):
    monkeypatch.delenv("ACTLAB_MNIST", raising=False)
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "empty"))
    url = f"sqlite:///{tmp_path / 'm.db'}"
    result = CliRunner().invoke(
        _main.cli,
        [
            "run",
            "speed",
            "--quick",
            "--set",
            "dataset=mnist",
            "--out",
            str(tmp_path / "out"),
            "--database-url",
            url,
        ],
    )

    assert result.exit_code == 1
    assert "speed: MNIST not found" in result.output
    assert "ACTLAB_MNIST" in result.output
    assert "Traceback" not in result.output
