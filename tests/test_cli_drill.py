"""``actlab drill`` driven through its input, on a real SQLite file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from actlab import activations
from actlab.cli._drill import plain_math
from actlab.cli._main import cli
from actlab.practice import generate_drill, grade
from actlab.store import Store

ACTLAB = Path(sys.executable).with_name("actlab")


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'progress.db'}"


def run_drill(url: str, arguments: list[str], answers: str):
    result = CliRunner().invoke(
        cli, ["drill", "--database-url", url, *arguments], input=answers
    )
    assert "Traceback" not in result.output
    return result


def drill_attempts(url: str):
    """Return the stored drill attempts, oldest first."""
    with Store.open(url) as store:
        return list(reversed(store.attempts(kind="drill")))


def test_drill_numeric_grades_and_records(url):
    first = generate_drill("numeric", 7)
    second = generate_drill("numeric", 8)
    wrong = first.answer["value"] + 10
    answers = f"{wrong}\n{second.answer['value']}\n"

    result = run_drill(
        url, ["--kind", "numeric", "--count", "2", "--seed", "7"], answers
    )

    assert result.exit_code == 0, result.output
    assert first.prompt in result.output
    assert "Not quite: the answer is" in result.output
    assert "Correct." in result.output
    assert "Score: 1 of 2 questions (50%)." in result.output
    attempts = drill_attempts(url)
    assert [attempt.item_id for attempt in attempts] == [first.template] * 2
    assert [attempt.correct for attempt in attempts] == [False, True]
    assert [attempt.score for attempt in attempts] == [0.0, 1.0]
    assert attempts[0].concept == first.concept
    assert attempts[0].detail["answer"] == str(wrong)
    assert attempts[0].detail["seed"] == 7


def test_drill_malformed_answer_asks_again(url):
    question = generate_drill("numeric", 3)
    answers = f"abc\n\n1/0\n{question.answer['value']}\n"

    result = run_drill(
        url, ["--kind", "numeric", "--count", "1", "--seed", "3"], answers
    )

    assert result.exit_code == 0, result.output
    assert "invalid answer 'abc'" in result.output
    assert "missing answer" in result.output
    assert "the denominator is 0" in result.output
    assert "Score: 1 of 1 question (100%)." in result.output
    attempts = drill_attempts(url)
    assert len(attempts) == 1
    assert attempts[0].correct


def test_drill_choice_by_number_and_name(url):
    first = generate_drill("choice", 11)
    second = generate_drill("choice", 12)
    ids = [option_id for option_id, _ in first.options]
    right_number = ids.index(first.answer["correct"][0]) + 1
    wrong_name = next(
        option_id
        for option_id, _ in second.options
        if option_id not in second.answer["correct"]
    )
    answers = f"{right_number}\n{wrong_name.upper()}\n"

    result = run_drill(
        url, ["--kind", "choice", "--count", "2", "--seed", "11"], answers
    )

    assert result.exit_code == 0, result.output
    for option_id, _ in first.options:
        assert option_id in result.output
    attempts = drill_attempts(url)
    assert [attempt.detail["answer"] for attempt in attempts] == [
        first.answer["correct"][0],
        wrong_name,
    ]
    assert [attempt.correct for attempt in attempts] == [True, False]
    output = " ".join(result.output.split())
    why_wrong = grade(second, wrong_name).explanation
    assert why_wrong.startswith(f"{wrong_name} ")
    assert " ".join(why_wrong.split()) in output


def test_drill_rounded_zero_unsigned(url):
    result = run_drill(url, ["--count", "3", "--seed", "11"], "0\n1\n1\n")

    assert result.exit_code == 0, result.output
    assert "at z = 0.0?" in result.output
    assert "-0.0" not in result.output
    assert "Correct." in result.output
    assert "Score: " in result.output
    assert len(drill_attempts(url)) == 3


def test_drill_choice_out_of_range(url):
    question = generate_drill("choice", 5)
    count = len(question.options)

    result = run_drill(
        url, ["--kind", "choice", "--count", "1", "--seed", "5"], f"{count + 1}\n1\n"
    )

    assert result.exit_code == 0, result.output
    assert f"invalid choice '{count + 1}'" in result.output
    assert len(drill_attempts(url)) == 1


def test_drill_predict_runs_and_records(url):
    question = generate_drill("predict", 2)
    expected = grade(question, "higher")

    result = run_drill(url, ["--kind", "predict", "--count", "1", "--seed", "2"], "1\n")

    assert result.exit_code == 0, result.output
    assert "Training both versions" in result.output
    assert "Observed:" in result.output
    (attempt,) = drill_attempts(url)
    assert attempt.detail["answer"] == "higher"
    assert attempt.correct == expected.correct
    assert attempt.detail["observed"] == pytest.approx(dict(expected.observed))


def test_drill_kinds_in_turn(url):
    result = run_drill(url, ["--count", "3", "--seed", "0"], "1\n1\nlower\n")

    assert result.exit_code == 0, result.output
    assert "Question 1 of 3: Value or slope at a point (numeric)" in result.output
    assert "Question 2 of 3: " in result.output
    assert "Question 3 of 3: " in result.output
    assert "(predict)" in result.output
    kinds = [attempt.detail["drill_kind"] for attempt in drill_attempts(url)]
    assert kinds == ["numeric", "choice", "predict"]


def test_drill_same_seed_same_questions(url):
    arguments = ["--kind", "choice", "--count", "2", "--seed", "42"]
    first = run_drill(url, arguments, "q\n")
    second = run_drill(url, arguments, "q\n")

    assert first.exit_code == 0, first.output
    assert first.output == second.output


@pytest.mark.parametrize("answers", ["q\n", "quit\n", ""])
def test_drill_quit_records_nothing(url, answers):
    result = run_drill(url, ["--kind", "numeric", "--count", "3"], answers)

    assert result.exit_code == 0, result.output
    assert "No questions answered." in result.output
    assert drill_attempts(url) == []


def test_drill_quit_after_one_reports_score(url):
    question = generate_drill("numeric", 1)
    answers = f"{question.answer['value']}\nq\n"

    result = run_drill(
        url, ["--kind", "numeric", "--count", "4", "--seed", "1"], answers
    )

    assert result.exit_code == 0, result.output
    assert "Score: 1 of 1 question (100%), stopped after 1 of 4." in result.output
    assert len(drill_attempts(url)) == 1


@pytest.mark.parametrize(
    ("arguments", "option"),
    [
        (["--kind", "essay"], "--kind"),
        (["--count", "0"], "--count"),
        (["--seed", "-1"], "--seed"),
    ],
)
def test_drill_rejects_bad_options(url, arguments, option):
    result = CliRunner().invoke(cli, ["drill", "--database-url", url, *arguments])

    assert result.exit_code == 2
    assert option in result.output


@pytest.mark.parametrize("spec", activations.specs(), ids=lambda spec: spec.name)
def test_plain_math_covers_registry(spec):
    for formula in (spec.formula, spec.derivative_formula):
        text = plain_math(f"from ${formula}$.")
        assert "$" not in text
        assert r"\frac" not in text
        assert r"\sigma" not in text
        assert r"\text" not in text


def test_plain_math_examples():
    sigma = "\N{GREEK SMALL LETTER SIGMA}"
    beta = "\N{GREEK SMALL LETTER BETA}"
    sigmoid = plain_math(r"$\sigma(z) = \frac{1}{1 + e^{-z}}$")
    softplus = plain_math(r"$g(z) = \frac{1}{\beta}\log\left(1 + e^{\beta z}\right)$")
    assert sigmoid == f"{sigma}(z) = 1/(1 + e^(-z))"
    assert softplus == f"g(z) = (1/{beta}) log(1 + e^({beta}z))"
    assert plain_math("costs $5 and no formula") == "costs $5 and no formula"


def test_drill_subprocess_on_stdin(url):
    question = generate_drill("numeric", 9)

    completed = subprocess.run(
        [
            ACTLAB,
            "drill",
            "--kind",
            "numeric",
            "--count",
            "1",
            "--seed",
            "9",
            "--database-url",
            url,
        ],
        input=f"oops\n{question.answer['value']}\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert "invalid answer 'oops'" in completed.stdout
    assert "Score: 1 of 1 question (100%)." in completed.stdout
    (attempt,) = drill_attempts(url)
    assert attempt.item_id == question.template
    assert attempt.detail["seed"] == 9
    assert attempt.correct
