"use strict";

// The ordering exercise. Steps move by HTML5 drag and drop, by the keyboard
// (Space picks a step up and drops it, ArrowUp/ArrowDown move it, Escape puts
// it back) or by the small arrow buttons. Every move is announced in an
// aria-live region. The order is graded by POST /api/ordering/{id}/answer,
// sent through actlab.sendAction, which keeps an unsent answer and sends it
// again later.
(() => {
  const root = document.getElementById("ordering");
  const orderingId = root.dataset.ordering;
  const list = document.getElementById("steps");
  const announcer = document.getElementById("announcer");
  const messageBox = document.getElementById("messages");
  const checkButton = document.getElementById("check");
  const result = document.getElementById("result");

  // The step being moved by the keyboard, and where it started.
  let grabbed = null;
  let grabbedFrom = -1;
  let dragged = null;
  // Moving a focused node blurs it, and this flag keeps the blur from dropping it.
  let moving = false;

  function steps() {
    return [...list.querySelectorAll(".step")];
  }

  function textOf(step) {
    return step.querySelector(".step-text").textContent.trim();
  }

  function position(step) {
    return steps().indexOf(step) + 1;
  }

  function announce(text) {
    // Clearing first makes a screen reader read a repeated text again.
    announcer.textContent = "";
    window.requestAnimationFrame(() => {
      announcer.textContent = text;
    });
  }

  function showMessages(texts) {
    const items = texts.map((text) => {
      const item = document.createElement("li");
      item.textContent = text;
      return item;
    });
    messageBox.querySelector("ul").replaceChildren(...items);
    messageBox.hidden = items.length === 0;
  }

  // A change of order makes the last grade's marks stale.
  function clearMarks() {
    for (const step of steps()) {
      step.classList.remove("placed", "misplaced");
      const note = step.querySelector(".note");
      note.hidden = true;
      note.textContent = "";
    }
    result.hidden = true;
  }

  function moveTo(step, index) {
    const others = steps().filter((item) => item !== step);
    const bounded = Math.max(0, Math.min(index, others.length));
    moving = true;
    try {
      list.insertBefore(step, others[bounded] ?? null);
    } finally {
      moving = false;
    }
    clearMarks();
  }

  function moveBy(step, offset) {
    const from = position(step) - 1;
    const to = from + offset;
    if (to < 0 || to >= steps().length) {
      announce(`${textOf(step)} is already at position ${from + 1} of ${steps().length}.`);
      return;
    }
    moveTo(step, to);
    announce(`Moved to position ${to + 1} of ${steps().length}.`);
  }

  // --- keyboard ---------------------------------------------------------------

  function grab(step) {
    grabbed = step;
    grabbedFrom = position(step) - 1;
    step.classList.add("grabbed");
    announce(
      `Picked up ${textOf(step)}, position ${grabbedFrom + 1} of ${steps().length}. ` +
        "ArrowUp and ArrowDown move it, Space drops it, Escape puts it back.",
    );
  }

  function release(message) {
    const step = grabbed;
    grabbed = null;
    step.classList.remove("grabbed");
    announce(message(step));
  }

  function drop() {
    release((step) => `Dropped ${textOf(step)} at position ${position(step)} of ${steps().length}.`);
  }

  function cancel() {
    moveTo(grabbed, grabbedFrom);
    grabbed.focus();
    release((step) => `Put ${textOf(step)} back at position ${position(step)}.`);
  }

  function onKeyDown(event) {
    const step = event.target.closest(".step");
    if (step === null || event.target !== step) return;
    const key = event.key;
    if (key === " " || key === "Enter") {
      event.preventDefault();
      if (grabbed === step) drop();
      else {
        if (grabbed !== null) drop();
        grab(step);
      }
    } else if (key === "ArrowUp" || key === "ArrowDown") {
      event.preventDefault();
      const offset = key === "ArrowUp" ? -1 : 1;
      if (grabbed === step) {
        moveBy(step, offset);
        step.focus();
      } else {
        steps()[position(step) - 1 + offset]?.focus();
      }
    } else if ((key === "Home" || key === "End") && grabbed === step) {
      event.preventDefault();
      moveTo(step, key === "Home" ? 0 : steps().length - 1);
      step.focus();
      announce(`Moved to position ${position(step)} of ${steps().length}.`);
    } else if (key === "Escape" && grabbed === step) {
      event.preventDefault();
      cancel();
    }
  }

  // Leaving a picked-up step drops it where it is.
  function onFocusOut(event) {
    if (!moving && grabbed !== null && event.target === grabbed) drop();
  }

  // --- mouse: HTML5 drag and drop -----------------------------------------------

  function onDragStart(event) {
    const step = event.target.closest(".step");
    if (step === null) return;
    if (grabbed !== null) drop();
    dragged = step;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", step.dataset.step);
    // The class is set after the browser has taken the drag image.
    window.setTimeout(() => step.classList.add("dragging"), 0);
  }

  function onDragOver(event) {
    if (dragged === null) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    const target = event.target.closest?.(".step");
    if (!target || target === dragged) return;
    const box = target.getBoundingClientRect();
    const after = event.clientY > box.top + box.height / 2;
    const reference = after ? target.nextElementSibling : target;
    if (reference !== dragged && dragged.nextElementSibling !== reference) {
      list.insertBefore(dragged, reference);
      clearMarks();
    }
  }

  function onDrop(event) {
    if (dragged !== null) event.preventDefault();
  }

  function onDragEnd() {
    if (dragged === null) return;
    const step = dragged;
    dragged = null;
    step.classList.remove("dragging");
    announce(`Dropped ${textOf(step)} at position ${position(step)} of ${steps().length}.`);
  }

  function onButton(event) {
    const button = event.target.closest("button[data-move]");
    if (button === null) return;
    const step = button.closest(".step");
    moveBy(step, Number(button.dataset.move));
  }

  // --- grading ------------------------------------------------------------------

  function stepText(id) {
    const step = list.querySelector(`.step[data-step="${CSS.escape(id)}"]`);
    return step === null ? id : `“${textOf(step)}”`;
  }

  function noteFor(item) {
    const places = [];
    if (item.after !== null) places.push(`after ${stepText(item.after)}`);
    if (item.before !== null) places.push(`before ${stepText(item.before)}`);
    const neighbours = places.join(" and ");
    const where =
      item.submitted_position === item.correct_position
        ? `In the right place, but a neighbour is not: it comes ${neighbours}.`
        : `Belongs at position ${item.correct_position + 1}, ${neighbours}.`;
    return item.reason ? `${where} ${item.reason}` : where;
  }

  // Steps at the right position but with a wrong neighbour get feedback too,
  // so they are counted apart from the misplaced ones.
  function misplacedText(grade) {
    const moved = grade.feedback.filter(
      (item) => item.submitted_position !== item.correct_position,
    ).length;
    const neighbour = grade.feedback.length - moved;
    const text = `${moved} of ${grade.n_steps} steps are misplaced`;
    return neighbour === 0
      ? text
      : `${text}, ${neighbour} in place with a wrong neighbour`;
  }

  function showGrade(grade) {
    const misplaced = new Map(grade.feedback.map((item) => [item.step_id, item]));
    for (const step of steps()) {
      const item = misplaced.get(step.dataset.step);
      step.classList.toggle("misplaced", item !== undefined);
      step.classList.toggle("placed", item === undefined);
      const note = step.querySelector(".note");
      note.hidden = item === undefined;
      note.textContent = item === undefined ? "" : noteFor(item);
    }
    const percent = Math.round(grade.score * 100);
    document.getElementById("result-title").textContent = grade.correct
      ? "Every step is in the right order."
      : `Score ${percent} %: ${misplacedText(grade)}.`;
    document.getElementById("result-detail").textContent =
      `${grade.in_order} of ${grade.n_steps} steps are already in the right relative order, ` +
      `and ${grade.neighbours} of ${grade.n_steps - 1} neighbouring pairs are right.`;
    document.getElementById("result-explanation").textContent =
      grade.correct && grade.explanation ? grade.explanation : "";
    result.dataset.correct = String(grade.correct);
    result.dataset.score = String(grade.score);
    result.hidden = false;
    announce(document.getElementById("result-title").textContent);
  }

  async function check() {
    if (grabbed !== null) drop();
    const order = steps().map((step) => step.dataset.step);
    showMessages([]);
    checkButton.disabled = true;
    try {
      const url = `/api/ordering/${encodeURIComponent(orderingId)}/answer`;
      const onWait = (message) => showMessages([message]);
      const grade = await actlab.sendAction(url, { order }, { onWait });
      showMessages([]);
      showGrade(grade);
    } catch (error) {
      showMessages([error.message]);
    } finally {
      checkButton.disabled = false;
    }
  }

  list.addEventListener("keydown", onKeyDown);
  list.addEventListener("focusout", onFocusOut);
  list.addEventListener("dragstart", onDragStart);
  list.addEventListener("dragover", onDragOver);
  list.addEventListener("drop", onDrop);
  list.addEventListener("dragend", onDragEnd);
  list.addEventListener("click", onButton);
  checkButton.addEventListener("click", check);
  root.dataset.ready = "true";
})();
