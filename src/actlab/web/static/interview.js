"use strict";

// The interview page. Each question needs a written answer first, and only
// then does "Reveal" fetch the model answer and its key points. The learner
// ticks the points they made and picks a rating, which actions.js sends to
// POST /api/interview/{id}. The server stores it and reviews the card.
(() => {
  const relativeTime = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  const STEPS = [
    ["day", 86400],
    ["hour", 3600],
    ["minute", 60],
  ];

  // "in 10 minutes", "in 3 days": the time from now to an ISO datetime.
  function formatDue(iso) {
    const seconds = (Date.parse(iso) - Date.now()) / 1000;
    for (const [unit, size] of STEPS) {
      if (Math.abs(seconds) >= size) {
        return relativeTime.format(Math.round(seconds / size), unit);
      }
    }
    return "now";
  }

  function field(root, name) {
    return root.querySelector(`[data-field="${name}"]`);
  }

  function showError(root, text) {
    const box = field(root, "error");
    box.textContent = text;
    box.hidden = !text;
  }

  function coveredIndexes(root) {
    return [...root.querySelectorAll("input[data-point]:checked")].map((box) =>
      Number(box.dataset.point),
    );
  }

  function suggestRating(root, ratings) {
    const rating = ratings[coveredIndexes(root).length];
    for (const button of root.querySelectorAll("button[data-rating]")) {
      const match = Number(button.dataset.rating) === rating;
      button.classList.toggle("suggested", match);
      if (match) field(root, "suggested").textContent = button.textContent;
    }
  }

  function keyPointBox(root, text, index) {
    const label = document.createElement("label");
    label.className = "key-point";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.dataset.point = String(index);
    box.addEventListener("change", () => suggestRating(root, root.ratings));
    label.append(box, ` ${text}`);
    return label;
  }

  function linkItem(link) {
    const item = document.createElement("li");
    const anchor = document.createElement("a");
    anchor.href = link.target;
    anchor.textContent = link.label;
    item.append(anchor);
    return item;
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

  function drawModel(root, model) {
    // answer_html is rendered by the server from the lesson's Markdown,
    // which has raw HTML turned off.
    field(root, "model-answer").innerHTML = model.answer_html;
    field(root, "links").replaceChildren(...model.links.map(linkItem));
    const points = model.key_points.map((text, i) => keyPointBox(root, text, i));
    field(root, "key-points").replaceChildren(...points);
    root.ratings = model.rating_for_covered;
    suggestRating(root, root.ratings);
    field(root, "model").hidden = false;
  }

  async function reveal(root) {
    const id = root.dataset.question;
    showError(root, "");
    try {
      drawModel(root, await fetchJson(`/api/interview/${encodeURIComponent(id)}/answer`));
    } catch (error) {
      showError(root, error.message);
      return;
    }
    root.dataset.revealed = "true";
    root.querySelector('[data-action="reveal"]').hidden = true;
    field(root, "reveal-hint").hidden = true;
  }

  function setRatingEnabled(root, enabled) {
    for (const control of root.querySelectorAll("button[data-rating], input[data-point]")) {
      control.disabled = !enabled;
    }
  }

  function showResult(root, result) {
    const text =
      `Saved: ${result.covered.length} of ${result.key_point_count} key points, ` +
      `rated ${result.rating_name}. This question comes back as a card ` +
      `${formatDue(result.next_due)}.`;
    const box = field(root, "result");
    box.textContent = text;
    box.hidden = false;
    field(root, "schedule").textContent = `card ${result.card_state}`;
    root.dataset.rated = result.rating_name;
  }

  async function rate(root, rating) {
    const id = root.dataset.question;
    const body = {
      answer: field(root, "answer").value,
      covered: coveredIndexes(root),
      rating,
    };
    showError(root, "");
    setRatingEnabled(root, false);
    try {
      const url = `/api/interview/${encodeURIComponent(id)}`;
      const onWait = (message) => showError(root, message);
      const result = await actlab.sendAction(url, body, { onWait });
      showError(root, "");
      showResult(root, result);
      root.querySelector(`button[data-rating="${rating}"]`).classList.add("chosen");
      field(root, "answer").readOnly = true;
    } catch (error) {
      showError(root, error.message);
      setRatingEnabled(root, true);
    }
  }

  function setUp(root) {
    const answer = field(root, "answer");
    const revealButton = root.querySelector('[data-action="reveal"]');
    answer.addEventListener("input", () => {
      revealButton.disabled = answer.value.trim() === "";
    });
    revealButton.disabled = answer.value.trim() === "";
    revealButton.addEventListener("click", () => reveal(root));
    for (const button of root.querySelectorAll("button[data-rating]")) {
      button.addEventListener("click", () => rate(root, Number(button.dataset.rating)));
    }
  }

  document.querySelectorAll("article[data-question]").forEach(setUp);
})();
