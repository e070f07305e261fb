import itertools

import pytest

from actlab import lessons
from actlab.practice import exercise_from, exercises, grade_ordering, longest_in_order

STEP = exercises()["training-step"]
ANSWER = STEP.answer


def test_bundled_sets_have_five_steps():
    loaded = exercises()
    assert {"layer-forward", "training-step", "to-production"} <= set(loaded)
    for exercise in loaded.values():
        assert len(exercise.steps) == 5
        assert all(step.reason for step in exercise.steps)


def test_production_set_order():
    answer = exercises()["to-production"].answer
    assert answer.index("data-contract") < answer.index("train-model")
    assert answer.index("deploy-model") < answer.index("monitor-model")


@pytest.mark.parametrize(
    ("positions", "length"),
    [([], 0), ([0, 1, 2], 3), ([2, 1, 0], 1), ([1, 0, 2, 4, 3], 3), ([3, 0, 1, 2], 3)],
)
def test_longest_in_order(positions, length):
    assert longest_in_order(positions) == length


def test_lis_matches_brute_force():
    for order in itertools.permutations(range(5)):
        best = max(
            len(subset)
            for size in range(6)
            for subset in itertools.combinations(order, size)
            if list(subset) == sorted(subset)
        )
        assert longest_in_order(order) == best


def reorder(*indices):
    return [ANSWER[i] for i in indices]


# (submission as true positions, in order, neighbours)
GRADED = [
    ((0, 1, 2, 3, 4), 5, 4),
    ((1, 0, 2, 3, 4), 4, 2),
    ((4, 3, 2, 1, 0), 1, 0),
    ((0, 1, 2, 4, 3), 4, 2),
    ((3, 4, 0, 1, 2), 3, 3),
    ((0, 2, 1, 3, 4), 4, 1),
]


@pytest.mark.parametrize(("indices", "in_order", "neighbours"), GRADED)
def test_partial_credit_table(indices, in_order, neighbours):
    result = grade_ordering(STEP, reorder(*indices))
    assert result.error is None
    assert result.in_order == in_order
    assert result.neighbours == neighbours
    assert result.score == pytest.approx((in_order / 5 + neighbours / 4) / 2)
    assert result.correct is (indices == (0, 1, 2, 3, 4))


def test_right_order_scores_one():
    result = grade_ordering(STEP, ANSWER)
    assert result.correct
    assert result.score == 1.0
    assert result.feedback == ()


def test_swap_feedback_names_neighbours():
    result = grade_ordering(STEP, reorder(0, 1, 2, 4, 3))
    by_id = {item.step_id: item for item in result.feedback}
    update = by_id["update"]
    assert update.after == "backward"
    assert update.before is None
    assert update.reason == STEP.step("update").reason
    assert "after 'backward'" in update.message
    assert "draw-batch" not in by_id


MALFORMED = [
    (ANSWER[:4], "missing"),
    ([*ANSWER[:4], ANSWER[0]], "duplicate"),
    ([*ANSWER[:4], "evaluate"], "unknown"),
    ([*ANSWER, "extra"], "unknown"),
    ([*ANSWER, ANSWER[0]], "duplicate"),
    ("forward,loss", "expected a list"),
    (None, "expected a list"),
    ([1, 2, 3, 4, 5], "string"),
    ([], "missing"),
]


@pytest.mark.parametrize(("submission", "message"), MALFORMED)
def test_malformed_submissions(submission, message):
    result = grade_ordering(STEP, submission)
    assert not result.correct
    assert result.score == 0.0
    assert message in result.error


def test_shuffled_is_seeded_and_wrong():
    first = [step.id for step in STEP.shuffled(3)]
    assert first == [step.id for step in STEP.shuffled(3)]
    assert sorted(first) == sorted(ANSWER)
    for seed in range(20):
        assert [step.id for step in STEP.shuffled(seed)] != ANSWER


def test_plain_text_steps_get_ids():
    plain = lessons.OrderingSet(
        id="s", title="S", concept="c", steps=["Forward pass", "Loss", "x"]
    )

    exercise = exercise_from(plain)
    assert exercise.answer == ["forward-pass", "loss", "x"]
    assert grade_ordering(exercise, ["loss", "forward-pass", "x"]).in_order == 2
