"""``actlab cards`` driven through its input, on a real SQLite file."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy
from click.testing import CliRunner

from actlab.cli._main import cli
from actlab.practice import Rating
from actlab.store import Store

ACTLAB = Path(sys.executable).with_name("actlab")


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'progress.db'}"


def due_ids(url: str, **options) -> list[str]:
    with Store.open(url, **options) as store:
        return [card.id for card in store.due_cards()]


def run_cards(url: str, arguments: list[str], answers: str):
    result = CliRunner().invoke(
        cli, ["cards", "--database-url", url, *arguments], input=answers
    )
    assert "Traceback" not in result.output
    return result


def test_cards_reviews_move_schedule(url):
    queue = due_ids(url)
    first, second = queue[:2]
    before = datetime.now(UTC)

    result = run_cards(url, ["--limit", "2"], "\n3\n\n1\n")

    assert result.exit_code == 0, result.output
    assert f"0 cards due for review and {len(queue)} new, reviewing 2." in result.output
    assert f"Card 1 of 2: {first}" in result.output
    assert "Reviewed 2 cards (1 again, 1 good)." in result.output
    with Store.open(url) as store:
        reviews = store.reviews()
        good = store.card(first)
        again = store.card(second)
    assert [review["card_id"] for review in reviews] == [first, second]
    assert [review["rating"] for review in reviews] == [Rating.GOOD, Rating.AGAIN]
    assert not any(review["practice"] for review in reviews)
    assert not good.is_new
    assert not again.is_new
    assert good.due > again.due > before


def test_cards_shows_back_and_next_due(url):
    with Store.open(url) as store:
        card = store.due_cards()[0]

    result = run_cards(url, ["--limit", "1"], "\ngood\n")

    assert result.exit_code == 0, result.output
    assert card.front in result.output
    assert card.back in result.output
    with Store.open(url) as store:
        due = store.card(card.id).due
    assert f"Next review in 10 minutes ({due:%Y-%m-%d %H:%M} UTC)" in result.output


def test_cards_practice_leaves_schedule(url):
    first = due_ids(url)[0]
    with Store.open(url) as store:
        store.review(first, "good")
        store.review(first, "good", now=datetime(2099, 1, 1, tzinfo=UTC))
        before = store.card(first).state

    result = run_cards(url, ["--practice", "--limit", "2"], "\n4\n\n1\n")

    assert result.exit_code == 0, result.output
    assert "practice mode: schedules stay unchanged" in result.output
    assert "Reviewed 2 cards (1 again, 1 easy) in practice mode." in result.output
    with Store.open(url) as store:
        reviews = store.reviews()
        practised = [review for review in reviews if review["practice"]]
        states = {card.id: card for card in store.cards()}
    assert len(practised) == 2
    # Practice goes through every card in lesson order, due or not, as the
    # web page does, so the card scheduled for 2099 comes first.
    assert practised[0]["card_id"] == first
    assert states[first].state == before
    assert all(states[review["card_id"]].is_new for review in practised[1:])


def test_cards_bad_rating_asks_again(url):
    first = due_ids(url)[0]

    result = run_cards(url, ["--limit", "1"], "\nfine\n7\nhard\n")

    assert result.exit_code == 0, result.output
    assert "invalid rating 'fine'" in result.output
    assert "invalid rating 7" in result.output
    assert "or q to quit" in result.output
    with Store.open(url) as store:
        reviews = store.reviews()
    assert [review["card_id"] for review in reviews] == [first]
    assert reviews[0]["rating"] == Rating.HARD


@pytest.mark.parametrize("answers", ["\n4\nq\n", "\n4\n\nq\n", "\n4\n"])
def test_cards_quit_keeps_earlier_reviews(url, answers):
    result = run_cards(url, ["--limit", "3"], answers)

    assert result.exit_code == 0, result.output
    assert "Reviewed 1 card (1 easy)." in result.output
    with Store.open(url) as store:
        assert len(store.reviews()) == 1


def test_cards_empty_input_reviews_nothing(url):
    result = run_cards(url, [], "")

    assert result.exit_code == 0, result.output
    assert "Reviewed 0 cards." in result.output
    with Store.open(url) as store:
        assert store.reviews() == []


def test_cards_new_per_day_caps_queue(url):
    result = run_cards(url, ["--new-per-day", "2"], "")

    assert result.exit_code == 0, result.output
    assert "0 cards due for review and 2 new." in result.output


def test_cards_nothing_due_names_next(url):
    first = due_ids(url)[0]
    with Store.open(url) as store:
        due = store.review(first, "easy").card.due

    result = run_cards(url, ["--new-per-day", "0"], "")

    assert result.exit_code == 0, result.output
    assert "No cards are due." in result.output
    assert "The next card is due in " in result.output
    assert f"({due:%Y-%m-%d %H:%M} UTC)" in result.output
    assert "today's limit of 0 new cards is used up" in result.output
    assert "--new-per-day" in result.output


def test_cards_reads_database_url_from_env(url):
    first = due_ids(url)[0]
    result = CliRunner().invoke(
        cli,
        ["cards", "--limit", "1"],
        input="\n3\n",
        env={"ACTLAB_DATABASE_URL": url},
    )

    assert result.exit_code == 0, result.output
    with Store.open(url) as store:
        assert [review["card_id"] for review in store.reviews()] == [first]


def test_cards_invalid_database_url():
    result = CliRunner().invoke(cli, ["cards", "--database-url", "nonsense"])

    assert result.exit_code == 1
    assert "invalid database URL 'nonsense'" in result.output
    assert "--database-url" in result.output
    assert "Traceback" not in result.output


def test_cards_newer_schema_database(url):
    Store.open(url).close()
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sqlalchemy.text("UPDATE alembic_version SET version_num='9999'")
        )
    engine.dispose()

    result = CliRunner().invoke(cli, ["cards", "--database-url", url])

    assert result.exit_code == 1
    assert url in result.output
    assert "newer actlab" in result.output
    assert "--database-url" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("value", ["0", "-1", "x"])
def test_cards_rejects_bad_limit(url, value):
    result = CliRunner().invoke(cli, ["cards", "--database-url", url, "--limit", value])

    assert result.exit_code == 2
    assert "--limit" in result.output
    assert repr(value) in result.output or value in result.output


def test_cards_subprocess_on_stdin(url):
    first = due_ids(url)[0]

    completed = subprocess.run(
        [ACTLAB, "cards", "--limit", "1", "--database-url", url],
        input="\n3\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert f"Card 1 of 1: {first}" in completed.stdout
    assert "Reviewed 1 card (1 good)." in completed.stdout
    with Store.open(url) as store:
        reviews = store.reviews()
        card = store.card(first)
    assert [review["card_id"] for review in reviews] == [first]
    assert reviews[0]["rating"] == Rating.GOOD
    assert card.state.state == "learning"
