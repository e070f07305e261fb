"use strict";

// The four steps of a failure scenario. The server trains every run, and this
// file draws the returned history epoch by epoch and fills the per-layer
// tables. The learner's choice goes through actlab.sendAction, which keeps an
// unsent choice and sends it again later.
(() => {
  // Each epoch of the history appears after this delay, and a whole history
  // takes at most ANIMATION_MS, so a 30-epoch run does not drag.
  const EPOCH_MS = 220;
  const ANIMATION_MS = 3000;
  const CHART = { width: 420, height: 190, left: 44, right: 12, top: 14, bottom: 30 };
  // The same limits as the scenarios' criteria, to mark the cells that fail.
  const DEAD_ALARM = 0.25;
  const SATURATED_ALARM = 0.5;
  const SVG = "http://www.w3.org/2000/svg";
  // Measures that are shares of units or outputs, shown as percentages.
  const PERCENT_MEASURES = new Set([
    "dead_before",
    "dead_after",
    "saturated_after",
    "outside_unit_interval",
  ]);
  // Setup fields in words, for the list of what a remedy changed.
  const SETUP_LABELS = {
    dataset: "data",
    sizes: "layers",
    loss: "loss",
    hidden: "hidden activation",
    output: "output activation",
    output_shown: "output as predicted",
    initialiser: "initialiser",
    weight_scale: "weight scale",
    bias: "initial hidden bias",
    standardise: "standardised inputs",
    learning_rate: "Adam learning rate",
    epochs: "epochs",
    batch_size: "batch size",
  };
  const MEASURE_LABELS = {
    dead_before: "most dead units in a layer, at the start",
    dead_after: "most dead units in a layer, after training",
    saturated_after: "most saturated units in a layer, after training",
    grad_ratio_before: "first layer's gradient norm over the last's, at the start",
    activation_growth: "last hidden layer's activation spread over the first's",
    metric: "training metric",
    outside_unit_interval: "share of outputs outside [0, 1]",
    diverged: "loss became non-finite",
  };

  const root = document.getElementById("failure");
  const scenarioId = root.dataset.scenario;
  const seedMax = Number(root.dataset.seedMax);
  const messageBox = document.getElementById("messages");
  const seedInput = document.getElementById("seed");
  const triggerButton = document.getElementById("trigger");
  const triggerStatus = document.getElementById("trigger-status");
  const chooseButton = document.getElementById("choose");
  const chooseHint = document.getElementById("choose-hint");
  const chooseStatus = document.getElementById("choose-status");
  const failingView = document.getElementById("run-failing");
  const remediedView = document.getElementById("run-remedied");

  let failingRun = null;
  const animations = new Map();

  function showMessages(texts) {
    const items = texts.map((text) => {
      const item = document.createElement("li");
      item.textContent = text;
      return item;
    });
    messageBox.querySelector("ul").replaceChildren(...items);
    messageBox.hidden = items.length === 0;
  }

  function setStatus(line, text, busy = false) {
    line.textContent = text;
    line.classList.toggle("busy", busy);
  }

  function openStage(id) {
    document.getElementById(id).dataset.open = "true";
  }

  const SVG_TAGS = new Set(["svg", "polyline", "line", "text"]);

  function element(tag, attributes = {}, text = null) {
    const node = SVG_TAGS.has(tag)
      ? document.createElementNS(SVG, tag)
      : document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    if (text !== null) node.textContent = text;
    return node;
  }

  function formatNumber(x, digits = 3) {
    if (x === null || x === undefined) return "–";
    if (typeof x === "boolean") return x ? "yes" : "no";
    if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5)) return x.toExponential(2);
    return String(Number(x.toPrecision(digits)));
  }

  function percent(x) {
    return x === null ? "–" : `${formatNumber(x * 100, 3)} %`;
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

  // --- the loss chart -------------------------------------------------------------

  function lossPoints(run) {
    if (run?.history === null || run?.history === undefined) return [];
    return run.history.epochs.filter((record) => record.loss !== null);
  }

  function chartScale(series) {
    const points = series.flat();
    const epochs = Math.max(1, ...points.map((p) => p.epoch));
    let low = Math.min(...points.map((p) => p.loss));
    let high = Math.max(...points.map((p) => p.loss));
    if (!(high > low)) {
      low -= 0.5;
      high += 0.5;
    }
    const x = (epoch) =>
      CHART.left + (epoch / epochs) * (CHART.width - CHART.left - CHART.right);
    const y = (loss) =>
      CHART.top + ((high - loss) / (high - low)) * (CHART.height - CHART.top - CHART.bottom);
    return { x, y, low, high, epochs };
  }

  function polylinePoints(points, scale) {
    return points.map((p) => `${scale.x(p.epoch).toFixed(1)},${scale.y(p.loss).toFixed(1)}`).join(" ");
  }

  function drawAxes(svg, scale, lossName) {
    const bottom = CHART.height - CHART.bottom;
    svg.append(
      element("line", { class: "axis", x1: CHART.left, y1: CHART.top, x2: CHART.left, y2: bottom }),
      element("line", { class: "axis", x1: CHART.left, y1: bottom, x2: CHART.width - CHART.right, y2: bottom }),
      element("text", { x: CHART.left - 4, y: CHART.top + 4, "text-anchor": "end" }, formatNumber(scale.high)),
      element("text", { x: CHART.left - 4, y: bottom, "text-anchor": "end" }, formatNumber(scale.low)),
      element("text", { x: CHART.left, y: bottom + 14, "text-anchor": "middle" }, "0"),
      element("text", { x: scale.x(scale.epochs), y: bottom + 14, "text-anchor": "middle" }, String(scale.epochs)),
      element("text", { x: (CHART.left + CHART.width) / 2, y: bottom + 26, "text-anchor": "middle" }, `epoch · ${lossName} loss`),
    );
  }

  function makeChart(run, reference) {
    const own = lossPoints(run);
    const other = lossPoints(reference);
    const svg = element("svg", {
      class: "chart",
      viewBox: `0 0 ${CHART.width} ${CHART.height}`,
      role: "img",
      "aria-label": "Training loss per epoch",
    });
    if (own.length === 0) return { svg, draw: () => {} };
    const scale = chartScale([own, other]);
    drawAxes(svg, scale, run.history.loss_name);
    const curve = element("polyline", { class: "curve", points: "" });
    svg.append(curve);
    // Drawn on top: a remedy that changes nothing early repeats the failing curve.
    if (other.length > 0) {
      svg.append(element("polyline", { class: "curve reference", points: polylinePoints(other, scale) }));
    }
    return { svg, draw: (count) => curve.setAttribute("points", polylinePoints(own.slice(0, count), scale)) };
  }

  // --- one run ------------------------------------------------------------------

  function verdictOf(run) {
    if (run.remedy === null) {
      return run.failed
        ? { text: "The failure shows: the criterion holds for this run.", ok: false }
        : { text: "The failure did not show with this seed; try another.", ok: true };
    }
    return run.recovered
      ? { text: "Recovered: the criterion for recovery holds.", ok: true }
      : { text: "Not recovered: this remedy does not fix the failure.", ok: false };
  }

  function measureList(run) {
    const list = element("dl", { class: "measure-list" });
    for (const [name, value] of Object.entries(run.measures)) {
      const label = name === "metric" && run.history ? `training ${run.history.metric_name}` : MEASURE_LABELS[name] ?? name;
      const item = element("div", { "data-measure": name });
      const shown = PERCENT_MEASURES.has(name) ? percent(value) : formatNumber(value);
      item.append(element("dt", {}, label), element("dd", {}, shown));
      list.append(item);
    }
    return list;
  }

  function statCell(value, format, alarm) {
    const cell = element("td", {}, format(value));
    if (value !== null && alarm !== undefined && value >= alarm) cell.classList.add("alarm");
    return cell;
  }

  // Two header rows: the statistic, then "start" and "after" under each.
  function layerHead() {
    const head = element("thead");
    const groups = element("tr");
    const parts = element("tr");
    groups.append(
      element("th", { scope: "col", rowspan: "2" }, "Layer"),
      element("th", { scope: "col", rowspan: "2" }, "g"),
    );
    for (const title of ["Dead units", "Saturated units", "Gradient norm ‖∇W‖"]) {
      groups.append(element("th", { scope: "colgroup", colspan: "2" }, title));
      parts.append(element("th", { scope: "col" }, "start"), element("th", { scope: "col" }, "after"));
    }
    head.append(groups, parts);
    return head;
  }

  function layerTable(run) {
    const table = element("table", { class: "layer-table" });
    const body = element("tbody");
    run.before.forEach((before, i) => {
      const after = run.after[i];
      const last = i === run.before.length - 1;
      const name = last ? "output" : `hidden ${i + 1}`;
      // Softmax or sigmoid applied by the loss is named at the output layer.
      const shown = last && run.setup.output_shown !== run.setup.output;
      const activation = shown ? `${run.setup.output_shown} (in the loss)` : before.activation;
      const row = element("tr", { "data-layer": String(i) });
      row.append(
        element("td", {}, `${name} (${before.n_in}→${before.n_out})`),
        element("td", {}, activation),
        statCell(before.dead_fraction, percent, DEAD_ALARM),
        statCell(after.dead_fraction, percent, DEAD_ALARM),
        statCell(before.saturated_fraction, percent, SATURATED_ALARM),
        statCell(after.saturated_fraction, percent, SATURATED_ALARM),
        statCell(before.grad_norm, formatNumber),
        statCell(after.grad_norm, formatNumber),
      );
      body.append(row);
    });
    table.append(layerHead(), body);
    const wrapper = element("div", { class: "table-scroll" });
    wrapper.append(table);
    return wrapper;
  }

  function epochLine(run, record) {
    const total = run.history.epochs.length - 1;
    const metric = `${run.history.metric_name} ${formatNumber(record.metric)}`;
    return `Epoch ${record.epoch} of ${total} · loss ${formatNumber(record.loss)} · ${metric}`;
  }

  function showRun(view, run, reference = null) {
    animations.get(view)?.();
    const verdict = verdictOf(run);
    const verdictLine = element("p", { class: `verdict ${verdict.ok ? "ok" : "failed"}` }, verdict.text);
    const chart = makeChart(run, reference);
    const line = element("p", { class: "epoch-line" });
    const figure = element("figure", { class: "chart-box" });
    figure.append(chart.svg, line);
    if (reference !== null && lossPoints(reference).length > 0) {
      figure.append(element("p", { class: "hint" }, "Dashed: the failing run with the same seed."));
    }
    const layout = element("div", { class: "run-view" });
    layout.append(verdictLine, figure, measureList(run), layerTable(run));
    view.replaceChildren(layout);
    view.hidden = false;
    view.dataset.failed = String(run.failed);
    view.dataset.recovered = String(run.recovered);
    view.dataset.seed = String(run.seed);

    const records = run.history?.epochs ?? [];
    if (records.length === 0) {
      line.textContent = run.diverged ? "The loss was not finite even before training." : "";
      view.dataset.state = "done";
      return;
    }
    animate(view, run, records, chart, line);
  }

  // With reduced motion requested, the whole history appears at once.
  function animate(view, run, records, chart, line) {
    const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    const delay = Math.min(EPOCH_MS, ANIMATION_MS / records.length);
    let shown = still ? records.length - 1 : 0;
    let timer = null;
    view.dataset.state = "animating";
    const step = () => {
      shown += 1;
      chart.draw(shown);
      line.textContent = epochLine(run, records[shown - 1]);
      view.dataset.epoch = String(records[shown - 1].epoch);
      if (shown < records.length) {
        timer = setTimeout(step, delay);
      } else {
        view.dataset.state = "done";
        animations.delete(view);
      }
    };
    animations.set(view, () => clearTimeout(timer));
    step();
  }

  // --- step 1: trigger ------------------------------------------------------------

  function readSeed() {
    const text = seedInput.value.trim();
    const seed = Number(text);
    if (!/^\d+$/.test(text) || seed > seedMax) {
      throw new Error(`Invalid seed ${JSON.stringify(text)}: give an integer from 0 to ${seedMax}.`);
    }
    return seed;
  }

  async function trigger(event) {
    event.preventDefault();
    let seed;
    try {
      seed = readSeed();
    } catch (error) {
      showMessages([error.message]);
      return;
    }
    showMessages([]);
    triggerButton.disabled = true;
    setStatus(triggerStatus, "Training the failing setup…", true);
    try {
      failingRun = await postJson(`/api/scenarios/${encodeURIComponent(scenarioId)}/trigger`, { seed });
      setStatus(triggerStatus, `Trained with seed ${seed}.`);
      openStage("stage-watch");
      openStage("stage-choose");
      showRun(failingView, failingRun);
      chooseButton.disabled = false;
      chooseHint.textContent = `The rerun uses the same seed, ${seed}.`;
    } catch (error) {
      setStatus(triggerStatus, "");
      showMessages([error.message]);
    } finally {
      triggerButton.disabled = false;
    }
  }

  // --- steps 3 and 4: choose, rerun -------------------------------------------------

  function reasonItem(kind, feedback) {
    const item = element("li", { "data-correct": String(feedback.correct), "data-kind": kind });
    const title = element("strong", {}, `${kind}: ${feedback.text} — ${feedback.correct ? "right" : "wrong"}.`);
    item.append(title, ` ${feedback.reason}`);
    return item;
  }

  function setupValue(name, value) {
    if (value === null) return "the one that suits each activation";
    if (name === "sizes") return value.join("-");
    if (typeof value === "boolean") return value ? "yes" : "no";
    return String(value);
  }

  // "Changed for the rerun: Adam learning rate 0.1 → 0.001", so that no
  // part of a remedy is hidden from the learner.
  function showChanges(before, after) {
    const box = document.getElementById("changes");
    const changes = Object.keys(SETUP_LABELS)
      .filter((name) => JSON.stringify(before[name]) !== JSON.stringify(after[name]))
      .map(
        (name) =>
          `${SETUP_LABELS[name]} ${setupValue(name, before[name])} → ${setupValue(name, after[name])}`,
      );
    box.textContent = `Changed for the rerun, with the same seed: ${changes.join("; ") || "nothing"}.`;
    box.hidden = false;
  }

  function showChoice(result) {
    const box = document.getElementById("score-box");
    const score = document.getElementById("score");
    const both = result.diagnosis.correct && result.remedy.correct;
    score.textContent = `Score ${formatNumber(result.score)} of 1${both ? ": both choices are right." : "."}`;
    box.dataset.score = String(result.score);
    document.getElementById("reasons").replaceChildren(
      reasonItem("Diagnosis", result.diagnosis),
      reasonItem("Remedy", result.remedy),
    );
    document.getElementById("failure-name").textContent = `${result.failure}.`;
    document.getElementById("failure-explanation").textContent = result.explanation;
    document.getElementById("criterion").textContent = result.rerun.criterion;
    box.hidden = false;
    openStage("stage-rerun");
    showChanges(failingRun.setup, result.rerun.setup);
    showRun(remediedView, result.rerun, failingRun);
    score.focus();
  }

  async function choose(event) {
    event.preventDefault();
    const diagnosis = document.querySelector('input[name="diagnosis"]:checked')?.value;
    const remedy = document.querySelector('input[name="remedy"]:checked')?.value;
    if (failingRun === null) {
      showMessages(["Run the failing setup first (step 1)."]);
      return;
    }
    if (!diagnosis || !remedy) {
      showMessages(["Missing choice: pick one diagnosis and one remedy."]);
      return;
    }
    showMessages([]);
    chooseButton.disabled = true;
    setStatus(chooseStatus, "Training the setup with the remedy…", true);
    const body = { diagnosis, remedy, seed: failingRun.seed };
    try {
      const url = `/api/scenarios/${encodeURIComponent(scenarioId)}/choose`;
      const onWait = (message) => setStatus(chooseStatus, message, true);
      showChoice(await actlab.sendAction(url, body, { onWait }));
      setStatus(chooseStatus, "");
    } catch (error) {
      setStatus(chooseStatus, "");
      showMessages([error.message]);
    } finally {
      chooseButton.disabled = false;
    }
  }

  document.getElementById("trigger-form").addEventListener("submit", trigger);
  document.getElementById("choice-form").addEventListener("submit", choose);
  root.dataset.ready = "true";
})();
