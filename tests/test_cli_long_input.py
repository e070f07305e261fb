"""Very long numeric replies in the terminal practice commands."""

from __future__ import annotations

from click.testing import CliRunner

from actlab.cli._main import cli

HUGE = "9" * 5000


def test_drill_reasks_after_a_huge_number(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    result = CliRunner().invoke(
        cli,
        [
            "drill",
            "--kind",
            "choice",
            "--count",
            "1",
            "--seed",
            "3",
            "--database-url",
            url,
        ],
        input=f"{HUGE}\n1\n",
    )

    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "4300" not in result.output


def test_cards_reasks_after_a_huge_number(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    result = CliRunner().invoke(
        cli,
        ["cards", "--limit", "1", "--database-url", url],
        input=f"\n{HUGE}\n3\n",
    )

    assert result.exit_code == 0, result.output
    assert "Exceeds the limit" not in result.output
    assert "Reviewed 1 card" in result.output
