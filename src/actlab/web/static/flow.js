"use strict";

// The flow page draws what GET /api/flow computes. This file reads the
// controls, requests the result and updates the diagram. It evaluates no unit
// and checks no input itself. An input that the API rejects keeps its error
// next to it, and the diagram goes on with the input's last valid value.
(() => {
  const DEBOUNCE_MS = 30;
  const GAUGE_WIDTH = 170;
  // A bounded unit reads "capped" once a passes this share of its upper bound.
  const NEAR_CAP = 0.95;

  const root = document.getElementById("flow");
  const actSuffix = root.dataset.actSuffix;
  const messageBox = document.getElementById("messages");
  const linearBox = document.getElementById("linear");
  const warning = document.getElementById("output-warning");
  const collapsePanel = document.getElementById("collapse");
  const numberInputs = [...document.querySelectorAll("input[data-input]")];
  const unitSelects = [...document.querySelectorAll("select[data-unit]")];

  // Messages about the URL, from the server, stay until the first user action.
  let urlMessages = [...messageBox.querySelectorAll("li")].map((li) => li.textContent);
  // The value of each input that the diagram last drew, and the inputs
  // whose current value the API rejected, with its message.
  const lastValid = new Map(numberInputs.map((input) => [input.dataset.input, input.value]));
  const rejected = new Map();
  let generation = 0;
  let revision = 0;
  let timer = null;

  function formatNumber(x, digits = 4) {
    return String(Number(x.toPrecision(digits)));
  }

  function showMessages(texts) {
    const items = [...new Set(texts)].map((text) => {
      const item = document.createElement("li");
      item.textContent = text;
      return item;
    });
    messageBox.querySelector("ul").replaceChildren(...items);
    messageBox.hidden = items.length === 0;
  }

  // The value that a request sends for each input: its own, unless the API
  // rejected it, in which case the last valid one.
  function usedValues() {
    return new Map(numberInputs.map((input) => {
      const name = input.dataset.input;
      const stale = rejected.get(name)?.value === input.value;
      return [name, stale ? lastValid.get(name) : input.value];
    }));
  }

  function queryFields(used) {
    const fields = [];
    for (const input of numberInputs) {
      const value = used.get(input.dataset.input);
      if (value.trim() === "" || Number(value) !== Number(input.dataset.default)) {
        fields.push([input.dataset.input, value]);
      }
    }
    for (const select of unitSelects) {
      if (select.value !== select.dataset.default) {
        fields.push([select.dataset.unit + actSuffix, select.value]);
      }
    }
    if (linearBox.checked) fields.push(["linear", "true"]);
    return fields;
  }

  function queryString(fields) {
    return fields
      .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
      .join("&");
  }

  async function fetchFlow(query) {
    let response;
    try {
      response = await fetch(`/api/flow?${query}`);
    } catch (error) {
      throw new Error(`could not reach the server: ${error.message}`);
    }
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const error = new Error(body?.detail ?? `the request failed with ${response.status}`);
      error.field = body?.field ?? null;
      throw error;
    }
    return body;
  }

  // Request the diagram. Each input that the API rejects is marked and sent
  // again with its last valid value, so one bad field cannot block the rest.
  // Returns the result and the input values that it was computed from.
  async function fetchValid() {
    for (;;) {
      const used = usedValues();
      try {
        return [await fetchFlow(queryString(queryFields(used))), used];
      } catch (error) {
        const input = numberInputs.find((i) => i.dataset.input === error.field);
        const retry = input && rejected.get(error.field)?.value !== input.value;
        if (!retry) throw error;
        rejected.set(error.field, { value: input.value, message: error.message });
      }
    }
  }

  // Show each rejected input's error beside it, and keep its slider on the
  // value that the diagram uses.
  function showRejected() {
    for (const input of numberInputs) {
      const name = input.dataset.input;
      const entry = rejected.get(name);
      const note = document.getElementById(`error-${name}`);
      const slider = document.querySelector(`[data-slider-for="${input.id}"]`);
      if (entry) {
        input.setAttribute("aria-invalid", "true");
        note.textContent = `${entry.message}. The diagram uses the last valid value, ` +
          `${lastValid.get(name)}, until you correct it.`;
        slider.value = lastValid.get(name);
      } else {
        input.removeAttribute("aria-invalid");
        note.textContent = "";
      }
      note.hidden = !entry;
    }
  }

  function nodeOf(name) {
    return document.querySelector(`#diagram [data-node="${CSS.escape(name)}"]`);
  }

  function setText(node, field, text, exact) {
    const element = node.querySelector(`[data-field="${field}"]`);
    element.textContent = text;
    if (exact !== undefined) element.dataset.exact = String(exact);
    return element;
  }

  function drawValues(node, unit) {
    setText(node, "activation", `g: ${unit.activation}`);
    setText(node, "z", `z = ${formatNumber(unit.z)}`, unit.z);
    setText(node, "a", `a = ${formatNumber(unit.a)}`, unit.a);
    setText(node, "reference", `in data: ${formatNumber(unit.reference)}`, unit.reference);
    node.dataset.activation = unit.activation;
  }

  // The gauge spans 0 to a little past the larger of a and the cap, so a
  // bounded unit shows how close it sits to its ceiling.
  function drawGauge(node, unit) {
    const cap = unit.upper_bound;
    const low = Math.min(0, unit.a * 1.1);
    const high = Math.max(1.25, unit.a * 1.1, cap === null ? 0 : cap * 1.1);
    const position = (x) => ((x - low) / (high - low)) * GAUGE_WIDTH;
    const fill = node.querySelector('[data-field="fill"]');
    const start = position(Math.min(0, unit.a));
    fill.setAttribute("x", String(start));
    fill.setAttribute("width", String(Math.abs(position(unit.a) - position(0))));
    const capLine = node.querySelector('[data-field="cap"]');
    capLine.style.display = cap === null ? "none" : "";
    if (cap !== null) {
      capLine.setAttribute("x1", String(position(cap)));
      capLine.setAttribute("x2", String(position(cap)));
    }
    // "capped" only when a sits near its ceiling; otherwise the range is enough.
    const nearCap = cap !== null && unit.a > NEAR_CAP * cap;
    let text = `range ${unit.range_text}`;
    if (cap === null) text = `no upper limit · ${unit.range_text}`;
    else if (nearCap) text = `capped at ${formatNumber(cap)} · ${unit.range_text}`;
    setText(node, "gauge", text);
    node.classList.toggle("capped", nearCap);
  }

  function drawOutput(result) {
    const node = nodeOf(result.output.name);
    const outside = result.output_outside_probability;
    drawValues(node, result.output);
    node.classList.toggle("bad", outside);
    const percent = formatNumber(result.output.a * 100, 3);
    setText(node, "verdict", outside ? "not a probability" : `chance: ${percent} %`);
    warning.hidden = !outside;
    warning.querySelector('[data-field="text"]').textContent =
      `With ${result.output.activation} at the output, the network returns ` +
      `${formatNumber(result.output.a)} for "how likely is a top seller?", ` +
      `which lies outside [0, 1].`;
  }

  function matrixRow(label, values) {
    const row = document.createElement("tr");
    const head = document.createElement("th");
    head.scope = "row";
    head.textContent = label;
    row.append(head);
    for (const value of values) {
      const cell = document.createElement("td");
      cell.textContent = formatNumber(value);
      cell.dataset.exact = String(value);
      row.append(cell);
    }
    return row;
  }

  function fillMatrix(id, columns, rows, weights, bias) {
    const table = document.getElementById(id);
    const head = document.createElement("tr");
    head.append(document.createElement("th"));
    for (const column of columns) {
      const cell = document.createElement("th");
      cell.scope = "col";
      cell.textContent = column;
      head.append(cell);
    }
    const body = weights.map((values, i) => matrixRow(rows[i], values));
    const biasRow = matrixRow("bias", bias);
    biasRow.className = "bias";
    table.replaceChildren(head, ...body, biasRow);
  }

  function drawCollapse(result) {
    collapsePanel.hidden = result.collapse === null;
    if (result.collapse === null) return;
    const c = result.collapse;
    const inputs = numberInputs.map((input) => input.dataset.input);
    const hidden = result.hidden.map((unit) => unit.name);
    const output = [result.output.name];
    fillMatrix("m-W1", hidden, inputs, c.W1, c.b1);
    fillMatrix("m-W2", output, hidden, c.W2, c.b2);
    fillMatrix("m-W", output, inputs, c.W, c.b);
    const proof = document.getElementById("collapse-proof");
    proof.dataset.same = String(c.same_output);
    proof.textContent =
      `For this product the two-layer network gives ${formatNumber(c.two_layer_output, 10)} ` +
      `and the single layer x W + b gives ${formatNumber(c.collapsed_output, 10)}: ` +
      (c.same_output
        ? `the same output (they differ by ${c.difference.toExponential(1)}, float rounding).`
        : `they differ by ${formatNumber(c.difference)}.`);
  }

  function draw(result) {
    for (const input of numberInputs) {
      const name = input.dataset.input;
      const node = nodeOf(name);
      const stale = rejected.has(name);
      const text = formatNumber(result.state.inputs[name], 5);
      setText(node, "value", stale ? `${text} (last valid)` : text, result.state.inputs[name]);
      node.classList.toggle("stale", stale);
    }
    for (const unit of result.hidden) {
      const node = nodeOf(unit.name);
      drawValues(node, unit);
      drawGauge(node, unit);
    }
    drawOutput(result);
    drawCollapse(result);
  }

  async function refresh() {
    const current = ++generation;
    for (const select of unitSelects) select.disabled = linearBox.checked;
    // A value changed since the API rejected it is checked again.
    for (const input of numberInputs) {
      const name = input.dataset.input;
      if (rejected.get(name)?.value !== input.value) rejected.delete(name);
    }
    try {
      const [result, used] = await fetchValid();
      if (current !== generation) return; // a newer refresh owns the page
      for (const [name, value] of used) lastValid.set(name, value);
      // The URL holds only values that the API accepted.
      const query = queryString(queryFields(used));
      history.replaceState(null, "", query ? `${location.pathname}?${query}` : location.pathname);
      draw(result);
      showMessages(urlMessages);
    } catch (error) {
      if (current !== generation) return;
      showMessages([...urlMessages, error.message]);
    }
    showRejected();
    document.body.dataset.revision = String(++revision);
  }

  function schedule() {
    urlMessages = [];
    clearTimeout(timer);
    timer = setTimeout(refresh, DEBOUNCE_MS);
  }

  function listen() {
    for (const slider of document.querySelectorAll("[data-slider-for]")) {
      const number = document.getElementById(slider.dataset.sliderFor);
      slider.addEventListener("input", () => {
        number.value = slider.value;
        schedule();
      });
      number.addEventListener("change", () => {
        slider.value = number.value;
        schedule();
      });
    }
    for (const select of unitSelects) select.addEventListener("change", schedule);
    linearBox.addEventListener("change", schedule);
  }

  listen();
  refresh();
})();
