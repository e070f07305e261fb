"""The practice pages in headless chromium, against the live server and its store."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page

from actlab import practice

pytestmark = pytest.mark.browser

ORDERING = "training-step"
ANSWER = practice.exercises()[ORDERING].answer
SCENARIO = practice.SCENARIOS["dead-relu-bias"]
NUMERIC = "value-at-z"


def assert_clean(offline) -> None:
    assert offline.blocked == []
    assert offline.errors == []
    assert offline.console_errors == []


def attempts(live_server: str, kind: str) -> int:
    """The number of stored attempts of ``kind``, read from the progress API."""
    body = httpx.get(f"{live_server}/api/progress").json()
    return next(k["attempts"] for k in body["kinds"] if k["kind"] == kind)


def step_order(page: Page) -> list[str]:
    return page.eval_on_selector_all(
        "#steps .step", "steps => steps.map(s => s.dataset.step)"
    )


def announced(page: Page, start: str) -> None:
    """Wait until the aria-live region reads a message that begins with ``start``."""
    page.wait_for_function(
        "start => document.getElementById('announcer').textContent.startsWith(start)",
        arg=start,
    )


def open_ordering(page: Page, live_server: str, seed: int = 5) -> None:
    page.goto(f"{live_server}/ordering/{ORDERING}?seed={seed}")
    page.wait_for_selector("#ordering[data-ready=true]")


def step(page: Page, step_id: str):
    return page.locator(f'#steps .step[data-step="{step_id}"]')


def sort_by_keyboard(page: Page) -> None:
    for index, step_id in enumerate(ANSWER):
        moves = step_order(page).index(step_id) - index
        step(page, step_id).focus()
        page.keyboard.press("Space")
        for _ in range(moves):
            page.keyboard.press("ArrowUp")
        page.keyboard.press("Space")


def sort_by_dragging(page: Page) -> None:
    for index, step_id in enumerate(ANSWER):
        current = step_order(page)
        if current[index] == step_id:
            continue
        target = step(page, current[index])
        # Dropping on the top edge of a step inserts before it.
        step(page, step_id).drag_to(target, target_position={"x": 40, "y": 3})


def check_order(page: Page) -> dict[str, str]:
    page.click("#check")
    page.wait_for_selector("#result:not([hidden])")
    return page.eval_on_selector("#result", "box => ({...box.dataset})")


def open_drill(page: Page, live_server: str, template: str, seed: int) -> None:
    page.goto(f"{live_server}/drill?template={template}&seed={seed}")
    page.wait_for_selector("#drill[data-ready=true]")
    page.wait_for_selector(f'#question[data-seed="{seed}"]')


def answer_shown(page: Page) -> dict[str, str]:
    page.wait_for_selector("#feedback:not([hidden])")
    return page.eval_on_selector("#feedback", "box => ({...box.dataset})")


def run_scenario(page: Page, diagnosis: str, remedy: str) -> None:
    page.check(f'input[name="diagnosis"][value="{diagnosis}"]')
    page.check(f'input[name="remedy"][value="{remedy}"]')
    page.click("#choose")
    page.wait_for_selector("#run-remedied[data-state=done]")


def trigger(page: Page, live_server: str, seed: int = 0) -> None:
    page.goto(f"{live_server}/failures/{SCENARIO.id}")
    page.wait_for_selector("#failure[data-ready=true]")
    page.fill("#seed", str(seed))
    page.click("#trigger")
    page.wait_for_selector("#run-failing[data-state=done]")


# --- hub ---------------------------------------------------------------------


def test_hub_links_open_pages(offline_page, live_server):
    page = offline_page.page
    page.goto(f"{live_server}/practice")
    links = page.eval_on_selector_all(".tool h2 a", "links => links.map(a => a.href)")

    assert len(links) == 5
    for link in links:
        assert httpx.get(link).status_code == 200
    assert_clean(offline_page)


# --- drill -------------------------------------------------------------------


def test_numeric_drill_right_answer(offline_page, live_server):
    page = offline_page.page
    question = practice.generate_drill("numeric", 11, template=NUMERIC)
    before = attempts(live_server, "drill")
    open_drill(page, live_server, NUMERIC, 11)

    assert page.text_content("#prompt") == question.prompt
    page.fill("#numeric-answer", repr(question.answer["value"]))
    page.click("#check-answer")
    shown = answer_shown(page)

    assert shown["correct"] == "true"
    assert page.text_content("#verdict") == "Correct"
    assert page.text_content("#explanation").startswith("For ")
    assert page.is_visible("#formula img")
    assert attempts(live_server, "drill") == before + 1
    assert_clean(offline_page)


def test_choice_drill_wrong_answer_explains(offline_page, live_server):
    page = offline_page.page
    template = "hidden-for-problem"
    question = practice.generate_drill("choice", 4, template=template)
    wrong = next(i for i, _ in question.options if i not in question.answer["correct"])
    open_drill(page, live_server, template, 4)
    page.check(f'#options input[value="{wrong}"]')
    page.click("#check-answer")
    shown = answer_shown(page)

    assert shown["correct"] == "false"
    assert page.text_content("#verdict") == "Not quite"
    assert question.answer["correct"][0] in page.text_content("#expected")
    explanation = page.text_content("#explanation")
    assert explanation == practice.grade(question, wrong).explanation
    assert explanation.startswith(f"{wrong} has this problem: ")
    assert page.text_content("#question-meta").startswith(question.title)
    assert_clean(offline_page)


def test_predict_drill_shows_observed_run(offline_page, live_server):
    page = offline_page.page
    template = "standardise-saturation"
    open_drill(page, live_server, template, 0)
    page.check('#options input[value="lower"]')
    page.click("#check-answer")
    answer_shown(page)
    question = practice.generate_drill("predict", 0, template=template)
    observed = practice.observe(question)
    cells = page.eval_on_selector_all(
        "#observed tbody td[data-exact]",
        "cells => cells.map(c => Number(c.dataset.exact))",
    )

    assert cells == pytest.approx(
        [observed["before"], observed["after"], observed["change"]]
    )
    assert page.text_content("#explanation").startswith("Observed:")
    actual = practice.outcome(observed["change"], question.answer["tolerance"])
    label = dict(question.options)[actual]
    assert page.text_content("#expected").startswith(f"What happened: {label}.")
    assert page.text_content("#expected").endswith("You answered Lower.")
    assert_clean(offline_page)


def test_drill_empty_answer_shows_message(offline_page, live_server):
    page = offline_page.page
    before = attempts(live_server, "drill")
    open_drill(page, live_server, NUMERIC, 2)
    page.click("#check-answer")

    assert "Missing answer" in page.text_content("#messages")
    assert page.is_hidden("#feedback")
    assert attempts(live_server, "drill") == before
    assert_clean(offline_page)


def test_drill_next_question_changes_seed(offline_page, live_server):
    page = offline_page.page
    open_drill(page, live_server, NUMERIC, 2)
    page.fill("#numeric-answer", "0.5")
    page.click("#check-answer")
    answer_shown(page)
    page.click("#next-question")
    page.wait_for_selector("#feedback", state="hidden")

    assert page.get_attribute("#question", "data-template") == NUMERIC
    assert "seed=" in page.url
    assert_clean(offline_page)


def test_drill_answer_kept_when_server_unreachable(offline_page, live_server):
    page = offline_page.page
    question = practice.generate_drill("numeric", 3, template=NUMERIC)
    before = attempts(live_server, "drill")
    open_drill(page, live_server, NUMERIC, 3)
    page.route("**/api/drills/answer", lambda route: route.abort())
    page.fill("#numeric-answer", repr(question.answer["value"]))
    page.click("#check-answer")
    page.wait_for_selector("#messages:not([hidden])")

    assert "kept" in page.text_content("#messages")
    assert page.evaluate("actlab.pendingActions()") == 1
    assert attempts(live_server, "drill") == before
    # While the answer waits, checking again cannot send a second one.
    assert page.is_disabled("#check-answer")
    page.unroute("**/api/drills/answer")
    page.evaluate("actlab.flushActions()")
    # The page resends the same answer itself and shows its grade.
    shown = answer_shown(page)
    page.wait_for_function("() => actlab.pendingActions() === 0")

    assert shown["correct"] == "true"
    assert page.is_hidden("#messages")
    assert attempts(live_server, "drill") == before + 1
    assert offline_page.blocked == []
    assert offline_page.errors == []


# --- failure lab -------------------------------------------------------------


def test_scenario_right_choice_recovers(offline_page, live_server):
    page = offline_page.page
    diagnosis = next(o for o in SCENARIO.diagnoses if o.correct)
    remedy = next(o for o in SCENARIO.remedies if o.correct)
    before = attempts(live_server, "scenario")
    trigger(page, live_server, seed=3)

    assert page.get_attribute("#run-failing", "data-failed") == "true"
    epochs = SCENARIO.setup.epochs
    assert page.get_attribute("#run-failing", "data-epoch") == str(epochs)
    assert page.locator("#run-failing .layer-table tbody tr").count() == 3
    run_scenario(page, diagnosis.id, remedy.id)

    assert page.get_attribute("#score-box", "data-score") == "1"
    assert page.get_attribute("#run-remedied", "data-recovered") == "true"
    assert page.get_attribute("#run-remedied", "data-seed") == "3"
    assert remedy.reason in page.text_content("#reasons")
    assert SCENARIO.failure in page.text_content("#score-box")
    assert page.text_content("#criterion") == SCENARIO.criterion
    changes = page.text_content("#changes")
    assert "Changed for the rerun" in changes
    assert "nothing" not in changes
    assert attempts(live_server, "scenario") == before + 1
    assert_clean(offline_page)


def test_scenario_wrong_choice_gives_reasons(offline_page, live_server):
    page = offline_page.page
    # Reduced motion draws each history at once, so this test does not wait.
    page.emulate_media(reduced_motion="reduce")
    diagnosis = next(o for o in SCENARIO.diagnoses if not o.correct)
    remedy = next(o for o in SCENARIO.remedies if not o.correct)
    trigger(page, live_server)
    run_scenario(page, diagnosis.id, remedy.id)
    reasons = page.locator("#reasons li")

    assert page.get_attribute("#score-box", "data-score") == "0"
    assert page.get_attribute("#run-remedied", "data-recovered") == "false"
    assert reasons.count() == 2
    assert reasons.nth(0).get_attribute("data-correct") == "false"
    assert diagnosis.reason in reasons.nth(0).text_content()
    assert remedy.reason in reasons.nth(1).text_content()
    assert_clean(offline_page)


def test_scenario_choice_waits_for_trigger(offline_page, live_server):
    page = offline_page.page
    page.goto(f"{live_server}/failures/{SCENARIO.id}")
    page.wait_for_selector("#failure[data-ready=true]")

    assert page.is_disabled("#choose")
    page.fill("#seed", "-3")
    page.click("#trigger")
    assert "Invalid seed" in page.text_content("#messages")
    assert page.is_hidden("#run-failing")
    assert_clean(offline_page)


# --- ordering ----------------------------------------------------------------


def test_ordering_by_keyboard_full_score(offline_page, live_server):
    page = offline_page.page
    before = attempts(live_server, "ordering")
    open_ordering(page, live_server)
    assert step_order(page) != ANSWER
    sort_by_keyboard(page)

    assert step_order(page) == ANSWER
    # The region is emptied, then filled on the next frame, so a repeated
    # message is read again.
    announced(page, "Dropped")
    result = check_order(page)
    assert result["correct"] == "true"
    assert result["score"] == "1"
    assert page.locator("#steps .step.misplaced").count() == 0
    assert attempts(live_server, "ordering") == before + 1
    assert_clean(offline_page)


def test_ordering_by_drag_and_drop_full_score(offline_page, live_server):
    page = offline_page.page
    open_ordering(page, live_server, seed=8)
    assert step_order(page) != ANSWER
    sort_by_dragging(page)

    assert step_order(page) == ANSWER
    result = check_order(page)
    assert result["correct"] == "true"
    assert result["score"] == "1"
    assert_clean(offline_page)


def test_ordering_escape_puts_step_back(offline_page, live_server):
    page = offline_page.page
    open_ordering(page, live_server)
    start = step_order(page)
    last = start[-1]
    step(page, last).focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")

    assert step_order(page).index(last) == len(start) - 3
    page.keyboard.press("Escape")
    assert step_order(page) == start
    announced(page, "Put")
    assert_clean(offline_page)


def test_ordering_wrong_order_marks_steps(offline_page, live_server):
    page = offline_page.page
    open_ordering(page, live_server, seed=2)
    shown = step_order(page)
    result = check_order(page)
    grade = practice.grade_ordering(practice.exercises()[ORDERING], shown)

    assert result["correct"] == "false"
    assert float(result["score"]) == pytest.approx(grade.score)
    assert page.locator("#steps .step.misplaced").count() == len(grade.feedback)
    first = grade.feedback[0]
    note = step(page, first.step_id).locator(".note")
    assert first.reason in note.text_content()
    # Moving a step clears the marks of the last grade.
    step(page, shown[0]).focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    assert page.locator("#steps .step.misplaced").count() == 0
    assert_clean(offline_page)


def test_ordering_answer_kept_when_server_unreachable(offline_page, live_server):
    page = offline_page.page
    before = attempts(live_server, "ordering")
    open_ordering(page, live_server)
    page.route("**/api/ordering/*/answer", lambda route: route.abort())
    page.click("#check")
    page.wait_for_selector("#messages:not([hidden])")

    assert "kept" in page.text_content("#messages")
    assert page.evaluate("actlab.pendingActions()") == 1
    assert attempts(live_server, "ordering") == before
    # While the answer waits, checking again cannot send a second one.
    assert page.is_disabled("#check")
    page.unroute("**/api/ordering/*/answer")
    page.evaluate("actlab.flushActions()")
    # The page resends the same answer itself and shows its grade.
    page.wait_for_selector("#result:not([hidden])")
    page.wait_for_function("() => actlab.pendingActions() === 0")

    assert page.is_hidden("#messages")
    assert page.is_enabled("#check")
    assert attempts(live_server, "ordering") == before + 1
    assert offline_page.blocked == []
    assert offline_page.errors == []
