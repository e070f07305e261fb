"use strict";

// The flash-card page. Review mode works through GET /api/cards/due, the
// cards that the schedule has due now. Practice mode goes through every
// card of GET /api/cards. Each rating is sent with actions.js to
// POST /api/cards/{id}/review, with practice set in practice mode so the
// server leaves the schedule as it was.
(() => {
  const root = document.getElementById("cards");
  const config = JSON.parse(document.getElementById("cards-config").textContent);
  const cardBox = document.getElementById("card");
  const emptyBox = document.getElementById("empty");
  const countsBox = document.getElementById("counts");
  const statusBox = document.getElementById("status");
  const modeNote = document.getElementById("mode-note");
  const toggle = document.getElementById("practice-toggle");
  const showButton = cardBox.querySelector('[data-action="show"]');
  const ratingBox = cardBox.querySelector('[data-field="ratings"]');
  const relativeTime = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  const STEPS = [
    ["day", 86400],
    ["hour", 3600],
    ["minute", 60],
  ];
  // The scheduler's card states, in words a learner reads at a glance.
  const STATE_LABELS = {
    new: "new card",
    learning: "being learned",
    review: "in review",
    relearning: "relearning after a lapse",
  };
  const NOTES = {
    review:
      "Review mode: each rating updates the card's schedule. The queue holds " +
      "the cards due now and a limited number of new ones per day.",
    practice:
      "Practice mode: go through every card as often as you like. Ratings are " +
      "logged but leave the schedule unchanged.",
  };

  const state = {
    mode: config.mode,
    queue: [],
    index: 0,
    shown: false,
    busy: false,
    loaded: 0,
  };

  // "in 10 minutes", "in 3 days": the time from now to an ISO datetime.
  function formatDue(iso) {
    const seconds = (Date.parse(iso) - Date.now()) / 1000;
    for (const [unit, size] of STEPS) {
      if (Math.abs(seconds) >= size) {
        return relativeTime.format(Math.round(seconds / size), unit);
      }
    }
    return seconds > 0 ? "in under a minute" : "now";
  }

  function field(box, name) {
    return box.querySelector(`[data-field="${name}"]`);
  }

  function setStatus(text) {
    statusBox.textContent = text;
  }

  async function fetchJson(url) {
    let response;
    try {
      response = await fetch(url);
    } catch (error) {
      throw new Error(`Could not reach the lab: ${error.message}`);
    }
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      throw new Error(body?.detail ?? `The request failed with ${response.status}.`);
    }
    return body;
  }

  function currentCard() {
    return state.queue[state.index] ?? null;
  }

  function drawCounts(counts) {
    if (state.mode === "practice") {
      countsBox.textContent = `${state.queue.length} cards to practise`;
      return;
    }
    countsBox.textContent =
      `${counts.due} due for review, ${counts.new} new in the queue · ` +
      `${counts.new_left_today} of ${counts.new_per_day} new cards left today`;
    root.dataset.due = String(counts.due);
    root.dataset.newInQueue = String(counts.new);
    root.dataset.newLeft = String(counts.new_left_today);
  }

  function drawLink(name, url) {
    const link = field(cardBox, name);
    link.hidden = !url;
    if (url) link.href = url;
    return Boolean(url);
  }

  function drawEmpty(counts) {
    const title = field(emptyBox, "title");
    const text = field(emptyBox, "text");
    if (state.mode === "practice") {
      title.textContent = "You went through every card";
      text.textContent = "Switch practice mode off to review the cards that are due.";
      return;
    }
    title.textContent = "Nothing due now";
    const next = counts.next_due
      ? `The next card falls due ${formatDue(counts.next_due)}.`
      : "";
    const limit =
      counts.new_left_today === 0
        ? " Today's new cards are used up; more join the queue tomorrow."
        : "";
    text.textContent = `${next}${limit} Practice mode (P) goes through every card without changing the schedule.`;
  }

  function drawCard() {
    const card = currentCard();
    cardBox.hidden = card === null;
    emptyBox.hidden = card !== null;
    root.dataset.cardId = card ? card.id : "";
    if (card === null) return;
    field(cardBox, "concept").textContent =
      card.concept_title ?? card.concept ?? card.kind;
    field(cardBox, "state").textContent = STATE_LABELS[card.state] ?? card.state;
    const position = `${state.index + 1} of ${state.queue.length}`;
    field(cardBox, "position").textContent = position;
    field(cardBox, "front").textContent = card.front;
    // back_html is rendered by the server from the lesson's Markdown, which
    // has raw HTML turned off.
    field(cardBox, "back").innerHTML = card.back_html;
    setShown(false);
  }

  function setShown(shown) {
    const card = currentCard();
    state.shown = shown;
    root.dataset.shown = String(shown);
    field(cardBox, "back").hidden = !shown;
    showButton.hidden = shown;
    ratingBox.hidden = !shown;
    const opens = drawLink("opens", shown ? card?.opens : null);
    const question = drawLink("question", shown ? card?.question_url : null);
    field(cardBox, "links").hidden = !(opens || question);
  }

  async function load() {
    const url = state.mode === "practice" ? "/api/cards" : "/api/cards/due";
    root.dataset.loading = "true";
    let body;
    try {
      body = await fetchJson(url);
    } catch (error) {
      setStatus(error.message);
      return;
    } finally {
      root.dataset.loading = "false";
    }
    state.queue = body.cards;
    state.index = 0;
    drawCounts(body);
    drawEmpty(body);
    drawCard();
    state.loaded += 1;
    root.dataset.loaded = String(state.loaded);
  }

  function setMode(mode) {
    state.mode = mode;
    root.dataset.mode = mode;
    toggle.setAttribute("aria-checked", String(mode === "practice"));
    modeNote.textContent = NOTES[mode];
    const url = new URL(window.location.href);
    if (mode === "practice") url.searchParams.set("mode", "practice");
    else url.searchParams.delete("mode");
    history.replaceState(null, "", url);
  }

  function togglePractice() {
    if (state.busy) return;
    setMode(state.mode === "practice" ? "review" : "practice");
    setStatus("");
    load();
  }

  function describe(result) {
    const rated = `Rated ${result.rating_name}.`;
    if (result.practice) return `${rated} Practice: the schedule is unchanged.`;
    return `${rated} Next review ${formatDue(result.next_due)}.`;
  }

  // Move on after a rating. Review mode requests the new queue from the
  // server, and practice mode steps through the list it already has.
  async function advance(sent) {
    if (state.mode === "practice" || !sent) {
      if (state.mode === "practice") state.index += 1;
      else state.queue.splice(state.index, 1);
      drawCard();
      return;
    }
    await load();
  }

  async function rate(rating) {
    const card = currentCard();
    if (card === null || state.busy) return;
    if (!state.shown) {
      setStatus("Show the answer first (Space), then rate it.");
      return;
    }
    state.busy = true;
    const body = { rating, practice: state.mode === "practice" };
    const url = `/api/cards/${encodeURIComponent(card.id)}/review`;
    let sent = true;
    try {
      const result = await actlab.sendAction(url, body);
      setStatus(describe(result));
      root.dataset.lastReview = `${result.card.id}:${result.rating_name}`;
    } catch (error) {
      setStatus(error.message);
      if (!error.kept) {
        state.busy = false;
        return;
      }
      sent = false;
    }
    await advance(sent);
    state.busy = false;
    cardBox.focus();
  }

  function show() {
    if (currentCard() === null || state.shown) return;
    setShown(true);
    setStatus("");
    cardBox.focus();
  }

  function typing(target) {
    return target.closest?.("input, textarea, select, [contenteditable]") != null;
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const key = event.key;
    if (key === " " || key === "Enter") {
      // Enter on a link follows it; everything else shows the answer.
      if (key === "Enter" && event.target.closest?.("a")) return;
      event.preventDefault();
      show();
    } else if (["1", "2", "3", "4"].includes(key)) {
      event.preventDefault();
      rate(Number(key));
    } else if (key === "p" || key === "P") {
      event.preventDefault();
      togglePractice();
    }
  });
  showButton.addEventListener("click", show);
  toggle.addEventListener("click", togglePractice);
  for (const button of ratingBox.querySelectorAll("button[data-rating]")) {
    button.addEventListener("click", () => rate(Number(button.dataset.rating)));
  }

  setMode(state.mode);
  load();
})();
