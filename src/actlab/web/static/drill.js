"use strict";

// The drill page requests a question from POST /api/drills/new and sends the
// learner's answer to POST /api/drills/answer through actlab.sendAction, which
// resends an unanswered request with the same action id until the lab responds.
// The server grades every answer, so this file never receives the right one
// before the learner answers.
(() => {
  const kindSelect = document.getElementById("kind");
  const templateSelect = document.getElementById("template");
  const controls = document.getElementById("drill-controls");
  const messageBox = document.getElementById("messages");
  const questionPanel = document.getElementById("question");
  const answerForm = document.getElementById("answer-form");
  const optionsBox = document.getElementById("options");
  const numericField = document.getElementById("numeric-field");
  const numericInput = document.getElementById("numeric-answer");
  const checkButton = document.getElementById("check-answer");
  const statusLine = document.getElementById("status");
  const feedback = document.getElementById("feedback");

  let question = null;
  let generation = 0;

  function showMessages(texts) {
    const items = texts.map((text) => {
      const item = document.createElement("li");
      item.textContent = text;
      return item;
    });
    messageBox.querySelector("ul").replaceChildren(...items);
    messageBox.hidden = items.length === 0;
  }

  function setStatus(text, busy = false) {
    statusLine.textContent = text;
    statusLine.classList.toggle("busy", busy);
  }

  async function postJson(url, body) {
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
    } catch (error) {
      throw new Error(`could not reach the server: ${error.message}`);
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      throw new Error(data?.detail ?? `the request failed with ${response.status}`);
    }
    return data;
  }

  function formatNumber(x) {
    return String(Number(x.toPrecision(4)));
  }

  // --- choosing a template ----------------------------------------------------

  function filterTemplates() {
    const kind = kindSelect.value;
    for (const option of templateSelect.options) {
      if (!option.value) continue;
      option.hidden = Boolean(kind) && option.dataset.kind !== kind;
    }
    const chosen = templateSelect.selectedOptions[0];
    if (chosen?.hidden) templateSelect.value = "";
  }

  function requestFields(seed) {
    const body = {};
    if (templateSelect.value) body.template = templateSelect.value;
    else if (kindSelect.value) body.kind = kindSelect.value;
    if (seed !== undefined) body.seed = seed;
    return body;
  }

  // --- showing a question -----------------------------------------------------

  function optionLabel(kind, option, index) {
    const label = document.createElement("label");
    label.className = "option";
    const input = document.createElement("input");
    input.type = "radio";
    input.name = "answer";
    input.value = option.id;
    input.id = `option-${index}`;
    label.append(input);
    if (kind === "choice") {
      // The name and the formula of g(z), drawn by the server as SVG.
      const name = document.createElement("code");
      name.textContent = option.id;
      const formula = document.createElement("img");
      formula.className = "option-formula";
      formula.src = `/formulas/${encodeURIComponent(option.id)}/value.svg`;
      formula.alt = "";
      formula.addEventListener("error", () => formula.remove());
      label.append(name, formula);
    } else {
      label.append(option.text);
    }
    return label;
  }

  function showQuestion(data) {
    question = data;
    questionPanel.dataset.template = data.template;
    questionPanel.dataset.seed = String(data.seed);
    questionPanel.dataset.kind = data.kind;
    document.getElementById("question-meta").textContent =
      `${data.title} · ${data.kind} · seed ${data.seed}`;
    document.getElementById("prompt").textContent = data.prompt;

    const numeric = data.kind === "numeric";
    numericField.hidden = !numeric;
    numericInput.value = "";
    optionsBox.hidden = numeric;
    optionsBox.classList.toggle("named", data.kind === "choice");
    const legend = optionsBox.querySelector("legend");
    legend.textContent = data.kind === "predict" ? "Your prediction" : "Choose one";
    optionsBox.replaceChildren(
      legend,
      ...data.options.map((option, i) => optionLabel(data.kind, option, i)),
    );
    checkButton.disabled = false;
    questionPanel.hidden = false;
    feedback.hidden = true;
    setStatus("");
    const url = new URL(window.location.href);
    url.search = new URLSearchParams({ template: data.template, seed: data.seed });
    window.history.replaceState(null, "", url);
    (numeric ? numericInput : optionsBox.querySelector("input"))?.focus();
  }

  async function newQuestion(seed, notes = []) {
    const run = ++generation;
    showMessages(notes);
    try {
      const data = await postJson("/api/drills/new", requestFields(seed));
      if (run === generation) showQuestion(data);
    } catch (error) {
      if (run === generation) showMessages([error.message]);
    }
  }

  // --- answering ----------------------------------------------------------------

  function currentAnswer() {
    if (question.kind === "numeric") return numericInput.value.trim();
    return optionsBox.querySelector("input:checked")?.value ?? null;
  }

  function showObserved(observed) {
    const table = document.getElementById("observed");
    const rows = [
      ["Before the change", observed.before],
      ["After the change", observed.after],
      ["Change", observed.change],
    ];
    table.tBodies[0].replaceChildren(
      ...rows
        .filter(([, value]) => value !== undefined)
        .map(([label, value]) => {
          const row = document.createElement("tr");
          const head = document.createElement("td");
          head.textContent = label;
          const cell = document.createElement("td");
          cell.textContent = formatNumber(value);
          cell.dataset.exact = String(value);
          row.append(head, cell);
          return row;
        }),
    );
    table.hidden = Object.keys(observed).length === 0;
  }

  // A prediction reads better by its label ("About the same") than by its id.
  function predictionLabel(id) {
    if (question?.kind !== "predict") return String(id);
    return question.options.find((option) => option.id === id)?.text ?? String(id);
  }

  function showGrade(grade) {
    feedback.dataset.correct = String(grade.correct);
    feedback.dataset.score = String(grade.score);
    const verdict = document.getElementById("verdict");
    verdict.textContent = grade.correct ? "Correct" : "Not quite";
    const expected = grade.kind === "predict" ? "What happened" : "The answer";
    document.getElementById("expected").textContent =
      `${expected}: ${predictionLabel(grade.expected)}. ` +
      `You answered ${predictionLabel(grade.answer)}.`;
    document.getElementById("explanation").textContent = grade.explanation;

    // The formula as an image, or as LaTeX text where the server cannot draw it.
    const figure = document.getElementById("formula");
    const image = figure.querySelector("img");
    const latex = figure.querySelector("code");
    figure.hidden = !grade.formula;
    image.hidden = !grade.formula_image;
    latex.hidden = Boolean(grade.formula_image) || !grade.formula;
    if (grade.formula_image) {
      image.src = grade.formula_image;
      image.alt = grade.formula;
    }
    latex.textContent = grade.formula ?? "";
    showObserved(grade.observed);
    const link = document.getElementById("opens");
    link.hidden = !grade.opens;
    if (grade.opens) link.href = grade.opens;
    feedback.hidden = false;
    verdict.focus();
  }

  async function submitAnswer(event) {
    event.preventDefault();
    if (question === null) return;
    const answer = currentAnswer();
    if (answer === null || answer === "") {
      showMessages([
        question.kind === "numeric"
          ? "Missing answer: type a number, such as 0.25 or 1/4."
          : "Missing answer: choose one of the options.",
      ]);
      return;
    }
    showMessages([]);
    checkButton.disabled = true;
    const running = question.kind === "predict";
    setStatus(running ? "Training both versions in the engine…" : "Checking…", true);
    const body = { template: question.template, seed: question.seed, answer };
    // While the lab does not respond, the same answer is resent until it is
    // graded, and the Check button stays disabled so it cannot be sent twice.
    const onWait = (message) => showMessages([message]);
    try {
      const grade = await actlab.sendAction("/api/drills/answer", body, { onWait });
      showMessages([]);
      showGrade(grade);
      setStatus("");
    } catch (error) {
      setStatus("");
      checkButton.disabled = false;
      showMessages([error.message]);
    }
  }

  kindSelect.addEventListener("change", filterTemplates);
  controls.addEventListener("submit", (event) => {
    event.preventDefault();
    newQuestion();
  });
  answerForm.addEventListener("submit", submitAnswer);
  document.getElementById("next-question").addEventListener("click", () => newQuestion());

  // A URL with ?template=…&seed=… opens that question again.
  const query = new URLSearchParams(window.location.search);
  if (query.has("template")) templateSelect.value = query.get("template");
  const seedText = query.get("seed");
  const seed = seedText !== null && /^\d+$/.test(seedText) ? Number(seedText) : undefined;
  const notes = [];
  if (templateSelect.value === "" && query.has("template")) {
    notes.push(
      `Unknown drill template ${JSON.stringify(query.get("template"))} in the URL: ` +
        "a random question is shown instead.",
    );
  }
  newQuestion(seed, notes).then(() => {
    document.getElementById("drill").dataset.ready = "true";
  });
})();
