"""``actlab progress``: the table, and export and import through real files."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from actlab.cli._main import cli
from actlab.store import Store

ACTLAB = Path(sys.executable).with_name("actlab")
START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def url(tmp_path) -> str:
    """A database with attempts, reviews, a practice review and a section read."""
    url = sqlite_url(tmp_path / "progress.db")
    with Store.open(url) as store:
        cards = [card.id for card in store.due_cards(now=START)]
        store.record_attempt(
            "drill", "value-at-z-1", score=1.0, correct=True,
            concept="activation-values", detail={"seed": 1, "answer": "0.5"},
            at=START,
        )  # fmt: skip
        store.record_attempt(
            "drill", "output-for-target-2", score=0.0, correct=False,
            concept="output-activation", detail={"seed": 2, "answer": "tanh"},
            at=START + timedelta(minutes=1),
        )  # fmt: skip
        store.review(cards[0], "good", now=START)
        store.review(cards[1], "again", now=START + timedelta(minutes=2))
        store.review(cards[2], "easy", practice=True, now=START)
        store.mark_section("activations", "why-relu", at=START)
    return url


def invoke(arguments: list[str], **options):
    result = CliRunner().invoke(cli, ["progress", *arguments], **options)
    assert "Traceback" not in result.output
    return result


def exported(url: str) -> dict:
    """Return the export of ``url`` without its timestamp."""
    with Store.open(url) as store:
        data = store.export_progress()
    del data["exported_at"]
    return data


def test_progress_show_table(url):
    result = invoke(["show", "--database-url", url])

    assert result.exit_code == 0, result.output
    with Store.open(url) as store:
        total = store.progress().sections_total
    assert f"Lesson sections done: 1 of {total}" in result.output
    assert "Attempts by kind" in result.output
    assert "Values and slopes of activations" in result.output
    assert "Choosing the output activation" in result.output
    assert "(2026-03-02 09:32 UTC)" in result.output


def test_progress_without_subcommand_shows(url):
    result = invoke(["--database-url", url])

    assert result.exit_code == 0, result.output
    assert "Lesson sections done: 1 of" in result.output


def test_progress_show_json_matches_store(url):
    result = invoke(["show", "--json", "--database-url", url])

    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    with Store.open(url) as store:
        expected = store.progress()
    assert printed["sections_done"] == [["activations", "why-relu"]]
    assert printed["by_kind"]["drill"] == {"attempts": 2, "correct": 1}
    assert printed["cards_total"] == expected.cards_total
    assert printed["last_active"] == expected.last_active.isoformat()


def test_progress_empty_database(tmp_path):
    path = tmp_path / "new.db"
    Store.open(sqlite_url(path)).close()
    result = invoke(["--database-url", sqlite_url(path)])

    assert result.exit_code == 0, result.output
    assert "Lesson sections done: 0 of" in result.output
    assert "No activity yet." in result.output


@pytest.mark.parametrize("command", [[], ["export"]])
def test_mistyped_path_is_named_not_created(tmp_path, command):
    path = tmp_path / "typo" / "progres.db"
    result = invoke([*command, "--database-url", sqlite_url(path)])

    assert result.exit_code == 1
    assert f"no progress database at {path}" in result.output
    assert not path.parent.exists()


def test_export_import_round_trip(url, tmp_path):
    path = tmp_path / "progress.json"
    fresh = sqlite_url(tmp_path / "fresh.db")

    written = invoke(["export", "-o", str(path), "--database-url", url])
    loaded = invoke(["import", str(path), "--database-url", fresh])

    assert written.exit_code == 0, written.output
    assert loaded.exit_code == 0, loaded.output
    assert json.loads(path.read_text())["format"] == "actlab-progress"
    assert "added 2 attempts, 3 reviews, 2 card schedules, 1 finished section" in (
        loaded.output
    )
    assert "Skipped no records." in loaded.output
    assert exported(fresh) == exported(url)
    with Store.open(url) as first, Store.open(fresh) as second:
        assert second.progress(now=START) == first.progress(now=START)


def test_export_to_stdout(url):
    result = invoke(["export", "--database-url", url])

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    del data["exported_at"]
    assert data == exported(url)


def test_group_database_url_reaches_export(url):
    result = invoke(["--database-url", url, "export"])

    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["attempts"]) == 2


def test_import_twice_skips_everything(url, tmp_path):
    path = tmp_path / "progress.json"
    invoke(["export", "-o", str(path), "--database-url", url])
    fresh = sqlite_url(tmp_path / "fresh.db")
    invoke(["import", str(path), "--database-url", fresh])

    again = invoke(["import", str(path), "--database-url", fresh])

    assert again.exit_code == 0, again.output
    assert "added nothing" in again.output
    assert "Skipped 8 records: 8 already present." in again.output
    assert exported(fresh) == exported(url)


def good_file(url: str) -> dict:
    with Store.open(url) as store:
        return store.export_progress()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda data: data.update(format="other"), "field 'format' is 'other'"),
        (lambda data: data.pop("exported_at"), "field 'exported_at'"),
        (
            lambda data: data["attempts"][0].update(score=2),
            "field 'attempts.0.score'",
        ),
        (
            lambda data: data["reviews"][1].update(rating="great"),
            "field 'reviews.1.rating'",
        ),
        (
            lambda data: data["cards"].append({"card_id": "x"}),
            "field 'cards.2.state'",
        ),
    ],
)
def test_import_malformed_field_changes_nothing(url, tmp_path, change, message):
    data = good_file(url)
    change(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    target = sqlite_url(tmp_path / "target.db")
    with Store.open(target) as store:
        store.record_attempt("drill", "kept", score=1.0, correct=True, at=START)
    before = exported(target)

    result = invoke(["import", str(path), "--database-url", target])

    assert result.exit_code == 1
    assert f"invalid progress file {path}" in result.output
    assert message in result.output
    assert "Nothing was imported." in result.output
    assert exported(target) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"format": ', "not JSON (Expecting value at line 1, column 12)"),
        ("[1, 2]", "expected a JSON object at the top level, got list"),
        ("", "not JSON"),
    ],
)
def test_import_not_progress_json(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    target = sqlite_url(tmp_path / "target.db")

    result = invoke(["import", str(path), "--database-url", target])

    assert result.exit_code == 1
    assert f"invalid progress file {path}" in result.output
    assert message in result.output


def test_import_binary_file(tmp_path):
    path = tmp_path / "image.json"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")

    result = invoke(
        ["import", str(path), "--database-url", sqlite_url(tmp_path / "t.db")]
    )

    assert result.exit_code == 1
    assert "not UTF-8 text" in result.output


def test_import_missing_file(tmp_path):
    missing = tmp_path / "missing.json"

    result = invoke(["import", str(missing)])

    assert result.exit_code == 2
    assert "missing.json" in result.output


def test_export_to_directory_fails(url, tmp_path):
    result = invoke(["export", "-o", str(tmp_path), "--database-url", url])

    assert result.exit_code == 1
    assert str(tmp_path) in result.output


def test_progress_subprocess_round_trip(url, tmp_path):
    fresh = sqlite_url(tmp_path / "fresh.db")

    export = subprocess.run(
        [ACTLAB, "progress", "export", "--database-url", url],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    load = subprocess.run(
        [ACTLAB, "progress", "import", "-", "--database-url", fresh],
        input=export.stdout, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    show = subprocess.run(
        [ACTLAB, "progress", "--database-url", fresh],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert export.returncode == 0, export.stderr
    assert load.returncode == 0, load.stderr
    assert show.returncode == 0, show.stderr
    assert "Imported standard input: added 2 attempts" in load.stdout
    assert "Lesson sections done: 1 of" in show.stdout
    assert exported(fresh) == exported(url)


def test_import_step_too_large_is_named(url, tmp_path):
    data = good_file(url)
    data["cards"][0].update(state="learning", step=10**30)
    path = tmp_path / "huge-step.json"
    path.write_text(json.dumps(data))
    target = sqlite_url(tmp_path / "target.db")

    result = invoke(["import", str(path), "--database-url", target])

    assert result.exit_code == 1
    assert "field 'cards.0.step'" in result.output
    assert "less than or equal to 2147483647" in result.output
    assert "Nothing was imported." in result.output
    assert exported(target)["cards"] == []


def test_import_accepts_a_byte_order_mark(url, tmp_path):
    path = tmp_path / "with-bom.json"
    path.write_text(json.dumps(good_file(url)), encoding="utf-8-sig")
    target = sqlite_url(tmp_path / "target.db")

    result = invoke(["import", str(path), "--database-url", target])

    assert result.exit_code == 0, result.output
    assert exported(target) == exported(url)


def test_import_reports_skips_by_reason(url, tmp_path):
    data = good_file(url)
    data["cards"].append({**data["cards"][0], "card_id": "card-of-a-newer-lesson"})
    data["reviews"].append({**data["reviews"][0], "action_id": "r-gone"})
    data["reviews"][-1]["card_id"] = "card-of-a-newer-lesson"
    path = tmp_path / "newer.json"
    path.write_text(json.dumps(data))

    result = invoke(["import", str(path), "--database-url", url])

    assert result.exit_code == 0, result.output
    assert (
        "Skipped 10 records: 8 already present, 2 of cards that the installed "
        "lessons do not have." in result.output
    )


def test_damaged_database_file_is_named(tmp_path):
    path = tmp_path / "damaged.db"
    path.write_bytes(b"this is not a SQLite database" * 100)

    result = invoke(["show", "--database-url", sqlite_url(path)])

    assert result.exit_code == 1
    assert f"the file {path} is not a valid actlab database" in result.output
    assert "move it aside" in result.output
