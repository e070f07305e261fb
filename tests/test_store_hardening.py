"""Cases found by trying to break the store: a deleted file, reused ids, bad imports."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from actlab.cli import _main
from actlab.store import ActionConflictError, Store, StoreError

CARD = "sigmoid-formula"


@pytest.fixture
def store(database_url):
    with Store.open(database_url) as opened:
        yield opened


def test_deleted_file_is_an_error_not_a_silent_loss(tmp_path):
    path = tmp_path / "gone.db"
    with Store.open(f"sqlite:///{path}") as store:
        store.review(CARD, "good")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(f"{path}{suffix}"):
                os.remove(f"{path}{suffix}")

        with pytest.raises(StoreError, match="deleted or replaced") as caught:
            store.review(CARD, "good")
        assert str(path) in str(caught.value)
        with pytest.raises(StoreError, match="deleted or replaced"):
            store.progress()


def test_replaced_file_is_an_error(tmp_path):
    path, other = tmp_path / "swapped.db", tmp_path / "other.db"
    Store.open(f"sqlite:///{other}").close()
    with Store.open(f"sqlite:///{path}") as store:
        os.replace(other, path)
        with pytest.raises(StoreError, match="deleted or replaced"):
            store.review(CARD, "good")


def test_review_id_reused_for_another_card(store):
    store.review(CARD, "good", action_id="one")

    with pytest.raises(ActionConflictError, match="card 'sigmoid-formula'"):
        store.review("relu-slope", "good", action_id="one")
    assert store.reviews("relu-slope") == []


def test_attempt_id_reused_for_another_item(store):
    store.record_attempt("drill", "value-at-z", score=1.0, correct=True, action_id="a")

    with pytest.raises(ActionConflictError, match="drill attempt at 'value-at-z'"):
        store.record_attempt("drill", "other", score=1.0, correct=True, action_id="a")
    with pytest.raises(ActionConflictError):
        store.record_attempt(
            "ordering", "value-at-z", score=1.0, correct=True, action_id="a"
        )
    assert len(store.attempts()) == 1


def test_interview_id_reused_for_another_question(store):
    store.record_interview("what-is-relu", answer="x", covered=[0], action_id="i")

    with pytest.raises(ActionConflictError):
        store.record_interview("sigmoid-range", answer="x", covered=[0], action_id="i")
    assert len(store.attempts("interview")) == 1


@pytest.mark.parametrize("action_id", ["a b", "nul\x00", "é", "😀", "tab\t"])
def test_action_ids_are_printable_ascii(store, action_id):
    with pytest.raises(ValueError, match="printable ASCII"):
        store.review(CARD, "good", action_id=action_id)


def _exported(store) -> dict:
    store.review(CARD, "good", action_id="r1")
    store.mark_section("activations", "core-activations", action_id="s1")
    return store.export_progress()


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d["reviews"][0].update(rating="3"), "reviews.0.rating"),
        (lambda d: d["cards"][0].update(stability=float("inf")), "cards.0.stability"),
        (lambda d: d["cards"][0].update(step="1"), "cards.0.step"),
        (
            lambda d: d["reviews"][0].update(reviewed_at="9999-01-01T00:00:00+00:00"),
            "reviews.0.reviewed_at",
        ),
        (
            lambda d: d["sections"][0].update(done_at="9999-01-01T00:00:00+00:00"),
            "sections.0.done_at",
        ),
    ],
)
def test_import_rejects_values_the_api_rejects(
    store, database_url, tmp_path, change, named
):
    data = _exported(store)
    change(data)

    with Store.open(f"sqlite:///{tmp_path / 'fresh.db'}") as fresh:
        with pytest.raises(ValueError, match=named.replace(".", r"\.")):
            fresh.import_progress(data)
        assert fresh.reviews() == []


def test_import_skips_sections_and_cards_the_lessons_lack(store, tmp_path):
    data = _exported(store)
    data["sections"].append(
        {"lesson": "x", "section": "../../etc", "action_id": "s9",
         "done_at": datetime.now(UTC).isoformat()}
    )  # fmt: skip
    data["cards"].append({**data["cards"][0], "card_id": "no-such-card"})

    with Store.open(f"sqlite:///{tmp_path / 'fresh.db'}") as fresh:
        summary = fresh.import_progress(data)
        progress = fresh.progress()
    assert summary.skipped == 2
    assert progress.sections_done == [("activations", "core-activations")]


def test_import_accepts_a_due_date_years_ahead(store, tmp_path):
    data = _exported(store)
    data["cards"][0]["due"] = (datetime.now(UTC) + timedelta(days=3000)).isoformat()

    with Store.open(f"sqlite:///{tmp_path / 'fresh.db'}") as fresh:
        assert fresh.import_progress(data).added["cards"] == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"format": "actlab-progress", "version": ' + "9" * 5000 + "}", "4300 digits"),
    ],
)
def test_cli_import_of_hostile_json(tmp_path, content, message):
    path = tmp_path / "hostile.json"
    path.write_text(content)
    url = f"sqlite:///{tmp_path / 'p.db'}"
    result = CliRunner().invoke(
        _main.cli, ["progress", "import", str(path), "--database-url", url]
    )

    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
