"use strict";

// The explorer draws what the JSON API computes. This file fetches curves and
// points and never evaluates an activation itself.
(() => {
  const PALETTE = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
    "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22",
  ];
  // Delay between the last control event and the requests it causes.
  const DEBOUNCE_MS = 40;

  const root = document.getElementById("explorer");
  const points = root.dataset.points;
  const defaultStart = Number(root.dataset.defaultStart);
  const defaultStop = Number(root.dataset.defaultStop);
  const zLimit = Number(root.dataset.zLimit);
  const valuePlot = document.getElementById("value-plot");
  const derivativePlot = document.getElementById("derivative-plot");
  const messageBox = document.getElementById("messages");
  const zSlider = document.getElementById("z-slider");
  const zInput = document.getElementById("z");
  const startInput = document.getElementById("start");
  const stopInput = document.getElementById("stop");
  const readoutBody = document.querySelector("#readout tbody");
  const registryOrder = [...document.querySelectorAll("article.entry")].map(
    (card) => card.dataset.entry,
  );

  // Messages about the URL, from the server, stay until the first user action.
  let urlMessages = [...messageBox.querySelectorAll("li")].map((li) => li.textContent);
  let curveErrors = [];
  // The last valid z range: the plots and the URL keep it while the inputs hold
  // an invalid one, and the message about the inputs stays until they are fixed.
  let shownRange = { start: startInput.value, stop: stopInput.value };
  let rangeError = null;
  let curves = new Map();
  let curvesStale = true;
  let generation = 0;
  let revision = 0;
  let timer = null;
  let plotsListening = false;

  class ApiError extends Error {}

  function cardOf(name) {
    return document.querySelector(`article.entry[data-entry="${CSS.escape(name)}"]`);
  }

  function selectedNames() {
    const boxes = document.querySelectorAll('input[name="show"]:checked');
    const checked = new Set([...boxes].map((box) => box.value));
    return registryOrder.filter((name) => checked.has(name));
  }

  function colorOf(names, name) {
    return PALETTE[names.indexOf(name) % PALETTE.length];
  }

  function paramsOf(name) {
    const params = {};
    for (const control of cardOf(name).querySelectorAll("[data-param]")) {
      params[control.dataset.param] = control.value;
    }
    return params;
  }

  function queryString(fields) {
    return fields
      .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
      .join("&");
  }

  async function getJson(name, endpoint, fields) {
    const path = `/api/activations/${encodeURIComponent(name)}/${endpoint}`;
    let response;
    try {
      response = await fetch(`${path}?${queryString(Object.entries(fields))}`);
    } catch (error) {
      throw new ApiError(`could not reach the server: ${error.message}`);
    }
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const status = `${response.status} ${response.statusText}`;
      throw new ApiError(body?.detail ?? `request for ${name} failed with ${status}`);
    }
    return body;
  }

  function showMessages(texts) {
    const unique = [...new Set(texts)];
    const items = unique.map((text) => {
      const item = document.createElement("li");
      item.textContent = text;
      return item;
    });
    messageBox.querySelector("ul").replaceChildren(...items);
    messageBox.hidden = unique.length === 0;
  }

  // Plotly reads a few HTML tags in names and hover text, so escape them.
  function plotlyText(text) {
    return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
  }

  function formatNumber(x) {
    return x === null ? "not finite" : String(Number(x.toPrecision(6)));
  }

  function roundToStep(text, step) {
    const decimals = Math.max(0, -Math.floor(Math.log10(Number(step))));
    return String(Number(Number(text).toFixed(decimals)));
  }

  function paint(names) {
    for (const element of document.querySelectorAll("[data-entry]")) {
      const name = element.dataset.entry;
      if (names.includes(name)) {
        element.style.setProperty("--entry-color", colorOf(names, name));
      } else {
        element.style.removeProperty("--entry-color");
      }
    }
    for (const card of document.querySelectorAll("article.entry")) {
      card.hidden = !names.includes(card.dataset.entry);
    }
  }

  // Check the typed range as the curve API does, echoing the text as typed.
  function checkRange() {
    const start = startInput.value.trim();
    const stop = stopInput.value.trim();
    const expected = `expected a finite number in [${-zLimit}, ${zLimit}]`;
    for (const [field, text] of [["start", start], ["stop", stop]]) {
      const number = text === "" ? NaN : Number(text);
      if (!Number.isFinite(number) || Math.abs(number) > zLimit) {
        return { error: `invalid ${field}='${text}': ${expected}` };
      }
    }
    if (!(Number(start) < Number(stop))) {
      return { error: `invalid stop=${stop}: expected a number greater than start=${start}` };
    }
    return { range: { start, stop } };
  }

  function writeUrl(names) {
    const fields = [["show", names.join(",")]];
    if (Number(shownRange.start) !== defaultStart) fields.push(["start", shownRange.start]);
    if (Number(shownRange.stop) !== defaultStop) fields.push(["stop", shownRange.stop]);
    if (Number(zInput.value) !== 0) fields.push(["z", zInput.value]);
    for (const name of names) {
      for (const control of cardOf(name).querySelectorAll("[data-param]")) {
        const numeric = control.tagName === "INPUT";
        const same = numeric
          ? Number(control.value) === Number(control.dataset.default)
          : control.value === control.dataset.default;
        if (!same) fields.push([`${name}.${control.dataset.param}`, control.value]);
      }
    }
    const query = queryString(fields).replaceAll("%2C", ",");
    history.replaceState(null, "", `${location.pathname}?${query}`);
  }

  // Request one endpoint for every name, keeping the results and the errors.
  async function fetchEach(names, endpoint, fieldsOf) {
    const results = await Promise.allSettled(
      names.map((name) => getJson(name, endpoint, fieldsOf(name))),
    );
    const fetched = new Map();
    const errors = [];
    results.forEach((result, i) => {
      if (result.status === "fulfilled") fetched.set(names[i], result.value);
      else errors.push(result.reason.message);
    });
    return { fetched, errors };
  }

  function fetchCurves(names) {
    const range = { ...shownRange, points };
    return fetchEach(names, "curve", (name) => ({ ...range, ...paramsOf(name) }));
  }

  function fetchPoints(names, z) {
    return fetchEach(names, "point", (name) => ({ z, ...paramsOf(name) }));
  }

  function traces(names, marks, key) {
    const drawn = names.filter((name) => curves.has(name));
    const lines = drawn.map((name) => ({
      x: curves.get(name).z,
      y: curves.get(name)[key],
      name: plotlyText(name),
      mode: "lines",
      line: { color: colorOf(names, name), width: 2 },
      hovertemplate: "%{y:.6g}",
    }));
    const marked = drawn.filter((name) => marks.has(name));
    const dots = {
      x: marked.map((name) => marks.get(name).z),
      y: marked.map((name) => marks.get(name)[key]),
      mode: "markers",
      marker: { color: marked.map((name) => colorOf(names, name)), size: 9 },
      hoverinfo: "skip",
      showlegend: false,
    };
    return [...lines, dots];
  }

  function layout(title, z, empty) {
    const first = [...curves.values()][0];
    const range = first ? [first.z[0], first.z[first.z.length - 1]] : undefined;
    return {
      margin: { l: 56, r: 16, t: 12, b: 44 },
      font: { family: "system-ui, sans-serif", size: 12, color: "#1d232b" },
      xaxis: { title: { text: "z" }, range, zerolinecolor: "#9aa4b1", gridcolor: "#eef1f4" },
      yaxis: { title: { text: title }, zerolinecolor: "#9aa4b1", gridcolor: "#eef1f4" },
      showlegend: false,
      hovermode: "x unified",
      shapes: [{
        type: "line", x0: z, x1: z, yref: "paper", y0: 0, y1: 1,
        line: { color: "#5b6675", width: 1, dash: "dot" },
      }],
      annotations: empty ? [{
        text: "Choose an activation on the left", showarrow: false,
        xref: "paper", yref: "paper", x: 0.5, y: 0.5, font: { color: "#5b6675" },
      }] : [],
    };
  }

  async function draw(names, marks, z) {
    const config = { displaylogo: false, responsive: true };
    const empty = names.filter((name) => curves.has(name)).length === 0;
    await Promise.all([
      Plotly.react(valuePlot, traces(names, marks, "value"), layout("g(z)", z, empty), config),
      Plotly.react(
        derivativePlot, traces(names, marks, "derivative"), layout("g′(z)", z, empty), config,
      ),
    ]);
    if (!plotsListening) {
      listenToPlots();
      plotsListening = true;
    }
  }

  function cell(text, exact) {
    const td = document.createElement("td");
    td.textContent = text;
    if (exact !== undefined) td.dataset.exact = String(exact);
    return td;
  }

  function fillReadout(names, marks) {
    const rows = names.map((name) => {
      const row = document.createElement("tr");
      row.dataset.entry = name;
      row.style.setProperty("--entry-color", colorOf(names, name));
      const label = cell(name);
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      label.prepend(swatch);
      const mark = marks.get(name);
      if (mark) {
        row.append(label, cell(formatNumber(mark.value), mark.value),
          cell(formatNumber(mark.derivative), mark.derivative));
      } else {
        row.append(label, cell("unavailable"), cell("unavailable"));
      }
      return row;
    });
    readoutBody.replaceChildren(...rows);
  }

  // The range and the max slope can move with the parameters (ELU's alpha, say).
  function showFacts() {
    for (const [name, curve] of curves) {
      const card = cardOf(name);
      const maxDerivative = curve.facts.max_plotted_derivative;
      const note = curve.facts.properties.vector ? " (of the plotted Jacobian diagonal)" : "";
      card.querySelector('[data-fact="range"]').textContent = curve.facts.output_range.text;
      card.querySelector('[data-fact="max-derivative"]').textContent =
        (maxDerivative === null ? "unbounded" : formatNumber(maxDerivative)) + note;
    }
  }

  function fitZ() {
    const first = [...curves.values()][0];
    if (!first) return;
    const low = first.z[0];
    const high = first.z[first.z.length - 1];
    zSlider.min = String(low);
    zSlider.max = String(high);
    zSlider.step = String(10 ** Math.floor(Math.log10((high - low) / 1000)));
    const z = Number(zInput.value);
    if (Number.isFinite(z) && (z < low || z > high)) {
      zInput.value = String(Math.min(Math.max(z, low), high));
    }
    zSlider.value = zInput.value;
  }

  async function refresh() {
    const current = ++generation;
    const names = selectedNames();
    const refetch = curvesStale;
    const checked = checkRange();
    rangeError = checked.error ?? null;
    if (checked.range) shownRange = checked.range;
    paint(names);
    writeUrl(names);
    const z = zInput.value;
    const [curveResult, pointResult] = await Promise.all([
      refetch ? fetchCurves(names) : null,
      fetchPoints(names, z),
    ]);
    if (current !== generation) return; // a newer refresh owns the page
    if (curveResult) {
      curves = curveResult.fetched;
      curveErrors = curveResult.errors;
      curvesStale = false;
      fitZ();
      showFacts();
    }
    const inputErrors = rangeError ? [`${rangeError}. The plots keep the last valid range.`] : [];
    showMessages([...urlMessages, ...inputErrors, ...curveErrors, ...pointResult.errors]);
    await draw(names, pointResult.fetched, Number(z));
    fillReadout(names, pointResult.fetched);
    if (current === generation) document.body.dataset.revision = String(++revision);
  }

  function run() {
    refresh().catch((error) => {
      console.error(error);
      showMessages([`the explorer failed to draw: ${error.message}`]);
    });
  }

  function schedule(changesCurves) {
    urlMessages = [];
    if (changesCurves) curvesStale = true;
    clearTimeout(timer);
    timer = setTimeout(run, DEBOUNCE_MS);
  }

  function setZ(value) {
    zInput.value = value;
    zSlider.value = value;
    schedule(false);
  }

  function listen() {
    for (const box of document.querySelectorAll('input[name="show"]')) {
      box.addEventListener("change", () => {
        // An entry with several roles has one box per role group.
        for (const twin of document.querySelectorAll('input[name="show"]')) {
          if (twin.value === box.value) twin.checked = box.checked;
        }
        schedule(true);
      });
    }
    for (const slider of document.querySelectorAll("[data-slider-for]")) {
      const number = document.getElementById(slider.dataset.sliderFor);
      slider.addEventListener("input", () => {
        number.value = roundToStep(slider.value, slider.step);
        schedule(true);
      });
      number.addEventListener("change", () => {
        slider.value = number.value;
        schedule(true);
      });
    }
    for (const select of document.querySelectorAll("select[data-param]")) {
      select.addEventListener("change", () => schedule(true));
    }
    startInput.addEventListener("change", () => schedule(true));
    stopInput.addEventListener("change", () => schedule(true));
    zSlider.addEventListener("input", () => setZ(roundToStep(zSlider.value, zSlider.step)));
    zInput.addEventListener("change", () => setZ(zInput.value));
  }

  function listenToPlots() {
    for (const plot of [valuePlot, derivativePlot]) {
      plot.on("plotly_click", (event) => {
        if (event.points.length) setZ(String(event.points[0].x));
      });
    }
  }

  listen();
  run();
})();
